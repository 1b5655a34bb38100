//! Pages (About, Contact, Imprint …): rows of `content.posts` of kind [`Kind::Page`], written by
//! the posts' one write path, so they have the same Markdown, revisions, preview links, audit,
//! versions and trash. What is theirs alone lives here: their address and what visitors see of
//! them.
//!
//! A page's slug is its whole address below the site's root: `about`, or `about/team` for a page
//! nested under another (nesting is by address; the parent need not exist). Each segment is a
//! slug (`a-z`, `0-9`, `-`), at most [`MAX_DEPTH`] of them. A first segment the product uses for
//! its own addresses ([`RESERVED`]) is refused, so a page never shadows a route, and the public
//! router only looks for a page once every route has declined the address.
//!
//! [`Kind::Page`]: crate::content::posts::Kind::Page

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::content::front_matter::{MAX_SLUG_CHARS, valid_slug};
use crate::content::posts::{Kind, PublicPost, visible_pages_on};
use crate::db::{Conn, schema::content::posts};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// Most segments of a page's address (`a/b/c/d/e`).
pub const MAX_DEPTH: usize = 5;

/// First segments of addresses the product answers itself, now or for imported sites' old
/// addresses, which no page may take.
pub const RESERVED: &[&str] = &[
    ".well-known",
    "admin",
    "api",
    "archives",
    "assets",
    "author",
    "category",
    "content",
    "favicon.ico",
    "feed",
    "feed.xml",
    "healthz",
    "media",
    "metrics",
    "page",
    "pages",
    "platform",
    "posts",
    "preview",
    "products",
    "readyz",
    "robots.txt",
    "search",
    "sitemap.xml",
    "static",
    "tag",
    "tags",
    "wp-admin",
    "wp-content",
    "wp-json",
    "wp-login.php",
];

/// Checks a page's address (without its leading `/`); the error says what is wrong with it.
pub fn check_address(address: &str) -> Result<(), String> {
    if address.is_empty() {
        return Err("the address of a page must not be empty".into());
    }
    if address.len() > MAX_SLUG_CHARS * 2 {
        return Err(format!(
            "the address must be at most {} characters",
            MAX_SLUG_CHARS * 2
        ));
    }
    let segments: Vec<&str> = address.split('/').collect();
    if segments.len() > MAX_DEPTH {
        return Err(format!(
            "a page can be nested at most {MAX_DEPTH} levels deep"
        ));
    }
    if let Some(bad) = segments.iter().find(|s| !valid_slug(s)) {
        return Err(format!(
            "the address part {bad:?} is not valid (use a-z, 0-9 and -, parts separated by /)"
        ));
    }
    // `split` yields at least one segment.
    let first = segments[0];
    if RESERVED.contains(&first) {
        return Err(format!(
            "the address /{first} is used by the site itself; choose another"
        ));
    }
    Ok(())
}

/// The public address of the page with this slug.
pub fn href(address: &str) -> String {
    format!("/{address}")
}

/// The visible page of the site at this address.
pub async fn visible_by_address(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    address: &str,
) -> AppResult<PublicPost> {
    posts::table
        .filter(visible_pages_on(scope.customer_uuid(), site.as_uuid()))
        .filter(posts::slug.eq(address))
        .select(PublicPost::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// A page above another, as its trail links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    pub title: String,
    pub href: String,
}

/// The visible pages above the page at `address` (`about` above `about/team`), outermost first.
/// A missing level is left out.
pub async fn visible_trail(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    address: &str,
) -> AppResult<Vec<Crumb>> {
    let above = ancestors(address);
    if above.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<(String, String)> = posts::table
        .filter(visible_pages_on(scope.customer_uuid(), site.as_uuid()))
        .filter(posts::slug.eq_any(&above))
        .select((posts::title, posts::slug))
        .load(conn)
        .await?;
    found.sort_by_key(|(_, slug)| slug.len());
    Ok(found
        .into_iter()
        .map(|(title, slug)| Crumb {
            title,
            href: href(&slug),
        })
        .collect())
}

/// The addresses above `address`, outermost first.
fn ancestors(address: &str) -> Vec<String> {
    address
        .match_indices('/')
        .map(|(at, _)| address[..at].to_owned())
        .collect()
}

/// Addresses and modification times of the site's visible pages, by address (for the
/// sitemap).
pub async fn visible_addresses(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    posts::table
        .filter(visible_pages_on(scope.customer_uuid(), site.as_uuid()))
        .order(posts::slug.asc())
        .select((posts::slug, posts::updated_at))
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Ids, titles and addresses of the site's pages that are not in the trash, by title (for
/// choosing a menu's target; a draft's link shows once it is published).
pub async fn of_site(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
) -> AppResult<Vec<(Uuid, String, String)>> {
    posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::site_id.eq(site.as_uuid()))
        .filter(posts::kind.eq(Kind::Page.as_str()))
        .filter(posts::trashed_at.is_null())
        .order((posts::title.asc(), posts::slug.asc()))
        .select((posts::id, posts::title, posts::slug))
        .load(conn)
        .await
        .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(check_address("about").is_ok());
        assert!(check_address("about/team").is_ok());
        assert!(check_address("a/b/c/d/e").is_ok());
        assert!(check_address("a/b/c/d/e/f").is_err());
        assert!(check_address("").is_err());
        assert!(check_address("/about").is_err());
        assert!(check_address("about/").is_err());
        assert!(check_address("about//team").is_err());
        assert!(check_address("About").is_err());
        assert!(check_address("über").is_err());
        assert!(check_address("a b").is_err());
        assert!(check_address("../etc").is_err());
    }

    #[test]
    fn ancestors_outermost_first() {
        assert!(ancestors("about").is_empty());
        assert_eq!(ancestors("a/b/c"), ["a", "a/b"]);
    }

    #[test]
    fn reserved_first_segments_are_refused_anywhere_below_too() {
        for reserved in [
            "admin", "posts", "products", "tags", "search", "static", "preview",
        ] {
            let error = check_address(reserved).unwrap_err();
            assert!(error.contains("used by the site itself"), "{error}");
            assert!(check_address(&format!("{reserved}/x")).is_err());
        }
        // Only the first segment counts.
        assert!(check_address("about/admin").is_ok());
    }
}
