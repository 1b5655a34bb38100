//! The set of every host name the product serves — each domain of an active site of an active
//! customer — kept in memory and refreshed in the background.
//!
//! It answers the question a TLS proxy asks before it gets a certificate on demand for a name
//! ("is this name yours?", `GET /.well-known/agoat/tls-allowed`) without touching the database on
//! the request path: a proxy asks at every new handshake for a name it has no certificate for, so
//! the answer must never queue behind a busy or unreachable database. A background task reloads
//! the whole set every [`ServedHosts::REFRESH_EVERY`] with one query; a failed reload keeps the
//! last good set. Domains are not verified yet: every domain of an active site of an active
//! customer is served.
//!
//! Each host is kept with its site and customer, so that the site directory can read a host's
//! site without looking the host up first ([`crate::tenancy::directory`], which checks in that
//! read that the site still serves the host).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use scoped_futures::ScopedFutureExt;

use crate::db::Database;
use crate::error::AppResult;
use crate::tenancy::{CustomerId, SiteId, domains};

/// The hosts the product serves, as last read from the database.
#[derive(Default)]
pub struct ServedHosts {
    /// `None` until the first successful load.
    hosts: RwLock<Option<Arc<HashMap<String, HostSite>>>>,
    /// Successful loads since start.
    loads: AtomicU64,
    /// Failed loads since start (the set was kept as it was).
    failures: AtomicU64,
}

/// The site a served host belongs to, and its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSite {
    pub customer: CustomerId,
    pub site: SiteId,
}

/// Whether a host is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Yes,
    No,
    /// The set has never been loaded (the database was unreachable since start).
    NotLoaded,
}

impl ServedHosts {
    /// How often the set is reloaded: a domain added, removed or deactivated anywhere is seen
    /// within about this long.
    pub const REFRESH_EVERY: Duration = Duration::from_secs(1);

    pub fn new() -> ServedHosts {
        ServedHosts::default()
    }

    /// Whether `host` (normalised, [`crate::tenancy::host::normalize_domain`]) is served, from
    /// memory.
    pub fn contains(&self, host: &str) -> Served {
        let hosts = self.hosts.read().unwrap_or_else(|e| e.into_inner());
        match hosts.as_ref() {
            None => Served::NotLoaded,
            Some(set) if set.contains_key(host) => Served::Yes,
            Some(_) => Served::No,
        }
    }

    /// The site `host` belonged to when the set was last read (up to [`Self::REFRESH_EVERY`]
    /// ago), if it was served then.
    pub fn site_of(&self, host: &str) -> Option<HostSite> {
        let hosts = self.hosts.read().unwrap_or_else(|e| e.into_inner());
        hosts.as_ref()?.get(host).copied()
    }

    /// Replaces the whole set.
    pub fn replace(&self, hosts: impl IntoIterator<Item = (String, HostSite)>) {
        let set = Arc::new(hosts.into_iter().collect::<HashMap<_, _>>());
        *self.hosts.write().unwrap_or_else(|e| e.into_inner()) = Some(set);
        self.loads.fetch_add(1, Ordering::Relaxed);
    }

    /// Reloads the set from the database with one query; on failure the set stays as it was.
    /// Answers how many hosts are served.
    pub async fn refresh(&self, db: &Database) -> AppResult<usize> {
        let loaded = db
            .served_hosts_read(|conn| {
                async move { domains::served_hosts(conn).await }.scope_boxed()
            })
            .await;
        match loaded {
            Ok(hosts) => {
                let count = hosts.len();
                self.replace(hosts);
                Ok(count)
            }
            Err(error) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                Err(error)
            }
        }
    }

    /// Loads the set once, then keeps reloading it every [`Self::REFRESH_EVERY`] on a task of
    /// the current Tokio runtime until the set is dropped.
    pub async fn keep_fresh(self: &Arc<Self>, db: Database) {
        if let Err(error) = self.refresh(&db).await {
            tracing::warn!(%error, "the served hosts could not be loaded; retrying every second");
        }
        let served = Arc::downgrade(self);
        tokio::spawn(refresh_loop(served, db));
    }

    /// Successful loads since start.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Failed loads since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

async fn refresh_loop(served: Weak<ServedHosts>, db: Database) {
    let mut ticks = tokio::time::interval(ServedHosts::REFRESH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    let mut failing = false;
    loop {
        ticks.tick().await;
        let Some(served) = served.upgrade() else {
            return;
        };
        match served.refresh(&db).await {
            Ok(count) if failing => {
                failing = false;
                tracing::info!(count, "the served hosts are loaded again");
            }
            Ok(_) => {}
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "the served hosts could not be reloaded; keeping the last set");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hosts of one site.
    fn of_one_site(hosts: &[&str]) -> Vec<(String, HostSite)> {
        let site = HostSite {
            customer: CustomerId::from_uuid(uuid::Uuid::new_v4()),
            site: SiteId::from_uuid(uuid::Uuid::new_v4()),
        };
        hosts.iter().map(|host| (host.to_string(), site)).collect()
    }

    #[test]
    fn answers_not_loaded_until_the_first_load() {
        let served = ServedHosts::new();
        assert_eq!(served.contains("a.test"), Served::NotLoaded);
        served.replace(Vec::new());
        assert_eq!(served.contains("a.test"), Served::No);
        assert_eq!(served.loads(), 1);
    }

    #[test]
    fn a_load_replaces_the_whole_set() {
        let served = ServedHosts::new();
        let first = of_one_site(&["a.test", "www.a.test"]);
        served.replace(first.clone());
        assert_eq!(served.contains("a.test"), Served::Yes);
        assert_eq!(served.contains("www.a.test"), Served::Yes);
        assert_eq!(served.contains("b.test"), Served::No);
        assert_eq!(served.site_of("www.a.test"), Some(first[0].1));
        assert_eq!(served.site_of("b.test"), None);
        served.replace(of_one_site(&["b.test"]));
        assert_eq!(served.contains("a.test"), Served::No);
        assert_eq!(served.contains("b.test"), Served::Yes);
        assert_eq!(served.loads(), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_last_set() {
        // Nothing listens on port 1: every connection attempt fails at once.
        let settings = crate::db::PoolSettings {
            wait_timeout: Duration::from_millis(500),
            ..crate::db::PoolSettings::default()
        };
        let unreachable =
            Database::connect("postgres://agoat_app@127.0.0.1:1/agoat", &settings).unwrap();
        let served = ServedHosts::new();
        served.replace(of_one_site(&["a.test"]));
        assert!(served.refresh(&unreachable).await.is_err());
        assert_eq!(served.failures(), 1);
        assert_eq!(served.contains("a.test"), Served::Yes);
        assert_eq!(served.contains("b.test"), Served::No);
    }

    #[tokio::test]
    async fn the_refresh_task_ends_with_the_set() {
        let unreachable = Database::connect(
            "postgres://agoat_app@127.0.0.1:1/agoat",
            &crate::db::PoolSettings::default(),
        )
        .unwrap();
        let served = Arc::new(ServedHosts::new());
        let task = tokio::spawn(refresh_loop(Arc::downgrade(&served), unreachable));
        drop(served);
        tokio::time::timeout(ServedHosts::REFRESH_EVERY * 3, task)
            .await
            .expect("the task ends once the set is gone")
            .unwrap();
    }
}
