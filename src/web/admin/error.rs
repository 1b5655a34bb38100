//! Error pages under `/admin`: the status and its message in the admin layout, with the signed-in
//! user's navigation when there is one (`site::resolve_site` puts them in place of a handler's
//! bare error page). Never stored, like every admin page.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use crate::error::AppError;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::error::wording;
use crate::web::response;
use crate::web::site::RequestSite;

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage<'a> {
    layout: AdminLayout,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// Renders an error of an admin request in the admin layout.
pub async fn page(
    req: &HttpRequest,
    site: &RequestSite,
    status: StatusCode,
    error: Option<&AppError>,
) -> HttpResponse {
    let (title, message) = wording(status, error);
    let layout = match signed_in_user(req, status).await {
        Some(user) => AdminLayout::signed_in(title, site, &user),
        None => AdminLayout::anonymous(title, site, String::new(), None),
    };
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        heading: title,
        message: &message,
    };
    match response::render(&page) {
        Ok(body) => response::error_page(status, body),
        Err(_) => crate::web::error::bare_page(status, error),
    }
}

/// The signed-in user of the request: the one its handler already read, or else the session's.
/// After a server error the session is not read again, since the database may be what failed.
async fn signed_in_user(req: &HttpRequest, status: StatusCode) -> Option<CurrentUser> {
    let known = req.extensions().get::<CurrentUser>().cloned();
    if known.is_some() || status.is_server_error() {
        return known;
    }
    CurrentUser::extract(req).await.ok()
}
