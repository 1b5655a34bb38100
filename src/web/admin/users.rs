//! Users admin under `/admin/users` (owners): list, create, change role, disable, reset password.

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
