//! The media library in the admin, for every role (editors, pricing staff and owners):
//! `GET /admin/media` the grid with search, type filter, pages and the upload form; `POST
//! /admin/media` an upload of one or several files; `GET /admin/media/{id}` one image with its
//! files, where it is used and its alt text and caption form; `POST /admin/media/{id}` saves them;
//! `POST /admin/media/{id}/delete` deletes it (an image in use only once confirmed).
//!
//! An image belongs to the customer of the site the admin runs on: any other id is a 404.

pub mod delete;
pub mod edit;
pub mod list;
pub mod upload;

use actix_web::web;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;

/// Who may use the media library: every role.
pub const ROLES: &[Role] = &[Role::Editor, Role::Pricing];

/// Registers the media library (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/media", web::get().to(list::page))
        .route("/media", web::post().to(upload::upload))
        .route("/media/{id}", web::get().to(edit::page))
        .route("/media/{id}", web::post().to(edit::save))
        .route("/media/{id}/delete", web::post().to(delete::delete));
}

/// An image id from the path; anything that is not one is an image that does not exist.
pub fn media_id(text: &str) -> AppResult<Uuid> {
    Uuid::try_parse(text).map_err(|_| AppError::NotFound)
}

/// A size in bytes as people read it.
pub fn human_size(bytes: i64) -> String {
    crate::web::admin::uploads::human_size(bytes)
}
