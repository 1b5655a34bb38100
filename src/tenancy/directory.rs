//! Resolving a request's host to a site: the directory lookup, the checks that the customer and
//! site are active, and a short-lived in-memory cache of the answers.
//!
//! A host the served-hosts set ([`crate::tenancy::served_hosts`], reloaded every second) names is
//! not looked up: its site is read at once, in one flight of statements, and that read checks that
//! the site still serves the host (a host that moved or left within the second is then looked up
//! as any other). A page of a host this server has not resolved lately thus costs two round trips
//! to the database: the site, then the page.
//!
//! A site's entry ends as soon as its customer's write count moves ([`crate::db::WriteClock`],
//! which the change feed ticks for other processes' changes), so that a page the page cache keeps
//! until its customer changes is never rendered with the site's settings, branding or menus from
//! before the change. While the change feed is current it otherwise lives for
//! [`Directory::MAX_AGE`], or until the site's next scheduled post appears if that is sooner; while
//! it is not, and for unknown hosts and aliases (which name no customer whose writes could end
//! them), entries live for [`Directory::TTL`], so a change made anywhere (the CLI, another app
//! server) is seen by every server within that time.
//! Lookups are coalesced ([`crate::coalesce`]): one request per host loads a missing entry while
//! the others wait for it, and a busy entry is renewed by one request shortly before it ends.
//!
//! While the database cannot be read (a restart, an outage), a host's last answer is served for up
//! to [`Directory::STALE_LIMIT`] instead of an error, so visitors of a site already known keep
//! being served from the read replicas and the page cache; the load is tried again every
//! [`Directory::RETRY`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use scoped_futures::ScopedFutureExt;

use crate::branding::{self, Brand};
use crate::coalesce::{Flights, Turn, awaits_renewal, claim_renewal};
use crate::content::menus::{self, SiteMenus};
use crate::content::posts;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::tenancy::served_hosts::{HostSite, ServedHosts};
use crate::tenancy::{CustomerId, Scope, SiteId, customers, domains, sites};

/// The site a request is for, with what every page needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteContext {
    pub scope: Scope,
    pub site_id: SiteId,
    pub site_name: String,
    /// The host canonical URLs use.
    pub primary_host: String,
    /// ISO 4217 code of the customer's currency.
    pub currency: String,
    /// Whether product pages show the lowest retail price of the previous 30 days.
    pub show_lowest_30_day_price: bool,
    /// The header and footer menus as visitors see them.
    pub menus: SiteMenus,
    /// What public pages and the admin header show of the site's branding.
    pub brand: Arc<Brand>,
    /// The customer's write count when this was read ([`crate::db::WriteClock`]).
    pub writes: u64,
    /// When the site's next scheduled post or page becomes visible, as of when this was read:
    /// what visitors see changes then with no write to announce it.
    pub next_scheduled_at: Option<DateTime<Utc>>,
}

impl SiteContext {
    /// `end`, or the moment the site's next scheduled post appears if that is sooner: what the
    /// site's pages show changes then with no write to announce it.
    pub fn ends_by(&self, end: Instant) -> Instant {
        match self.next_scheduled_at {
            Some(at) => {
                let until = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                end.min(Instant::now() + until)
            }
            None => end,
        }
    }
}

/// What a host resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The canonical domain of an active site of an active customer: its primary, or its first
    /// served alias while the primary is not served.
    Site(Arc<SiteContext>),
    /// An alias: answer 301 to the same path on this host.
    Redirect(String),
    /// Unknown host, or its site or customer is inactive.
    Unknown,
}

/// The cached directory.
pub struct Directory {
    db: Database,
    /// Every served host with its site, reloaded every second: a host found there needs no
    /// lookup before its site is read.
    served: Arc<ServedHosts>,
    entries: RwLock<HashMap<String, Entry>>,
    loads: Flights,
    /// Counts [`Directory::invalidate`] calls: a load started before one is not kept.
    generation: AtomicU64,
    /// Lookups made in the database since start.
    lookups: AtomicU64,
    /// Of those, the ones that looked the host up in the domain directory first.
    host_lookups: AtomicU64,
}

/// A cached answer.
struct Entry {
    /// When the answer was read from the database.
    loaded: Instant,
    /// When it ends while the change feed is not current.
    expires: Instant,
    /// When it ends while the change feed is current (a site's entry: its maximum age or the
    /// site's next scheduled post; else the same as `expires`).
    expires_following: Instant,
    resolution: Resolution,
    /// Set when a request has taken on renewing it.
    renewing: AtomicBool,
}

/// What the cache holds for a host.
enum Cached {
    Valid(Resolution),
    /// Valid, but this request should renew it.
    Renew,
    Missing,
}

impl Entry {
    /// When the entry ends, `following` the change feed or not.
    fn end(&self, following: bool) -> Instant {
        if following {
            self.expires_following
        } else {
            self.expires
        }
    }
}

