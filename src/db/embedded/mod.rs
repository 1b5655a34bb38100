//! The embedded default database.
//!
//! When no `DATABASE_URL` is given, AGoat runs its own PostgreSQL server from
//! the PostgreSQL binaries installed on the machine. This module owns that
//! server's public face — [`EmbeddedPostgres::start`], [`EmbeddedPostgres::url`],
//! [`EmbeddedPostgres::stop`] and the errors they report — and its parts own
//! the rest of its life:
//!
//! * [`binaries`]: finding `initdb` and `postgres` (`AGOAT_PG_BINDIR`, `PATH`,
//!   `pg_config --bindir`, `/usr/lib/postgresql/<highest>/bin`,
//!   `/usr/local/pgsql/bin`);
//! * [`placement`]: where the data folder goes: the one asked for, or — as
//!   root, when the `postgres` user cannot reach it — one of its own under
//!   `/var/lib/agoat` ([`data_dir_for`] says which);
//! * [`data_dir`]: the layout of the data folder: the cluster lives in
//!   `<data>/pg`, the server's Unix socket in `<data>/run` (or in
//!   `/tmp/agoat-pg-<hash>` when that path would be too long for a socket),
//!   and the server's output is appended to `<data>/postgres.log`;
//! * [`initdb`]: creating the cluster the first time (superuser `agoat`,
//!   trust authentication, UTF-8); later starts reuse it;
//! * [`run_as`]: running as the `postgres` system user when AGoat runs as
//!   root, because PostgreSQL refuses to run as root;
//! * [`locks`]: lock files a crashed server left behind;
//! * [`supervisor`]: starting `postgres` as a child process that listens only
//!   on its private Unix socket, waiting until it accepts connections, and
//!   stopping it with a fast shutdown on [`EmbeddedPostgres::stop`], on drop,
//!   or — through the kernel's parent-death signal — when this process dies;
//! * [`server_log`]: reading the server's output back for error messages.
//!
//! It does not create application databases: the caller connects to the
//! always-present `postgres` database with [`EmbeddedPostgres::url`] and
//! creates `agoat` itself if it is missing.

mod binaries;
mod data_dir;
mod initdb;
mod locks;
mod placement;
mod run_as;
mod server_log;
mod supervisor;
#[cfg(test)]
mod test_support;

use std::io;
use std::path::{Path, PathBuf};

use supervisor::Postmaster;

use crate::db::conninfo::quote_value as quote_conninfo_value;

/// The port number of the server. It only names the socket file
/// (`.s.PGSQL.5432`); the server never listens on TCP.
const PORT: u16 = 5432;
/// The cluster's superuser, created by `initdb`.
const SUPERUSER: &str = "agoat";
/// The name of the server's socket file in the socket folder.
const SOCKET_NAME: &str = ".s.PGSQL.5432";

/// A PostgreSQL server run by this process from a data folder.
///
/// Created by [`EmbeddedPostgres::start`]; stopped by
/// [`EmbeddedPostgres::stop`] or, failing that, when dropped.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    /// Where this run's output starts in `postgres.log`.
    log_offset: u64,
    /// `None` once stopped.
    postmaster: Option<Postmaster>,
}

