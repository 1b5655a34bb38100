//! `POST /admin/import/{id}/apply`: applies a kept upload — the same import as `agoat import`,
//! all or nothing, against the site as it is now. The upload is marked applied in the import's
//! own transaction, so it applies once (a second apply is a 409). An upload whose dry run found
//! problems, or an import that stops on an item, is refused with the report and the reasons (422,
//! nothing changed). Afterwards the owner is sent to the report of what was done (303).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use crate::error::{AppError, AppResult};
use crate::import::apply::Report;
use crate::import::run::{self, Options};
use crate::import::uploads::{self, File, Upload};
use crate::import::{ImportError, archive};
use crate::web::AppState;
use crate::web::admin::posts::see_other;
use crate::web::admin::site_import::report::ReportPage;
use crate::web::admin::site_import::site_upload;
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::response;
use crate::web::site::RequestSite;

pub async fn apply(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let upload = site_upload(&state, &user, &site, &path).await?;
    uploads::ensure_not_applied(&upload)?;
    if !upload.dry_run_report().problems.is_empty() {
        let notice = "Nothing was imported: the export has items that would stop the import.";
        return refuse(&site, &user, &session, &upload, notice.to_owned());
    }
    match import(&state, &user, &upload).await {
        Ok(report) => {
            flash::flash(&session, &applied_message(&upload, &report));
            Ok(see_other(&format!("/admin/import/{}", upload.id)))
        }
        Err(ImportError::Refused(lines)) => {
            let notice = format!("Nothing was imported: {}", lines.join("; "));
            refuse(&site, &user, &session, &upload, notice)
        }
        Err(ImportError::App(error)) => Err(error),
    }
}

/// Brings the upload's files back from the database, unpacks its images and runs the import.
async fn import(
    state: &AppState,
    user: &CurrentUser,
    upload: &Upload,
) -> Result<Report, ImportError> {
    let scope = user.scope;
    let work = archive::work_folder().map_err(AppError::Internal)?;
    let export = work.path().join("export");
    uploads::read_file_to(&state.db, scope, upload.id, File::Export, &export).await?;
    let source = upload.source();
    let folder = match upload.archive_name {
        Some(_) => {
            let zip = work.path().join("images.zip");
            uploads::read_file_to(&state.db, scope, upload.id, File::Archive, &zip).await?;
            let root = work.path().join("images");
            let unpack_limit = 2 * state.max_site_import_bytes as u64;
            archive::unpack(&zip, &root, unpack_limit)
                .await
                .map_err(|reason| ImportError::Refused(vec![reason]))?;
            Some(root)
        }
        None => None,
    };
    let options = Options {
        source,
        site: crate::tenancy::SiteId::from_uuid(upload.site_id),
        file: &export,
        file_name: &upload.export_name,
        uploads: folder.as_deref(),
        dry_run: false,
        upload: Some(upload),
    };
    run::run(
        &state.db,
        state.media_store.as_ref(),
        scope,
        options,
        &user.actor,
    )
    .await
}

fn refuse(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    upload: &Upload,
    notice: String,
) -> AppResult<HttpResponse> {
    let page = ReportPage::new(site, user, session, upload, Some(notice));
    response::private_page(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// What the flash message says.
fn applied_message(upload: &Upload, report: &Report) -> String {
    format!(
        "Imported “{}”: {} posts and {} pages created, {} posts and {} pages updated, {} images \
         added.",
        upload.export_name,
        report.posts_created,
        report.pages_created,
        report.posts_updated,
        report.pages_updated,
        report.images_added
    )
}
