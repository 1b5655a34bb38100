//! Bulk price changes under `/admin/products/bulk` (pricing staff and owners): the form, the
//! preview of every new price (nothing written), and applying it as one change set — refused with
//! the fresh preview when the catalog changed since the preview.

pub mod apply;
pub mod conflict;
pub mod form;
pub mod page;
pub mod preview;

use actix_web::web;

/// Registers this part of the products admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/products/bulk", web::get().to(page::page))
        .route("/products/bulk/preview", web::post().to(preview::preview))
        .route("/products/bulk/apply", web::post().to(apply::apply));
}
