//! Products admin under `/admin/products` (pricing staff and owners): the catalog list, create and
//! edit with exact prices, the gallery (`gallery.rs`) and the conflict page, archive and restore,
//! price history; bulk price
//! changes (`bulk/`), change sets and their revert (`change_sets/`), CSV export and import
//! (`csv/`).
//!
//! The catalog belongs to the customer of the site the admin runs on: any other id is a 404.

pub mod archive;
pub mod bulk;
pub mod change_sets;
pub mod conflict;
pub mod csv;
pub mod edit;
pub mod form;
pub mod gallery;
pub mod list;
pub mod new;
pub mod save;

use actix_web::web;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Registers this part of the admin (paths relative to `/admin`). Fixed paths come before
/// `/products/{id}` so that they are never taken for an id.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(bulk::routes)
        .configure(change_sets::routes)
        .configure(csv::routes)
        .route("/products", web::get().to(list::page))
        .route("/products", web::post().to(save::create))
        .route("/products/new", web::get().to(new::page))
        .route("/products/{id}", web::get().to(edit::page))
        .route("/products/{id}", web::post().to(save::update))
        .route("/products/{id}/archive", web::post().to(archive::archive))
        .route("/products/{id}/restore", web::post().to(archive::restore));
}

/// A product id from the path; anything that is not one is a product that does not exist.
pub fn product_id(text: &str) -> AppResult<Uuid> {
    Uuid::try_parse(text).map_err(|_| AppError::NotFound)
}

/// One option of a select or radio group of the products admin.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The options `(value, label)` with `current` selected.
pub fn choices(options: &[(&str, &str)], current: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == current,
        })
        .collect()
}
