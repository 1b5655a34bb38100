//! Posts: the stored row, what visitors may see of it, keyset-paginated listings, and saving
//! (which renders the Markdown once, bumps the version, records a revision and an audit event).
//!
//! A post is visible to visitors when `status = 'published' AND published_at <= now()` and it is
//! not in the trash, computed in the query: a scheduled post appears on time with no job runner.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::content::{markdown, revisions};
use crate::db::keyset::TimeCursor;
use crate::db::{Conn, schema::content::posts};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// Posts per page of the public listing.
pub const PAGE_SIZE: i64 = 10;

/// A post as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub customer_id: Uuid,
    pub id: Uuid,
    pub site_id: Uuid,
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    pub body_html: String,
    pub description: String,
    pub tags: Vec<String>,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub trashed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the public post page shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PublicPost {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body_html: String,
    pub tags: Vec<String>,
    #[diesel(select_expression = posts::published_at.assume_not_null())]
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A line of a public listing.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    #[diesel(select_expression = posts::published_at.assume_not_null())]
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Publication state as an editor sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    /// Published at `published_at`; a future time means scheduled.
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
        }
    }
}

/// The editable fields of a post.
#[derive(Debug, Clone, PartialEq)]
pub struct PostInput {
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    pub description: String,
    pub tags: Vec<String>,
    pub status: Status,
    pub published_at: Option<DateTime<Utc>>,
}

/// A position in the public listing: the (published_at, id) of a post.
pub type Cursor = TimeCursor;

/// The cursor of a listed post.
fn cursor_of(post: &PostSummary) -> Cursor {
    TimeCursor {
        at: post.published_at,
        id: post.id,
    }
}

/// Which page of the public listing to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRequest {
    Newest,
    /// Posts older than the cursor.
    Before(Cursor),
    /// Posts newer than the cursor.
    After(Cursor),
}

/// One page of the public listing, newest first, with the cursors of its neighbours.
#[derive(Debug, Clone)]
pub struct PostPage {
    pub posts: Vec<PostSummary>,
    pub older: Option<Cursor>,
    pub newer: Option<Cursor>,
}

/// The filter of what visitors may see of one site. The status is written into the SQL (not
/// bound) so that every plan of it, generic ones included, can use the partial index
/// `posts_public_listing`.
#[diesel::dsl::auto_type]
fn visible_on(customer: Uuid, site: Uuid) -> _ {
    let published: diesel::expression::SqlLiteral<diesel::sql_types::Bool> =
        diesel::dsl::sql("content.posts.status = 'published'");
    posts::customer_id
        .eq(customer)
        .and(posts::site_id.eq(site))
        .and(published)
        .and(posts::trashed_at.is_null())
        .and(posts::published_at.le(diesel::dsl::now))
}

/// When the next scheduled post of a site becomes visible, if one is scheduled: what visitors
/// see of the site changes then, with no write to announce it.
pub async fn next_scheduled_at(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
) -> AppResult<Option<DateTime<Utc>>> {
    posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::site_id.eq(site.as_uuid()))
        .filter(posts::status.eq("published"))
        .filter(posts::trashed_at.is_null())
        .filter(posts::published_at.gt(diesel::dsl::now))
        .select(diesel::dsl::min(posts::published_at))
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// A page of the site's visible posts (keyset pagination on `(published_at, id)`).
pub async fn visible_page(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    request: PageRequest,
) -> AppResult<PostPage> {
    let visible = visible_on(scope.customer_uuid(), site.as_uuid());
    let mut query = posts::table
        .filter(visible)
        .select(PostSummary::as_select())
        .into_boxed();
    query = match request {
        PageRequest::Newest => query.order((posts::published_at.desc(), posts::id.desc())),
        // The first condition bounds the index scan; the second settles ties.
        PageRequest::Before(c) => query
            .filter(posts::published_at.le(c.at))
            .filter(
                posts::published_at
                    .lt(c.at)
                    .or(posts::published_at.eq(c.at).and(posts::id.lt(c.id))),
            )
            .order((posts::published_at.desc(), posts::id.desc())),
        PageRequest::After(c) => query
            .filter(posts::published_at.ge(c.at))
            .filter(
                posts::published_at
                    .gt(c.at)
                    .or(posts::published_at.eq(c.at).and(posts::id.gt(c.id))),
            )
            .order((posts::published_at.asc(), posts::id.asc())),
    };
    let mut rows: Vec<PostSummary> = query.limit(PAGE_SIZE + 1).load(conn).await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if matches!(request, PageRequest::After(_)) {
        rows.reverse();
    }
    let first = <[PostSummary]>::first(&rows).map(cursor_of);
    let last = <[PostSummary]>::last(&rows).map(cursor_of);
    let (older, newer) = match request {
        PageRequest::Newest => (last.filter(|_| has_more), None),
        PageRequest::Before(_) => (last.filter(|_| has_more), first),
        PageRequest::After(_) => (last, first.filter(|_| has_more)),
    };
    Ok(PostPage {
        posts: rows,
        older,
        newer,
    })
}

