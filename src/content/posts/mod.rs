//! Posts: the stored row, what visitors may see of it and keyset-paginated listings (of a site,
//! or of one of its tags); every creation and change goes through the one write path in
//! [`write`] (re-exported here).
//!
//! A post is visible to visitors when `status = 'published' AND published_at <= now()` and it is
//! not in the trash, computed in the query: a scheduled post appears on time with no job runner.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::content::tags;
use crate::db::fixed_sql::FixedCondition;
use crate::db::keyset::TimeCursor;
use crate::db::{Conn, schema::content::posts};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

mod write;

pub use write::{
    Body, Change, MAX_BYLINE_CHARS, NewPost, Outcome, Target, create_many, delete, save, validate,
};

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
    /// An image of the media library shown with the post.
    pub featured_media_id: Option<Uuid>,
    /// `post` or `page` ([`Kind`]).
    pub kind: String,
    /// The name it is signed with; empty: none.
    pub byline: String,
}

impl Post {
    /// Whether it is a post or a page.
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind)
    }

    /// Where visitors find it when it is visible.
    pub fn public_path(&self) -> String {
        self.kind().public_path(&self.slug)
    }
}

/// What a row of `content.posts` is: a dated post of the listing and the feed, or a page
/// ([`crate::content::pages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Post,
    Page,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Page => "page",
        }
    }

    /// The kind stored as `text`; anything else is a post (the column's check allows nothing else).
    pub fn parse(text: &str) -> Kind {
        if text == "page" {
            Kind::Page
        } else {
            Kind::Post
        }
    }

    pub fn is_page(self) -> bool {
        self == Kind::Page
    }

    /// The word for one of them, as messages and the audit log name it.
    pub fn noun(self) -> &'static str {
        self.as_str()
    }

    /// The public address of one with this slug.
    pub fn public_path(self, slug: &str) -> String {
        match self {
            Kind::Post => format!("/posts/{slug}"),
            Kind::Page => crate::content::pages::href(slug),
        }
    }

    /// Where the admin manages them.
    pub fn admin_base(self) -> &'static str {
        match self {
            Kind::Post => "/admin/posts",
            Kind::Page => "/admin/pages",
        }
    }
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
    pub featured_media_id: Option<Uuid>,
    pub byline: String,
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
    pub featured_media_id: Option<Uuid>,
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
    /// An image of the customer's media library shown with the post, or none.
    pub featured_media_id: Option<Uuid>,
    /// The name the post is signed with (at most 200 characters, one line); empty: none.
    pub byline: String,
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

/// The filter of the posts (not pages) visitors may see of one site. The status and the kind are
/// written into the SQL (not bound) so that every plan of it, generic ones included, can use the
/// partial index `posts_public_listing`.
#[diesel::dsl::auto_type]
pub(crate) fn visible_on(customer: Uuid, site: Uuid) -> _ {
    let filter: visible_where = visible_where(
        customer,
        site,
        "content.posts.status = 'published' AND content.posts.kind = 'post'",
    );
    filter
}

/// The filter of the pages visitors may see of one site.
#[diesel::dsl::auto_type]
pub(crate) fn visible_pages_on(customer: Uuid, site: Uuid) -> _ {
    let filter: visible_where = visible_where(
        customer,
        site,
        "content.posts.status = 'published' AND content.posts.kind = 'page'",
    );
    filter
}

/// The filter of the posts and pages visitors may see of one site (what search finds).
#[diesel::dsl::auto_type]
pub(crate) fn visible_content_on(customer: Uuid, site: Uuid) -> _ {
    let filter: visible_where = visible_where(customer, site, "content.posts.status = 'published'");
    filter
}

/// Rows of the site that are visible by their status (`published`, given as SQL text), time and
/// trash.
#[diesel::dsl::auto_type]
fn visible_where(customer: Uuid, site: Uuid, published_sql: &'static str) -> _ {
    let published: FixedCondition = FixedCondition::new(published_sql);
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
    mut conn: &Conn,
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
        .get_result(&mut conn)
        .await
        .map_err(AppError::from)
}

/// A page of the site's visible posts (keyset pagination on `(published_at, id)`); only those
/// with the tag whose address form is `tag`, when given.
pub async fn visible_page(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    tag: Option<&str>,
    request: PageRequest,
) -> AppResult<PostPage> {
    let visible = visible_on(scope.customer_uuid(), site.as_uuid());
    let mut query = posts::table
        .filter(visible)
        .select(PostSummary::as_select())
        .into_boxed();
    if let Some(tag) = tag {
        query = query.filter(posts::id.eq_any(tags::post_ids_with(scope, site, tag)));
    }
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

/// The newest visible posts with their bodies, for a feed; only those with the tag whose address
/// form is `tag`, when given.
pub async fn visible_recent(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    tag: Option<&str>,
    limit: i64,
) -> AppResult<Vec<PublicPost>> {
    let mut query = posts::table
        .filter(visible_on(scope.customer_uuid(), site.as_uuid()))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .select(PublicPost::as_select())
        .into_boxed();
    if let Some(tag) = tag {
        query = query.filter(posts::id.eq_any(tags::post_ids_with(scope, site, tag)));
    }
    query.load(conn).await.map_err(AppError::from)
}

/// How many posts of the site visitors may see.
pub async fn visible_count(conn: &mut Conn, scope: Scope, site: SiteId) -> AppResult<i64> {
    posts::table
        .filter(visible_on(scope.customer_uuid(), site.as_uuid()))
        .count()
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// Slugs and modification times of the visible posts, newest first, `limit` of them after
/// skipping `offset` (for the sitemap).
pub async fn visible_slugs(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    offset: i64,
    limit: i64,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    posts::table
        .filter(visible_on(scope.customer_uuid(), site.as_uuid()))
        .order((posts::published_at.desc(), posts::id.desc()))
        .offset(offset)
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
        "featured_media_id": post.featured_media_id,
        "byline": post.byline,
        "version": post.version,
    })
}
