//! Shareable preview links of a draft under `/admin/posts/{id}/preview-links`: create, list, revoke.

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
