//! Where media files' bytes live: one small interface, [`Store`], with two backends, files on a
//! local disk ([`FsStore`]) and an S3-compatible object store ([`S3Store`]); [`from_env`] picks one
//! from `AGOAT_MEDIA_URL` (see `env.rs` and the table in [`crate::config`]).
//!
//! Keys are chosen by the caller and content-addressed per customer ([`Key`]): a key once written
//! never changes content, so writes are idempotent and readers never need a lock.

mod env;
mod fs;
mod key;
mod s3;

use std::path::PathBuf;
use std::sync::Arc;

pub use env::{StoreConfig, from_env};
pub use fs::{FsStore, STALE_TEMP_AGE};
pub use key::{Key, ORIGINALS};
pub use s3::{S3Credentials, S3Settings, S3Store};

/// Where media files' bytes live. Keys are chosen by the caller: `{customer_id}/{sha256 hex}.{ext}`
/// (content-addressed per customer). A key once written never changes content.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Writes the bytes under `key` atomically: a reader sees the whole file or none. Writing a
    /// key that exists with the same content is a no-op success; with other content it is a
    /// [`StoreError::Conflict`] and the stored bytes stay.
    async fn put(&self, key: &Key, bytes: bytes::Bytes) -> Result<(), StoreError>;

    /// The bytes, or `None` when absent.
    async fn get(&self, key: &Key) -> Result<Option<bytes::Bytes>, StoreError>;

    /// Removes the file; an absent one is fine.
    async fn delete(&self, key: &Key) -> Result<(), StoreError>;

    /// Human description for the start-up log line ("files under /data/media",
    /// "s3://bucket/prefix at http://…"); never holds a secret.
    fn describe(&self) -> String;
}

/// A shared store, as the application holds it.
pub type SharedStore = Arc<dyn Store>;

/// What can go wrong storing or reading media files.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Text that is not a media key (see [`Key`]).
    #[error("not a media key: {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    /// The key already holds other bytes: keys are content-addressed and never change content.
    #[error("media key {key} already holds other bytes (a key never changes content)")]
    Conflict { key: String },
    /// A configuration variable is missing or malformed; names the variable.
    #[error("{variable}: {reason}")]
    Config {
        variable: &'static str,
        reason: String,
    },
    /// A local file operation failed.
    #[error("media files: cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The object store refused or could not be reached.
    #[error("media object store: cannot {action} {key}: {source}")]
    Remote {
        action: &'static str,
        key: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl From<StoreError> for crate::error::AppError {
    /// A key that is not one names nothing (404); a conflict is a 409; the rest is a 500 whose
    /// detail goes to the log only.
    fn from(error: StoreError) -> Self {
        use crate::error::AppError;
        match error {
            StoreError::InvalidKey { .. } => AppError::NotFound,
            StoreError::Conflict { .. } => AppError::Conflict(error.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Success when the stored bytes are the ones being written, else a conflict: what a put of an
/// existing key answers.
fn same_or_conflict(key: &Key, existing: &[u8], bytes: &[u8]) -> Result<(), StoreError> {
    if existing == bytes {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            key: key.to_string(),
        })
    }
}
