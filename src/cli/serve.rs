//! `agoat serve`: serves every site until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::tenancy::domain_checks::DomainChecks;

use crate::cli::Failure;
use crate::config::{PublicOrigin, TrustedProxies};
use crate::db::replicas::{self, Replicas};
use crate::db::{Database, PoolSettings};
use crate::error::AppError;
use crate::mail::message::FromAddress;
use crate::mail::sender::{Sender, Settings};
use crate::mail::transport::Transport;
use crate::media::store::Store;
use crate::web::{self, AppState};

/// The public origin of `agoat serve`: the configured one, else `http` on port 80 (a server behind a
/// proxy is reached on the proxy's port, not its own).
pub fn public_origin() -> Result<PublicOrigin, Failure> {
    crate::config::public_origin(None).map_err(|e| Failure::from(AppError::Invalid(e)))
}

/// The proxies `agoat serve` and `agoat demo` believe: `AGOAT_TRUSTED_PROXIES`; a bad value is a
/// one-line error before anything starts.
pub fn trusted_proxies() -> Result<TrustedProxies, Failure> {
    crate::config::trusted_proxies().map_err(|e| Failure::from(AppError::Invalid(e)))
}

/// Serves on `bind`, showing absolute addresses on `origin` and believing the forwarding headers
/// of `trusted` proxies, with the operator console on `AGOAT_PLATFORM_HOST` and the mail sender
/// running beside the server (mail to `AGOAT_SMTP_URL`, else to files under `<data_dir>/outbox`).
pub async fn serve(
    db: Database,
    bind: SocketAddr,
    origin: PublicOrigin,
    trusted: TrustedProxies,
    media_store: Arc<dyn Store>,
    data_dir: &Path,
) -> Result<(), Failure> {
    let platform_host = crate::config::platform_host();
    serve_with(
        db,
        bind,
        origin,
        trusted,
        media_store,
        platform_host,
        data_dir,
    )
    .await
}

/// The database with the read replicas `AGOAT_DATABASE_REPLICA_URLS` lists, if any (see
/// [`crate::db::replicas`]).
pub fn with_replicas(db: Database, serving_url: &str) -> Result<Database, Failure> {
    let invalid = |e: String| Failure::from(AppError::Invalid(e));
    let (urls, max_lag) = replicas::settings_from_env().map_err(invalid)?;
    if urls.is_empty() {
        return Ok(db);
    }
    let settings = PoolSettings::from_env().map_err(invalid)?;
    let replicas = Replicas::connect(&urls, serving_url, &settings, max_lag)?;
    for replica in replicas.list() {
        tracing::info!(replica = %replica.label, max_lag_ms = max_lag.as_millis() as u64, "read replica");
    }
    Ok(db.with_replicas(replicas))
}

/// Where metrics are served (`AGOAT_METRICS_BIND`) with the recorder installed for them, or none
/// when it is not set.
fn metrics_listener()
-> Result<Option<(SocketAddr, metrics_exporter_prometheus::PrometheusHandle)>, String> {
    let Some(bind) = crate::config::metrics_bind()? else {
        return Ok(None);
    };
    let customers = crate::metrics::customers_from_env()?;
    let handle = crate::metrics::install(customers)?;
    Ok(Some((bind, handle)))
}

/// Serves as [`serve`] does, with the operator console on `platform_host` (none: no console).
pub async fn serve_with(
    db: Database,
    bind: SocketAddr,
    origin: PublicOrigin,
    trusted: TrustedProxies,
    media_store: Arc<dyn Store>,
    platform_host: Option<String>,
    data_dir: &Path,
) -> Result<(), Failure> {
    let invalid = |e: String| Failure::from(AppError::Invalid(e));
    let key = crate::config::session_key().map_err(invalid)?;
    let transport = Transport::from_env(data_dir).map_err(invalid)?;
    let from = FromAddress::from_env().map_err(invalid)?;
    tracing::info!(store = %media_store.describe(), "media library");
    match &transport {
        Transport::Files(folder) => tracing::info!(
            folder = %folder.display(),
            "mail is written to files in {} (AGOAT_SMTP_URL is not set)",
            folder.display()
        ),
        Transport::Smtp { .. } => {
            tracing::info!(to = %transport.describe(), from = %from.address(), "mail")
        }
    }
    if !trusted.is_empty() {
        tracing::info!(proxies = ?trusted, "forwarding headers believed from these proxies");
    }
    if let Some(host) = &platform_host {
        tracing::info!(host = %host, "operator console");
    }
    let metrics = metrics_listener().map_err(invalid)?;
    let domain_checks = DomainChecks::from_env().map_err(invalid)?;
    let mut state = AppState::build(db.clone(), key, origin, media_store);
    state.trusted_proxies = trusted;
    state.platform_host = platform_host;
    state.domain_checks = Arc::new(domain_checks);
    let state = actix_web::web::Data::new(state);
    let sender = Sender::new(db, transport, from, Settings::default()).spawn(state.mailer.clone());
    let metrics = metrics.map(|(bind, handle)| {
        let serving = crate::web::metrics::serve(bind, handle, state.clone());
        tokio::spawn(async move {
            if let Err(error) = serving.await {
                tracing::error!(%error, %bind, "the metrics listener stopped");
            }
        })
    });
    let served = web::serve(state, bind).await;
    sender.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    served.map_err(|e| Failure::from(AppError::Internal(format!("cannot serve on {bind}: {e}"))))
}
