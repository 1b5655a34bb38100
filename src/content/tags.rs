//! Tags of posts: the address form of a tag ([`slug`]: what `/tags/{tag}` names), the rules a
//! post's tags follow ([`check`]), the rows of `content.post_tags` that the post write path keeps
//! ([`record_new`], [`replace`]), and what visitors may see of them — the tags of a site's visible
//! posts with their counts, a page at a time.
//!
//! A tag page shows a post when one of the post's tags has the page's address form, whatever its
//! spelling: `Health Tips`, `health_tips` and `HEALTH  TIPS` are all `health-tips`. Every read here
//! counts only posts that [`visible_on`] lets visitors see.

use std::collections::HashSet;

use diesel::dsl::{count, count_star, min};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::posts::{Post, visible_on};
use crate::address;
use crate::db::Conn;
use crate::db::keyset::{PageAt, Window};
use crate::db::schema::content::{post_tags, posts};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 100;

/// The address form of a tag (see [`address::form`]).
pub fn slug(tag: &str) -> String {
    address::form(tag)
}

/// Why these tags cannot all have a page, if one cannot: it is longer than [`MAX_TAG_CHARS`], or
/// has no address form that can be a path segment ([`address::usable`]).
pub fn problem(tags: &[String]) -> Option<String> {
    tags.iter().find_map(|tag| {
        if tag.chars().count() > MAX_TAG_CHARS {
            Some(format!(
                "the tag \u{201c}{}\u{2026}\u{201d} is longer than {MAX_TAG_CHARS} characters",
                tag.chars().take(20).collect::<String>()
            ))
        } else if !address::usable(&slug(tag)) {
            Some(format!(
                "the tag \u{201c}{tag}\u{201d} needs a letter, a digit or a sign other than \
                 dashes, underscores and dots"
            ))
        } else {
            None
        }
    })
}

/// Refuses tags that cannot have a page (see [`problem`]).
pub fn check(tags: &[String]) -> AppResult<()> {
    match problem(tags) {
        Some(problem) => Err(AppError::Invalid(problem)),
        None => Ok(()),
    }
}

/// A tag with the number of visible posts that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub slug: String,
    /// How the posts spell it (the first spelling in sort order when they differ).
    pub name: String,
    pub posts: i64,
}

/// A row of `content.post_tags`.
#[derive(Insertable)]
#[diesel(table_name = post_tags)]
struct Row<'a> {
    customer_id: Uuid,
    post_id: Uuid,
    site_id: Uuid,
    slug: String,
    name: &'a str,
}

/// The rows of a post's tags: one per address form, with the first spelling of it.
fn rows_of(scope: Scope, post: &Post) -> Vec<Row<'_>> {
    let mut seen = HashSet::new();
    post.tags
        .iter()
        .filter_map(|name| {
            let slug = slug(name);
            (address::usable(&slug) && seen.insert(slug.clone())).then_some(Row {
                customer_id: scope.customer_uuid(),
                post_id: post.id,
                site_id: post.site_id,
                slug,
                name: name.trim(),
            })
        })
        .collect()
}

/// Rows per statement: a row binds 5 values, PostgreSQL takes at most 65,535.
const INSERT_BATCH: usize = 10_000;

