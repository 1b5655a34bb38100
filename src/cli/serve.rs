//! `agoat serve`: serves every site until SIGINT or SIGTERM.

use std::net::SocketAddr;

use crate::cli::Failure;
use crate::db::Database;
use crate::error::AppError;
use crate::web::{self, AppState};

pub async fn serve(db: Database, bind: SocketAddr) -> Result<(), Failure> {
    let key = crate::config::session_key().map_err(|e| Failure::from(AppError::Invalid(e)))?;
    web::serve(AppState::new(db, key), bind)
        .await
        .map_err(|e| Failure::from(AppError::Internal(format!("cannot serve on {bind}: {e}"))))
}
