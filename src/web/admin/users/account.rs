//! `GET`/`POST /admin/account/password`: any signed-in user changes their own password (the
//! current one required, the new one at least 12 characters). Every session of the user ends,
//! this one included, and the browser goes to the sign-in page. A wrong current password is a
//! failed password check like a failed sign-in: recorded in the audit log and throttled with
//! sign-ins (`auth::throttle`), so a stolen session cannot be used to guess the password.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use serde_json::json;

use super::{hash, signed_out_with};
use crate::audit::{self, Change, query::WRONG_CURRENT_PASSWORD};
use crate::error::{AppError, AppResult};
use crate::tenancy::users;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::{CurrentUser, throttle};
use crate::web::client::Client;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/users/account_password.html")]
pub struct PasswordPage {
    pub layout: AdminLayout,
    pub current_error: Option<String>,
    pub new_error: Option<String>,
    pub confirm_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn form(
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    let body = response::render(&PasswordPage {
        layout: AdminLayout::new("Change your password", &site, &me, &session),
        current_error: None,
        new_error: None,
        confirm_error: None,
    })?;
    Ok(response::private_html(body))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let mut page = PasswordPage {
        layout: AdminLayout::new("Change your password", &site, &me, &session),
        current_error: None,
        new_error: None,
        confirm_error: None,
    };
    let scope = me.scope;
    let id = me.id;
    let address = Client::of(&req).address();
    let refusal = state
        .db
        .tenant_read(scope, |conn| {
            let (email, address) = (&me.email, &address);
            async move { throttle::check(conn, scope, email, address).await }.scope_boxed()
        })
        .await?;
    if let Some(refusal) = refusal {
        record(&state, &me, "change_password_refused").await?;
        return Err(refusal.error());
    }
    let account = state
        .db
        .tenant_read(scope, |conn| {
            async move { users::account(conn, scope, id).await }.scope_boxed()
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let (current, stored) = (form.current_password.clone(), account.password_hash.clone());
    let matches = web::block(move || users::verify_password(&current, &stored))
        .await
        .unwrap_or(false);
    if !matches {
        record(&state, &me, WRONG_CURRENT_PASSWORD).await?;
        page.current_error = Some("The current password is wrong.".into());
    }
    if form.new_password.chars().count() < users::MIN_PASSWORD_CHARS {
        page.new_error = Some(format!(
            "The new password must be at least {} characters.",
            users::MIN_PASSWORD_CHARS
        ));
    } else if form.new_password != form.confirm_password {
        page.confirm_error = Some("The two new passwords differ.".into());
    }
    if page.current_error.is_some() || page.new_error.is_some() || page.confirm_error.is_some() {
        return response::private_page(StatusCode::BAD_REQUEST, &page);
    }
    let hashed = hash(form.new_password.clone()).await?;
    let actor = me.actor.clone();
    state
        .db
        .tenant_tx(scope, |conn| {
            let (actor, hashed) = (&actor, &hashed);
            async move {
                users::set_password(conn, scope, id, hashed, None, "change_password", actor).await
            }
            .scope_boxed()
        })
        .await?;
    Ok(signed_out_with(
        &session,
        "Your password has been changed and all your sessions have ended. Sign in with the new password.",
    ))
}

/// Records a password check of the form that did not pass (`action`) as an event of the user,
/// with the e-mail the throttle counts by.
async fn record(state: &AppState, me: &CurrentUser, action: &'static str) -> AppResult<()> {
    let (scope, id) = (me.scope, me.id);
    state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                audit::record(
                    conn,
                    scope,
                    &me.actor,
                    Change {
                        entity: "user",
                        entity_id: id.as_uuid(),
                        action,
                        before: None,
                        after: Some(json!({ "email": me.email })),
                    },
                )
                .await
            }
            .scope_boxed()
        })
        .await
}
