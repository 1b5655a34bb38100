//! `POST /admin/users/{id}/password`: an owner sets a new password for a user (typed, at least 12
//! characters, or generated and shown once); every session of the user ends.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::edit::{Section, with_error};
use super::{hash, load, parse_id, parse_version, redirect_with, signed_out_with};
use crate::error::{AppError, AppResult};
use crate::tenancy::users;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    version: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    me.require(&[])?;
    let id = parse_id(&path)?;
    let user = load(&state, &me, id).await?;
    let version = match parse_version(&form.version) {
        Ok(version) => version,
        Err(error) => return with_error(&site, &me, &session, user, Section::Password, error),
    };
    let typed = !form.password.is_empty();
    let password = if typed {
        form.password.clone()
    } else {
        users::generate_password()
    };
    if password.chars().count() < users::MIN_PASSWORD_CHARS {
        let error = AppError::Invalid(format!(
            "The password must be at least {} characters (or leave it empty to generate one).",
            users::MIN_PASSWORD_CHARS
        ));
        return with_error(&site, &me, &session, user, Section::Password, error);
    }
    let hashed = hash(password.clone()).await?;
    let (scope, actor) = (me.scope, me.actor.clone());
    let changed = state
        .db
        .tenant_tx(scope, |conn| {
            let (actor, hashed) = (&actor, &hashed);
            async move {
                users::set_password(
                    conn,
                    scope,
                    id,
                    hashed,
                    Some(version),
                    "reset_password",
                    actor,
                )
                .await
            }
            .scope_boxed()
        })
        .await;
    let changed = match changed {
        Ok(changed) => changed,
        Err(error) => return with_error(&site, &me, &session, user, Section::Password, error),
    };
    if id == me.id {
        return Ok(signed_out_with(
            &session,
            "Your password has been changed and all your sessions have ended. Sign in with the new password.",
        ));
    }
    let message = if typed {
        format!(
            "The password of {} has been reset and all their sessions have ended.",
            changed.email
        )
    } else {
        format!(
            "The password of {} has been reset and all their sessions have ended. \
             The new password, shown only this once: {password}",
            changed.email
        )
    };
    Ok(redirect_with(
        &session,
        &format!("/admin/users/{id}"),
        &message,
    ))
}
