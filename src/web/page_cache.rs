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
//! search results, errors or anything setting a cookie); the key is the site's base URL (its
//! primary domain on the configured public origin, never a port or scheme the request names) and
//! the path with the query. Memory is bounded by [`PageCache::MAX_BYTES`].
//!
//! Renders are coalesced so that a busy page never makes a crowd of requests render it at once:
//! in the last [`PageCache::REFRESH_AHEAD`] of a page's life one request renders its successor
//! while the others are still answered with the (still valid) page, and when a page is missing
//! or out of date the first request renders it while the others with the same write count wait
//! for that render instead of starting their own.
//!
//! A page is compressed at most once per encoding while it is stored ([`super::precompressed`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, SET_COOKIE, VARY,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::coalesce::{Flights, LoadGuard, Turn, Waiting, claim_renewal};
use crate::content::posts;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::precompressed::{self, Copies};
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
    /// Compressed copies of the body, made when first asked for.
    copies: Arc<Copies>,
    /// Set when a request has taken on rendering this page's successor.
    refreshing: AtomicBool,
}

impl Entry {
    /// Whether the page may still be served to a request that sees the customer's `writes`.
    fn is_valid(&self, writes: u64) -> bool {
        self.writes == writes && Instant::now() < self.expires
    }

    fn page(&self) -> Page {
        Page {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body.clone(),
            copies: self.copies.clone(),
        }
    }
}

/// A stored page, as replayed.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    copies: Arc<Copies>,
}

/// What a request does about its page.
enum Lookup {
    /// Answer with this page.
    Hit(Page),
    /// The page is still valid but about to end: this request renders its successor while the
    /// others are still answered with it.
    Refresh,
    /// Render the page; requests arriving meanwhile wait until this drops.
    Lead(LoadGuard),
    /// Another request is rendering the page: wait for it, then look again.
    Wait(Waiting),
}

/// The cache shared by every worker of one server.
#[derive(Default)]
pub struct PageCache {
    entries: RwLock<HashMap<String, Entry>>,
    bytes: AtomicUsize,
    renders: Flights,
    /// Pages stored since start.
    stored: AtomicU64,
}

impl PageCache {
    /// The longest a page is reused (other servers' changes show within this time).
    pub const TTL: Duration = Duration::from_millis(400);
    /// How long before a page ends one request renders its successor.
    pub const REFRESH_AHEAD: Duration = Duration::from_millis(100);
    /// Most bytes of page bodies kept; past it the cache starts afresh.
    pub const MAX_BYTES: usize = 64 * 1024 * 1024;

    /// The page stored under `key`, if it is still valid for the customer's `writes`.
    fn get(&self, key: &str, writes: u64) -> Option<Page> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|entry| entry.is_valid(writes))
            .map(Entry::page)
    }

    fn lookup(&self, key: &str, writes: u64) -> Lookup {
        {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some(entry) = entries.get(key).filter(|entry| entry.is_valid(writes)) {
                if claim_renewal(entry.expires, Self::REFRESH_AHEAD, &entry.refreshing) {
                    return Lookup::Refresh;
                }
                return Lookup::Hit(entry.page());
            }
        }
        match self.renders.turn(key, writes) {
            Turn::Lead(guard) => Lookup::Lead(guard),
            Turn::Wait(waiting) => Lookup::Wait(waiting),
        }
    }

    fn put(&self, key: String, entry: Entry) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let size = entry.body.len() + key.len();
        if self.bytes.load(Ordering::Relaxed) + size > Self::MAX_BYTES {
            metrics::counter!(crate::metrics::PAGE_CACHE_EVICTIONS).increment(entries.len() as u64);
            entries.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        if let Some(old) = entries.insert(key.clone(), entry) {
            self.bytes
                .fetch_sub(old.body.len() + key.len(), Ordering::Relaxed);
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
        self.stored.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of pages rendered and stored since the server started (for tests and diagnostics).
    pub fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// Bytes of page bodies (and their keys) held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
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
        && !(path == "/admin"
            || path.starts_with("/admin/")
            || path.starts_with("/preview/")
            || path == "/search"
            || path.starts_with(crate::content::markdown::MEDIA_PATH))
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
    let lead = match state.page_cache.lookup(&key, writes) {
        Lookup::Hit(page) => return Ok(answer_from_cache(req, page)),
        Lookup::Refresh => None,
        Lookup::Wait(waiting) => {
            if !waiting.finished().await {
                // The render this request waited for failed: so would its own, after as long.
                let unavailable = AppError::Unavailable("the page could not be rendered".into());
                return Ok(req.error_response(unavailable).map_into_boxed_body());
            }
            if let Some(page) = state.page_cache.get(&key, writes) {
                return Ok(answer_from_cache(req, page));
            }
            None
        }
        Lookup::Lead(guard) => Some(guard),
    };
    metrics::counter!(crate::metrics::PAGE_CACHE_MISSES).increment(1);
    let res = render_and_keep(req, next, &state, &site, key, writes).await;
    if let (Some(guard), Ok(res)) = (lead, &res)
        && !res.status().is_server_error()
    {
        guard.succeeded();
    }
    res
}

/// Marks a response that came from the cache (the router never ran for it).
#[derive(Debug, Clone, Copy)]
pub struct FromCache;

/// A stored page as the answer to `req`, counted as a hit.
fn answer_from_cache(req: ServiceRequest, page: Page) -> ServiceResponse<BoxBody> {
    metrics::counter!(crate::metrics::PAGE_CACHE_HITS).increment(1);
    req.extensions_mut().insert(FromCache);
    let res = replay(&req, page);
    req.into_response(res)
}

/// Renders the page of `req` and keeps it when it may be reused.
async fn render_and_keep(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: &AppState,
    site: &RequestSite,
    key: String,
    writes: u64,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK || res.headers().contains_key(SET_COOKIE) {
        return Ok(res.map_into_boxed_body());
    }
    let Some(expires) = expiry(state, site, started).await else {
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
            copies: Arc::default(),
            refreshing: AtomicBool::new(false),
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
        .visitor_read(scope, |conn| {
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

/// A stored page as a response to this request: a 304 when the client has it already, else the
/// body, in the stored compressed copy the client prefers if it accepts one.
fn replay(req: &ServiceRequest, page: Page) -> HttpResponse {
    let Page {
        status,
        headers,
        body,
        copies,
    } = page;
    let etag = headers
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let not_modified = etag
        .as_deref()
        .is_some_and(|etag| client_has(req.request(), etag));
    if not_modified {
        let mut res = HttpResponse::NotModified().finish();
        for (name, value) in headers.iter().filter(|(name, _)| *name != CONTENT_TYPE) {
            res.headers_mut().insert(name.clone(), value.clone());
        }
        return res;
    }
    let encoding = precompressed::choose(req.request(), &body, &headers);
    let body = match encoding {
        Some(encoding) => copies.get(encoding, &body),
        None => body,
    };
    let mut res = HttpResponse::build(status).body(body);
    let res_headers = res.headers_mut();
    for (name, value) in headers.iter() {
        res_headers.insert(name.clone(), value.clone());
    }
    if let Some(encoding) = encoding {
        res_headers.insert(CONTENT_ENCODING, encoding.to_header_value());
        res_headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}
