//! Resolving a request's host to a site: the directory lookup, the checks that the customer and
//! site are active, and a short-lived in-memory cache of the answers.
//!
//! Entries live for [`Directory::TTL`], so a domain, site or customer change made anywhere (the
//! CLI, another app server) is seen by every server within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use scoped_futures::ScopedFutureExt;

use crate::db::Database;
use crate::error::AppResult;
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
}

/// What a host resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A primary domain of an active site of an active customer.
    Site(Arc<SiteContext>),
    /// An alias: answer 301 to the same path on this host.
    Redirect(String),
    /// Unknown host, or its site or customer is inactive.
    Unknown,
}

/// The cached directory.
pub struct Directory {
    db: Database,
    entries: RwLock<HashMap<String, (Instant, Resolution)>>,
}

/// Most hosts remembered at once; past it the cache starts afresh (bounds memory under a flood of
/// made-up hosts).
const MAX_ENTRIES: usize = 10_000;

impl Directory {
    /// How long an answer is reused.
    pub const TTL: Duration = Duration::from_millis(500);

    pub fn new(db: Database) -> Directory {
        Directory {
            db,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Resolves a normalised host, from the cache when the answer is fresh.
    pub async fn resolve(&self, host: &str) -> AppResult<Resolution> {
        if let Some(hit) = self.cached(host) {
            return Ok(hit);
        }
        let resolution = self.load(host).await?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(host.to_owned(), (Instant::now(), resolution.clone()));
        Ok(resolution)
    }

    /// Forgets every cached answer (after a change made by this process).
    pub fn invalidate(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn cached(&self, host: &str) -> Option<Resolution> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(host)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, resolution)| resolution.clone())
    }

    async fn load(&self, host: &str) -> AppResult<Resolution> {
        let entry = self
            .db
            .directory_read(|conn| async move { domains::lookup(conn, host).await }.scope_boxed())
            .await?;
        let Some(entry) = entry else {
            return Ok(Resolution::Unknown);
        };
        let scope = Scope::of(CustomerId::from_uuid(entry.customer_id));
        let site_id = SiteId::from_uuid(entry.site_id);
        self.db
            .tenant_read(scope, |conn| {
                let entry = entry.clone();
                async move {
                    let customer = customers::current(conn, scope).await?;
                    let site = sites::find(conn, scope, site_id).await?;
                    if !customer.is_active || !site.is_active {
                        return Ok(Resolution::Unknown);
                    }
                    let primary = domains::for_site(conn, scope, site_id)
                        .await?
                        .into_iter()
                        .find(|d| d.is_primary);
                    let Some(primary) = primary else {
                        return Ok(Resolution::Unknown);
                    };
                    if !entry.is_primary {
                        return Ok(Resolution::Redirect(primary.host));
                    }
                    Ok(Resolution::Site(Arc::new(SiteContext {
                        scope,
                        site_id,
                        site_name: site.name,
                        primary_host: primary.host,
                        currency: customer.currency.trim().to_owned(),
                        show_lowest_30_day_price: customer.show_lowest_30_day_price,
                    })))
                }
                .scope_boxed()
            })
            .await
    }
}
