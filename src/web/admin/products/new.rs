//! `GET /admin/products/new`: the empty form of a new product (with an empty gallery).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::web::AppState;
use crate::web::admin::products::edit::new_product_page;
use crate::web::admin::products::form::FormView;
use crate::web::admin::products::gallery;
use crate::web::auth::CurrentUser;
use crate::web::response;
use crate::web::site::RequestSite;

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let gallery = gallery::load(&state, user.scope, &[]).await?;
    let page = new_product_page(&site, &user, &session, FormView::default(), gallery);
    response::private_page(StatusCode::OK, &page)
}