/// Records the tags of posts just created (by the post write path only).
pub(crate) async fn record_new(conn: &mut Conn, scope: Scope, created: &[Post]) -> AppResult<()> {
    let rows: Vec<Row<'_>> = created.iter().flat_map(|p| rows_of(scope, p)).collect();
    for batch in rows.chunks(INSERT_BATCH) {
        diesel::insert_into(post_tags::table)
            .values(batch)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Makes the tag rows of a changed post match its tags (by the post write path only).
pub(crate) async fn replace(conn: &mut Conn, scope: Scope, post: &Post) -> AppResult<()> {
    diesel::delete(post_tags::table)
        .filter(post_tags::customer_id.eq(scope.customer_uuid()))
        .filter(post_tags::post_id.eq(post.id))
        .execute(conn)
        .await?;
    record_new(conn, scope, std::slice::from_ref(post)).await
}

/// The tags of the site's visible posts, as rows of `content.post_tags`.
#[diesel::dsl::auto_type]
fn visible_tags_of(customer: Uuid, site: Uuid) -> _ {
    let visible_posts: diesel::dsl::Select<
        diesel::dsl::Filter<posts::table, visible_on>,
        posts::id,
    > = posts::table
        .filter(visible_on(customer, site))
        .select(posts::id);
    post_tags::customer_id
        .eq(customer)
        .and(post_tags::site_id.eq(site))
        .and(post_tags::post_id.eq_any(visible_posts))
}

/// The tag with this address form and its count of visible posts on the site; `None` when no
/// visible post of the site has it.
pub async fn visible_tag(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
) -> AppResult<Option<TagCount>> {
    let (name, posts): (Option<String>, i64) = post_tags::table
        .filter(visible_tags_of(scope.customer_uuid(), site.as_uuid()))
        .filter(post_tags::slug.eq(slug))
        .select((min(post_tags::name), count_star()))
        .get_result(conn)
        .await?;
    Ok(name.filter(|_| posts > 0).map(|name| TagCount {
        slug: slug.to_owned(),
        name,
        posts,
    }))
}

/// A page of `size` tags of the site's visible posts, by address form, with their counts.
pub async fn visible_page(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    at: &PageAt<String>,
    size: usize,
) -> AppResult<Window<TagCount>> {
    let mut query = post_tags::table
        .filter(visible_tags_of(scope.customer_uuid(), site.as_uuid()))
        .group_by(post_tags::slug)
        .select((post_tags::slug, min(post_tags::name), count_star()))
        .limit(size as i64 + 1)
        .into_boxed();
    query = match at {
        PageAt::First => query.order(post_tags::slug.asc()),
        PageAt::After(slug) => query
            .filter(post_tags::slug.gt(slug.clone()))
            .order(post_tags::slug.asc()),
        PageAt::Before(slug) => query
            .filter(post_tags::slug.lt(slug.clone()))
            .order(post_tags::slug.desc()),
    };
    let rows: Vec<(String, Option<String>, i64)> = query.load(conn).await?;
    let tags = rows
        .into_iter()
        .map(|(slug, name, posts)| TagCount {
            name: name.unwrap_or_else(|| slug.clone()),
            slug,
            posts,
        })
        .collect();
    Ok(Window::of(at, tags, size))
}

/// How many tags the site's visible posts have.
pub async fn visible_count(conn: &mut Conn, scope: Scope, site: SiteId) -> AppResult<i64> {
    post_tags::table
        .filter(visible_tags_of(scope.customer_uuid(), site.as_uuid()))
        .select(count(post_tags::slug).aggregate_distinct())
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// The address forms of the tags of the site's visible posts, in order, `limit` of them after
/// skipping `offset` (for the sitemap).
pub async fn visible_slugs(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    offset: i64,
    limit: i64,
) -> AppResult<Vec<String>> {
    post_tags::table
        .filter(visible_tags_of(scope.customer_uuid(), site.as_uuid()))
        .select(post_tags::slug)
        .distinct()
        .order(post_tags::slug.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The posts of the site that carry the tag `slug`, visible or not (a condition on
/// `content.posts.id`).
pub(crate) fn post_ids_with(
    scope: Scope,
    site: SiteId,
    slug: &str,
) -> post_tags::BoxedQuery<'_, diesel::pg::Pg, diesel::sql_types::Uuid> {
    post_tags::table
        .filter(post_tags::customer_id.eq(scope.customer_uuid()))
        .filter(post_tags::site_id.eq(site.as_uuid()))
        .filter(post_tags::slug.eq(slug))
        .select(post_tags::post_id)
        .into_boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_without_an_address_or_too_long_are_refused() {
        let ok = |tags: &[&str]| check(&tags.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        assert!(ok(&["rust", "C#", "🙂", "a.b"]).is_ok());
        for bad in ["_", "-- --", ".", "..", " . "] {
            assert!(ok(&[bad]).is_err(), "{bad:?}");
        }
        assert!(ok(&[&"x".repeat(MAX_TAG_CHARS)]).is_ok());
        assert!(ok(&[&"x".repeat(MAX_TAG_CHARS + 1)]).is_err());
        // A tag within the limit whose compatibility form is longer than an address may be.
        assert!(ok(&["\u{fdfa}".repeat(20).as_str()]).is_err());
    }
}
