//! Posts admin under `/admin/posts`: list, new, edit, save, publish, schedule, unpublish, trash, restore, delete, preview, conflicts.

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