/// The visible post with this slug on the site.
pub async fn visible_by_slug(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
) -> AppResult<PublicPost> {
    posts::table
        .filter(visible_on(scope.customer_uuid(), site.as_uuid()))
        .filter(posts::slug.eq(slug))
        .select(PublicPost::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// The newest visible posts with their bodies, for the feed.
pub async fn visible_recent(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    limit: i64,
) -> AppResult<Vec<PublicPost>> {
    posts::table
        .filter(visible_on(scope.customer_uuid(), site.as_uuid()))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .select(PublicPost::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Slugs and modification times of every visible post, for the sitemap.
pub async fn visible_slugs(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    limit: i64,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    posts::table
        .filter(visible_on(scope.customer_uuid(), site.as_uuid()))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .select((posts::slug, posts::updated_at))
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Any post of the site with this slug, visible or not.
pub async fn by_slug(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
) -> AppResult<Option<Post>> {
    posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::site_id.eq(site.as_uuid()))
        .filter(posts::slug.eq(slug))
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// Any post of the customer in scope, by id (visible or not).
pub async fn find(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Post> {
    posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::id.eq(id))
        .select(Post::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// Checks the fields an editor or an import supplies.
pub fn validate(input: &PostInput) -> AppResult<()> {
    let title = input.title.trim();
    if title.is_empty() {
        return Err(AppError::Invalid("the title must not be empty".into()));
    }
    if title.chars().count() > 500 {
        return Err(AppError::Invalid(
            "the title must be at most 500 characters".into(),
        ));
    }
    if !crate::content::front_matter::valid_slug(&input.slug) {
        return Err(AppError::Invalid(format!(
            "the slug {:?} is not valid (use a-z, 0-9 and -)",
            input.slug
        )));
    }
    if input.status == Status::Published && input.published_at.is_none() {
        return Err(AppError::Invalid(
            "a published post needs a publication time".into(),
        ));
    }
    Ok(())
}

/// Creates a post on a site of the customer in scope, with its first revision.
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    input: &PostInput,
    actor: &Actor,
) -> AppResult<Post> {
    validate(input)?;
    let now = crate::db::now();
    let post: Post = diesel::insert_into(posts::table)
        .values((
            posts::customer_id.eq(scope.customer_uuid()),
            posts::id.eq(Uuid::new_v4()),
            posts::site_id.eq(site.as_uuid()),
            posts::title.eq(input.title.trim()),
            posts::slug.eq(&input.slug),
            posts::body_markdown.eq(&input.body_markdown),
            posts::body_html.eq(markdown::render(&input.body_markdown)),
            posts::description.eq(input.description.trim()),
            posts::tags.eq(&input.tags),
            posts::status.eq(input.status.as_str()),
            posts::published_at.eq(input.published_at),
            posts::created_at.eq(now),
            posts::updated_at.eq(now),
        ))
        .returning(Post::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| slug_taken(e, &input.slug))?;
    revisions::record(conn, scope, &post, actor).await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "post",
            entity_id: post.id,
            action: "create",
            before: None,
            after: Some(audit_fields(&post)),
        },
    )
    .await?;
    Ok(post)
}

/// Saves new field values over the post if it is still at `expected_version`; otherwise
/// [`AppError::Conflict`] and nothing changes.
pub async fn update(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    input: &PostInput,
    actor: &Actor,
) -> AppResult<Post> {
    update_as(
        conn,
        scope,
        current,
        expected_version,
        input,
        actor,
        "update",
    )
    .await
}

/// Like [`update`], recording `action` (`publish`, `unpublish`, `schedule`…) in the audit log.
pub async fn update_as(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    input: &PostInput,
    actor: &Actor,
    action: &str,
) -> AppResult<Post> {
    validate(input)?;
    let saved: Option<Post> = diesel::update(posts::table)
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::id.eq(current.id))
        .filter(posts::version.eq(expected_version))
        .set((
            posts::title.eq(input.title.trim()),
            posts::slug.eq(&input.slug),
            posts::body_markdown.eq(&input.body_markdown),
            posts::body_html.eq(markdown::render(&input.body_markdown)),
            posts::description.eq(input.description.trim()),
            posts::tags.eq(&input.tags),
            posts::status.eq(input.status.as_str()),
            posts::published_at.eq(input.published_at),
            posts::version.eq(posts::version + 1),
            posts::updated_at.eq(crate::db::now()),
        ))
        .returning(Post::as_returning())
        .get_result(conn)
        .await
        .optional()
        .map_err(|e| slug_taken(e, &input.slug))?;
    let post = saved.ok_or_else(|| {
        AppError::Conflict("the post was changed by someone else since it was loaded".into())
    })?;
    revisions::record(conn, scope, &post, actor).await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "post",
            entity_id: post.id,
            action,
            before: Some(audit_fields(current)),
            after: Some(audit_fields(&post)),
        },
    )
    .await?;
    Ok(post)
}

fn slug_taken(error: diesel::result::Error, slug: &str) -> AppError {
    match AppError::from(error) {
        e if e.unique_violation() == Some("posts_slug_per_site") => {
            AppError::Conflict(format!("the slug {slug} is already taken on this site"))
        }
        other => other,
    }
}

/// The fields of a post that the audit log compares.
pub(crate) fn audit_fields(post: &Post) -> serde_json::Value {
    json!({
        "title": post.title,
        "slug": post.slug,
        "body_markdown": post.body_markdown,
        "description": post.description,
        "tags": post.tags,
        "status": post.status,
        "published_at": post.published_at,
        "trashed_at": post.trashed_at,
        "version": post.version,
    })
}
