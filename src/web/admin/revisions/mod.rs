//! Revisions of a post under `/admin/posts/{id}/revisions` (of a page under
//! `/admin/pages/{id}/revisions`): list, compare, restore. Editors and owners only; a post of
//! another customer or of another site of the customer is not found.

mod compare;
mod list;
mod restore;

use actix_web::web;
use uuid::Uuid;

use crate::content::posts::{self, Kind, Post};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// Registers this part of the admin (paths relative to `/admin/posts` or `/admin/pages`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{id}/revisions", web::get().to(list::page))
        .route("/{id}/revisions/compare", web::get().to(compare::page))
        .route(
            "/{id}/revisions/{number}/restore",
            web::post().to(restore::submit),
        );
}

/// A post id from a path; a malformed one names no post.
pub(in crate::web::admin) fn post_id(text: &str) -> AppResult<Uuid> {
    Uuid::try_parse(text).map_err(|_| AppError::NotFound)
}

/// A revision number from a path; a malformed one names no revision.
fn revision_number(text: &str) -> AppResult<i32> {
    text.parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

/// The post (or page, by `kind`) `id` if it belongs to `site` (the site whose admin this is);
/// otherwise not found.
pub(in crate::web::admin) async fn post_of_site(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    kind: Kind,
    id: Uuid,
) -> AppResult<Post> {
    let post = posts::find(conn, scope, id).await?;
    if post.site_id == site.as_uuid() && post.kind() == kind {
        Ok(post)
    } else {
        Err(AppError::NotFound)
    }
}

/// `2026-11-27 14:05 UTC`: how the admin shows times.
pub(in crate::web::admin) fn admin_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}
