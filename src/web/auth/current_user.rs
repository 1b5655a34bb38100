//! The signed-in user of an admin request: read from the session, checked against the database on
//! every request (still active, same customer as the site, session generation unchanged, within
//! the idle and absolute timeouts), with role checks. The user read is kept in the request's
//! extensions, where an admin error page finds it.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::{self, Role};
use crate::tenancy::{Scope, UserId};
use crate::web::AppState;
use crate::web::auth::{csrf, session};
use crate::web::client::Client;
use crate::web::request_log::RequestId;
use crate::web::site::RequestSite;

/// The signed-in user.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub scope: Scope,
    /// The session's CSRF token, for forms.
    pub csrf_token: String,
    /// Who to record in the audit log for changes made in this request.
    pub actor: Actor,
}

impl CurrentUser {
    /// Refuses (403) unless the user has one of `roles`; owners may do everything.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if self.role == Role::Owner || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<CurrentUser>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load(&req).await })
    }
}

async fn load(req: &HttpRequest) -> AppResult<CurrentUser> {
    let site = req
        .extensions()
        .get::<RequestSite>()
        .cloned()
        .ok_or(AppError::NotFound)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(AppError::NotFound)?;
    let session = req.get_session();
    let back_to = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let sign_in_required = || {
        session::sign_out(&session);
        AppError::SignInRequired(back_to.clone())
    };
    let Some(data) = session::signed_in(&session) else {
        return Err(AppError::SignInRequired(back_to.clone()));
    };
    let scope = site.ctx.scope;
    if data.customer != scope.customer_id() || data.expired(session::now_secs()) {
        return Err(sign_in_required());
    }
    let user_id = data.user;
    let account = state
        .db
        .tenant_read(scope, |conn| {
            async move { users::account(conn, scope, user_id).await }.scope_boxed()
        })
        .await?;
    let account = match account {
        Some(account) if account.is_active && account.session_generation == data.generation => {
            account
        }
        _ => return Err(sign_in_required()),
    };
    session::touch(&session, data);
    let user = CurrentUser {
        id: user_id,
        role: account.role(),
        scope,
        csrf_token: csrf::token(&session),
        actor: actor_for(req, Some((user_id, &account.email))),
        email: account.email,
    };
    // Kept for the error page, should the handler fail after this.
    req.extensions_mut().insert(user.clone());
    Ok(user)
}

/// The audit actor for a request, by a user or anonymous (sign-in attempts), from the client's
/// address as [`Client::of`] tells it.
pub fn actor_for(req: &HttpRequest, user: Option<(UserId, &str)>) -> Actor {
    Actor {
        user_id: user.map(|(id, _)| id),
        label: user
            .map(|(_, email)| email.to_owned())
            .unwrap_or_else(|| "anonymous".to_owned()),
        ip: Some(Client::of(req).address()),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
    }
}
