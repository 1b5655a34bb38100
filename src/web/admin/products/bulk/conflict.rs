//! The 409 page when the catalog changed between the preview and the apply: nothing was changed,
//! and the fresh preview is shown with an apply form for what the catalog gives now.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::error::AppResult;
use crate::thorne::bulk::Plan;
use crate::web::AppState;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::bulk::form::{BulkForm, FormErrors, FormView};
use crate::web::admin::products::bulk::page;
use crate::web::admin::products::bulk::preview::PreviewView;
use crate::web::auth::CurrentUser;
use crate::web::response;
use crate::web::site::RequestSite;

#[derive(Template)]
#[template(path = "admin/products/bulk/conflict.html")]
pub struct ConflictPage {
    pub layout: AdminLayout,
    pub view: FormView,
    pub preview: PreviewView,
    pub message: String,
}

/// Answers 409 with the fresh preview of `plan`.
pub async fn respond(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    form: &BulkForm,
    plan: &Plan,
    message: String,
) -> AppResult<HttpResponse> {
    let categories = page::categories(state, user).await?;
    let page = ConflictPage {
        layout: AdminLayout::new("Bulk price change: not applied", site, user, session),
        view: FormView::of(form, FormErrors::default(), &categories),
        preview: PreviewView::of(plan, &site.ctx.currency),
        message,
    };
    response::private_page(StatusCode::CONFLICT, &page)
}
