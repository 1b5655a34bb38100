//! `/admin/domains` (owners): the domains of the site the admin runs on. Owners add their own
//! domains, which stay pending until verified (a DNS TXT record or an HTTP token, see
//! `tenancy::verification`), see each one's state and why a check failed, check one again, choose
//! the primary domain, and remove domains — never the site's primary or last one. One file per
//! page or action; the rules live in `tenancy::domains` and `tenancy::domain_checks`.

mod add;
mod change;
mod page;

use actix_web::web;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/domains", web::get().to(page::page))
        .route("/domains", web::post().to(add::submit))
        .route("/domains/{host}/check", web::post().to(change::check))
        .route(
            "/domains/{host}/primary",
            web::post().to(change::make_primary),
        )
        .route("/domains/{host}/remove", web::post().to(change::remove));
}
