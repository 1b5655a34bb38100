//! `POST /admin/media`: a multipart form with one or several files in `files`. Every file is
//! checked before anything is stored, and one refused file refuses them all: the library again
//! with each reason, a 413 when a file is over the size limit (or the request over its own), a
//! 415 for a kind of file never accepted (not an image, SVG), a 422 for anything else (corrupt,
//! truncated, too many pixels, or files refused for different reasons), a 400 when no file came.
//! Otherwise the files are added and the answer is a 303 to the library, or to the image when
//! there was one.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::error::AppResult;
use crate::input::{self, Shape};
use crate::media::image::Limits;
use crate::media::upload::{self, AddError, Incoming};
use crate::web::AppState;
use crate::web::admin::media::list::{self, ListQuery};
use crate::web::admin::media::{ROLES, human_size};
use crate::web::admin::posts::see_other;
use crate::web::auth::CurrentUser;
use crate::web::auth::session::flash;
use crate::web::site::RequestSite;

/// Most files one upload may carry.
pub const MAX_FILES: usize = 20;

/// The largest upload request: four files of the largest size (the other fields and the framing
/// are allowed on top by the CSRF check).
pub fn max_request_bytes(limits: &Limits) -> usize {
    usize::try_from(limits.max_bytes.saturating_mul(4)).unwrap_or(usize::MAX)
}

/// Why a form is refused before any file is looked at.
struct FormRefusal {
    status: StatusCode,
    message: String,
}

impl FormRefusal {
    fn bad(message: impl Into<String>) -> FormRefusal {
        FormRefusal {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn too_large(message: String) -> FormRefusal {
        FormRefusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message,
        }
    }
}

/// Reads the `files` parts, refusing one that grows over the size limit.
async fn read_files(mut form: Multipart, limits: &Limits) -> Result<Vec<Incoming>, FormRefusal> {
    let unreadable = |e: actix_multipart::MultipartError| {
        FormRefusal::bad(format!("The upload could not be read: {e}."))
    };
    let limit = usize::try_from(limits.max_bytes).unwrap_or(usize::MAX);
    let mut files = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(unreadable)?;
        let wanted = field.name() == Some("files");
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
                return Err(FormRefusal::too_large(format!(
                    "{}: the file is larger than {}, the most an image may be.",
                    crate::media::library::clean_name(&name),
                    human_size(limit as i64)
                )));
            }
            content.extend_from_slice(&chunk);
        }
        if wanted && !(name.is_empty() && content.is_empty()) {
            input::check(&name, Shape::Line).map_err(|reason| {
                FormRefusal::bad(format!("The file name {reason}: rename the file."))
            })?;
            files.push(Incoming {
                name,
                bytes: Bytes::from(content),
            });
        }
        if files.len() > MAX_FILES {
            return Err(FormRefusal::bad(format!(
                "At most {MAX_FILES} files can be uploaded at once."
            )));
        }
    }
    if files.is_empty() {
        return Err(FormRefusal::bad("Choose one or more images to upload."));
    }
    Ok(files)
}

pub async fn upload(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: Multipart,
) -> AppResult<HttpResponse> {
    user.require(ROLES)?;
    let query = ListQuery::default();
    let refused = |status, message| {
        list::render(
            &state,
            &site,
            &user,
            &session,
            &query,
            Some(message),
            status,
        )
    };
    let files = match read_files(form, &state.media_limits).await {
        Ok(files) => files,
        Err(refusal) => return refused(refusal.status, refusal.message).await,
    };
    let added = upload::add(
        &state.db,
        state.media_store.as_ref(),
        user.scope,
        &user.actor,
        files,
        &state.media_limits,
    )
    .await;
    match added {
        Ok(added) if added.len() == 1 => {
            flash(
                &session,
                "The image was uploaded: give it an alt text below.",
            );
            Ok(see_other(&format!("/admin/media/{}", added[0].id)))
        }
        Ok(added) => {
            flash(&session, &format!("{} images were uploaded.", added.len()));
            Ok(see_other("/admin/media"))
        }
        Err(error @ AddError::Refused(_)) => {
            let status = if error.is_too_large() {
                StatusCode::PAYLOAD_TOO_LARGE
            } else if error.is_unsupported_type() {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let message = match &error {
                AddError::Refused(refused) if refused.len() == 1 => {
                    format!("Nothing was uploaded. {}", refused[0].message())
                }
                AddError::Refused(refused) => format!(
                    "Nothing was uploaded: {} of the files cannot be accepted. {}",
                    refused.len(),
                    error
                ),
                AddError::App(_) => unreachable!(),
            };
            refused(status, message).await
        }
        Err(AddError::App(error)) => Err(error),
    }
}