/// Why the embedded PostgreSQL could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// Neither the search path nor the usual install folders hold both
    /// `initdb` and `postgres`.
    #[error(
        "PostgreSQL server binaries (initdb, postgres) not found: install them (Debian/Ubuntu: apt install postgresql) or set DATABASE_URL to an existing server"
    )]
    BinariesNotFound,
    /// Running as root, but there is no `postgres` account to run the server as.
    #[error(
        "running as root, but there is no `postgres` system user to run the embedded PostgreSQL as: create it (Debian/Ubuntu: apt install postgresql), run AGoat as a regular user, or set DATABASE_URL to an existing server"
    )]
    NoServerUser,
    /// The `postgres` account cannot reach the data folder.
    #[error(
        "the `postgres` system user cannot enter {}, which leads to the data folder: choose a data folder it can reach with AGOAT_DATA_DIR",
        .dir.display()
    )]
    DirNotSearchable { dir: PathBuf },
    /// The socket folder exists but belongs to someone else or is not a folder.
    #[error("socket folder {} cannot be used: {reason}", .dir.display())]
    UnsafeSocketDir { dir: PathBuf, reason: String },
    /// A file-system or process operation failed.
    #[error("cannot {action} {}: {error}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    /// `initdb` failed; `message` is the last line it wrote.
    #[error("initdb failed for {}: {message}", .dir.display())]
    InitDb { dir: PathBuf, message: String },
    /// Another live PostgreSQL server uses the data folder.
    #[error("data folder {} is in use by another PostgreSQL (pid {pid})", .dir.display())]
    InUse { dir: PathBuf, pid: u32 },
    /// The server exited before it accepted connections.
    #[error("PostgreSQL exited during startup ({status}); {} ends with: {tail}", .log.display())]
    ExitedEarly {
        status: String,
        log: PathBuf,
        tail: String,
    },
    /// The server did not accept connections in time (it has been stopped).
    #[error("PostgreSQL did not accept connections within {secs} s; {} ends with: {tail}", .log.display())]
    StartTimeout {
        secs: u64,
        log: PathBuf,
        tail: String,
    },
    /// The server ignored the fast-shutdown request and had to be forced down.
    #[error("PostgreSQL did not shut down within {secs} s and was forced to quit")]
    StopTimeout { secs: u64 },
}

impl EmbeddedPostgres {
    /// Finds the binaries, initialises `data_dir` if it holds no cluster yet, starts the server and waits until it accepts connections.
    ///
    /// `data_dir` is created if needed. If this future is dropped before it
    /// completes, a server it already launched is stopped.
    pub async fn start(data_dir: &Path) -> Result<EmbeddedPostgres, EmbeddedError> {
        let owned = data_dir.to_path_buf();
        let launched = tokio::task::spawn_blocking(move || Self::launch(&owned)).await;
        let server = match launched {
            Ok(result) => result?,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(_) => {
                return Err(EmbeddedError::Io {
                    action: "start PostgreSQL in",
                    path: data_dir.to_path_buf(),
                    error: io::Error::other("the async runtime is shutting down"),
                });
            }
        };
        // On error `server` is dropped here, which stops the child.
        server.wait_until_ready().await?;
        tracing::info!(
            data_dir = %server.data_dir.display(),
            socket_dir = %server.socket_dir.display(),
            pid = server.pid(),
            "embedded PostgreSQL is ready"
        );
        Ok(server)
    }

    /// A libpq/tokio-postgres key-value connection string for database `dbname` as the cluster's superuser, e.g. "host=/abs/socket/dir port=5432 user=agoat dbname=agoat"
    ///
    /// The database `postgres` always exists; `agoat` does not until the
    /// caller creates it. Values containing spaces, quotes or backslashes are
    /// quoted as libpq expects.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "host={} port={PORT} user={} dbname={}",
            quote_conninfo_value(&self.socket_dir.to_string_lossy()),
            quote_conninfo_value(SUPERUSER),
            quote_conninfo_value(dbname)
        )
    }

    /// Fast shutdown (SIGINT to postmaster), waits for it to exit (up to ~30 s, then SIGQUIT).
    ///
    /// Returns [`EmbeddedError::StopTimeout`] if the server had to be forced
    /// down. A server that already exited on its own counts as stopped.
    pub async fn stop(mut self) -> Result<(), EmbeddedError> {
        let joined = tokio::task::spawn_blocking(move || self.shutdown_blocking()).await;
        match joined {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            // The closure never ran; `self` was dropped with it, and Drop stopped the server.
            Err(_) => Ok(()),
        }
    }

    /// The data folder in use: the one given to [`EmbeddedPostgres::start`],
    /// or its replacement under `/var/lib/agoat` (see [`data_dir_for`]).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn pid(&self) -> u32 {
        self.postmaster.as_ref().map_or(0, |pm| pm.pid)
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if self.postmaster.is_some()
            && let Err(error) = self.shutdown_blocking()
        {
            tracing::error!(data_dir = %self.data_dir.display(), %error, "stopping embedded PostgreSQL failed");
        }
    }
}

