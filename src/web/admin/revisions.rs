//! Revisions of a post under `/admin/posts/{id}/revisions`: list, compare, restore.

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
