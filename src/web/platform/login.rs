//! `/login` and `/logout` of the operator console: signing in with e-mail and password (checked
//! off the async threads against a decoy for unknown addresses, throttled per address and per
//! client with `Retry-After`, every attempt recorded), and signing out (which ends every session
//! of the operator).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::error::AppResult;
use crate::platform::{self, Operator};
use crate::tenancy::users;
use crate::web::platform::{CurrentOperator, PlatformLayout, client_ip, see_other};
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "platform/login.html")]
pub struct LoginPage {
    pub layout: PlatformLayout,
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
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only the console's own pages are followed after signing in.
fn safe_next(next: &str) -> &str {
    let internal = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if internal && next != "/login" {
        next
    } else {
        "/"
    }
}

fn render(session: &Session, email: &str, next: &str, error: Option<String>) -> AppResult<String> {
    let flash = crate::web::auth::session::take_flash(session);
    response::render(&LoginPage {
        layout: PlatformLayout::anonymous("Sign in", session, flash),
        email: email.to_owned(),
        next: next.to_owned(),
        error,
    })
}

pub async fn form(session: Session, query: web::Query<LoginQuery>) -> AppResult<HttpResponse> {
    if query.signed_out.is_some() {
        crate::web::auth::session::flash(&session, "You have signed out.");
    }
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    Ok(response::private_html(render(&session, "", next, None)?))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let email = form.email.trim().to_lowercase();
    let client = client_ip(&req);
    let (locked, operator) = state
        .db
        .platform_read(|conn| {
            let (email, client) = (&email, &client);
            async move {
                let locked = platform::locked_for(conn, email, client).await?;
                let operator = platform::by_email(conn, email).await?;
                Ok((locked, operator))
            }
            .scope_boxed()
        })
        .await?;
    if let Some(wait) = locked {
        record(&state, &email, &client, "refused").await?;
        let minutes = (wait.num_seconds() + 59) / 60;
        let body = render(
            &session,
            &email,
            safe_next(&form.next),
            Some(format!(
                "Too many failed sign-ins: try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )),
        )?;
        let mut res = response::private_html_status(StatusCode::TOO_MANY_REQUESTS, body);
        res.headers_mut().insert(
            RETRY_AFTER,
            wait.num_seconds().to_string().parse().expect("digits"),
        );
        return Ok(res);
    }
    let verified = verify(&form.password, operator.as_ref()).await;
    let Some(operator) = operator.filter(|o| verified && o.is_active) else {
        record(&state, &email, &client, "failure").await?;
        let body = render(
            &session,
            &email,
            safe_next(&form.next),
            Some("The e-mail or the password is wrong.".into()),
        )?;
        return Ok(response::private_html_status(
            StatusCode::UNAUTHORIZED,
            body,
        ));
    };
    record(&state, &email, &client, "success").await?;
    super::sign_in(&session, &operator);
    Ok(see_other(safe_next(&form.next)))
}

/// Checks the password off the async threads; an unknown address is checked against a decoy so
/// that it takes as long.
async fn verify(password: &str, operator: Option<&Operator>) -> bool {
    let password = password.to_owned();
    let hash = operator
        .map(|o| o.password_hash.clone())
        .unwrap_or_else(|| users::decoy_hash().to_owned());
    let matched = web::block(move || users::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    matched && operator.is_some()
}

async fn record(state: &AppState, email: &str, client: &str, outcome: &str) -> AppResult<()> {
    state
        .db
        .platform_tx(|conn| {
            async move { platform::record_sign_in(conn, email, client, outcome).await }
                .scope_boxed()
        })
        .await
}

/// Signs out: every session of the operator ends, here and in other browsers.
pub async fn sign_out(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
) -> AppResult<HttpResponse> {
    let id = operator.id;
    state
        .db
        .platform_tx(|conn| async move { platform::end_sessions(conn, id).await }.scope_boxed())
        .await?;
    session.purge();
    Ok(see_other("/login?signed_out=1"))
}
