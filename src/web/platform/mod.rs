//! The operator console: answers only on the host `AGOAT_PLATFORM_HOST` names, never on a
//! customer's domain (and a customer's domain never reaches it). Operators sign in with their own
//! accounts (`platform::operators`) into their own session (the cookie is the platform host's),
//! with the admin's CSRF check; every page is `no-store`. One file per page or action:
//! `login` (sign in and out), `customers` (the list, creating one), `customer` (one customer:
//! usage, renaming, (de)activating, its sites and domains, inviting its first owner).

pub mod customer;
pub mod customers;
pub mod login;

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::guard::GuardContext;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::Actor;
use crate::platform;
use crate::web::AppState;
use crate::web::auth::{csrf, session};
use crate::web::request_log::RequestId;

/// Registers the console's routes, on the platform host only.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .guard(actix_web::guard::fn_guard(is_platform_host))
            .wrap(from_fn(crate::web::input_guard::check_form))
            .wrap(from_fn(csrf::verify))
            .wrap(from_fn(crate::web::admin::private_responses))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::sign_out))
            .route("/", web::get().to(customers::page))
            .route("/customers", web::post().to(customers::create))
            .route("/customers/{id}", web::get().to(customer::page))
            .route("/customers/{id}", web::post().to(customer::rename))
            .route(
                "/customers/{id}/active",
                web::post().to(customer::set_active),
            )
            .route(
                "/customers/{id}/sites",
                web::post().to(customer::create_site),
            )
            .route(
                "/customers/{id}/domains",
                web::post().to(customer::add_domain),
            )
            .route(
                "/customers/{id}/domains/remove",
                web::post().to(customer::remove_domain),
            )
            .route(
                "/customers/{id}/invite",
                web::post().to(customer::invite_owner),
            )
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> crate::error::AppResult<HttpResponse> {
    Err(crate::error::AppError::NotFound)
}

/// Whether a request names the platform host (as its `Host`, or the authority of an
/// absolute-form request line, like site routing).
fn is_platform_host(ctx: &GuardContext<'_>) -> bool {
    let Some(state) = ctx.app_data::<web::Data<AppState>>() else {
        return false;
    };
    let Some(platform_host) = state.platform_host.as_deref() else {
        return false;
    };
    let head = ctx.head();
    let raw = crate::web::site::host_of(&head.uri, &head.headers);
    crate::tenancy::host::normalize(&raw).is_ok_and(|host| host == platform_host)
}

const SESSION_KEY: &str = "operator";

/// What an operator's session holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OperatorSession {
    id: Uuid,
    generation: i32,
    signed_in_at: i64,
    last_seen_at: i64,
}

impl OperatorSession {
    fn expired(&self, now: i64) -> bool {
        now - self.last_seen_at > session::IDLE_TIMEOUT_SECS
            || now - self.signed_in_at > session::ABSOLUTE_TIMEOUT_SECS
    }
}

/// Starts an operator's session under a fresh id (and a fresh CSRF token).
fn sign_in(session: &Session, operator: &platform::Operator) {
    session.renew();
    session.clear();
    let now = session::now_secs();
    let _ = session.insert(
        SESSION_KEY,
        OperatorSession {
            id: operator.id,
            generation: operator.session_generation,
            signed_in_at: now,
            last_seen_at: now,
        },
    );
}

/// The signed-in operator of a console request, checked against the database on every request
/// (still active, same session generation, within the admin's timeouts).
#[derive(Debug, Clone)]
pub struct CurrentOperator {
    pub id: Uuid,
    pub email: String,
    pub csrf_token: String,
    /// Who the customers' audit logs name for changes made in this request.
    pub actor: Actor,
}

impl FromRequest for CurrentOperator {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<CurrentOperator, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match load(&req).await {
                Ok(Some(operator)) => Ok(operator),
                Ok(None) => Err(to_sign_in(&req)),
                Err(error) => Err(error.into()),
            }
        })
    }
}

/// A redirect to the sign-in page that comes back to this page.
fn to_sign_in(req: &HttpRequest) -> actix_web::Error {
    let next = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let res = HttpResponse::SeeOther()
        .insert_header((
            LOCATION,
            format!("/login?next={}", urlencoding::encode(next)),
        ))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish();
    actix_web::error::InternalError::from_response("sign-in required", res).into()
}

async fn load(req: &HttpRequest) -> crate::error::AppResult<Option<CurrentOperator>> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(None);
    };
    let session = req.get_session();
    let Some(mut data) = session.get::<OperatorSession>(SESSION_KEY).ok().flatten() else {
        return Ok(None);
    };
    let now = session::now_secs();
    if data.expired(now) {
        session.purge();
        return Ok(None);
    }
    let id = data.id;
    let operator = state
        .db
        .platform_read(|conn| async move { platform::find(conn, id).await }.scope_boxed())
        .await?;
    let Some(operator) =
        operator.filter(|o| o.is_active && o.session_generation == data.generation)
    else {
        session.purge();
        return Ok(None);
    };
    data.last_seen_at = now;
    let _ = session.insert(SESSION_KEY, data);
    let actor = platform::operator_actor(
        &operator.email,
        Some(client_ip(req)),
        req.extensions().get::<RequestId>().map(|r| r.0.clone()),
    );
    Ok(Some(CurrentOperator {
        id: operator.id,
        email: operator.email,
        csrf_token: csrf::token(&session),
        actor,
    }))
}

/// The client's address, as the admin's sign-in throttle sees it (a trusted proxy's forwarded
/// one, else the peer).
fn client_ip(req: &HttpRequest) -> String {
    crate::web::client::Client::of(req).address()
}

/// What the console's layout (`templates/platform/base.html`) shows on every page.
pub struct PlatformLayout {
    pub title: String,
    pub stylesheet: String,
    /// The signed-in operator's address, empty on the sign-in page.
    pub operator_email: String,
    pub csrf_token: String,
    pub flash: Option<String>,
}

impl PlatformLayout {
    pub fn new(title: &str, operator: &CurrentOperator, session: &Session) -> PlatformLayout {
        PlatformLayout {
            title: format!("{title} · platform"),
            stylesheet: crate::web::assets::url("admin.css"),
            operator_email: operator.email.clone(),
            csrf_token: operator.csrf_token.clone(),
            flash: session::take_flash(session),
        }
    }

    fn anonymous(title: &str, session: &Session, flash: Option<String>) -> PlatformLayout {
        PlatformLayout {
            title: format!("{title} · platform"),
            stylesheet: crate::web::assets::url("admin.css"),
            operator_email: String::new(),
            csrf_token: csrf::token(session),
            flash,
        }
    }
}

/// A `303 See Other` to `location` on the console.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_owned()))
        .finish()
}
