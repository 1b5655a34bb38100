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
    pub featured_media_id: Option<Uuid>,
    pub byline: String,
}

/// A revision as inserted.
#[derive(Insertable)]
#[diesel(table_name = post_revisions)]
struct NewRevision<'a> {
    customer_id: Uuid,
    id: Uuid,
    post_id: Uuid,
    revision_number: i32,
    title: &'a str,
    slug: &'a str,
    body_markdown: &'a str,
    description: &'a str,
    tags: &'a [String],
    status: &'a str,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
    trashed_at: Option<chrono::DateTime<chrono::Utc>>,
    editor_id: Option<Uuid>,
    editor_label: &'a str,
    created_at: chrono::DateTime<chrono::Utc>,
    featured_media_id: Option<Uuid>,
    byline: &'a str,
}

impl<'a> NewRevision<'a> {
    fn of(scope: Scope, post: &'a Post, number: i32, actor: &'a Actor) -> NewRevision<'a> {
        NewRevision {
            customer_id: scope.customer_uuid(),
            id: Uuid::new_v4(),
            post_id: post.id,
            revision_number: number,
            title: &post.title,
            slug: &post.slug,
            body_markdown: &post.body_markdown,
            description: &post.description,
            tags: &post.tags,
            status: &post.status,
            published_at: post.published_at,
            trashed_at: post.trashed_at,
            editor_id: actor.user_id.map(|id| id.as_uuid()),
            editor_label: &actor.label,
            created_at: post.updated_at,
            featured_media_id: post.featured_media_id,
            byline: &post.byline,
        }
    }
}

/// Snapshots `post` as its next revision.
pub async fn record(conn: &mut Conn, scope: Scope, post: &Post, actor: &Actor) -> AppResult<()> {
    let latest = latest_number(conn, scope, post.id).await?;
    diesel::insert_into(post_revisions::table)
        .values(NewRevision::of(scope, post, latest.unwrap_or(0) + 1, actor))
        .execute(conn)
        .await?;
    Ok(())
}

/// Snapshots posts just created as their revision 1, in one statement.
pub async fn record_first(
    conn: &mut Conn,
    scope: Scope,
    created: &[Post],
    actor: &Actor,
) -> AppResult<()> {
    let rows: Vec<NewRevision<'_>> = created
        .iter()
        .map(|post| NewRevision::of(scope, post, 1, actor))
        .collect();
    diesel::insert_into(post_revisions::table)
        .values(&rows)
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
