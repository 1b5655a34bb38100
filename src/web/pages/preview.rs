//! `/preview/{token}`: a shared preview of a draft, for anyone holding an unexpired, unrevoked
//! link; never indexed.

use actix_web::web;

/// Registers the preview route.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
