//! The HTTP side: the application factory (routes and middleware), shared state, and serving.
//!
//! Public pages live under `pages/` (one file per page) and are kept rendered by `page_cache`,
//! host routing in `site`, error pages in
//! `error`, conditional responses in `response`, fingerprinted assets in `assets`, health checks
//! in `ops`, the answer to a TLS proxy's question whether a name is served in `tls_allowed`, the
//! HTTP token that verifies an owner's domain in `domain_verification`, the
//! per-request log line in `request_log`, who the client is and whether it came over https (the
//! forwarding headers of trusted proxies believed, no one else's) in `client`, the security
//! headers of every response in `security_headers`, the refusal of control characters in
//! addresses and forms in `input_guard`
//! (bodies read within their limits by `body`), the structured data of public pages in `json_ld`.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod body;
pub mod client;
pub mod domain_verification;
pub mod error;
pub mod input_guard;
pub mod json_ld;
pub mod metrics;
pub mod ops;
pub mod page_cache;
pub mod pages;
pub mod platform;
pub mod precompressed;
pub mod request_log;
pub mod response;
pub mod secure_cookies;
pub mod security_headers;
pub mod site;
pub mod state;
pub mod tls_allowed;

pub use state::AppState;

use std::net::SocketAddr;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};

/// The cookie that carries an admin session.
pub const SESSION_COOKIE: &str = "agoat_session";

/// Admin sessions: signed and encrypted cookies, HttpOnly, SameSite=Lax (`Secure` is added for
/// requests that arrived over https, as [`client`] tells, see [`secure_cookies`]).
pub fn session_middleware(key: &Key) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(false)
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

/// Largest form body accepted (a long post's Markdown fits many times over).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The application: every route behind the middleware, outermost first: the request log, the
/// page cache's answers ([`page_cache::answer_hits`]: a page it holds goes out from there), the
/// security headers, response compression, `Secure` cookies over https, admin sessions. Used by
/// the server and by the tests.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let sessions = session_middleware(&state.session_key);
    App::new()
        .app_data(state)
        .wrap(sessions)
        .wrap(from_fn(secure_cookies::mark_secure))
        .wrap(Compress::default())
        .wrap(from_fn(security_headers::apply))
        .wrap(from_fn(page_cache::answer_hits))
        .wrap(from_fn(request_log::log_request))
        .configure(routes)
}

/// Registers every route behind the middleware of [`app`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(form_config())
        .app_data(web::QueryConfig::default().error_handler(|error, _| {
            crate::error::AppError::BadRequest(format!("The address is not valid: {error}")).into()
        }))
        .service(
            web::scope("")
                .wrap(from_fn(input_guard::check_address))
                .service(assets::scope())
                .route("/healthz", web::get().to(ops::healthz))
                .route("/readyz", web::get().to(ops::readyz))
                .route(
                    "/.well-known/agoat/tls-allowed",
                    web::get().to(tls_allowed::answer),
                )
                .route(
                    "/.well-known/agoat-verification/{token}",
                    web::get().to(domain_verification::answer),
                )
                .configure(platform::routes)
                .service(
                    web::scope("")
                        .wrap(from_fn(page_cache::serve))
                        .wrap(from_fn(site::resolve_site))
                        .configure(admin::routes)
                        .configure(pages::routes)
                        .default_service(web::to(pages::page::page_or_not_found)),
                ),
        );
}

/// Form bodies: at most [`MAX_FORM_BYTES`]; a body that is too large is a 413, one that does not
/// parse a 400 with the reason.
fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(MAX_FORM_BYTES)
        .error_handler(|error, _| {
            use actix_web::error::UrlencodedError;
            match error {
                UrlencodedError::Overflow { .. } | UrlencodedError::UnknownLength => {
                    actix_web::error::ErrorPayloadTooLarge("the form is too large")
                }
                other => {
                    crate::error::AppError::BadRequest(format!("The form is not valid: {other}"))
                        .into()
                }
            }
        })
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests (up to 30 s) and returns.
/// The set of served hosts is loaded first and then kept fresh in the background, as is what the
/// change feed says other processes changed.
pub async fn serve(state: web::Data<AppState>, bind: SocketAddr) -> std::io::Result<()> {
    state.served_hosts.keep_fresh(state.db.clone()).await;
    state.db.keep_following_changes().await;
    state.domain_checks.keep_checking(state.db.clone());
    let server = HttpServer::new(move || app(state.clone()))
        .shutdown_timeout(30)
        // A client must send its request head within 10 s and close within 5 s of being told to;
        // idle keep-alive connections are dropped after 30 s. Slow bodies: `AppState::body_timeout`.
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(5))
        .keep_alive(Duration::from_secs(30))
        .bind(bind)?;
    tracing::info!(%bind, "serving");
    server.run().await
}
