//! `/admin/import` (owners): bringing a WordPress or Ghost site into the site the admin runs on.
//! The owner uploads the export and, if they have it, a zip of its images folder; the files are
//! kept (`import::uploads`), checked in a dry run whose report is shown, and applied on request —
//! the same import `agoat import wordpress|ghost` runs (`import::run`). One file per page or
//! action; an upload of another customer, or of another site, is a 404.

mod apply;
mod form;
mod report;
mod upload;

use actix_web::web;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::import::uploads::{self, Upload};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;

/// Where the upload form posts: its body streams to the handler (see `web::auth::csrf`).
pub const UPLOAD_PATH: &str = "/admin/import";

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/import", web::get().to(form::page))
        .route("/import", web::post().to(upload::upload))
        .route("/import/{id}", web::get().to(report::page))
        .route("/import/{id}/apply", web::post().to(apply::apply));
}

/// The upload an address names, if it is one of this site's: anything else is a 404.
async fn site_upload(
    state: &AppState,
    user: &CurrentUser,
    site: &RequestSite,
    id: &str,
) -> AppResult<Upload> {
    let id = Uuid::try_parse(id).map_err(|_| AppError::NotFound)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let upload = state
        .db
        .tenant_read(scope, |conn| {
            async move { uploads::find(conn, scope, id).await }.scope_boxed()
        })
        .await?;
    if upload.site_id == site_id.as_uuid() {
        Ok(upload)
    } else {
        Err(AppError::NotFound)
    }
}
