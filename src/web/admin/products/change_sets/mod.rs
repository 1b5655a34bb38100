//! Change set pages: list, detail and revert.
use actix_web::web;

/// Registers this part of the products admin (paths relative to `/admin`).
pub fn routes(_cfg: &mut web::ServiceConfig) {}
