//! `GET`/`POST /admin/password/forgot`: asking for a password reset link by e-mail. The answer
//! is the same page whether or not the address belongs to a user; too many requests for one
//! address or from one client are a 429.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::link_site;
use crate::error::{AppError, AppResult};
use crate::tenancy::password_resets::{self, Requested};
use crate::tenancy::users;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::csrf;
use crate::web::auth::current_user::actor_for;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/account_links/forgot.html")]
pub struct ForgotPage {
    pub layout: AdminLayout,
    pub email: String,
    pub email_error: Option<String>,
    /// Set once a request was taken: the address it was for.
    pub sent_to: Option<String>,
    pub valid_hours: i64,
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

fn page(site: &RequestSite, session: &Session) -> ForgotPage {
    ForgotPage {
        layout: AdminLayout::anonymous("Forgot your password", site, csrf::token(session), None),
        email: String::new(),
        email_error: None,
        sent_to: None,
        valid_hours: password_resets::LINK_HOURS,
    }
}

pub async fn form(site: web::ReqData<RequestSite>, session: Session) -> AppResult<HttpResponse> {
    response::private_page(StatusCode::OK, &page(&site, &session))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    session: Session,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let mut shown = page(&site, &session);
    shown.email = form.email.trim().to_owned();
    let email = match users::valid_email(&form.email) {
        Ok(email) => email,
        Err(error) => {
            shown.email_error = Some(error.to_string());
            return response::private_page(StatusCode::BAD_REQUEST, &shown);
        }
    };
    let scope = site.ctx.scope;
    let actor = actor_for(&req, None);
    let outcome = state
        .db
        .tenant_tx_unpublished(scope, |conn| {
            let (email, actor, site) = (&email, &actor, link_site(&site));
            async move { password_resets::request(conn, scope, email, site, actor).await }
                .scope_boxed()
        })
        .await?;
    state.mailer.wake();
    match outcome {
        Requested::Limited => Err(AppError::TooManyRequests {
            message: format!(
                "Too many requests for a new password. Try again in {} minutes.",
                password_resets::WINDOW_MINUTES
            ),
            retry_after_secs: (password_resets::WINDOW_MINUTES * 60) as u64,
        }),
        Requested::Taken => {
            shown.sent_to = Some(email);
            response::private_page(StatusCode::OK, &shown)
        }
    }
}
