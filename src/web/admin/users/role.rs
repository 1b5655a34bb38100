//! `POST /admin/users/{id}/role`: gives a user another role (never taking away the last active
//! owner).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::edit::{Section, with_error};
use super::{load, parse_id, parse_version, redirect_with};
use crate::error::AppResult;
use crate::tenancy::users::{self, Role};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    version: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    me.require(&[])?;
    let id = parse_id(&path)?;
    let user = load(&state, &me, id).await?;
    let checked =
        Role::parse(&form.role).and_then(|role| Ok((role, parse_version(&form.version)?)));
    let (role, version) = match checked {
        Ok(checked) => checked,
        Err(error) => return with_error(&site, &me, &session, user, Section::Role, error),
    };
    let (scope, actor) = (me.scope, me.actor.clone());
    let changed = state
        .db
        .tenant_tx(scope, |conn| {
            let actor = &actor;
            async move { users::set_role(conn, scope, id, role, Some(version), actor).await }
                .scope_boxed()
        })
        .await;
    match changed {
        Ok(changed) => {
            let message = format!("{} is now {}.", changed.email, changed.role);
            let back = if id == me.id {
                "/admin".to_owned()
            } else {
                format!("/admin/users/{id}")
            };
            Ok(redirect_with(&session, &back, &message))
        }
        Err(error) => with_error(&site, &me, &session, user, Section::Role, error),
    }
}
