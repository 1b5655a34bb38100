//! Archives prepared in the background for a customer's owners (`/admin/export`): at most one
//! being prepared per customer at a time, written by [`super::export`] into a folder of this
//! server (readable by its user only), the newest of each customer kept until the next is asked
//! for. What is being prepared and what is ready is known to the server that prepares it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::db::Database;
use crate::media::store::SharedStore;
use crate::tenancy::CustomerId;

/// Where a customer's archive stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Being written since then.
    Preparing { since: DateTime<Utc> },
    /// Written: its id (in its download address), the file, its size, when it was finished.
    Ready {
        id: uuid::Uuid,
        path: PathBuf,
        bytes: u64,
        at: DateTime<Utc>,
    },
    /// The last attempt failed, with the reason.
    Failed { reason: String, at: DateTime<Utc> },
}

/// The archives of this server.
#[derive(Debug)]
pub struct Prepared {
    dir: PathBuf,
    statuses: Mutex<HashMap<CustomerId, Status>>,
}

impl Prepared {
    /// Archives kept in `dir` (made when the first is prepared).
    pub fn new(dir: PathBuf) -> Prepared {
        Prepared {
            dir,
            statuses: Mutex::default(),
        }
    }

    /// Where the customer's archive stands; `None`: none was asked for on this server.
    pub fn status(&self, customer: CustomerId) -> Option<Status> {
        self.lock().get(&customer).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CustomerId, Status>> {
        self.statuses.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, customer: CustomerId, status: Status) {
        self.lock().insert(customer, status);
    }

    /// Starts preparing the customer's archive in the background (its previous archive is
    /// removed); `false` when one is being prepared already.
    pub fn start(self: &Arc<Self>, db: Database, store: SharedStore, customer: CustomerId) -> bool {
        {
            let mut statuses = self.lock();
            match statuses.get(&customer) {
                Some(Status::Preparing { .. }) => return false,
                Some(Status::Ready { path, .. }) => {
                    let _ = std::fs::remove_file(path);
                }
                _ => {}
            }
            statuses.insert(
                customer,
                Status::Preparing {
                    since: crate::db::now(),
                },
            );
        }
        let prepared = Arc::clone(self);
        tokio::spawn(async move {
            let status = prepared.prepare(&db, &store, customer).await;
            prepared.set(customer, status);
        });
        true
    }

    async fn prepare(&self, db: &Database, store: &SharedStore, customer: CustomerId) -> Status {
        let failed = |reason: String| {
            tracing::warn!(%customer, %reason, "a customer's archive could not be prepared");
            Status::Failed {
                reason,
                at: crate::db::now(),
            }
        };
        if let Err(error) = private_folder(&self.dir) {
            return failed(format!("cannot make the folder of archives: {error}"));
        }
        let id = uuid::Uuid::new_v4();
        let path = self.dir.join(format!("{customer}-{}.zip", id.simple()));
        match super::export(db, store.as_ref(), customer, &path).await {
            Ok(_) => match std::fs::metadata(&path) {
                Ok(meta) => Status::Ready {
                    id,
                    path,
                    bytes: meta.len(),
                    at: crate::db::now(),
                },
                Err(error) => failed(error.to_string()),
            },
            Err(error) => failed(error.to_string()),
        }
    }
}

/// Makes `dir`, readable by this user only (the archives hold password hashes).
fn private_folder(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
