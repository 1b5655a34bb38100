//! The public page cache: rendered pages kept in memory so that a visitor's request usually costs
//! no database round trip, without ever serving a page that is out of date for more than moments.
//!
//! A cached page is used only while all of these hold:
//! - it is younger than [`PageCache::TTL`] — the bound on how late another server's change (or a
//!   CLI change) shows here;
//! - no read-write transaction of its customer has committed in this process since it was stored
//!   ([`crate::db::WriteClock`]) — so a change made through this server shows on the very next
//!   request;
//! - the site's next scheduled post has not become visible since — so a schedule takes effect
//!   on time.
//!
//! Only successful `GET`/`HEAD` responses of public pages are kept (never the admin, previews,
//! errors or anything setting a cookie); the key is the site's base URL (scheme, host, port) and
//! the path with the query. Memory is bounded by [`PageCache::MAX_BYTES`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ETAG, HeaderMap, SET_COOKIE};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::content::posts;
use crate::web::AppState;
use crate::web::response::client_has;
use crate::web::site::RequestSite;

/// One stored page.
struct Entry {
    /// The customer's write count when the page was rendered.
    writes: u64,
    expires: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// The cache shared by every worker of one server.
#[derive(Default)]
pub struct PageCache {
    entries: RwLock<HashMap<String, Entry>>,
    bytes: AtomicUsize,
}

impl PageCache {
    /// The longest a page is reused (other servers' changes show within this time).
    pub const TTL: Duration = Duration::from_millis(400);
    /// Most bytes of page bodies kept; past it the cache starts afresh.
    pub const MAX_BYTES: usize = 64 * 1024 * 1024;

    fn get(&self, key: &str, writes: u64) -> Option<(StatusCode, HeaderMap, Bytes)> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key)?;
        (entry.writes == writes && Instant::now() < entry.expires)
            .then(|| (entry.status, entry.headers.clone(), entry.body.clone()))
    }

    fn put(&self, key: String, entry: Entry) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let size = entry.body.len() + key.len();
        if self.bytes.load(Ordering::Relaxed) + size > Self::MAX_BYTES {
            entries.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        if let Some(old) = entries.insert(key.clone(), entry) {
            self.bytes
                .fetch_sub(old.body.len() + key.len(), Ordering::Relaxed);
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
    }

    /// Number of pages held (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether a request may be answered from the cache at all.
fn cacheable_request(req: &ServiceRequest) -> bool {
    let path = req.path();
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !(path == "/admin" || path.starts_with("/admin/") || path.starts_with("/preview/"))
        && !req
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION)
}

/// The middleware, inside host resolution (it needs the [`RequestSite`]).
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let site = req.extensions().get::<RequestSite>().cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(site), Some(state)) = (site, state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !cacheable_request(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = format!(
        "{}{}",
        site.base_url,
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let writes = state.db.writes().of(site.ctx.scope.customer_id());
    if let Some((status, headers, body)) = state.page_cache.get(&key, writes) {
        let res = replay(&req, status, headers, body);
        return Ok(req.into_response(res));
    }
    let started = Instant::now();
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK || res.headers().contains_key(SET_COOKIE) {
        return Ok(res.map_into_boxed_body());
    }
    let Some(expires) = expiry(&state, &site, started).await else {
        return Ok(res.map_into_boxed_body());
    };
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let body = match actix_web::body::to_bytes(body).await {
        Ok(body) => body,
        Err(_) => {
            return Ok(ServiceResponse::new(
                req,
                HttpResponse::InternalServerError().finish(),
            ));
        }
    };
    state.page_cache.put(
        key,
        Entry {
            writes,
            expires,
            status: head.status(),
            headers: head.headers().clone(),
            body: body.clone(),
        },
    );
    Ok(ServiceResponse::new(req, head.set_body(BoxBody::new(body))))
}

/// Until when a page rendered at `rendered` may be reused: [`PageCache::TTL`], or until the
/// site's next scheduled post appears if that is sooner. `None`: do not keep it.
async fn expiry(state: &AppState, site: &RequestSite, rendered: Instant) -> Option<Instant> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let next = state
        .db
        .tenant_read(scope, |conn| {
            async move { posts::next_scheduled_at(conn, scope, site_id).await }.scope_boxed()
        })
        .await
        .ok()?;
    let ttl_end = rendered + PageCache::TTL;
    Some(match next {
        Some(at) => {
            let until = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
            ttl_end.min(Instant::now() + until)
        }
        None => ttl_end,
    })
}

/// A stored page as a response to this request (a 304 when the client has it already).
fn replay(
    req: &ServiceRequest,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let etag = headers
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let not_modified = etag
        .as_deref()
        .is_some_and(|etag| client_has(req.request(), etag));
    let mut res = if not_modified {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::build(status).body(body)
    };
    for (name, value) in headers.iter() {
        if not_modified && name == actix_web::http::header::CONTENT_TYPE {
            continue;
        }
        res.headers_mut().insert(name.clone(), value.clone());
    }
    res
}
