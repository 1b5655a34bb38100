//! The editorial admin under `/admin` on each site's own domain: one file per page or action,
//! templates under `templates/admin/`. Posts (`/admin/posts`) and pages (`/admin/pages`) share
//! their pages (`posts`, `revisions`, `preview_links`). Every admin response is `no-store` and may not be framed
//! (see `web::security_headers`);
//! every state-changing request must carry the session's CSRF token, and its form fields may hold
//! no control characters (see `web::input_guard`). Errors render in the admin layout (`error`).

pub mod account_links;
pub mod audit;
pub mod branding;
pub mod dashboard;
pub mod domains;
pub mod error;
pub mod export;
pub mod layout;
pub mod login;
pub mod media;
pub mod menus;
pub mod pagination;
pub mod posts;
pub mod preview_links;
pub mod products;
pub mod revisions;
pub mod settings;
pub mod site_import;
pub mod uploads;
pub mod users;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, web};

use crate::content::posts::Kind;

/// Whether a path is the admin's (`/admin` and everything under it).
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// Registers the admin routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(crate::web::input_guard::check_form))
            .wrap(from_fn(crate::web::auth::csrf::verify))
            .wrap(from_fn(private_responses))
            .route("", web::get().to(dashboard::page))
            .route("/", web::get().to(dashboard::page))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::sign_out))
            .configure(account_links::routes)
            .service(writing_scope("/posts", Kind::Post))
            .service(writing_scope("/pages", Kind::Page))
            .configure(settings::routes)
            .configure(domains::routes)
            .configure(site_import::routes)
            .configure(menus::routes)
            .configure(branding::routes)
            .configure(products::routes)
            .configure(users::routes)
            .configure(media::routes)
            .configure(audit::routes)
            .configure(export::routes),
    );
}

/// Posts or pages, their revisions and preview links, under `path`: the same pages for both, told
/// apart by the [`Kind`] each request carries.
fn writing_scope(path: &str, kind: Kind) -> actix_web::Scope {
    web::scope(path)
        .app_data(kind)
        .configure(posts::routes)
        .configure(revisions::routes)
        .configure(preview_links::routes)
}

/// Admin pages are never cached (framing and the CSP are set by
/// [`crate::web::security_headers`]).
pub(crate) async fn private_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths() {
        assert!(is_admin_path("/admin"));
        assert!(is_admin_path("/admin/posts"));
        assert!(!is_admin_path("/administrator"));
        assert!(!is_admin_path("/posts/admin"));
    }
}
