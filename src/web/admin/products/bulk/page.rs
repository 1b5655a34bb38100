//! `GET /admin/products/bulk`: the empty bulk change form; also the form page that a form with
//! errors re-renders (422).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::thorne::products;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::bulk::form::{BulkForm, Checked, FormErrors, FormView, check};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/products/bulk/form.html")]
pub struct FormPage {
    pub layout: AdminLayout,
    pub view: FormView,
}

/// Every category of the customer, for the category select.
pub async fn categories(state: &AppState, user: &CurrentUser) -> AppResult<Vec<String>> {
    let scope = user.scope;
    state
        .db
        .tenant_read(scope, |conn| {
            async move { products::all_categories(conn, scope).await }.scope_boxed()
        })
        .await
}

/// Renders the form page showing `form` with `errors`.
pub async fn respond(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    form: &BulkForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let categories = categories(state, user).await?;
    let page = FormPage {
        layout: AdminLayout::new("Bulk price change", site, user, session),
        view: FormView::of(form, errors, &categories),
    };
    response::private_page(status, &page)
}

/// The checked form, or the form page showing its errors (422).
pub async fn checked(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    form: &BulkForm,
) -> AppResult<Result<Checked, HttpResponse>> {
    match check(form) {
        Ok(checked) => Ok(Ok(checked)),
        Err(errors) => Ok(Err(respond(
            state,
            site,
            user,
            session,
            form,
            *errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await?)),
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    respond(
        &state,
        &site,
        &user,
        &session,
        &BulkForm::initial(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}
