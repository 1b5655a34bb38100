//! `GET`/`POST /admin/invitation/{token}`: accepting an invitation by choosing a password; the
//! invitee is then signed in.

use actix_session::Session;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde_json::json;

use super::{ChoosePasswordForm, ChoosePasswordPage, hash};
use crate::audit::{self, Actor, Change};
use crate::error::{AppError, AppResult};
use crate::tenancy::account_tokens::{self, Purpose, Redeemable};
use crate::tenancy::{CustomerId, UserId, invitations, users};
use crate::web::AppState;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::current_user::actor_for;
use crate::web::auth::{csrf, session};
use crate::web::site::RequestSite;

/// The invitation's token and user, or a 404.
async fn redeemable(state: &AppState, site: &RequestSite, token: &str) -> AppResult<Redeemable> {
    let scope = site.ctx.scope;
    state
        .db
        .tenant_read(scope, |conn| {
            async move { account_tokens::redeemable(conn, scope, token, Purpose::Invitation).await }
                .scope_boxed()
        })
        .await?
        .ok_or(AppError::NotFound)
}

fn page(
    site: &RequestSite,
    session: &Session,
    token: &str,
    found: &Redeemable,
) -> ChoosePasswordPage {
    ChoosePasswordPage {
        layout: AdminLayout::anonymous("Accept the invitation", site, csrf::token(session), None),
        heading: "Welcome",
        intro: format!(
            "You are invited to the admin of {} as {} ({}). Choose your password to accept.",
            site.ctx.site_name,
            found.user.role().as_str(),
            found.user.email
        ),
        action: format!("/admin/invitation/{token}"),
        button: "Accept and sign in",
        email: found.user.email.clone(),
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
    page(&site, &session, &path, &found).shown()
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
    let mut shown = page(&site, &session, &token, &found);
    if !shown.check(&form) {
        return shown.refused();
    }
    let hashed = hash(form.new_password.clone()).await?;
    let scope = site.ctx.scope;
    let request = actor_for(&req, None);
    let account = state
        .db
        .tenant_tx(scope, |conn| {
            let (token, hashed, request) = (&token, &hashed, &request);
            async move {
                let user = invitations::accept(conn, scope, token, hashed, request).await?;
                let id = UserId::from_uuid(user.id);
                let actor = Actor {
                    user_id: Some(id),
                    label: user.email.clone(),
                    ..request.clone()
                };
                audit::record(
                    conn,
                    scope,
                    &actor,
                    Change {
                        entity: "sign_in",
                        entity_id: user.id,
                        action: "success",
                        before: None,
                        after: Some(json!({ "email": user.email, "through": "invitation" })),
                    },
                )
                .await?;
                users::account(conn, scope, id)
                    .await?
                    .ok_or(AppError::NotFound)
            }
            .scope_boxed()
        })
        .await?;
    session::sign_in(
        &session,
        UserId::from_uuid(account.id),
        CustomerId::from_uuid(scope.customer_uuid()),
        account.session_generation,
    );
    session::flash(
        &session,
        "Welcome! Your password is set and you are signed in.",
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/admin"))
        .finish())
}
