//! Change set pages under `/admin/products/change-sets` (pricing staff and owners): every set,
//! newest first a page at a time, one set with its price changes, and reverting a set — refused
//! with the list of products changed since, or when the set was already reverted.

pub mod list;
pub mod revert;
pub mod show;

use actix_web::web;

/// Registers this part of the products admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/products/change-sets", web::get().to(list::page))
        .route("/products/change-sets/{id}", web::get().to(show::page))
        .route(
            "/products/change-sets/{id}/revert",
            web::post().to(revert::revert),
        );
}

/// How the admin names the kind of a change set.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "edit" => "Single edit",
        "bulk" => "Bulk change",
        "import" => "CSV import",
        "revert" => "Revert",
        _ => "Other",
    }
}
