//! `GET`/`POST /admin/password/reset/{token}`: choosing a new password through a mailed reset
//! link. Success ends every session of the user (this browser's too) and leads to the sign-in
//! page.

use actix_session::Session;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use super::{ChoosePasswordForm, ChoosePasswordPage, hash};
use crate::error::{AppError, AppResult};
use crate::tenancy::account_tokens::{self, Purpose, Redeemable};
use crate::tenancy::password_resets;
use crate::web::AppState;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::current_user::actor_for;
use crate::web::auth::{csrf, session};
use crate::web::site::RequestSite;

/// The link's token and user, or a 404.
async fn redeemable(state: &AppState, site: &RequestSite, token: &str) -> AppResult<Redeemable> {
    let scope = site.ctx.scope;
    state
        .db
        .tenant_read(scope, |conn| {
            async move {
                account_tokens::redeemable(conn, scope, token, Purpose::PasswordReset).await
            }
            .scope_boxed()
        })
        .await?
        .ok_or(AppError::NotFound)
}

fn page(site: &RequestSite, session: &Session, token: &str, email: &str) -> ChoosePasswordPage {
    ChoosePasswordPage {
        layout: AdminLayout::anonymous("Choose a new password", site, csrf::token(session), None),
        heading: "Choose a new password",
        intro: format!(
            "For {email}. Every session of this account ends, and you then sign in with the new password."
        ),
        action: format!("/admin/password/reset/{token}"),
        button: "Set the new password",
        email: email.to_owned(),
        new_error: None,
        confirm_error: None,
    }
}

pub async fn form(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let found = redeemable(&state, &site, &path).await?;
    page(&site, &session, &path, &found.user.email).shown()
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ChoosePasswordForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let found = redeemable(&state, &site, &token).await?;
    let mut shown = page(&site, &session, &token, &found.user.email);
    if !shown.check(&form) {
        return shown.refused();
    }
    let hashed = hash(form.new_password.clone()).await?;
    let scope = site.ctx.scope;
    let actor = actor_for(&req, None);
    state
        .db
        .tenant_tx(scope, |conn| {
            let (token, hashed, actor) = (&token, &hashed, &actor);
            async move { password_resets::complete(conn, scope, token, hashed, actor).await }
                .scope_boxed()
        })
        .await?;
    session.renew();
    session.clear();
    session::flash(
        &session,
        "Your password has been changed and every session of your account has ended. Sign in with the new password.",
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/admin/login"))
        .finish())
}
