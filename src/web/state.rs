//! The application state every request handler reaches: the database, the host directory and the
//! set of served hosts, the session key, the page cache, the media store, the mail sender's
//! wake-up, the domain checks, the public origin, the trusted proxies and the request limits read from the
//! configuration.

use std::sync::Arc;

use actix_web::cookie::Key;
use actix_web::web;

use crate::config::{PublicOrigin, TrustedProxies};
use crate::db::Database;
use crate::mail::Mailer;
use crate::media::image::Limits as MediaLimits;
use crate::media::store::Store;
use crate::tenancy::directory::Directory;
use crate::tenancy::domain_checks::{CheckSettings, DomainChecks};
use crate::tenancy::served_hosts::ServedHosts;
use crate::tenancy::verification::ProbeSettings;
use crate::web::page_cache;

/// What every request handler can reach.
pub struct AppState {
    pub db: Database,
    pub directory: Directory,
    /// Every host the product serves, in memory (the answer to a TLS proxy's question).
    pub served_hosts: Arc<ServedHosts>,
    /// Signs and encrypts admin session cookies.
    pub session_key: Key,
    /// Rendered public pages.
    pub page_cache: page_cache::PageCache,
    /// The largest CSV file the products import accepts.
    pub max_upload_bytes: usize,
    /// The most an owner may upload to import a site: the export and its images archive together.
    pub max_site_import_bytes: usize,
    /// How long a client may take to send a whole request body.
    pub body_timeout: std::time::Duration,
    /// The scheme and port of every absolute address the sites show.
    pub public_origin: PublicOrigin,
    /// The proxies whose forwarding headers are believed (see [`crate::web::client`]).
    pub trusted_proxies: TrustedProxies,
    /// Where the media library's files live.
    pub media_store: Arc<dyn Store>,
    /// What the media library accepts.
    pub media_limits: MediaLimits,
    /// The most addresses one sitemap file holds before `/sitemap.xml` becomes an index: the
    /// protocol's [`crate::web::pages::sitemap::MAX_URLS`] (tests lower it).
    pub sitemap_max_urls: usize,
    /// The host the operator console answers on (`AGOAT_PLATFORM_HOST`), normalised; none: no
    /// console.
    pub platform_host: Option<String>,
    /// Wakes this server's mail sender after a transaction that queued mail has committed.
    pub mailer: Mailer,
    /// Verifies owners' domains and checks them again.
    pub domain_checks: Arc<DomainChecks>,
    /// Customers' archives prepared for their owners (`/admin/export`).
    pub prepared_exports: Arc<crate::moving::prepared::Prepared>,
}

impl AppState {
    pub fn new(
        db: Database,
        session_key: Key,
        public_origin: PublicOrigin,
        trusted_proxies: TrustedProxies,
        media_store: Arc<dyn Store>,
    ) -> web::Data<AppState> {
        let mut state = AppState::build(db, session_key, public_origin, media_store);
        state.trusted_proxies = trusted_proxies;
        web::Data::new(state)
    }

    /// The state with the limits the configuration gives and no trusted proxy, to adjust before
    /// serving.
    pub fn build(
        db: Database,
        session_key: Key,
        public_origin: PublicOrigin,
        media_store: Arc<dyn Store>,
    ) -> AppState {
        let served_hosts = Arc::new(ServedHosts::new());
        AppState {
            directory: Directory::new(db.clone(), served_hosts.clone()),
            served_hosts,
            db,
            session_key,
            page_cache: page_cache::PageCache::from_env(),
            max_upload_bytes: crate::config::max_upload_bytes(),
            max_site_import_bytes: crate::config::max_site_import_bytes(),
            body_timeout: crate::config::body_timeout(),
            public_origin,
            trusted_proxies: TrustedProxies::default(),
            media_store,
            media_limits: MediaLimits::from_env(),
            sitemap_max_urls: crate::web::pages::sitemap::MAX_URLS,
            platform_host: crate::config::platform_host(),
            mailer: Mailer::new(),
            domain_checks: Arc::new(DomainChecks::new(
                &ProbeSettings::default(),
                CheckSettings::default(),
            )),
            prepared_exports: Arc::new(crate::moving::prepared::Prepared::new(
                std::env::temp_dir().join("agoat-exports"),
            )),
        }
    }
}
