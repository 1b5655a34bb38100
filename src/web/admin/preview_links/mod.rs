//! Shareable preview links of a post under `/admin/posts/{id}/preview-links` (of a page under
//! `/admin/pages/{id}/preview-links`): list, create, revoke. Editors and owners only; a post of
//! another customer or another site is not found.

mod create;
mod list;
mod revoke;

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin/posts` or `/admin/pages`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{id}/preview-links", web::get().to(list::page))
        .route("/{id}/preview-links", web::post().to(create::submit))
        .route(
            "/{id}/preview-links/{link_id}/revoke",
            web::post().to(revoke::submit),
        );
}
