//! `POST /admin/products/bulk/preview`: checks the form (errors next to the fields, 422) and
//! shows every new price without writing anything, with the apply form carrying the same fields
//! and the fingerprint of what is shown. Products whose new price would be out of range make the
//! preview a 422 without an apply button.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::thorne::bulk::{self, BulkChange, Plan, PlannedChange};
use crate::thorne::money::format_price;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::bulk::form::{BulkForm, FormErrors, FormView};
use crate::web::admin::products::bulk::page;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The most rows a preview lists; the rest are counted.
pub const PREVIEW_ROWS: usize = 500;

/// One product whose prices change.
#[derive(Debug, Clone)]
pub struct RowView {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub old_wholesale: String,
    pub new_wholesale: String,
    pub old_retail: String,
    pub new_retail: String,
    pub margin: String,
    pub margin_percent: String,
    pub negative: bool,
}

impl RowView {
    fn of(change: &PlannedChange, currency: &str) -> RowView {
        let p = &change.product;
        RowView {
            product_id: p.id.to_string(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            old_wholesale: format_price(&p.wholesale_price, currency),
            new_wholesale: format_price(&change.new_wholesale, currency),
            old_retail: format_price(&p.retail_price, currency),
            new_retail: format_price(&change.new_retail, currency),
            margin: format_price(&change.margin(), currency),
            margin_percent: change
                .margin_percent()
                .map(|m| format!("{m}%"))
                .unwrap_or_else(|| "—".into()),
            negative: change.negative_margin(),
        }
    }
}

/// A product the change cannot be applied to, and why.
#[derive(Debug, Clone)]
pub struct ErrorView {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub message: String,
}

/// What a plan shows.
#[derive(Debug, Clone)]
pub struct PreviewView {
    /// The first [`PREVIEW_ROWS`] changes.
    pub rows: Vec<RowView>,
    /// How many changes are not listed.
    pub more: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub not_found: Vec<String>,
    pub errors: Vec<ErrorView>,
    pub negative: usize,
    pub fingerprint: String,
    /// Whether the apply form is offered.
    pub applicable: bool,
}

impl PreviewView {
    pub fn of(plan: &Plan, currency: &str) -> PreviewView {
        PreviewView {
            rows: plan
                .changes
                .iter()
                .take(PREVIEW_ROWS)
                .map(|c| RowView::of(c, currency))
                .collect(),
            more: plan.changes.len().saturating_sub(PREVIEW_ROWS),
            changed: plan.changes.len(),
            unchanged: plan.unchanged,
            not_found: plan.not_found.clone(),
            errors: plan
                .errors
                .iter()
                .map(|e| ErrorView {
                    product_id: e.product.id.to_string(),
                    sku: e.product.sku.clone(),
                    name: e.product.name.clone(),
                    message: e.error.to_string(),
                })
                .collect(),
            negative: plan.negative_margins(),
            fingerprint: plan.fingerprint.as_str().to_owned(),
            applicable: plan.applicable(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/products/bulk/preview.html")]
pub struct PreviewPage {
    pub layout: AdminLayout,
    pub view: FormView,
    pub preview: PreviewView,
    /// Why the apply was refused, when it was.
    pub message: Option<String>,
}

/// The plan of `change` as the catalog is now (reads only).
pub async fn fresh_plan(
    state: &AppState,
    user: &CurrentUser,
    change: &BulkChange,
) -> AppResult<Plan> {
    let scope = user.scope;
    state
        .db
        .tenant_read(scope, |conn| {
            async move { bulk::plan(conn, scope, change).await }.scope_boxed()
        })
        .await
}

/// Renders the preview of `plan` for `form`; 422 when some product is out of range.
pub async fn respond(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    form: &BulkForm,
    plan: &Plan,
    message: Option<String>,
) -> AppResult<HttpResponse> {
    let categories = page::categories(state, user).await?;
    let preview = PreviewView::of(plan, &site.ctx.currency);
    let status = if message.is_some() || !preview.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = PreviewPage {
        layout: AdminLayout::new("Bulk price change: preview", site, user, session),
        view: FormView::of(form, FormErrors::default(), &categories),
        preview,
        message,
    };
    response::private_page(status, &page)
}

pub async fn preview(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<BulkForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let form = form.into_inner();
    let checked = match page::checked(&state, &site, &user, &session, &form).await? {
        Ok(checked) => checked,
        Err(form_page) => return Ok(form_page),
    };
    let plan = fresh_plan(&state, &user, &checked.change).await?;
    respond(&state, &site, &user, &session, &form, &plan, None).await
}