/// When an answer read at `loaded` ends while the change feed is current: a site's after
/// [`Directory::MAX_AGE`], or when its next scheduled post appears if that is sooner (what its
/// pages show changes then with no write to announce it); any other after [`Directory::TTL`].
fn following_end(resolution: &Resolution, loaded: Instant) -> Instant {
    match resolution {
        Resolution::Site(ctx) => ctx.ends_by(loaded + Directory::MAX_AGE),
        Resolution::Redirect(_) | Resolution::Unknown => loaded + Directory::TTL,
    }
}

/// Most hosts remembered at once; past it the cache starts afresh (bounds memory under a flood of
/// made-up hosts).
const MAX_ENTRIES: usize = 10_000;

impl Directory {
    /// How long an answer is reused while the change feed is not current, and an unknown host's
    /// or an alias's always.
    pub const TTL: Duration = Duration::from_millis(500);
    /// How long a site's answer is reused at most while the change feed is current.
    pub const MAX_AGE: Duration = Duration::from_secs(60);
    /// How long before an answer ends one request renews it.
    pub const RENEW_AHEAD: Duration = Duration::from_millis(100);
    /// How old a last answer may be and still be served while the database cannot be read.
    pub const STALE_LIMIT: Duration = Duration::from_secs(300);
    /// How often a load is tried again while a stale answer is served.
    pub const RETRY: Duration = Duration::from_millis(250);

    pub fn new(db: Database, served: Arc<ServedHosts>) -> Directory {
        Directory {
            db,
            served,
            entries: RwLock::new(HashMap::new()),
            loads: Flights::default(),
            generation: AtomicU64::new(0),
            lookups: AtomicU64::new(0),
            host_lookups: AtomicU64::new(0),
        }
    }

    /// Resolves a normalised host, from the cache when the answer is fresh, and from its last
    /// answer when the database cannot be read.
    pub async fn resolve(&self, host: &str) -> AppResult<Resolution> {
        match self.fresh(host).await {
            Err(error) if error.may_have_broken_the_connection() => self.stale(host).ok_or(error),
            other => other,
        }
    }

    async fn fresh(&self, host: &str) -> AppResult<Resolution> {
        match self.cached(host) {
            Cached::Valid(resolution) => return Ok(resolution),
            Cached::Renew => return self.load_and_keep(host).await,
            Cached::Missing => {}
        }
        let generation = self.generation.load(Ordering::Acquire);
        match self.loads.turn(host, generation) {
            Turn::Lead(guard) => {
                let resolution = self.load_and_keep(host).await?;
                guard.succeeded();
                Ok(resolution)
            }
            Turn::Wait(waiting) => {
                if !waiting.finished().await {
                    return Err(AppError::Unavailable(
                        "the site directory could not be read".into(),
                    ));
                }
                match self.cached(host) {
                    Cached::Valid(resolution) => Ok(resolution),
                    // Not kept (the cache was cleared meanwhile): this request loads it.
                    Cached::Renew | Cached::Missing => self.load_and_keep(host).await,
                }
            }
        }
    }

    /// The last answer for `host`, when it is recent enough to serve while the database cannot
    /// be read; it is then reused for [`Directory::RETRY`] before a load is tried again.
    fn stale(&self, host: &str) -> Option<Resolution> {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get_mut(host)?;
        let now = Instant::now();
        if now.duration_since(entry.loaded) > Self::STALE_LIMIT {
            return None;
        }
        entry.expires = entry.expires.max(now + Self::RETRY);
        entry.expires_following = entry.expires;
        entry.renewing = AtomicBool::new(false);
        metrics::counter!(crate::metrics::SITE_DIRECTORY_STALE).increment(1);
        Some(entry.resolution.clone())
    }

    /// Loads the answer for `host` and keeps it, unless the cache was cleared meanwhile.
    async fn load_and_keep(&self, host: &str) -> AppResult<Resolution> {
        let (started, generation) = (Instant::now(), self.generation.load(Ordering::Acquire));
        self.lookups.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(crate::metrics::SITE_DIRECTORY_LOADS).increment(1);
        let resolution = self.load(host).await?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return Ok(resolution);
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let entry = Entry {
            loaded: started,
            expires: started + Self::TTL,
            expires_following: following_end(&resolution, started),
            resolution: resolution.clone(),
            renewing: AtomicBool::new(false),
        };
        entries.insert(host.to_owned(), entry);
        Ok(resolution)
    }

