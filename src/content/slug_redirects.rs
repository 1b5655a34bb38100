//! Old slugs of published posts and pages: when the slug of a published post (or the address of a
//! page) changes, its old address keeps working as a 301 to the current one.
//!
//! A redirect points at the post (not at a slug), so chains collapse by themselves: after A→B and
//! B→C, both A and B lead to the post whose slug is now C. A redirect whose old slug is taken by a
//! post (a new one, or the same post going back to an old slug) is removed in the same transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::content::posts::{Kind, visible_on, visible_pages_on};
use crate::db::Conn;
use crate::db::schema::content::{posts, slug_redirects};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// Records that `old_slug` of the site now leads to `post` (replacing an earlier redirect of the
/// same slug).
pub async fn record(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    old_slug: &str,
    post: Uuid,
) -> AppResult<()> {
    diesel::delete(slug_redirects::table)
        .filter(slug_redirects::customer_id.eq(scope.customer_uuid()))
        .filter(slug_redirects::site_id.eq(site.as_uuid()))
        .filter(slug_redirects::old_slug.eq(old_slug))
        .execute(conn)
        .await?;
    diesel::insert_into(slug_redirects::table)
        .values((
            slug_redirects::customer_id.eq(scope.customer_uuid()),
            slug_redirects::id.eq(Uuid::new_v4()),
            slug_redirects::site_id.eq(site.as_uuid()),
            slug_redirects::old_slug.eq(old_slug),
            slug_redirects::post_id.eq(post),
            slug_redirects::created_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes the redirect of `slug` on the site, now that a post has that slug itself.
pub async fn forget(conn: &mut Conn, scope: Scope, site: SiteId, slug: &str) -> AppResult<()> {
    diesel::delete(slug_redirects::table)
        .filter(slug_redirects::customer_id.eq(scope.customer_uuid()))
        .filter(slug_redirects::site_id.eq(site.as_uuid()))
        .filter(slug_redirects::old_slug.eq(slug))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes the redirects of `slugs` on the site, now that posts have those slugs themselves.
pub async fn forget_all(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slugs: &[&str],
) -> AppResult<()> {
    diesel::delete(slug_redirects::table)
        .filter(slug_redirects::customer_id.eq(scope.customer_uuid()))
        .filter(slug_redirects::site_id.eq(site.as_uuid()))
        .filter(slug_redirects::old_slug.eq_any(slugs))
        .execute(conn)
        .await?;
    Ok(())
}

/// The current slug of the post (or page, by `kind`) that `old_slug` of the site leads to, if
/// visitors may see it (by the one visibility rule of [`crate::content::posts`]).
pub async fn target(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    kind: Kind,
    old_slug: &str,
) -> AppResult<Option<String>> {
    let customer = scope.customer_uuid();
    let redirected = slug_redirects::table
        .filter(slug_redirects::customer_id.eq(customer))
        .filter(slug_redirects::site_id.eq(site.as_uuid()))
        .filter(slug_redirects::old_slug.eq(old_slug))
        .select(slug_redirects::post_id);
    let found = match kind {
        Kind::Post => {
            posts::table
                .filter(visible_on(customer, site.as_uuid()))
                .filter(posts::id.eq_any(redirected))
                .select(posts::slug)
                .first(conn)
                .await
        }
        Kind::Page => {
            posts::table
                .filter(visible_pages_on(customer, site.as_uuid()))
                .filter(posts::id.eq_any(redirected))
                .select(posts::slug)
                .first(conn)
                .await
        }
    };
    found.optional().map_err(AppError::from)
}

/// The old slugs that lead to a post, oldest first.
pub async fn for_post(conn: &mut Conn, scope: Scope, post: Uuid) -> AppResult<Vec<String>> {
    slug_redirects::table
        .filter(slug_redirects::customer_id.eq(scope.customer_uuid()))
        .filter(slug_redirects::post_id.eq(post))
        .order((slug_redirects::created_at.asc(), slug_redirects::id.asc()))
        .select(slug_redirects::old_slug)
        .load(conn)
        .await
        .map_err(AppError::from)
}
