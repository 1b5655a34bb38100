//! `POST /admin/import`: a multipart form — `source` (`wordpress` or `ghost`), the export in
//! `export`, and optionally a zip of the images folder in `images` — streamed to files, never
//! held in memory. Refused with the form again and nothing stored: more than
//! [`AppState::max_site_import_bytes`] in all (413); no source or an unknown one, no export, a
//! file name with a control character, an export the source's reader cannot read, an archive that
//! is not a zip or would unpack outside its folder or past its limit (400). Otherwise the files
//! are kept, the import is run as a dry run against the site as it is, and the owner is sent to
//! its report (303).

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_multipart::{Field, Multipart};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use scoped_futures::ScopedFutureExt;
use tokio::io::AsyncWriteExt;

use crate::error::{AppError, AppResult};
use crate::import::convert::Source;
use crate::import::run::{self, Options};
use crate::import::uploads::{self, NewFile, NewUpload};
use crate::import::{ImportError, archive};
use crate::input::{self, Shape};
use crate::web::admin::posts::see_other;
use crate::web::admin::site_import::form::FormPage;
use crate::web::admin::uploads::{Refusal, human_size};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The longest an upload may take to arrive: an export and its images can be large, and only a
/// signed-in owner's request (its CSRF token checked first) gets this far.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Most bytes of a text field read.
const MAX_FIELD_BYTES: usize = 1024;

/// Most refusal lines shown (the export's reader may report many items).
const MAX_SHOWN_LINES: usize = 20;

/// A file of the form, written to disk.
struct Received {
    name: String,
    path: PathBuf,
    bytes: u64,
}

/// What the form sent.
#[derive(Default)]
struct Sent {
    source: String,
    export: Option<Received>,
    images: Option<Received>,
}

pub async fn upload(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: Multipart,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let work = archive::work_folder().map_err(AppError::Internal)?;
    let limit = state.max_site_import_bytes as u64;
    let received =
        match tokio::time::timeout(UPLOAD_TIMEOUT, receive(form, work.path(), limit)).await {
            Ok(received) => received,
            Err(_) => Err(Refusal {
                status: StatusCode::REQUEST_TIMEOUT,
                message: "The upload took too long to arrive.".to_owned(),
            }),
        };
    let checked = match received {
        Ok(received) => check(&state, &user, &site, received, work.path()).await,
        Err(refusal) => Err(Refused::from(refusal)),
    };
    match checked {
        Ok(id) => Ok(see_other(&format!("/admin/import/{id}"))),
        Err(Refused::App(error)) => Err(error),
        Err(Refused::Form(refusal, source)) => {
            let page = FormPage::load(
                &state,
                &site,
                &user,
                &session,
                &source,
                Some(refusal.message),
            )
            .await?;
            response::private_page(refusal.status, &page)
        }
    }
}

/// What stops an upload: a refusal shown on the form (with the source chosen), or a fault.
enum Refused {
    Form(Refusal, String),
    App(AppError),
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Refused::Form(refusal, String::new())
    }
}

impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        Refused::App(error)
    }
}

/// Reads every part of the form, the files to disk.
async fn receive(mut form: Multipart, folder: &Path, limit: u64) -> Result<Sent, Refusal> {
    let mut received = Sent::default();
    let mut total = 0;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(unreadable)?;
        match field.name().unwrap_or_default() {
            "source" => received.source = read_text(&mut field).await?,
            "export" if received.export.is_none() => {
                let path = folder.join("export");
                let file = write_file(&mut field, &path, limit - total, limit).await?;
                total += file.bytes;
                received.export = Some(file);
            }
            "images" if received.images.is_none() => {
                let path = folder.join("images.zip");
                let file = write_file(&mut field, &path, limit - total, limit).await?;
                total += file.bytes;
                received.images = Some(file);
            }
            _ => drain(&mut field).await?,
        }
    }
    Ok(received)
}

fn unreadable(error: actix_multipart::MultipartError) -> Refusal {
    Refusal::bad(format!("The upload could not be read: {error}."))
}

async fn read_text(field: &mut Field) -> Result<String, Refusal> {
    let mut text = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if text.len() + chunk.len() > MAX_FIELD_BYTES {
            return Err(Refusal::bad("A field of the form is too long."));
        }
        text.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&text).trim().to_owned())
}

async fn drain(field: &mut Field) -> Result<(), Refusal> {
    while let Some(chunk) = field.next().await {
        chunk.map_err(unreadable)?;
    }
    Ok(())
}

