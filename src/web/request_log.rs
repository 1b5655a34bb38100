//! One structured log line per request, the request id (`X-Request-Id`) that audit events and
//! logs share, and the request's count and latency in the metrics.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use metrics::SharedString;

use crate::access_log;
use crate::web::page_cache::FromCache;
use crate::web::site::RequestSite;

/// The id of the current request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Counts the request by its route pattern (never its address, which would make a series per
/// post), method and status.
fn record_metrics<B>(res: &ServiceResponse<B>, method: &Method, status: u16, elapsed: Duration) {
    let req = res.request();
    let extensions = req.extensions();
    let customer = extensions
        .get::<RequestSite>()
        .map(|site| site.ctx.scope.customer_id().as_uuid());
    // A page from the cache never went through the router: matching its address against every
    // route again would be most of what it costs.
    if extensions.get::<FromCache>().is_some() {
        return crate::metrics::cached_page_request(method, status, elapsed, customer);
    }
    let route = match req.match_pattern() {
        Some(pattern) => SharedString::from(pattern),
        None => SharedString::const_str(crate::metrics::DEFAULT_ROUTE),
    };
    crate::metrics::request(route, method, status, elapsed, customer);
}

/// Assigns a request id, logs method, host, path, status and duration when the response is ready
/// ([`access_log`]).
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = uuid::Uuid::new_v4().simple().to_string();
    // A simple UUID is 32 hexadecimal digits: always a valid header value.
    let id_header = HeaderValue::from_str(&id).expect("a simple UUID is a header value");
    req.extensions_mut().insert(RequestId(id));
    let method = req.method().clone();
    let mut res = next.call(req).await?;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    record_metrics(&res, &method, status, elapsed);
    let req = res.request();
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let cause = res.response().error().map(|e| e.to_string());
    access_log::write(&access_log::Line {
        request_id: id_header.to_str().unwrap_or(""),
        method: method.as_str(),
        host,
        path: req.path(),
        status,
        micros: elapsed.as_micros() as u64,
        error: cause.as_deref(),
    });
    res.headers_mut()
        .insert(HeaderName::from_static("x-request-id"), id_header);
    Ok(res)
}
