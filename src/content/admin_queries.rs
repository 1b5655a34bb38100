//! What the posts admin reads: listings with a status filter, a title search and keyset
//! pagination, and finding a post of one site. Every write goes through [`crate::content::posts::save`].
//!
//! Every function takes the tenant [`Scope`] and adds `customer_id` itself.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::content::posts::{Kind, Post};
use crate::db::keyset::{PageAt, TimeCursor, Window};
use crate::db::{Conn, schema::content::posts as p};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// Posts per page of the admin listing.
pub const ADMIN_PAGE_SIZE: i64 = 20;

/// Which posts the admin listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Everything not in the trash.
    All,
    Draft,
    /// Published with a publication time still to come.
    Scheduled,
    /// Published and visible.
    Published,
    /// In the trash.
    Trash,
}

impl Filter {
    pub const ALL: [Filter; 5] = [
        Filter::All,
        Filter::Draft,
        Filter::Scheduled,
        Filter::Published,
        Filter::Trash,
    ];

    /// Parses the URL form; an empty text is [`Filter::All`].
    pub fn parse(text: &str) -> AppResult<Filter> {
        Ok(match text {
            "" | "all" => Filter::All,
            "draft" => Filter::Draft,
            "scheduled" => Filter::Scheduled,
            "published" => Filter::Published,
            "trash" => Filter::Trash,
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown status filter {other:?}: use all, draft, scheduled, published or trash"
                )));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Draft => "draft",
            Filter::Scheduled => "scheduled",
            Filter::Published => "published",
            Filter::Trash => "trash",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::Draft => "Drafts",
            Filter::Scheduled => "Scheduled",
            Filter::Published => "Published",
            Filter::Trash => "Trash",
        }
    }
}

/// A position in the admin listing: the (updated_at, id) of a post.
pub type AdminCursor = TimeCursor;

/// One page of the admin listing, most recently changed first.
#[derive(Debug, Clone)]
pub struct AdminPage {
    pub posts: Vec<Post>,
    /// Where the previous page ends, if there is one.
    pub previous: Option<AdminCursor>,
    /// Where the next page starts, if there is one.
    pub next: Option<AdminCursor>,
}

/// The position of a listed post.
fn cursor_of(post: &Post) -> AdminCursor {
    AdminCursor {
        at: post.updated_at,
        id: post.id,
    }
}

/// A page of the site's posts for the admin (keyset pagination on `(updated_at, id)`, most
/// recent first; the page before a position is read oldest first and turned around).
pub async fn list(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    kind: Kind,
    filter: Filter,
    search: &str,
    at: PageAt<AdminCursor>,
) -> AppResult<AdminPage> {
    let now = crate::db::now();
    let mut query = p::table
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::site_id.eq(site.as_uuid()))
        .filter(p::kind.eq(kind.as_str()))
        .select(Post::as_select())
        .into_boxed();
    query = match filter {
        Filter::All => query.filter(p::trashed_at.is_null()),
        Filter::Draft => query
            .filter(p::trashed_at.is_null())
            .filter(p::status.eq("draft")),
        Filter::Scheduled => query
            .filter(p::trashed_at.is_null())
            .filter(p::status.eq("published"))
            .filter(p::published_at.gt(now)),
        Filter::Published => query
            .filter(p::trashed_at.is_null())
            .filter(p::status.eq("published"))
            .filter(p::published_at.le(now)),
        Filter::Trash => query.filter(p::trashed_at.is_not_null()),
    };
    let search = search.trim();
    if !search.is_empty() {
        query = query.filter(p::title.ilike(crate::db::like_contains(search)));
    }
    query = match at {
        PageAt::First => query.order((p::updated_at.desc(), p::id.desc())),
        PageAt::After(c) => query
            .filter(
                p::updated_at
                    .lt(c.at)
                    .or(p::updated_at.eq(c.at).and(p::id.lt(c.id))),
            )
            .order((p::updated_at.desc(), p::id.desc())),
        PageAt::Before(c) => query
            .filter(
                p::updated_at
                    .gt(c.at)
                    .or(p::updated_at.eq(c.at).and(p::id.gt(c.id))),
            )
            .order((p::updated_at.asc(), p::id.asc())),
    };
    let rows: Vec<Post> = query.limit(ADMIN_PAGE_SIZE + 1).load(conn).await?;
    let page = Window::of(&at, rows, ADMIN_PAGE_SIZE as usize);
    Ok(AdminPage {
        previous: page.previous(cursor_of),
        next: page.next(cursor_of),
        posts: page.rows,
    })
}

/// A post of this site of the customer in scope; any other post is [`AppError::NotFound`].
pub async fn find_on_site(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    kind: Kind,
    id: Uuid,
) -> AppResult<Post> {
    p::table
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::site_id.eq(site.as_uuid()))
        .filter(p::kind.eq(kind.as_str()))
        .filter(p::id.eq(id))
        .select(Post::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}