/// Writes a file part to `path`, refusing it once it grows past `left` bytes (of the `limit` of
/// the whole upload).
async fn write_file(
    field: &mut Field,
    path: &Path,
    left: u64,
    limit: u64,
) -> Result<Received, Refusal> {
    let name = field
        .content_disposition()
        .and_then(|d| d.get_filename())
        .unwrap_or_default()
        .to_owned();
    let no_room = |e: std::io::Error| Refusal {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("The upload could not be kept: {e}."),
    };
    let mut out = tokio::fs::File::create(path).await.map_err(no_room)?;
    let mut bytes = 0;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        bytes += chunk.len() as u64;
        if bytes > left {
            return Err(too_large(limit));
        }
        out.write_all(&chunk).await.map_err(no_room)?;
    }
    out.flush().await.map_err(no_room)?;
    Ok(Received {
        name,
        path: path.to_owned(),
        bytes,
    })
}

fn too_large(limit: u64) -> Refusal {
    Refusal {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!(
            "The files are too large: the export and the images archive together may hold at \
             most {}. Import the images in a smaller archive, or ask your operator to run the \
             import with `agoat import`.",
            human_size(limit as i64)
        ),
    }
}

/// Checks what was received, runs the dry run and keeps the upload; its id.
async fn check(
    state: &AppState,
    user: &CurrentUser,
    site: &RequestSite,
    received: Sent,
    work: &Path,
) -> Result<uuid::Uuid, Refused> {
    let chosen = received.source.clone();
    let with_source = |refusal: Refusal| Refused::Form(refusal, chosen.clone());
    let source = Source::parse(&received.source).ok_or_else(|| {
        with_source(Refusal::bad(
            "Choose the system the export comes from: WordPress or Ghost.",
        ))
    })?;
    let export = match received.export {
        Some(export) if export.bytes > 0 => export,
        _ => {
            return Err(with_source(Refusal::bad(format!(
                "Choose the export file: {}.",
                export_hint(source)
            ))));
        }
    };
    let images = received
        .images
        .filter(|i| i.bytes > 0 || !i.name.is_empty());
    for name in std::iter::once(&export.name).chain(images.iter().map(|i| &i.name)) {
        input::check(name, Shape::Line).map_err(|reason| {
            with_source(Refusal::bad(format!(
                "The file name {reason}: rename the file."
            )))
        })?;
    }
    let folder = match &images {
        Some(images) => {
            let root = work.join("images");
            let unpack_limit = 2 * state.max_site_import_bytes as u64;
            archive::unpack(&images.path, &root, unpack_limit)
                .await
                .map_err(|reason| with_source(Refusal::bad(reason)))?;
            Some(root)
        }
        None => None,
    };
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let options = Options {
        source,
        site: site_id,
        file: &export.path,
        file_name: &export.name,
        uploads: folder.as_deref(),
        dry_run: true,
        upload: None,
    };
    let report = run::run(
        &state.db,
        state.media_store.as_ref(),
        scope,
        options,
        &user.actor,
    )
    .await
    .map_err(|e| refused_export(e, source, &chosen))?;
    let actor = &user.actor;
    let stored = state
        .db
        .tenant_tx(scope, |conn| {
            let (export, images, report) = (&export, &images, &report);
            async move {
                let new = NewUpload {
                    site: site_id,
                    source,
                    export: NewFile {
                        name: &export.name,
                        path: &export.path,
                    },
                    archive: images.as_ref().map(|i| NewFile {
                        name: &i.name,
                        path: &i.path,
                    }),
                    report,
                };
                uploads::store(conn, scope, &new, actor).await
            }
            .scope_boxed()
        })
        .await?;
    Ok(stored.id)
}

/// An export the reader refuses, on the form with its reasons; a fault as it is.
fn refused_export(error: ImportError, source: Source, chosen: &str) -> Refused {
    match error {
        ImportError::Refused(lines) => {
            let mut shown: Vec<_> = lines.iter().take(MAX_SHOWN_LINES).cloned().collect();
            if lines.len() > MAX_SHOWN_LINES {
                shown.push(format!("and {} more", lines.len() - MAX_SHOWN_LINES));
            }
            Refused::Form(
                Refusal::bad(format!(
                    "The file is not a {} export that can be imported: {}",
                    source.label(),
                    shown.join("; ")
                )),
                chosen.to_owned(),
            )
        }
        ImportError::App(error) => Refused::App(error),
    }
}

/// Where a system's export comes from.
pub fn export_hint(source: Source) -> &'static str {
    match source {
        Source::WordPress => "WordPress' Tools → Export → All content (an .xml file)",
        Source::Ghost => "Ghost's Settings → Labs → Export your content (a .json file)",
    }
}
