//! `GET /admin/users/invite` and `POST /admin/users/invite`: inviting an e-mail address with a
//! role. The invitee gets a mail with a link (single use, 48 hours) to choose their password; the
//! rules live in `tenancy::invitations`.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::redirect_with;
use crate::error::{AppError, AppResult};
use crate::tenancy::account_tokens::Purpose;
use crate::tenancy::invitations::{self, LinkSite};
use crate::tenancy::users::{self, Role};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/users/invite.html")]
pub struct InvitePage {
    pub layout: AdminLayout,
    pub email: String,
    pub role: String,
    pub email_error: Option<String>,
    pub role_error: Option<String>,
    pub valid_hours: i64,
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

fn page(site: &RequestSite, user: &CurrentUser, session: &Session) -> InvitePage {
    InvitePage {
        layout: AdminLayout::new("Invite a user", site, user, session),
        email: String::new(),
        role: Role::Editor.as_str().to_owned(),
        email_error: None,
        role_error: None,
        valid_hours: Purpose::Invitation.lifetime_hours(),
    }
}

pub async fn form(
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    response::private_page(StatusCode::OK, &page(&site, &user, &session))
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let mut shown = page(&site, &user, &session);
    shown.email = form.email.trim().to_owned();
    shown.role = form.role.trim().to_owned();
    let email =
        users::valid_email(&form.email).map_err(|e| shown.email_error = Some(e.to_string()));
    let role = Role::parse(&form.role).map_err(|e| shown.role_error = Some(e.to_string()));
    let (Ok(email), Ok(role)) = (email, role) else {
        return response::private_page(StatusCode::BAD_REQUEST, &shown);
    };
    let (scope, actor) = (user.scope, user.actor.clone());
    let invited = state
        .db
        .tenant_tx(scope, |conn| {
            let (email, actor) = (&email, &actor);
            let site = LinkSite {
                name: &site.ctx.site_name,
                base_url: &site.base_url,
            };
            async move { invitations::invite(conn, scope, email, role, site, actor).await }
                .scope_boxed()
        })
        .await;
    let invited = match invited {
        Ok(invited) => invited,
        Err(AppError::Conflict(message)) => {
            shown.email_error = Some(message);
            return response::private_page(StatusCode::CONFLICT, &shown);
        }
        Err(other) => return Err(other),
    };
    state.mailer.wake();
    let message = format!(
        "Invited {} as {}. The link in their mail works once and for {} hours.",
        invited.email,
        invited.role,
        Purpose::Invitation.lifetime_hours()
    );
    Ok(redirect_with(&session, "/admin/users", &message))
}