/// The data folder [`EmbeddedPostgres::start`] uses for `requested`: itself,
/// or — when AGoat runs as root and the `postgres` system user cannot enter a
/// folder above it — `/var/lib/agoat/<parent>-<name>-<hash>`, one per
/// canonical path asked for.
pub fn data_dir_for(requested: &Path) -> Result<PathBuf, EmbeddedError> {
    let run_as = run_as::RunAs::current()?;
    Ok(placement::place(requested, &run_as)?.data_dir)
}

/// Wraps an I/O error with what was being done to which path.
fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |error| EmbeddedError::Io {
        action,
        path,
        error,
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    use super::supervisor::send_signal;
    use super::test_support::{TempDir, psql};
    use super::*;

    fn initdb_runs(data_dir: &Path) -> usize {
        fs::read_to_string(data_dir.join("postgres.log"))
            .unwrap_or_default()
            .matches("---- initdb")
            .count()
    }

    #[tokio::test]
    async fn start_stop_restart_reuses_data() {
        let tmp = TempDir::new("lifecycle");
        let data_dir = tmp.0.join("data");
        let pg = EmbeddedPostgres::start(&data_dir).await.unwrap();
        let data_dir = fs::canonicalize(&data_dir).unwrap();
        assert_eq!(pg.socket_dir, data_dir.join("run"));
        let url = pg.url("postgres");
        assert_eq!(
            url,
            format!(
                "host={} port=5432 user=agoat dbname=postgres",
                data_dir.join("run").display()
            )
        );
        assert_eq!(psql(&url, "select 1"), "1");
        assert_eq!(psql(&url, "show listen_addresses"), "");
        assert_eq!(psql(&url, "show server_encoding"), "UTF8");
        psql(&url, "create database agoat");
        psql(
            &pg.url("agoat"),
            "create table marker (x int); insert into marker values (42)",
        );
        assert_eq!(initdb_runs(&data_dir), 1);
        let socket_meta = fs::metadata(data_dir.join("run")).unwrap();
        assert_eq!(socket_meta.mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(&data_dir).unwrap().mode() & 0o777, 0o700);
        let pid = pg.pid();
        pg.stop().await.unwrap();
        assert!(send_signal(pid, 0).is_err(), "postmaster is gone");
        assert!(!data_dir.join("pg/postmaster.pid").exists());

        let pg = EmbeddedPostgres::start(&data_dir).await.unwrap();
        assert_eq!(initdb_runs(&data_dir), 1, "no second initdb");
        assert_eq!(psql(&pg.url("agoat"), "select x from marker"), "42");
        pg.stop().await.unwrap();
    }

    #[tokio::test]
    async fn drop_stops_the_server_and_second_start_is_refused() {
        let tmp = TempDir::new("drop");
        let data_dir = tmp.0.join("data");
        let pg = EmbeddedPostgres::start(&data_dir).await.unwrap();
        let pid = pg.pid();
        let error = EmbeddedPostgres::start(&data_dir).await.unwrap_err();
        match &error {
            EmbeddedError::InUse { pid: holder, .. } => assert_eq!(*holder, pid),
            other => panic!("expected InUse, got {other:?}"),
        }
        let message = error.to_string();
        assert!(
            message.contains("is in use by another PostgreSQL"),
            "{message}"
        );
        assert!(!message.contains('\n'));
        // The first server is untouched.
        assert_eq!(psql(&pg.url("postgres"), "select 2"), "2");
        drop(pg);
        assert!(
            send_signal(pid, 0).is_err(),
            "postmaster is gone after drop"
        );
    }
}
