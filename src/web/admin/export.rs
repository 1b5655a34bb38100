//! `/admin/export` (owners only): an archive of everything the customer has — every row of every
//! table and its media files, as `agoat customer export` writes it — prepared in the background
//! on a press of the button (`POST`), the page showing whether it is being prepared, ready or
//! failed, and the ready archive downloaded from `/admin/export/{id}/download` (`id` names that
//! archive: an older link answers 404).

use std::io::Read;

use actix_session::Session;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use askama::Template;
use bytes::Bytes;

use crate::error::{AppError, AppResult};
use crate::moving::prepared::Status;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::see_other;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Bytes sent at once of a download.
const CHUNK: usize = 64 * 1024;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/export", web::get().to(page))
        .route("/export", web::post().to(start))
        .route("/export/{id}/download", web::get().to(download));
}

#[derive(Template)]
#[template(path = "admin/export.html")]
pub struct ExportPage {
    pub layout: AdminLayout,
    /// `none`, `preparing`, `ready` or `failed`.
    pub state: &'static str,
    /// When it started, was ready or failed, as shown (`2026-11-27 14:05 UTC`).
    pub at: String,
    /// The ready archive's size, as shown (`1.4 MB`).
    pub size: String,
    /// Why it failed.
    pub reason: String,
    /// The ready archive's download address.
    pub download: String,
}

fn shown(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let mut page = ExportPage {
        layout: AdminLayout::new("Export", &site, &user, &session),
        state: "none",
        at: String::new(),
        size: String::new(),
        reason: String::new(),
        download: String::new(),
    };
    match state.prepared_exports.status(user.scope.customer_id()) {
        None => {}
        Some(Status::Preparing { since }) => {
            page.state = "preparing";
            page.at = shown(since);
        }
        Some(Status::Ready { id, bytes, at, .. }) => {
            page.state = "ready";
            page.download = format!("/admin/export/{id}/download");
            page.at = shown(at);
            page.size = size(bytes);
        }
        Some(Status::Failed { reason, at }) => {
            page.state = "failed";
            page.at = shown(at);
            page.reason = reason;
        }
    }
    Ok(response::private_html(response::render(&page)?))
}

pub async fn start(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(&[])?;
    state.prepared_exports.start(
        state.db.clone(),
        state.media_store.clone(),
        user.scope.customer_id(),
    );
    Ok(see_other("/admin/export"))
}

pub async fn download(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let customer = user.scope.customer_id();
    let Some(Status::Ready {
        id: ready,
        path,
        at,
        ..
    }) = state.prepared_exports.status(customer)
    else {
        return Err(AppError::NotFound);
    };
    if uuid::Uuid::parse_str(&id).ok() != Some(ready) {
        return Err(AppError::NotFound);
    }
    let file = std::fs::File::open(&path).map_err(|_| AppError::NotFound)?;
    let length = file
        .metadata()
        .map_err(|e| AppError::Internal(format!("the archive cannot be read: {e}")))?
        .len();
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        let mut buffer = vec![0u8; CHUNK];
        match file.read(&mut buffer) {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), file))
            }
            Err(error) => Some((Err(error), file)),
        }
    });
    let name = format!("customer-{customer}-{}.zip", at.format("%Y%m%d-%H%M%S"));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/zip"))
        .insert_header((CACHE_CONTROL_NO_STORE.0, CACHE_CONTROL_NO_STORE.1))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .no_chunking(length)
        .streaming(chunks))
}

/// Archives are never kept by a cache on the way.
const CACHE_CONTROL_NO_STORE: (&str, &str) = ("Cache-Control", "no-store");
