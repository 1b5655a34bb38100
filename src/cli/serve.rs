//! `agoat serve`: serves every site until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::cli::Failure;
use crate::config::PublicOrigin;
use crate::db::Database;
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

/// Serves on `bind`, showing absolute addresses on `origin`, with the mail sender running beside
/// the server (mail to `AGOAT_SMTP_URL`, else to files under `<data_dir>/outbox`).
pub async fn serve(
    db: Database,
    bind: SocketAddr,
    origin: PublicOrigin,
    media_store: Arc<dyn Store>,
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
    let state = AppState::new(db.clone(), key, origin, media_store);
    let sender = Sender::new(db, transport, from, Settings::default()).spawn(state.mailer.clone());
    let served = web::serve(state, bind).await;
    sender.abort();
    served.map_err(|e| Failure::from(AppError::Internal(format!("cannot serve on {bind}: {e}"))))
}
