//! What the posts admin asks of the database: listings with a status filter, a title search and
//! keyset pagination; finding a post of one site; a free slug; saving with old-slug redirects; and
//! the trash (move, restore, delete), each a versioned change with a revision and an audit event.
//!
//! Every function takes the tenant [`Scope`] and adds `customer_id` itself.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::content::posts::{self, Post, PostInput};
use crate::content::{revisions, slug_redirects};
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

/// Escapes `%`, `_` and `\` for a `LIKE` pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A page of the site's posts for the admin (keyset pagination on `(updated_at, id)`, most
/// recent first; the page before a position is read oldest first and turned around).
pub async fn list(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    filter: Filter,
    search: &str,
    at: PageAt<AdminCursor>,
) -> AppResult<AdminPage> {
    let now = crate::db::now();
    let mut query = p::table
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::site_id.eq(site.as_uuid()))
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
        query = query.filter(p::title.ilike(format!("%{}%", like_escape(search))));
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
    id: Uuid,
) -> AppResult<Post> {
    p::table
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::site_id.eq(site.as_uuid()))
        .filter(p::id.eq(id))
        .select(Post::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// Whether another post of the site (not `except`) has this slug.
pub async fn slug_taken(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
    except: Option<Uuid>,
) -> AppResult<bool> {
    Ok(posts::by_slug(conn, scope, site, slug)
        .await?
        .is_some_and(|post| Some(post.id) != except))
}

/// The first of `slug`, `slug-2`, `slug-3`… that no other post of the site has.
pub async fn free_slug(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
    except: Option<Uuid>,
) -> AppResult<String> {
    let base = slug.trim_end_matches('-');
    let base = if base.is_empty() { "post" } else { base };
    let prefix = format!("{}-", like_escape(base));
    let taken: Vec<(Uuid, String)> = p::table
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::site_id.eq(site.as_uuid()))
        .filter(p::slug.eq(base).or(p::slug.like(format!("{prefix}%"))))
        .select((p::id, p::slug))
        .load(conn)
        .await?;
    let taken: std::collections::HashSet<String> = taken
        .into_iter()
        .filter(|(id, _)| Some(*id) != except)
        .map(|(_, slug)| slug)
        .collect();
    if !taken.contains(base) {
        return Ok(base.to_owned());
    }
    for n in 2.. {
        let suffix = format!("-{n}");
        let room = crate::content::front_matter::MAX_SLUG_CHARS - suffix.len();
        let stem = base[..base.len().min(room)].trim_end_matches('-');
        let candidate = format!("{stem}{suffix}");
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
    }
    unreachable!("some number is free")
}

/// Creates a post on the site; an old-slug redirect of the same slug is removed.
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    input: &PostInput,
    actor: &Actor,
) -> AppResult<Post> {
    let post = posts::create(conn, scope, site, input, actor).await?;
    slug_redirects::forget(conn, scope, site, &post.slug).await?;
    Ok(post)
}

/// Saves `input` over `current` if it is still at `expected_version` (a conflict otherwise),
/// recording `action` in the audit log. When the slug of a published post changes, the old slug
/// becomes a redirect to the post; a redirect of the new slug is removed.
pub async fn save(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    input: &PostInput,
    actor: &Actor,
    action: &str,
) -> AppResult<Post> {
    let site = SiteId::from_uuid(current.site_id);
    let post =
        posts::update_as(conn, scope, current, expected_version, input, actor, action).await?;
    if post.slug != current.slug {
        slug_redirects::forget(conn, scope, site, &post.slug).await?;
        if current.status == "published" {
            slug_redirects::record(conn, scope, site, &current.slug, post.id).await?;
        }
    }
    Ok(post)
}

/// Sets or clears `trashed_at` if the post is still at `expected_version`, with a new version,
/// a revision and an audit event (`trash` or `restore`).
async fn set_trashed(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    trashed_at: Option<DateTime<Utc>>,
    actor: &Actor,
) -> AppResult<Post> {
    let saved: Option<Post> = diesel::update(p::table)
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::id.eq(current.id))
        .filter(p::version.eq(expected_version))
        .set((
            p::trashed_at.eq(trashed_at),
            p::version.eq(p::version + 1),
            p::updated_at.eq(crate::db::now()),
        ))
        .returning(Post::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    let post = saved.ok_or_else(stale)?;
    revisions::record(conn, scope, &post, actor).await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "post",
            entity_id: post.id,
            action: if trashed_at.is_some() {
                "trash"
            } else {
                "restore"
            },
            before: Some(posts::audit_fields(current)),
            after: Some(posts::audit_fields(&post)),
        },
    )
    .await?;
    Ok(post)
}

fn stale() -> AppError {
    AppError::Conflict("the post was changed by someone else since it was loaded".into())
}

/// Moves a post to the trash (it disappears from the site).
pub async fn trash(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    actor: &Actor,
) -> AppResult<Post> {
    if current.trashed_at.is_some() {
        return Err(AppError::Conflict(
            "the post is already in the trash".into(),
        ));
    }
    set_trashed(
        conn,
        scope,
        current,
        expected_version,
        Some(crate::db::now()),
        actor,
    )
    .await
}

/// Takes a post out of the trash, with the status it had.
pub async fn restore(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    actor: &Actor,
) -> AppResult<Post> {
    if current.trashed_at.is_none() {
        return Err(AppError::Conflict("the post is not in the trash".into()));
    }
    set_trashed(conn, scope, current, expected_version, None, actor).await
}

/// Deletes a post that is in the trash, with its revisions and redirects, for good.
pub async fn delete(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    actor: &Actor,
) -> AppResult<()> {
    if current.trashed_at.is_none() {
        return Err(AppError::Conflict(
            "only posts in the trash can be deleted".into(),
        ));
    }
    let deleted = diesel::delete(p::table)
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::id.eq(current.id))
        .filter(p::version.eq(expected_version))
        .filter(p::trashed_at.is_not_null())
        .execute(conn)
        .await?;
    if deleted == 0 {
        return Err(stale());
    }
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "post",
            entity_id: current.id,
            action: "delete",
            before: Some(posts::audit_fields(current)),
            after: None,
        },
    )
    .await
}
