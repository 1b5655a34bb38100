//! The addresses an imported site had (`/2023/03/14/slug/`, `/?p=12`, `/category/health/`,
//! `/wp-content/uploads/…`), answered with a 301 to where the thing now is: a post or page of the
//! site (followed to its current address, and only while visitors may see it), or a fixed address
//! (a tag page, the home page, an image of the media library). Written by the imports
//! ([`crate::import`]); read by the public router when no page answers an address.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::content::pages;
use crate::content::posts::{Kind, visible_content_on};
use crate::db::Conn;
use crate::db::schema::content::{old_addresses, posts};
use crate::error::AppResult;
use crate::tenancy::{Scope, SiteId};

/// Where an old address leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leads {
    /// A post or page (by id).
    Post(Uuid),
    /// A fixed address of the site.
    To(String),
}

/// The form an old address is stored and looked up in: percent-decoded, lower case, without a
/// trailing slash (the root stays `/`); of the query only WordPress' `p=` and `page_id=` on the
/// root are kept (`/?p=12`). None for what is not a path.
pub fn normalize(path: &str, query: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let decoded = urlencoding::decode(path).ok()?.to_lowercase();
    let mut path = decoded.trim_end_matches('/').to_owned();
    if path.is_empty() {
        path.push('/');
    }
    let kept = query
        .split('&')
        .find(|pair| pair.starts_with("p=") || pair.starts_with("page_id="));
    Some(match kept {
        Some(pair) if path == "/" => format!("/?{pair}"),
        _ => path,
    })
}

/// Records (or replaces) where an old address of the site leads.
pub async fn record(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    old_path: &str,
    leads: &Leads,
) -> AppResult<()> {
    let (post_id, target) = match leads {
        Leads::Post(id) => (Some(*id), None),
        Leads::To(address) => (None, Some(address.as_str())),
    };
    diesel::insert_into(old_addresses::table)
        .values((
            old_addresses::customer_id.eq(scope.customer_uuid()),
            old_addresses::site_id.eq(site.as_uuid()),
            old_addresses::old_path.eq(old_path),
            old_addresses::post_id.eq(post_id),
            old_addresses::target.eq(target),
            old_addresses::created_at.eq(crate::db::now()),
        ))
        .on_conflict((
            old_addresses::customer_id,
            old_addresses::site_id,
            old_addresses::old_path,
        ))
        .do_update()
        .set((
            old_addresses::post_id.eq(post_id),
            old_addresses::target.eq(target),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The site-relative address an old address (in [`normalize`]d form) leads to now; none when it
/// is not one, or leads to a post or page visitors may not see.
pub async fn current_target(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    old_path: &str,
) -> AppResult<Option<String>> {
    let found: Option<(Option<Uuid>, Option<String>)> = old_addresses::table
        .filter(old_addresses::customer_id.eq(scope.customer_uuid()))
        .filter(old_addresses::site_id.eq(site.as_uuid()))
        .filter(old_addresses::old_path.eq(old_path))
        .select((old_addresses::post_id, old_addresses::target))
        .first(conn)
        .await
        .optional()?;
    match found {
        Some((_, Some(target))) => Ok(Some(target)),
        Some((Some(post), None)) => {
            let visible: Option<(String, String)> = posts::table
                .filter(visible_content_on(scope.customer_uuid(), site.as_uuid()))
                .filter(posts::id.eq(post))
                .select((posts::kind, posts::slug))
                .first(conn)
                .await
                .optional()?;
            Ok(visible.map(|(kind, slug)| {
                if kind == Kind::Page.as_str() {
                    pages::href(&slug)
                } else {
                    format!("/posts/{slug}")
                }
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_looked_up_in_the_stored_form() {
        assert_eq!(
            normalize("/2023/03/14/Slug/", "").as_deref(),
            Some("/2023/03/14/slug")
        );
        assert_eq!(normalize("/", "p=10").as_deref(), Some("/?p=10"));
        assert_eq!(
            normalize("/", "utm=x&page_id=7").as_deref(),
            Some("/?page_id=7")
        );
        assert_eq!(normalize("/about/", "p=10").as_deref(), Some("/about"));
        assert_eq!(normalize("/%E6%9D%B1/", "").as_deref(), Some("/東"));
        assert_eq!(normalize("relative", ""), None);
    }
}
