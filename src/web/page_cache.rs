//! The public page cache: rendered pages kept in memory so that a visitor's request usually costs
//! no database round trip, without ever serving a page that is out of date for more than moments.
//!
//! A cached page is used only while all of these hold:
//! - no read-write transaction of its customer has committed since it was stored
//!   ([`crate::db::WriteClock`]): one through this server shows on the very next request, one of
//!   another process (another server, the command line) as soon as the change feed
//!   ([`crate::db::changes`]) has read it, within a fraction of a second;
//! - it is younger than [`PageCache::MAX_AGE`] (content that changes with time alone, such as the
//!   lowest price of the last 30 days, is at most that late) — or younger than
//!   [`PageCache::TTL`] while the change feed is not current (the database unreachable, no feed
//!   running), the bound on how late another process's change shows then;
//! - the site's next scheduled post has not become visible since — so a schedule takes effect
//!   on time.
//!
//! Only successful `GET`/`HEAD` responses of public pages are kept (never the admin, previews,
//! search results, errors or anything setting a cookie); the key is the site's base URL (its
//! primary domain on the configured public origin, never a port or scheme the request names) and
//! the path with the query.
//!
//! Memory is bounded by `AGOAT_PAGE_CACHE_MB` (default
//! [`crate::config::DEFAULT_PAGE_CACHE_MB`]): the pages' bodies, keys
//! and headers and their compressed copies are counted, and a page that would go past the bound
//! first evicts pages down to nine tenths of it: those out of date first, then the unprotected,
//! then the protected, each group least recently used first. The protected are the pages a
//! request was answered with since they were stored, the most recently used first, up to four
//! fifths of the bound (a segmented LRU). So a sweep through every page (a crawler, a visitor per
//! post) takes turns in the room the pages visitors come back to leave instead of pushing those
//! out, and a new page always has a fifth of the room to wait in for its next request.
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
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ContentEncoding, ETAG, HeaderMap, HeaderValue,
    SET_COOKIE, VARY,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use crate::coalesce::{Flights, LoadGuard, Turn, Waiting, awaits_renewal, claim_renewal};
use crate::error::AppError;
use crate::tenancy::host;
use crate::web::client::Client;
use crate::web::precompressed::{self, Copies};
use crate::web::response::client_has;
use crate::web::site::{self, RequestSite};
use crate::web::{AppState, security_headers};

/// One stored page.
struct Entry {
    /// The customer's write count when the page was rendered.
    writes: u64,
    /// When its render began.
    rendered: Instant,
    /// When it ends whatever the change feed says: its [`PageCache::MAX_AGE`], or the site's next
    /// scheduled publication if that is sooner.
    ends: Instant,
    status: StatusCode,
    /// The headers as rendered, with the security headers of a public page over plain http
    /// already added (a hit over https adds HSTS).
    headers: HeaderMap,
    body: Bytes,
    /// Compressed copies of the body, made when first asked for.
    copies: Arc<Copies>,
    /// Set when a request has taken on rendering this page's successor.
    refreshing: AtomicBool,
    /// When it was last answered with, in milliseconds since the cache began.
    last_used: AtomicU64,
    /// Whether a request was answered with it after it was stored (or with the page it replaced):
    /// such pages are evicted after those never used again.
    reused: AtomicBool,
}

