//! The dry-run report of an uploaded file: how many products it creates, updates (each with the
//! columns that change, old → new) and leaves unchanged, every error as `line N, column C:
//! reason`, and — only when there is no error and something to change — the form that applies it.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::error::AppResult;
use crate::thorne::csv_export::price_cell;
use crate::thorne::csv_import::{ColumnChange, Plan};
use crate::thorne::csv_uploads::Upload;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::uploads::human_size;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::response;
use crate::web::site::RequestSite;

/// Most created and most updated products listed on the page (the counts are always complete).
pub const MAX_LISTED_ROWS: usize = 500;

/// A product the file creates.
#[derive(Debug, Clone)]
pub struct CreateRow {
    pub line: u64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub wholesale_price: String,
    pub retail_price: String,
    pub in_stock: bool,
}

/// A product the file changes.
#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub line: u64,
    pub sku: String,
    pub name: String,
    pub changes: Vec<ColumnChange>,
}

/// The apply form: what was typed and an error next to each field.
#[derive(Debug, Clone, Default)]
pub struct ApplyForm {
    pub name: String,
    pub reason: String,
    pub name_error: Option<String>,
    pub reason_error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/products/csv/report.html")]
pub struct ReportPage {
    pub layout: AdminLayout,
    pub upload_id: String,
    pub file_name: String,
    pub size: String,
    pub uploaded: String,
    pub uploaded_by: String,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<String>,
    pub creates: Vec<CreateRow>,
    pub updates: Vec<UpdateRow>,
    /// Created and updated products beyond those listed.
    pub more_creates: usize,
    pub more_updates: usize,
    /// When the file was applied already.
    pub applied: Option<String>,
    /// The apply form, when the file can be applied.
    pub apply: Option<ApplyForm>,
    /// Why the apply was refused, shown above the report.
    pub notice: Option<String>,
}

/// The default name of the change set an upload makes.
pub fn default_change_set_name(file_name: &str) -> String {
    format!("Import of {file_name}").chars().take(200).collect()
}

impl ReportPage {
    /// The report of `plan` for `upload`; `form` is the apply form to show (ignored when the file
    /// cannot be applied).
    pub fn new(
        site: &RequestSite,
        user: &CurrentUser,
        session: &Session,
        upload: &Upload,
        plan: &Plan,
        form: Option<ApplyForm>,
    ) -> ReportPage {
        let report = plan.report();
        let applicable =
            plan.errors.is_empty() && plan.has_changes() && upload.applied_at.is_none();
        let form = form.unwrap_or_else(|| ApplyForm {
            name: default_change_set_name(&upload.file_name),
            ..ApplyForm::default()
        });
        ReportPage {
            layout: AdminLayout::new(
                &format!("Import of {}", upload.file_name),
                site,
                user,
                session,
            ),
            upload_id: upload.id.to_string(),
            file_name: upload.file_name.clone(),
            size: human_size(upload.size_bytes),
            uploaded: display_time(upload.uploaded_at),
            uploaded_by: upload.uploaded_by_label.clone(),
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            errors: plan.error_lines(),
            creates: plan
                .creates
                .iter()
                .take(MAX_LISTED_ROWS)
                .map(|c| CreateRow {
                    line: c.line,
                    sku: c.product.sku.clone(),
                    name: c.product.name.clone(),
                    category: c.product.category.clone(),
                    wholesale_price: price_cell(&c.product.wholesale_price),
                    retail_price: price_cell(&c.product.retail_price),
                    in_stock: c.product.in_stock,
                })
                .collect(),
            updates: plan
                .updates
                .iter()
                .take(MAX_LISTED_ROWS)
                .map(|u| UpdateRow {
                    line: u.line,
                    sku: u.current.sku.clone(),
                    name: u.current.name.clone(),
                    changes: u.columns.clone(),
                })
                .collect(),
            more_creates: plan.creates.len().saturating_sub(MAX_LISTED_ROWS),
            more_updates: plan.updates.len().saturating_sub(MAX_LISTED_ROWS),
            applied: upload.applied_at.map(display_time),
            apply: applicable.then_some(form),
            notice: None,
        }
    }

    /// The page with a message above the report.
    pub fn with_notice(mut self, notice: &str) -> ReportPage {
        self.notice = Some(notice.to_owned());
        self
    }
}

/// Renders the report: 200 for a file that can be applied (or changes nothing), 422 for one with
/// errors, or `status` when given.
pub fn respond(page: &ReportPage, status: Option<StatusCode>) -> AppResult<HttpResponse> {
    let status = status.unwrap_or(if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    });
    response::private_page(status, page)
}
