//! CSV export and import of the catalog (pricing staff and owners): `GET
//! /admin/products/export.csv` downloads it; `GET /admin/products/import` is the upload form,
//! `POST /admin/products/import` stores the file and shows the dry run, `POST
//! /admin/products/import/{id}/apply` applies a stored file as one change set.
//!
//! An upload belongs to the customer of the site the admin runs on: any other id is a 404.

pub mod apply;
pub mod export;
pub mod import;
pub mod report;

use actix_web::web;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Registers this part of the products admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/products/export.csv", web::get().to(export::download))
        .route("/products/import", web::get().to(import::page))
        .route("/products/import", web::post().to(import::upload))
        .route("/products/import/{id}/apply", web::post().to(apply::apply));
}

/// An upload id from the path; anything that is not one is an upload that does not exist.
pub fn upload_id(text: &str) -> AppResult<Uuid> {
    Uuid::try_parse(text).map_err(|_| AppError::NotFound)
}