impl Entry {
    /// Bytes the entry holds under `key`, its compressed copies left out (they are counted as
    /// they are made).
    fn own_bytes(&self, key: &str) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        key.len() + self.body.len() + headers
    }

    /// Whether the page may still be served to a request that sees `now`.
    fn is_valid(&self, now: Freshness) -> bool {
        self.writes == now.writes && Instant::now() < self.end(now.feed_current)
    }

    /// When the page ends: its own end, and [`PageCache::TTL`] after its render unless the change
    /// feed is current.
    fn end(&self, feed_current: bool) -> Instant {
        if feed_current {
            self.ends
        } else {
            self.ends.min(self.rendered + PageCache::TTL)
        }
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

/// What a request knows that decides whether a stored page is still good.
#[derive(Debug, Clone, Copy)]
struct Freshness {
    /// The customer's write count now.
    writes: u64,
    /// Whether the change feed is current ([`crate::db::changes::ChangeFeed::is_current`]).
    feed_current: bool,
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
pub struct PageCache {
    entries: RwLock<HashMap<String, Entry>>,
    /// Bytes of the entries held, their compressed copies left out.
    bytes: AtomicUsize,
    /// Bytes of the compressed copies alive (shared with each entry's [`Copies`]).
    copy_bytes: Arc<AtomicUsize>,
    /// The bound on `bytes` and `copy_bytes` together.
    max_bytes: usize,
    /// What `last_used` counts from.
    began: Instant,
    renders: Flights,
    /// Pages stored since start.
    stored: AtomicU64,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::with_max_bytes(crate::config::DEFAULT_PAGE_CACHE_MB * 1024 * 1024)
    }
}

impl PageCache {
    /// The longest a page is reused while the change feed is not current (other processes'
    /// changes show within this time then).
    pub const TTL: Duration = Duration::from_millis(400);
    /// The longest a page is reused while the change feed is current.
    pub const MAX_AGE: Duration = Duration::from_secs(300);
    /// How long before a page ends one request renders its successor.
    pub const REFRESH_AHEAD: Duration = Duration::from_millis(100);

    /// A cache holding at most `max_bytes`.
    pub fn with_max_bytes(max_bytes: usize) -> PageCache {
        PageCache {
            entries: RwLock::default(),
            bytes: AtomicUsize::new(0),
            copy_bytes: Arc::default(),
            max_bytes,
            began: Instant::now(),
            renders: Flights::default(),
            stored: AtomicU64::new(0),
        }
    }

    /// A cache with the bound `AGOAT_PAGE_CACHE_MB` sets.
    pub fn from_env() -> PageCache {
        PageCache::with_max_bytes(crate::config::page_cache_bytes())
    }

    fn now_ms(&self) -> u64 {
        self.began.elapsed().as_millis() as u64
    }

    /// The entry's page, marked as used now.
    fn use_entry(&self, entry: &Entry) -> Page {
        entry.last_used.store(self.now_ms(), Ordering::Relaxed);
        if !entry.reused.load(Ordering::Relaxed) {
            entry.reused.store(true, Ordering::Relaxed);
        }
        entry.page()
    }

    /// The page stored under `key`, if it is still valid.
    fn get(&self, key: &str, now: Freshness) -> Option<Page> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|entry| entry.is_valid(now))
            .map(|entry| self.use_entry(entry))
    }

    /// The page stored under `key` if it is valid and not yet due for its successor's render
    /// (that render is handed to one request by [`PageCache::lookup`], on the full path).
    fn hit(&self, key: &str, now: Freshness) -> Option<Page> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(key).filter(|entry| entry.is_valid(now))?;
        let end = entry.end(now.feed_current);
        if awaits_renewal(end, Self::REFRESH_AHEAD, &entry.refreshing) {
            return None;
        }
        Some(self.use_entry(entry))
    }

    fn lookup(&self, key: &str, now: Freshness) -> Lookup {
        {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some(entry) = entries.get(key).filter(|entry| entry.is_valid(now)) {
                let end = entry.end(now.feed_current);
                if claim_renewal(end, Self::REFRESH_AHEAD, &entry.refreshing) {
                    return Lookup::Refresh;
                }
                return Lookup::Hit(self.use_entry(entry));
            }
        }
        match self.renders.turn(key, now.writes) {
            Turn::Lead(guard) => Lookup::Lead(guard),
            Turn::Wait(waiting) => Lookup::Wait(waiting),
        }
    }

    /// A new entry's compressed copies, counted against the bound.
    fn new_copies(&self) -> Arc<Copies> {
        Arc::new(Copies::counted(self.copy_bytes.clone()))
    }

    /// Keeps `entry` under `key`, evicting pages when it would not fit (see the module's notes);
    /// a page larger than a tenth of the bound is not kept. A page that replaces one that was
    /// used again counts as used again.
    fn put(&self, key: String, entry: Entry, now: Freshness) {
        let size = entry.own_bytes(&key);
        if size > self.max_bytes / 10 {
            return;
        }
        entry.last_used.store(self.now_ms(), Ordering::Relaxed);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.remove(&key) {
            self.bytes.fetch_sub(old.own_bytes(&key), Ordering::Relaxed);
            if old.reused.load(Ordering::Relaxed) {
                entry.reused.store(true, Ordering::Relaxed);
            }
        }
        if self.bytes() + size > self.max_bytes {
            self.evict(&mut entries, self.max_bytes / 10 * 9 - size, now);
        }
        entries.insert(key, entry);
        self.bytes.fetch_add(size, Ordering::Relaxed);
        self.stored.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops pages until what is held is at most `target` bytes: those out of date first, then
    /// the unprotected, then the protected (see [`protect`]); the least recently used first
    /// within each.
    fn evict(&self, entries: &mut HashMap<String, Entry>, target: usize, now: Freshness) {
        let at = Instant::now();
        let mut order: Vec<Candidate> = entries
            .iter()
            .map(|(key, entry)| Candidate {
                current: at < entry.end(now.feed_current),
                protected: entry.reused.load(Ordering::Relaxed),
                last_used: entry.last_used.load(Ordering::Relaxed),
                bytes: entry.own_bytes(key) + entry.copies.bytes(),
                key,
            })
            .collect();
        protect(&mut order, self.max_bytes / 5 * 4);
        order.sort_unstable_by_key(|page| (page.current, page.protected, page.last_used, page.key));
        let mut held = self.bytes();
        let mut doomed = Vec::new();
        for page in order {
            if held <= target {
                break;
            }
            held = held.saturating_sub(page.bytes);
            doomed.push(page.key.clone());
        }
        metrics::counter!(crate::metrics::PAGE_CACHE_EVICTIONS).increment(doomed.len() as u64);
        for key in doomed {
            if let Some(entry) = entries.remove(&key) {
                self.bytes
                    .fetch_sub(entry.own_bytes(&key), Ordering::Relaxed);
            }
        }
    }

    /// Number of pages rendered and stored since the server started (for tests and diagnostics).
    pub fn stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// Bytes held: the pages' bodies, keys and headers and their compressed copies.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed) + self.copy_bytes.load(Ordering::Relaxed)
    }

    /// The most bytes the cache holds.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Number of pages held (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A page as eviction weighs it.
