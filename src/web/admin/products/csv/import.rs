//! `GET /admin/products/import`: the upload form, explaining the format. `POST
//! /admin/products/import`: a multipart form with the file in `file`; a file over the size limit
//! is a 413, an empty one, one that is not UTF-8 or one whose name holds a control character a 400
//! (the form again with the reason, nothing stored). Otherwise the file is stored, planned against
//! the catalog without changing it, and the dry-run report is shown.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use scoped_futures::ScopedFutureExt;
use serde_json::json;

use crate::error::AppResult;
use crate::input::{self, Shape};
use crate::tenancy::users::Role;
use crate::thorne::csv_import::{self, COLUMNS};
use crate::thorne::csv_uploads;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::csv::report::{self, ReportPage};
use crate::web::admin::uploads::{Refusal, human_size};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/products/csv/import.html")]
pub struct ImportPage {
    pub layout: AdminLayout,
    pub columns: String,
    pub max_size: String,
    pub error: Option<String>,
}

fn import_page(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    error: Option<String>,
) -> ImportPage {
    ImportPage {
        layout: AdminLayout::new("Import products", site, user, session),
        columns: COLUMNS.join(","),
        max_size: human_size(state.max_upload_bytes as i64),
        error,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    response::private_page(
        StatusCode::OK,
        &import_page(&state, &site, &user, &session, None),
    )
}

/// The file part of the form.
struct UploadedFile {
    name: String,
    content: Vec<u8>,
}

/// Reads the `file` part (the first one), refusing it once it grows over `limit` bytes.
async fn read_file(mut form: Multipart, limit: usize) -> Result<UploadedFile, Refusal> {
    let unreadable = |e: actix_multipart::MultipartError| {
        Refusal::bad(format!("The upload could not be read: {e}."))
    };
    let mut file = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(unreadable)?;
        let wanted = file.is_none() && field.name() == Some("file");
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or_default()
            .to_owned();
        let mut content = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if !wanted {
                continue;
            }
            if content.len() + chunk.len() > limit {
                return Err(Refusal {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    message: format!(
                        "The file is too large: at most {} can be imported at once. Split it into \
                         smaller files.",
                        human_size(limit as i64)
                    ),
                });
            }
            content.extend_from_slice(&chunk);
        }
        if wanted {
            file = Some(UploadedFile { name, content });
        }
    }
    file.ok_or_else(|| Refusal::bad("Choose a CSV file to upload."))
}

/// Refuses a file whose name holds a control character (the name is stored and shown).
fn check_name(name: &str) -> Result<(), Refusal> {
    input::check(name, Shape::Line)
        .map_err(|reason| Refusal::bad(format!("The file name {reason}: rename the file.")))
}

/// Refuses a file that is empty or not UTF-8 text.
fn check_text(content: &[u8]) -> Result<(), Refusal> {
    let text = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    match std::str::from_utf8(text) {
        Err(e) => Err(Refusal::bad(format!(
            "The file is not UTF-8 text (the first bad byte is at position {}). Save it from \
             your spreadsheet as “CSV UTF-8” and upload it again.",
            e.valid_up_to() + 1
        ))),
        Ok(text) if text.trim().is_empty() => Err(Refusal::bad(
            "The file is empty: it needs a header line and one line per product.",
        )),
        Ok(_) => Ok(()),
    }
}

pub async fn upload(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: Multipart,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let file = match read_file(form, state.max_upload_bytes)
        .await
        .and_then(|file| check_name(&file.name).map(|()| file))
        .and_then(|file| check_text(&file.content).map(|()| file))
    {
        Ok(file) => file,
        Err(refusal) => {
            let page = import_page(&state, &site, &user, &session, Some(refusal.message));
            return response::private_page(refusal.status, &page);
        }
    };
    let parsed = csv_import::parse_all(&file.content);
    let (scope, actor) = (user.scope, &user.actor);
    let (upload, plan) = state
        .db
        .tenant_tx(scope, |conn| {
            let (parsed, file) = (&parsed, &file);
            async move {
                let plan = csv_import::plan(conn, scope, parsed).await?;
                let summary = json!({
                    "to_create": plan.creates.len(),
                    "to_update": plan.updates.len(),
                    "unchanged": plan.unchanged,
                    "errors": plan.errors.len(),
                });
                let upload =
                    csv_uploads::store(conn, scope, &file.name, &file.content, summary, actor)
                        .await?;
                Ok((upload, plan))
            }
            .scope_boxed()
        })
        .await?;
    let page = ReportPage::new(&site, &user, &session, &upload, &plan, None);
    report::respond(&page, None)
}
