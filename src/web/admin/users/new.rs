//! `GET /admin/users/new` and `POST /admin/users`: creating a user with a role and a password
//! (typed, at least 12 characters, or generated and shown once).

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::{hash, redirect_with};
use crate::error::{AppError, AppResult};
use crate::tenancy::users::{self, Role};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/users/new.html")]
pub struct NewUserPage {
    pub layout: AdminLayout,
    pub email: String,
    pub role: String,
    pub email_error: Option<String>,
    pub role_error: Option<String>,
    pub password_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn form(
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let body = response::render(&NewUserPage {
        layout: AdminLayout::new("New user", &site, &user, &session),
        email: String::new(),
        role: Role::Editor.as_str().to_owned(),
        email_error: None,
        role_error: None,
        password_error: None,
    })?;
    Ok(response::private_html(body))
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<NewUserForm>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let mut page = NewUserPage {
        layout: AdminLayout::new("New user", &site, &user, &session),
        email: form.email.trim().to_owned(),
        role: form.role.trim().to_owned(),
        email_error: None,
        role_error: None,
        password_error: None,
    };
    let email = users::valid_email(&form.email).map_err(|e| page.email_error = Some(e.to_string()));
    let role = Role::parse(&form.role).map_err(|e| page.role_error = Some(e.to_string()));
    let typed = !form.password.is_empty();
    let password = if typed {
        form.password.clone()
    } else {
        users::generate_password()
    };
    if password.chars().count() < users::MIN_PASSWORD_CHARS {
        page.password_error = Some(format!(
            "The password must be at least {} characters (or leave it empty to generate one).",
            users::MIN_PASSWORD_CHARS
        ));
    }
    let (Ok(email), Ok(role), None) = (email, role, &page.password_error) else {
        return response::private_page(StatusCode::BAD_REQUEST, &page);
    };
    let hashed = hash(password.clone()).await?;
    let (scope, actor) = (user.scope, user.actor.clone());
    let created = state
        .db
        .tenant_tx(scope, |conn| {
            let (email, hashed, actor) = (&email, &hashed, &actor);
            async move { users::create(conn, scope, email, role, hashed, actor).await }
                .scope_boxed()
        })
        .await;
    let created = match created {
        Ok(created) => created,
        Err(AppError::Conflict(message)) => {
            page.email_error = Some(message);
            return response::private_page(StatusCode::CONFLICT, &page);
        }
        Err(other) => return Err(other),
    };
    let message = if typed {
        format!("Created {} ({}).", created.email, created.role)
    } else {
        format!(
            "Created {} ({}). Their password, shown only this once: {password}",
            created.email, created.role
        )
    };
    Ok(redirect_with(&session, "/admin/users", &message))
}