struct Candidate<'a> {
    current: bool,
    protected: bool,
    last_used: u64,
    bytes: usize,
    key: &'a String,
}

/// Leaves `protected` set on the current pages used again since they were stored, the most
/// recently used first, up to `room` bytes of them (the protected segment of a segmented LRU);
/// the rest of the bound stays for pages to wait in for their next request.
fn protect(pages: &mut [Candidate<'_>], room: usize) {
    pages.sort_unstable_by_key(|page| std::cmp::Reverse((page.last_used, page.key)));
    let mut held = 0;
    for page in pages {
        page.protected &= page.current && held + page.bytes <= room;
        if page.protected {
            held += page.bytes;
        }
    }
}

/// Whether a request may be answered from the cache at all.
fn cacheable_request(req: &ServiceRequest) -> bool {
    let path = req.path();
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !(crate::web::admin::is_admin_path(path)
            || path.starts_with("/preview/")
            || path == "/search"
            || path.starts_with(crate::content::markdown::MEDIA_PATH))
        && !req
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION)
}

/// The fast path of a hit, the outermost layer but the request log's: a request for a page the
/// cache holds and may answer with now is answered here, without passing through the security
/// headers, session, compression, address-check and routing layers (which would cost more than
/// the answer itself): the page was stored with the public security headers, and gets HSTS here
/// over https. Every other request goes on through those layers, to [`serve`].
///
/// A page is only ever stored by [`serve`] for a request that passed all of those layers, under a
/// key made of the site and the whole address, so the request answered here with it would have
/// passed them too.
pub async fn answer_hits(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(site) = cacheable_site(&req, state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let page = state
        .page_cache
        .hit(&cache_key(&site, &req), freshness(state, &site));
    // Host routing takes the site from here instead of resolving the host again.
    req.extensions_mut().insert(site);
    let Some(page) = page else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let encoding = precompressed::choose(req.request(), &page.body, &page.headers);
    if encoding.is_none() && req.headers().contains_key(ACCEPT_ENCODING) {
        // No stored copy suits this client: the compression layer has its own answer (another
        // encoding, a small page compressed anyway, or 406 when nothing is acceptable).
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let https = Client::of(req.request()).https;
    let mut res = answer_from_cache(req, page, encoding);
    if https {
        security_headers::add(res.headers_mut(), false, https);
    }
    Ok(res)
}

/// The site of a request the cache may answer, as host routing already holds it; `None` for any
/// other request, and for a host whose site this server has not resolved lately (left to host
/// routing, which reads the database, or answers for a host that is no site's). Never reads the
/// database: health checks and assets on any host cost no directory lookup here.
fn cacheable_site(req: &ServiceRequest, state: &AppState) -> Option<RequestSite> {
    if !cacheable_request(req) {
        return None;
    }
    let host = host::normalize(&site::request_host(req.request())).ok()?;
    let ctx = state.directory.known_site(&host)?;
    Some(RequestSite {
        base_url: state.public_origin.base_url(&ctx.primary_host),
        ctx,
    })
}

/// The key of a request's page: the site's base URL, the path and the query.
fn cache_key(site: &RequestSite, req: &ServiceRequest) -> String {
    let address = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut key = String::with_capacity(site.base_url.len() + address.len());
    key.push_str(&site.base_url);
    key.push_str(address);
    key
}

/// What decides now whether a page of the site may still be used.
fn freshness(state: &AppState, site: &RequestSite) -> Freshness {
    Freshness {
        writes: state.db.writes().of(site.ctx.scope.customer_id()),
        feed_current: state.db.changes().is_current(),
    }
}

/// The middleware, inside host resolution (it needs the [`RequestSite`]): answers from the cache,
/// or renders the page and keeps it, one render at a time per page.
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
    let key = cache_key(&site, &req);
    let now = freshness(&state, &site);
    let lead = match state.page_cache.lookup(&key, now) {
        Lookup::Hit(page) => return Ok(replay_from_cache(req, page)),
        Lookup::Refresh => None,
        Lookup::Wait(waiting) => {
            if !waiting.finished().await {
                // The render this request waited for failed: so would its own, after as long.
                let unavailable = AppError::Unavailable("the page could not be rendered".into());
                return Ok(req.error_response(unavailable).map_into_boxed_body());
            }
            if let Some(page) = state.page_cache.get(&key, now) {
                return Ok(replay_from_cache(req, page));
            }
            None
        }
        Lookup::Lead(guard) => Some(guard),
    };
    metrics::counter!(crate::metrics::PAGE_CACHE_MISSES).increment(1);
    let res = render_and_keep(req, next, &state, &site, key, now).await;
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

/// A stored page as the answer to `req`, in the stored copy the client prefers, counted as a hit.
fn replay_from_cache(req: ServiceRequest, page: Page) -> ServiceResponse<BoxBody> {
    let encoding = precompressed::choose(req.request(), &page.body, &page.headers);
    answer_from_cache(req, page, encoding)
}

/// A stored page as the answer to `req`, in `encoding` (`None`: as it is), counted as a hit.
fn answer_from_cache(
    req: ServiceRequest,
    page: Page,
    encoding: Option<ContentEncoding>,
) -> ServiceResponse<BoxBody> {
    crate::metrics::page_cache_hit();
    req.extensions_mut().insert(FromCache);
    let res = replay(&req, page, encoding);
    req.into_response(res)
}

/// Renders the page of `req` and keeps it when it may be reused.
async fn render_and_keep(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: &AppState,
    site: &RequestSite,
    key: String,
    now: Freshness,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK || res.headers().contains_key(SET_COOKIE) {
        return Ok(res.map_into_boxed_body());
    }
    if site.ctx.writes != now.writes {
        // The site's settings were read before the customer's latest change: do not keep a page
        // made with them.
        return Ok(res.map_into_boxed_body());
    }
    let ends = end_of(site, started);
    if ends <= Instant::now() {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let mut headers = head.headers().clone();
    // What the security-header layer adds on the way out, kept so that a hit on the fast path
    // (which skips that layer) need not add it again.
    security_headers::add(&mut headers, false, false);
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
            writes: now.writes,
            rendered: started,
            ends,
            status: head.status(),
            headers,
            body: body.clone(),
            copies: state.page_cache.new_copies(),
            refreshing: AtomicBool::new(false),
            last_used: AtomicU64::new(0),
            reused: AtomicBool::new(false),
        },
        now,
    );
    Ok(ServiceResponse::new(req, head.set_body(BoxBody::new(body))))
}

/// Until when a page rendered at `rendered` may be reused at most: [`PageCache::MAX_AGE`], or
/// until the site's next scheduled post appears if that is sooner (as of when host routing read
/// the site's context, which it reads again once that time has come).
fn end_of(site: &RequestSite, rendered: Instant) -> Instant {
    site.ctx.ends_by(rendered + PageCache::MAX_AGE)
}

/// A stored page as a response to this request: a 304 when the client has it already, else the
/// body, in its stored copy of `encoding` if one is given.
fn replay(req: &ServiceRequest, page: Page, encoding: Option<ContentEncoding>) -> HttpResponse {
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
    let body = match encoding {
        Some(encoding) => copies.get(encoding, &body),
        None => body,
    };
    let mut res = HttpResponse::build(status).body(body);
    *res.headers_mut() = headers;
    if let Some(encoding) = encoding {
        let headers = res.headers_mut();
        headers.insert(CONTENT_ENCODING, encoding.to_header_value());
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 10_000;
    const NOW: Freshness = Freshness {
        writes: 0,
        feed_current: true,
    };

    fn entry(writes: u64) -> Entry {
        Entry {
            writes,
            rendered: Instant::now(),
            ends: Instant::now() + Duration::from_secs(60),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; PAGE]),
            copies: Arc::default(),
            refreshing: AtomicBool::new(false),
            last_used: AtomicU64::new(0),
            reused: AtomicBool::new(false),
        }
    }

    fn key(n: usize) -> String {
        format!("http://alpha.test/posts/{n:04}")
    }

    #[test]
    fn the_pages_used_least_recently_make_room() {
        let cache = PageCache::with_max_bytes(20 * PAGE);
        for n in 0..15 {
            cache.put(key(n), entry(0), NOW);
        }
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get(&key(0), NOW).is_some(), "page 0 is used again");
        std::thread::sleep(Duration::from_millis(5));
        for n in 15..25 {
            cache.put(key(n), entry(0), NOW);
        }
        assert!(cache.bytes() <= cache.max_bytes(), "{}", cache.bytes());
        assert!(
            cache.get(&key(0), NOW).is_some(),
            "a page used lately stays"
        );
        assert!(
            cache.get(&key(1), NOW).is_none(),
            "the least recently used goes"
        );
        assert!(cache.get(&key(24), NOW).is_some(), "the newest stays");
        assert_eq!(cache.stored(), 25);
    }

    #[test]
    fn a_sweep_of_pages_used_once_leaves_the_pages_used_again() {
        let cache = PageCache::with_max_bytes(20 * PAGE);
        for n in 0..10 {
            cache.put(key(n), entry(0), NOW);
        }
        assert!(cache.get(&key(0), NOW).is_some());
        assert!(cache.get(&key(5), NOW).is_some());
        // Re-rendered (a write, its lifetime over): still a page visitors come back to.
        cache.put(key(5), entry(0), NOW);
        std::thread::sleep(Duration::from_millis(5));
        // A crawl: fifty pages, each asked for once, the newest used most recently of all.
        for n in 100..150 {
            cache.put(key(n), entry(0), NOW);
        }
        assert!(cache.bytes() <= cache.max_bytes(), "{}", cache.bytes());
        let held = |n| cache.entries.read().unwrap().contains_key(&key(n));
        assert!(held(0) && held(5), "the pages used again stay");
        assert!(
            !held(1) && !held(100),
            "pages used once go, the oldest first"
        );
        assert!(held(149), "the newest stays");

        // Once only pages used again are left to go, the least recently used of them goes.
        for n in 100..150 {
            cache.get(&key(n), NOW);
        }
        std::thread::sleep(Duration::from_millis(5));
        for n in 200..205 {
            cache.put(key(n), entry(0), NOW);
        }
        assert!(!held(0) && !held(5), "{}", cache.len());
        assert!(held(204));
    }

    #[test]
    fn pages_used_again_keep_at_most_four_fifths_of_the_room() {
        let cache = PageCache::with_max_bytes(20 * PAGE);
        for n in 0..18 {
            cache.put(key(n), entry(0), NOW);
        }
        for n in 0..18 {
            assert!(cache.get(&key(n), NOW).is_some());
        }
        std::thread::sleep(Duration::from_millis(5));
        for n in 100..103 {
            cache.put(key(n), entry(0), NOW);
        }
        let held = |n| cache.entries.read().unwrap().contains_key(&key(n));
        assert!(
            (100..103).all(held),
            "new pages wait in the room the protected pages leave"
        );
        assert!(
            !held(0) && held(17),
            "the protected pages past four fifths went, the least recently used first"
        );
    }

    #[test]
    fn pages_out_of_date_go_first() {
        let cache = PageCache::with_max_bytes(10 * PAGE + 1_000);
        let mut stale = entry(0);
        stale.ends = Instant::now();
        cache.put(key(0), stale, NOW);
        for n in 1..10 {
            cache.put(key(n), entry(0), NOW);
        }
        cache.put(key(10), entry(0), NOW);
        assert!(
            cache.get(&key(2), NOW).is_some(),
            "current pages stay once there is room"
        );
        assert!(!cache.entries.read().unwrap().contains_key(&key(0)));
    }

    #[test]
    fn compressed_copies_count_and_a_page_too_large_is_not_kept() {
        let cache = PageCache::with_max_bytes(100 * PAGE);
        let mut page = entry(0);
        page.body = Bytes::from("<p>A paragraph of a post.</p>\n".repeat(300));
        page.copies = cache.new_copies();
        let body = page.body.clone();
        cache.put(key(0), page, NOW);
        let before = cache.bytes();
        let copy = cache
            .get(&key(0), NOW)
            .unwrap()
            .copies
            .get(actix_web::http::header::ContentEncoding::Gzip, &body);
        assert_eq!(cache.bytes(), before + copy.len());
        cache.put(key(0), entry(0), NOW);
        assert_eq!(
            cache.bytes(),
            key(0).len() + PAGE,
            "the replaced page's copy is gone"
        );

        let mut large = entry(0);
        large.body = Bytes::from(vec![b'x'; 11 * PAGE]);
        cache.put(key(1), large, NOW);
        assert!(cache.get(&key(1), NOW).is_none());
    }

    #[test]
    fn a_page_lives_long_only_while_the_change_feed_is_current() {
        let cache = PageCache::with_max_bytes(100 * PAGE);
        let mut page = entry(0);
        page.rendered = Instant::now() - PageCache::TTL;
        cache.put(key(0), page, NOW);
        assert!(cache.get(&key(0), NOW).is_some());
        let feed_down = Freshness {
            writes: 0,
            feed_current: false,
        };
        assert!(cache.get(&key(0), feed_down).is_none());
        let changed = Freshness {
            writes: 1,
            feed_current: true,
        };
        assert!(cache.get(&key(0), changed).is_none());
    }
}
