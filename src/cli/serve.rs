//! `agoat serve`: serves every site until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::cli::Failure;
use crate::config::PublicOrigin;
use crate::db::Database;
use crate::error::AppError;
use crate::media::store::Store;
use crate::web::{self, AppState};

/// The public origin of `agoat serve`: the configured one, else `http` on port 80 (a server behind a
/// proxy is reached on the proxy's port, not its own).
pub fn public_origin() -> Result<PublicOrigin, Failure> {
    crate::config::public_origin(None).map_err(|e| Failure::from(AppError::Invalid(e)))
}

/// Serves on `bind`, showing absolute addresses on `origin`.
pub async fn serve(
    db: Database,
    bind: SocketAddr,
    origin: PublicOrigin,
    media_store: Arc<dyn Store>,
) -> Result<(), Failure> {
    serve_with(
        db,
        bind,
        origin,
        media_store,
        crate::config::platform_host(),
    )
    .await
}

/// Serves with the operator console on `platform_host` (none: no console).
pub async fn serve_with(
    db: Database,
    bind: SocketAddr,
    origin: PublicOrigin,
    media_store: Arc<dyn Store>,
    platform_host: Option<String>,
) -> Result<(), Failure> {
    let key = crate::config::session_key().map_err(|e| Failure::from(AppError::Invalid(e)))?;
    tracing::info!(store = %media_store.describe(), "media library");
    if let Some(host) = &platform_host {
        tracing::info!(host = %host, "operator console");
    }
    let mut state = AppState::build(db, key, origin, media_store);
    state.platform_host = platform_host;
    web::serve(actix_web::web::Data::new(state), bind)
        .await
        .map_err(|e| Failure::from(AppError::Internal(format!("cannot serve on {bind}: {e}"))))
}
