//! Revisions: a full snapshot of every field of a post at each save, with its editor and time,
//! kept without limit and numbered from 1 per post; restoring one saves it as the next.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::Actor;
use crate::content::posts::Post;
use crate::db::{Conn, schema::content::post_revisions};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// A stored snapshot.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = post_revisions)]
pub struct Revision {
    pub id: Uuid,
    pub post_id: Uuid,
    pub revision_number: i32,
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    pub description: String,
    pub tags: Vec<String>,
    pub status: String,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub editor_label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Snapshots `post` as its next revision.
pub async fn record(conn: &mut Conn, scope: Scope, post: &Post, actor: &Actor) -> AppResult<()> {
    let latest = latest_number(conn, scope, post.id).await?;
    diesel::insert_into(post_revisions::table)
        .values((
            post_revisions::customer_id.eq(scope.customer_uuid()),
            post_revisions::id.eq(Uuid::new_v4()),
            post_revisions::post_id.eq(post.id),
            post_revisions::revision_number.eq(latest.unwrap_or(0) + 1),
            post_revisions::title.eq(&post.title),
            post_revisions::slug.eq(&post.slug),
            post_revisions::body_markdown.eq(&post.body_markdown),
            post_revisions::description.eq(&post.description),
            post_revisions::tags.eq(&post.tags),
            post_revisions::status.eq(&post.status),
            post_revisions::published_at.eq(post.published_at),
            post_revisions::trashed_at.eq(post.trashed_at),
            post_revisions::editor_id.eq(actor.user_id.map(|id| id.as_uuid())),
            post_revisions::editor_label.eq(&actor.label),
            post_revisions::created_at.eq(post.updated_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every revision of a post, newest first.
pub async fn for_post(conn: &mut Conn, scope: Scope, post: Uuid) -> AppResult<Vec<Revision>> {
    post_revisions::table
        .filter(post_revisions::customer_id.eq(scope.customer_uuid()))
        .filter(post_revisions::post_id.eq(post))
        .order(post_revisions::revision_number.desc())
        .select(Revision::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// One revision of a post by its number; [`AppError::NotFound`] when the post has none such.
pub async fn find(conn: &mut Conn, scope: Scope, post: Uuid, number: i32) -> AppResult<Revision> {
    post_revisions::table
        .filter(post_revisions::customer_id.eq(scope.customer_uuid()))
        .filter(post_revisions::post_id.eq(post))
        .filter(post_revisions::revision_number.eq(number))
        .select(Revision::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// The number of the newest revision of a post, if it has any.
pub async fn latest_number(conn: &mut Conn, scope: Scope, post: Uuid) -> AppResult<Option<i32>> {
    post_revisions::table
        .filter(post_revisions::customer_id.eq(scope.customer_uuid()))
        .filter(post_revisions::post_id.eq(post))
        .select(diesel::dsl::max(post_revisions::revision_number))
        .first(conn)
        .await
        .map_err(AppError::from)
}