    /// Number of lookups made in the database since start (for tests and diagnostics).
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Forgets every cached answer (after a change made by this process).
    pub fn invalidate(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    fn cached(&self, host: &str) -> Cached {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let following = self.db.changes().is_current();
        match entries.get(host) {
            Some(entry)
                if Instant::now() < entry.end(following) && self.is_current(&entry.resolution) =>
            {
                if claim_renewal(entry.end(following), Self::RENEW_AHEAD, &entry.renewing) {
                    Cached::Renew
                } else {
                    Cached::Valid(entry.resolution.clone())
                }
            }
            _ => Cached::Missing,
        }
    }

    /// The site `host` resolves to, if this server holds a valid answer for it that is not waiting
    /// to be renewed; never reads the database (for the page cache's fast path, which leaves
    /// everything else to [`Directory::resolve`]).
    pub fn known_site(&self, host: &str) -> Option<Arc<SiteContext>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(host)?;
        let Resolution::Site(ctx) = &entry.resolution else {
            return None;
        };
        let end = entry.end(self.db.changes().is_current());
        let usable = Instant::now() < end
            && self.is_current(&entry.resolution)
            && !awaits_renewal(end, Self::RENEW_AHEAD, &entry.renewing);
        usable.then(|| ctx.clone())
    }

    /// Whether no write of the site's customer has been counted since the answer was read.
    fn is_current(&self, resolution: &Resolution) -> bool {
        match resolution {
            Resolution::Site(ctx) => self.db.writes().of(ctx.scope.customer_id()) == ctx.writes,
            Resolution::Redirect(_) | Resolution::Unknown => true,
        }
    }

    /// Reads what `host` resolves to: with the site the served-hosts set names for it, in one
    /// flight of statements (that read checks that the site still serves the host); else, or when
    /// the set named it for a site that no longer does, after looking the host up.
    async fn load(&self, host: &str) -> AppResult<Resolution> {
        if let Some(named) = self.served.site_of(host)
            && let Some(resolution) = self.read_site(named, host).await?
        {
            return Ok(resolution);
        }
        self.host_lookups.fetch_add(1, Ordering::Relaxed);
        let entry = self
            .db
            .directory_read(|conn| async move { domains::lookup(conn, host).await }.scope_boxed())
            .await?;
        let Some(entry) = entry else {
            return Ok(Resolution::Unknown);
        };
        let named = HostSite {
            customer: CustomerId::from_uuid(entry.customer_id),
            site: SiteId::from_uuid(entry.site_id),
        };
        // `None`: the domain left the site since it was looked up a moment ago.
        Ok(self
            .read_site(named, host)
            .await?
            .unwrap_or(Resolution::Unknown))
    }

    /// What `host` resolves to as a domain of the site `named`; `None` if that site does not serve
    /// it (any more).
    async fn read_site(&self, named: HostSite, host: &str) -> AppResult<Option<Resolution>> {
        let scope = Scope::of(named.customer);
        let writes = self.db.writes().of(scope.customer_id());
        self.db
            .tenant_read(scope, |conn| {
                async move { site_of(conn, scope, named.site, host, writes).await }.scope_boxed()
            })
            .await
    }

    /// Hosts looked up in the domain directory since start, rather than found in the served-hosts
    /// set (for tests and diagnostics).
    pub fn host_lookups(&self) -> u64 {
        self.host_lookups.load(Ordering::Relaxed)
    }
}

/// What `host`, a domain of the site `site_id` of the customer in scope, resolves to; `None` if
/// the site does not serve it or does not exist. Everything is asked for at once, in one flight
/// of statements on the connection (a second carries what the answers of the first name: the
/// menus' pages and the branding's images), instead of one statement after another's answer.
async fn site_of(
    conn: &Conn,
    scope: Scope,
    site_id: SiteId,
    host: &str,
    writes: u64,
) -> AppResult<Option<Resolution>> {
    let read = futures_util::try_join!(
        customers::current(conn, scope),
        sites::find(conn, scope, site_id),
        domains::for_site(conn, scope, site_id),
        menus::visible(conn, scope, site_id),
        branding::brand_of(conn, scope, site_id),
        posts::next_scheduled_at(conn, scope, site_id),
    );
    let (customer, site, site_domains, menus, brand, next_scheduled_at) = match read {
        Ok(read) => read,
        // The customer or the site is gone (moved to another database, removed): it serves
        // nothing.
        Err(AppError::NotFound) => return Ok(None),
        Err(other) => return Err(other),
    };
    if !site_domains.iter().any(|d| d.host == host && d.is_served()) {
        return Ok(None);
    }
    if !customer.is_active || !site.is_active {
        return Ok(Some(Resolution::Unknown));
    }
    let Some(primary) = domains::canonical_host(&site_domains).cloned() else {
        return Ok(Some(Resolution::Unknown));
    };
    if primary.host != host {
        return Ok(Some(Resolution::Redirect(primary.host)));
    }
    Ok(Some(Resolution::Site(Arc::new(SiteContext {
        scope,
        site_id,
        site_name: site.name,
        primary_host: primary.host,
        currency: customer.currency.trim().to_owned(),
        show_lowest_30_day_price: customer.show_lowest_30_day_price,
        menus,
        brand: Arc::new(brand),
        writes,
        next_scheduled_at,
    }))))
}
