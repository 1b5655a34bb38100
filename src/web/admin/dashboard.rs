//! `/admin`: where a signed-in user starts; links to what their role may use.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::AppResult;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::response;
use crate::web::site::RequestSite;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub layout: AdminLayout,
}

pub async fn page(
    _req: HttpRequest,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    let body = response::render(&DashboardPage {
        layout: AdminLayout::new("Dashboard", &site, &user, &session),
    })?;
    Ok(response::private_html(body))
}
