//! `POST /admin/users/{id}/disable` and `/enable`: a disabled user cannot sign in, and every
//! session they had ends at once. The last active owner cannot be disabled.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::edit::{Section, with_error};
use super::{load, parse_id, parse_version, redirect_with, signed_out_with};
use crate::error::AppResult;
use crate::tenancy::users::{self, OwnerRule};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: String,
}

pub async fn disable(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<VersionForm>,
) -> AppResult<HttpResponse> {
    set(state, site, me, session, path, form, false).await
}

pub async fn enable(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<VersionForm>,
) -> AppResult<HttpResponse> {
    set(state, site, me, session, path, form, true).await
}

async fn set(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<VersionForm>,
    active: bool,
) -> AppResult<HttpResponse> {
    me.require(&[])?;
    let id = parse_id(&path)?;
    let user = load(&state, &me, id).await?;
    let version = match parse_version(&form.version) {
        Ok(version) => version,
        Err(error) => return with_error(&site, &me, &session, user, Section::Active, error),
    };
    let (scope, actor) = (me.scope, me.actor.clone());
    let changed = state
        .db
        .tenant_tx(scope, |conn| {
            let actor = &actor;
            async move {
                users::set_active(
                    conn,
                    scope,
                    id,
                    active,
                    Some(version),
                    OwnerRule::KeepOne,
                    actor,
                )
                .await
            }
            .scope_boxed()
        })
        .await;
    match changed {
        Ok(changed) if !active && id == me.id => Ok(signed_out_with(
            &session,
            &format!("{} is disabled; you have been signed out.", changed.email),
        )),
        Ok(changed) => {
            let message = if active {
                format!("{} is enabled.", changed.email)
            } else {
                format!(
                    "{} is disabled and all their sessions have ended.",
                    changed.email
                )
            };
            Ok(redirect_with(
                &session,
                &format!("/admin/users/{id}"),
                &message,
            ))
        }
        Err(error) => with_error(&site, &me, &session, user, Section::Active, error),
    }
}
