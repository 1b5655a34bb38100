//! The audit log under `/admin/audit` (owners): filters and CSV export.

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
