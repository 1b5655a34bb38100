//! `GET /admin/import/{id}`: an import's report. Before it is applied: what the dry run found —
//! posts and pages to create and to update, images to add, already there and missing, old
//! addresses kept, comments left behind, items skipped or made drafts, unknown shortcodes with
//! their counts, and every item that would stop it — with the apply button when nothing would.
//! After: what the import did.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::error::AppResult;
use crate::import::apply::Report;
use crate::import::uploads::Upload;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::site_import::site_upload;
use crate::web::admin::uploads::human_size;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Most lines of each list shown (the counts are always complete).
pub const MAX_LISTED: usize = 500;

/// A list of the report, cut at [`MAX_LISTED`].
pub struct Listed {
    pub lines: Vec<String>,
    pub more: usize,
}

impl Listed {
    fn of(lines: impl ExactSizeIterator<Item = String>) -> Listed {
        let total = lines.len();
        Listed {
            lines: lines.take(MAX_LISTED).collect(),
            more: total.saturating_sub(MAX_LISTED),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/site_import/report.html")]
pub struct ReportPage {
    pub layout: AdminLayout,
    pub id: String,
    pub source: &'static str,
    pub export_name: String,
    pub export_size: String,
    /// The archive's name and size.
    pub archive: Option<String>,
    pub uploaded: String,
    pub uploaded_by: String,
    /// When it was applied; the report is then what the import did.
    pub applied: Option<String>,
    pub report: Report,
    pub problems: Listed,
    pub made_drafts: Listed,
    pub skipped: Listed,
    pub missing_images: Listed,
    pub shortcodes: Vec<(String, usize)>,
    /// Why an apply was refused, above the report.
    pub notice: Option<String>,
}

impl ReportPage {
    pub fn new(
        site: &RequestSite,
        user: &CurrentUser,
        session: &Session,
        upload: &Upload,
        notice: Option<String>,
    ) -> ReportPage {
        let report = upload.applied().unwrap_or_else(|| upload.dry_run_report());
        ReportPage {
            layout: AdminLayout::new("Import report", site, user, session),
            id: upload.id.to_string(),
            source: upload.source().label(),
            export_name: upload.export_name.clone(),
            export_size: human_size(upload.export_bytes),
            archive: upload
                .archive_name
                .as_ref()
                .map(|name| format!("{name}, {}", human_size(upload.archive_bytes.unwrap_or(0)))),
            uploaded: display_time(upload.uploaded_at),
            uploaded_by: upload.uploaded_by_label.clone(),
            applied: upload.applied_at.map(display_time),
            problems: Listed::of(report.problems.clone().into_iter()),
            made_drafts: Listed::of(report.made_drafts.clone().into_iter()),
            skipped: Listed::of(report.skipped.clone().into_iter()),
            missing_images: Listed::of(report.missing_images.clone().into_iter()),
            shortcodes: report
                .unknown_shortcodes
                .iter()
                .map(|(name, count)| (name.clone(), *count))
                .collect(),
            report,
            notice,
        }
    }

    /// Whether the apply button is shown.
    pub fn can_apply(&self) -> bool {
        self.applied.is_none() && self.report.problems.is_empty()
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let upload = site_upload(&state, &user, &site, &path).await?;
    let page = ReportPage::new(&site, &user, &session, &upload, None);
    response::private_page(StatusCode::OK, &page)
}
