//! Users admin under `/admin/users` (owners only): list, create, invite by e-mail, change role,
//! disable and enable, reset password; and `/admin/account/password`, where any signed-in user changes their own
//! password. One file per page or action; the queries live in `tenancy::users`.

mod account;
mod active;
mod edit;
mod invite;
mod list;
mod new;
mod password;
mod role;

use actix_session::Session;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::error::{AppError, AppResult};
use crate::tenancy::UserId;
use crate::tenancy::users::{self, User};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, session};

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list::page))
        .route("/users", web::post().to(new::submit))
        .route("/users/new", web::get().to(new::form))
        .route("/users/invite", web::get().to(invite::form))
        .route("/users/invite", web::post().to(invite::submit))
        .route("/users/{id}", web::get().to(edit::page))
        .route("/users/{id}/role", web::post().to(role::submit))
        .route("/users/{id}/disable", web::post().to(active::disable))
        .route("/users/{id}/enable", web::post().to(active::enable))
        .route("/users/{id}/password", web::post().to(password::submit))
        .route("/account/password", web::get().to(account::form))
        .route("/account/password", web::post().to(account::submit));
}

/// The id in a path; anything that is not an id is not found.
fn parse_id(text: &str) -> AppResult<UserId> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// The user of the signed-in owner's customer with this id, or 404.
async fn load(state: &AppState, user: &CurrentUser, id: UserId) -> AppResult<User> {
    let scope = user.scope;
    state
        .db
        .tenant_read(scope, |conn| {
            async move { users::get(conn, scope, id).await }.scope_boxed()
        })
        .await?
        .ok_or(AppError::NotFound)
}

/// The version a form was based on.
fn parse_version(text: &str) -> AppResult<i32> {
    text.trim().parse().map_err(|_| {
        AppError::BadRequest("the form lacks the version of the user; reload the page".into())
    })
}

/// Hashes a password off the async threads (argon2 is deliberately slow).
async fn hash(password: String) -> AppResult<String> {
    web::block(move || users::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))?
}

/// 303 to `location` with a one-time message.
fn redirect_with(session: &Session, location: &str, message: &str) -> HttpResponse {
    session::flash(session, message);
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_owned()))
        .finish()
}

/// Ends the session in this browser (its user's sessions have just ended) and sends the browser to
/// the sign-in page with a message.
fn signed_out_with(session: &Session, message: &str) -> HttpResponse {
    session.renew();
    session.clear();
    redirect_with(session, "/admin/login", message)
}
