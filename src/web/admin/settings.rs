//! Customer settings under `/admin/settings` (owners): currency and the public lowest-price line.
use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
