//! `GET /admin/users/{id}`: one user, with the forms to change the role, disable or enable, and
//! reset the password. The actions re-render this page with the error next to its form.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{load, parse_id};
use crate::error::AppResult;
use crate::tenancy::users::User;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/users/edit.html")]
pub struct EditUserPage {
    pub layout: AdminLayout,
    pub user: User,
    pub is_me: bool,
    pub role_error: Option<String>,
    pub active_error: Option<String>,
    pub password_error: Option<String>,
}

/// Which form an error belongs next to.
#[derive(Debug, Clone, Copy)]
pub enum Section {
    Role,
    Active,
    Password,
}

/// The page, with an error next to one form.
pub fn render(
    site: &RequestSite,
    me: &CurrentUser,
    session: &Session,
    user: User,
    error: Option<(Section, String)>,
) -> AppResult<String> {
    let mut page = EditUserPage {
        layout: AdminLayout::new(&user.email, site, me, session),
        is_me: user.id == me.id.as_uuid(),
        user,
        role_error: None,
        active_error: None,
        password_error: None,
    };
    match error {
        Some((Section::Role, e)) => page.role_error = Some(e),
        Some((Section::Active, e)) => page.active_error = Some(e),
        Some((Section::Password, e)) => page.password_error = Some(e),
        None => {}
    }
    response::render(&page)
}

/// The page with an error and its status (400 invalid, 409 conflict).
pub fn with_error(
    site: &RequestSite,
    me: &CurrentUser,
    session: &Session,
    user: User,
    section: Section,
    error: crate::error::AppError,
) -> AppResult<HttpResponse> {
    use crate::error::AppError;
    let status = match &error {
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Invalid(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        _ => return Err(error),
    };
    let body = render(site, me, session, user, Some((section, error.to_string())))?;
    Ok(response::private_html_status(status, body))
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    me: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    me.require(&[])?;
    let id = parse_id(&path)?;
    let user = load(&state, &me, id).await?;
    Ok(response::private_html(render(
        &site, &me, &session, user, None,
    )?))
}
