//! `GET /admin/users`: every user of the customer with role and state.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::users::{self, User};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/users/list.html")]
pub struct UsersPage {
    pub layout: AdminLayout,
    pub users: Vec<User>,
    pub me: String,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let scope = user.scope;
    let list = state
        .db
        .tenant_read(scope, |conn| {
            async move { users::list(conn, scope).await }.scope_boxed()
        })
        .await?;
    let body = response::render(&UsersPage {
        layout: AdminLayout::new("Users", &site, &user, &session),
        users: list,
        me: user.id.to_string(),
    })?;
    Ok(response::private_html(body))
}
