//! `/media/{name}`: a file of the media library, on the domains of the customer that owns it only
//! (any other name, another customer's file or a name that is not a file's is a 404). Files are
//! named by the SHA-256 of their bytes, so they never change: `Cache-Control: public,
//! max-age=31536000, immutable`, a strong ETag (the hash) with 304s, the type from the record,
//! never sniffed (`nosniff`), shown inline under a safe file name (the compression middleware
//! leaves images alone).

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, ETAG, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::content::markdown;
use crate::error::{AppError, AppResult};
use crate::media::library;
use crate::media::store::Key;
use crate::media::upload::content_type;
use crate::web::AppState;
use crate::web::response::client_has;
use crate::web::site::RequestSite;

/// How long a file may be kept by browsers and proxies: a year, and it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let name = name.into_inner();
    if !markdown::is_media_file_path(&format!("{}{name}", markdown::MEDIA_PATH)) {
        return Err(AppError::NotFound);
    }
    let scope = site.ctx.scope;
    let record = state
        .db
        .visitor_read(scope, |conn| {
            let name = &name;
            async move { library::file_named(conn, scope, name).await }.scope_boxed()
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", name.split('.').next().unwrap_or_default());
    if client_has(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, IMMUTABLE))
            .finish());
    }
    let key = Key::new(
        scope.customer_uuid(),
        &record.name[..64],
        extension(&record.name),
    )
    .map_err(|_| AppError::NotFound)?;
    let bytes = state
        .media_store
        .get(&key)
        .await
        .map_err(|e| AppError::Unavailable(format!("the media store cannot be read: {e}")))?
        .ok_or_else(|| {
            AppError::Internal(format!("the media file {name} is missing from the store"))
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, IMMUTABLE))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CONTENT_DISPOSITION, format!("inline; filename=\"{name}\"")))
        .content_type(content_type(&record.format))
        .body(bytes))
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, ext)| ext)
}
