//! `agoat serve`: serves every site until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::cli::Failure;
use crate::config::{PublicOrigin, TrustedProxies};
use crate::db::Database;
use crate::error::AppError;
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
/// of `trusted` proxies.
pub async fn serve(
    db: Database,
    bind: SocketAddr,
    origin: PublicOrigin,
    trusted: TrustedProxies,
    media_store: Arc<dyn Store>,
) -> Result<(), Failure> {
    let key = crate::config::session_key().map_err(|e| Failure::from(AppError::Invalid(e)))?;
    tracing::info!(store = %media_store.describe(), "media library");
    if !trusted.is_empty() {
        tracing::info!(proxies = ?trusted, "forwarding headers believed from these proxies");
    }
    web::serve(AppState::new(db, key, origin, trusted, media_store), bind)
        .await
        .map_err(|e| Failure::from(AppError::Internal(format!("cannot serve on {bind}: {e}"))))
}
