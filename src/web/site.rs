//! Routing by `Host`: every public request is resolved to a site and its customer before a page
//! handler runs. A request line in absolute form (`GET http://a.test/x HTTP/1.1`) is routed by its
//! authority whatever `Host` says, as HTTP/1.1 requires. Malformed or missing host → 400; unknown
//! host, inactive site or customer → a 404 that names no customer; an alias → 301 to the primary
//! domain with the same path.
//!
//! Absolute addresses (canonical links, feeds, sitemaps, redirects, preview links) are the primary
//! domain on the configured public origin ([`crate::config::PublicOrigin`]): nothing of the
//! request's `Host` but the name it resolves, so no port or scheme a client sends can reach a
//! page that is cached and shown to others.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HOST, LOCATION};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};

use crate::db::replicas;
use crate::error::AppError;
use crate::tenancy::directory::{Resolution, SiteContext};
use crate::tenancy::host::{self, HostError};
use crate::web::pages::error_page;
use crate::web::{AppState, admin};

/// The site a request is for, and the base URL of its primary domain.
#[derive(Debug, Clone)]
pub struct RequestSite {
    pub ctx: Arc<SiteContext>,
    /// `scheme://primary-host[:port]` on the public origin, without a trailing slash.
    pub base_url: String,
}

impl RequestSite {
    /// The absolute URL of a path on the primary domain.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// The middleware that resolves the host and renders errors in the site's layout; a signed-in
/// user's reads go to the primary database (see [`crate::db::replicas`]).
pub async fn resolve_site(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "application state missing",
        ));
    };
    // Resolved already by the page cache's fast path, for a request it could not answer.
    let resolved = req.extensions().get::<RequestSite>().cloned();
    if let Some(site) = resolved {
        return within_site(req, next, site).await;
    }
    let raw_host = request_host(req.request());
    let host = match host::normalize(&raw_host) {
        Ok(host) => host,
        Err(error) => {
            let reason = match error {
                HostError::Missing => "The request names no host.",
                HostError::Malformed => "The host name of the request is not valid.",
            };
            let res = crate::web::error::bare_page(
                StatusCode::BAD_REQUEST,
                Some(&AppError::BadRequest(reason.into())),
            );
            return Ok(req.into_response(res));
        }
    };
    let resolution = match state.directory.resolve(&host).await {
        Ok(resolution) => resolution,
        Err(error) => {
            let res = actix_web::ResponseError::error_response(&error);
            return Ok(req.into_response(res));
        }
    };
    match resolution {
        Resolution::Unknown => {
            let res = crate::web::error::bare_page(StatusCode::NOT_FOUND, None);
            Ok(req.into_response(res))
        }
        Resolution::Redirect(primary) => {
            let location = format!(
                "{}{}",
                state.public_origin.base_url(&primary),
                req.uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
            );
            let res = HttpResponse::MovedPermanently()
                .insert_header((LOCATION, location))
                .insert_header((CACHE_CONTROL, "public, max-age=60"))
                .finish();
            Ok(req.into_response(res))
        }
        Resolution::Site(ctx) => {
            let site = RequestSite {
                base_url: state.public_origin.base_url(&ctx.primary_host),
                ctx,
            };
            req.extensions_mut().insert(site.clone());
            within_site(req, next, site).await
        }
    }
}

/// Runs a request routed to `site` (already in its extensions): a signed-in user's reads go to
/// the primary, errors are shown in the site's layout.
async fn within_site(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    site: RequestSite,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // A signed-in user sees what they changed at once: their reads skip the replicas.
    let signed_in = req.cookie(crate::web::SESSION_COOKIE).is_some();
    let res = replicas::primary_only(signed_in, next.call(req)).await?;
    Ok(in_site_layout(res, &site).await)
}

/// Replaces a handler's bare error page with the site's own, or under `/admin` with the
/// admin's; `Allow` (405) and `Retry-After` (429) stay.
async fn in_site_layout<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
    site: &RequestSite,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let failed = res.response().error().is_some()
        || status == StatusCode::NOT_FOUND
        || status == StatusCode::METHOD_NOT_ALLOWED;
    if !(status.is_client_error() || status.is_server_error()) || !failed {
        return res.map_into_boxed_body();
    }
    let cause = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(clone_visible);
    let (req, old) = res.into_parts();
    let mut page = if admin::is_admin_path(req.path()) {
        admin::error::page(&req, site, status, cause.as_ref()).await
    } else {
        error_page(&req, site, status, cause.as_ref())
    };
    for kept in [
        actix_web::http::header::ALLOW,
        actix_web::http::header::RETRY_AFTER,
    ] {
        if let Some(value) = old.headers().get(&kept) {
            page.headers_mut().insert(kept, value.clone());
        }
    }
    ServiceResponse::new(req, page)
}

/// The parts of an error a visitor may see.
fn clone_visible(error: &AppError) -> AppError {
    match error {
        AppError::BadRequest(s) => AppError::BadRequest(s.clone()),
        AppError::Invalid(s) => AppError::Invalid(s.clone()),
        AppError::Conflict(s) => AppError::Conflict(s.clone()),
        AppError::TooManyRequests {
            message,
            retry_after_secs,
        } => AppError::TooManyRequests {
            message: message.clone(),
            retry_after_secs: *retry_after_secs,
        },
        AppError::Forbidden => AppError::Forbidden,
        AppError::NotFound => AppError::NotFound,
        other => AppError::Internal(other.to_string()),
    }
}

/// The host a request names: the authority of its target when the request line carries one
/// (absolute form, `GET http://a.test/x HTTP/1.1`, or an HTTP/2 `:authority`), which wins over a
/// `Host` header saying otherwise (RFC 9112 §3.2.2); else the `Host` header.
pub fn request_host(req: &HttpRequest) -> String {
    host_of(req.uri(), req.headers())
}

/// The host a request with this target and these headers names (see [`request_host`]).
pub fn host_of(uri: &actix_web::http::Uri, headers: &actix_web::http::header::HeaderMap) -> String {
    if let Some(authority) = uri.authority() {
        return authority.to_string();
    }
    // Raw bytes, not `to_str()`: a browser may send an internationalised name as UTF-8.
    headers
        .get(HOST)
        .and_then(|h| std::str::from_utf8(h.as_bytes()).ok())
        .map(str::to_owned)
        .unwrap_or_default()
}
