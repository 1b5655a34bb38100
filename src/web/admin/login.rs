//! `/admin/login` and `/admin/logout`: signing in with e-mail and password (throttled per account
//! and per client address, audited, session id renewed), and signing out (which ends every session
//! of the user).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::AppResult;
use crate::tenancy::users::{self, Account};
use crate::tenancy::{CustomerId, Scope, UserId};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::current_user::actor_for;
use crate::web::auth::{CurrentUser, csrf, session, throttle};
use crate::web::client::Client;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub layout: AdminLayout,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only admin paths of this site are followed after signing in.
fn safe_next(next: &str) -> &str {
    let internal = next.starts_with("/admin") && !next.starts_with("//") && !next.contains('\\');
    if internal { next } else { "/admin" }
}

fn render(
    site: &RequestSite,
    session: &Session,
    email: &str,
    next: &str,
    error: Option<String>,
    flash: Option<String>,
) -> AppResult<String> {
    response::render(&LoginPage {
        layout: AdminLayout::anonymous("Sign in", site, csrf::token(session), flash),
        email: email.to_owned(),
        next: next.to_owned(),
        error,
    })
}

pub async fn form(
    site: web::ReqData<RequestSite>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let flash = query
        .signed_out
        .as_ref()
        .map(|_| "You have signed out.".to_owned())
        .or_else(|| session::take_flash(&session));
    let next = safe_next(query.next.as_deref().unwrap_or("/admin"));
    Ok(response::private_html(render(
        &site, &session, "", next, None, flash,
    )?))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    session: Session,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let scope = site.ctx.scope;
    let email = form.email.trim().to_lowercase();
    let ip = Client::of(&req).address();
    let anonymous = actor_for(&req, None);
    let refusal = state
        .db
        .tenant_read(scope, |conn| {
            let (email, ip) = (&email, &ip);
            async move { throttle::check(conn, scope, email, ip).await }.scope_boxed()
        })
        .await?;
    if let Some(refusal) = refusal {
        record_attempt(&state, scope, &anonymous, None, &email, "refused").await?;
        return Err(refusal.error());
    }
    let account = state
        .db
        .tenant_read(scope, |conn| {
            let email = &email;
            async move { users::account_by_email(conn, scope, email).await }.scope_boxed()
        })
        .await?;
    let verified = verify(&form.password, account.as_ref()).await;
    let Some(account) = account.filter(|a| verified && a.is_active) else {
        record_attempt(&state, scope, &anonymous, None, &email, "failure").await?;
        let body = render(
            &site,
            &session,
            &email,
            safe_next(&form.next),
            Some("The e-mail or the password is wrong.".into()),
            None,
        )?;
        return Ok(response::private_html_status(
            StatusCode::UNAUTHORIZED,
            body,
        ));
    };
    let user_id = UserId::from_uuid(account.id);
    let actor = actor_for(&req, Some((user_id, &account.email)));
    if users::needs_rehash(&account.password_hash) {
        let rehashed = users::hash_password(&form.password)?;
        state
            .db
            .tenant_tx_unpublished(scope, |conn| {
                let rehashed = &rehashed;
                async move { users::store_rehash(conn, scope, user_id, rehashed).await }
                    .scope_boxed()
            })
            .await?;
    }
    record_attempt(&state, scope, &actor, Some(user_id), &email, "success").await?;
    session::sign_in(
        &session,
        user_id,
        CustomerId::from_uuid(scope.customer_uuid()),
        account.session_generation,
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, safe_next(&form.next).to_owned()))
        .finish())
}

/// Checks the password off the async threads (argon2 is deliberately slow); an unknown e-mail
/// is checked against a decoy so that it takes as long.
async fn verify(password: &str, account: Option<&Account>) -> bool {
    let password = password.to_owned();
    let hash = account
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| users::decoy_hash().to_owned());
    let matched = web::block(move || users::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    matched && account.is_some()
}

async fn record_attempt(
    state: &AppState,
    scope: Scope,
    actor: &Actor,
    user: Option<UserId>,
    email: &str,
    outcome: &'static str,
) -> AppResult<()> {
    state
        .db
        .tenant_tx_unpublished(scope, |conn| {
            async move {
                audit::record(
                    conn,
                    scope,
                    actor,
                    Change {
                        entity: "sign_in",
                        entity_id: user.map(|u| u.as_uuid()).unwrap_or(Uuid::nil()),
                        action: outcome,
                        before: None,
                        after: Some(json!({ "email": email })),
                    },
                )
                .await
            }
            .scope_boxed()
        })
        .await
}

/// Signs out: every session of the user ends, here and in other browsers.
pub async fn sign_out(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    let (scope, actor, id) = (user.scope, user.actor.clone(), user.id);
    state
        .db
        .tenant_tx_unpublished(scope, |conn| {
            let actor = &actor;
            async move {
                users::end_sessions(conn, scope, id).await?;
                audit::record(
                    conn,
                    scope,
                    actor,
                    Change {
                        entity: "sign_in",
                        entity_id: id.as_uuid(),
                        action: "sign_out",
                        before: None,
                        after: None,
                    },
                )
                .await
            }
            .scope_boxed()
        })
        .await?;
    session::sign_out(&session);
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/admin/login?signed_out=1"))
        .finish())
}
