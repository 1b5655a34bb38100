//! `GET /admin/posts/new` and `GET /admin/pages/new`: the empty form of a new post or page.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::content::posts::Kind;
use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::web::admin::posts::edit::new_post_page;
use crate::web::admin::posts::form::FormView;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let page = new_post_page(&site, &user, &session, kind, FormView::default())
        .with_media(&state, user.scope)
        .await?;
    response::private_page(StatusCode::OK, &page)
}
