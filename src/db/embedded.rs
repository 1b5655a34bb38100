//! The embedded default database.
//!
//! When no `DATABASE_URL` is given, AGoat runs its own PostgreSQL server from
//! the PostgreSQL binaries installed on the machine. This module owns that
//! server's whole life:
//!
//! * finding `initdb` and `postgres` (`AGOAT_PG_BINDIR`, `PATH`,
//!   `pg_config --bindir`, `/usr/lib/postgresql/<highest>/bin`,
//!   `/usr/local/pgsql/bin`);
//! * the layout of the data folder: the cluster lives in `<data>/pg`, the
//!   server's Unix socket in `<data>/run` (or in `/tmp/agoat-pg-<hash>` when
//!   that path would be too long for a socket), and the server's output is
//!   appended to `<data>/postgres.log`;
//! * creating the cluster with `initdb` the first time (superuser `agoat`,
//!   trust authentication, UTF-8); later starts reuse it;
//! * running as the `postgres` system user when AGoat runs as root, because
//!   PostgreSQL refuses to run as root;
//! * starting `postgres` as a child process that listens only on its private
//!   Unix socket, waiting until it accepts connections, and stopping it with a
//!   fast shutdown on [`EmbeddedPostgres::stop`], on drop, or — through the
//!   kernel's parent-death signal — when this process dies.
//!
//! It does not create application databases: the caller connects to the
//! always-present `postgres` database with [`EmbeddedPostgres::url`] and
//! creates `agoat` itself if it is missing.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// The port number of the server. It only names the socket file
/// (`.s.PGSQL.5432`); the server never listens on TCP.
const PORT: u16 = 5432;
/// The cluster's superuser, created by `initdb`.
const SUPERUSER: &str = "agoat";
/// The system account that runs the server when AGoat runs as root.
const SERVER_USER: &str = "postgres";
/// Environment variable naming a folder that holds `initdb` and `postgres`.
const BINDIR_ENV: &str = "AGOAT_PG_BINDIR";
/// Longest socket path we use; the kernel's limit is 107 bytes.
const MAX_SOCKET_PATH: usize = 100;
const SOCKET_NAME: &str = ".s.PGSQL.5432";
const SOCKET_LOCK_NAME: &str = ".s.PGSQL.5432.lock";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const QUIT_TIMEOUT: Duration = Duration::from_secs(10);
const KILL_TIMEOUT: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How many of the last log lines go into an error message.
const LOG_TAIL_LINES: usize = 3;

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
        "the `postgres` system user cannot enter {}, which leads to the data folder: choose a data folder it can reach, e.g. AGOAT_DATA_DIR=/var/lib/agoat",
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

    fn pid(&self) -> u32 {
        self.postmaster.as_ref().map_or(0, |pm| pm.pid)
    }

    /// Everything up to spawning the server; blocking.
    fn launch(data_dir: &Path) -> Result<EmbeddedPostgres, EmbeddedError> {
        let binaries = find_binaries(&BinarySearch::from_env())?;
        let run_as = RunAs::current()?;
        let data_dir = prepare_data_dir(data_dir, &run_as)?;
        let cluster_dir = data_dir.join("pg");
        let socket_dir = socket_dir_for(&data_dir);
        prepare_private_dir(&socket_dir, &run_as)?;
        if let Some(user) = &run_as.switch_to {
            check_searchable_by(&socket_dir, user)?;
        }

        let log_path = data_dir.join("postgres.log");
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log_path)
            .map_err(io_error("open", &log_path))?;
        if let Some(user) = &run_as.switch_to {
            std::os::unix::fs::chown(&log_path, Some(user.uid), Some(user.gid))
                .map_err(io_error("change the owner of", &log_path))?;
        }

        if let Some(user) = &run_as.switch_to {
            // A cluster copied in by root must belong to the server user.
            if let Ok(meta) = fs::symlink_metadata(&cluster_dir)
                && (meta.uid() != user.uid || meta.gid() != user.gid)
            {
                tracing::info!(dir = %cluster_dir.display(), "giving the cluster to the `postgres` user");
                chown_tree(&cluster_dir, user.uid, user.gid)
                    .map_err(io_error("change the owner of", &cluster_dir))?;
            }
        }

        if !cluster_dir.join("PG_VERSION").exists() {
            run_initdb(&binaries, &data_dir, &cluster_dir, &run_as, &mut log)?;
        }

        clear_stale_locks(&data_dir, &cluster_dir, &socket_dir)?;

        let log_offset = log
            .seek(SeekFrom::End(0))
            .map_err(io_error("read", &log_path))?;
        let mut command = Command::new(&binaries.postgres);
        command
            .arg("-D")
            .arg(&cluster_dir)
            .arg("-k")
            .arg(quote_guc_list_item(&socket_dir.to_string_lossy()))
            .arg("-p")
            .arg(PORT.to_string())
            .args(["-c", "listen_addresses="])
            .args(["-c", "unix_socket_permissions=0700"])
            .args(["-c", "fsync=on"])
            .current_dir(&data_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io_error("open", &log_path))?)
            .stderr(log)
            // Keep the terminal's Ctrl-C away from the server: we stop it
            // ourselves, after the application has let go of it.
            .process_group(0);
        prepare_child(&mut command, &run_as);
        set_parent_death_signal(&mut command);

        tracing::info!(
            data_dir = %data_dir.display(),
            bindir = %binaries.bindir.display(),
            "starting embedded PostgreSQL"
        );
        let postmaster = Postmaster::spawn(command).map_err(io_error("run", &binaries.postgres))?;
        tracing::debug!(pid = postmaster.pid, "postgres started");
        Ok(EmbeddedPostgres {
            data_dir,
            cluster_dir,
            socket_dir,
            log_path,
            log_offset,
            postmaster: Some(postmaster),
        })
    }

    async fn wait_until_ready(&self) -> Result<(), EmbeddedError> {
        let Some(postmaster) = &self.postmaster else {
            return Ok(());
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = postmaster.exit_status() {
                return Err(self.early_exit_error(status));
            }
            if self.is_ready(postmaster.pid) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(EmbeddedError::StartTimeout {
                    secs: READY_TIMEOUT.as_secs(),
                    log: self.log_path.clone(),
                    tail: self.log_tail(),
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The socket exists and `postmaster.pid` is ours and says `ready`.
    fn is_ready(&self, pid: u32) -> bool {
        let socket_ok = fs::symlink_metadata(self.socket_dir.join(SOCKET_NAME))
            .is_ok_and(|meta| meta.file_type().is_socket());
        if !socket_ok {
            return false;
        }
        let Ok(contents) = fs::read_to_string(self.cluster_dir.join("postmaster.pid")) else {
            return false;
        };
        let lines: Vec<&str> = contents.lines().collect();
        // Line 1: pid; line 8: status ("starting", "ready", "stopping"...).
        lines.first().map(|line| line.trim()) == Some(pid.to_string().as_str())
            && lines.get(7).map(|line| line.trim()) == Some("ready")
    }

    fn early_exit_error(&self, status: ExitStatus) -> EmbeddedError {
        let output = read_log_from(&self.log_path, self.log_offset);
        if let Some(pid) = other_postmaster_pid(&output) {
            return EmbeddedError::InUse {
                dir: self.data_dir.clone(),
                pid,
            };
        }
        EmbeddedError::ExitedEarly {
            status: status.to_string(),
            log: self.log_path.clone(),
            tail: tail_lines(&output),
        }
    }

    fn log_tail(&self) -> String {
        tail_lines(&read_log_from(&self.log_path, self.log_offset))
    }

    /// Fast shutdown, then immediate shutdown, then SIGKILL; blocking and idempotent.
    fn shutdown_blocking(&mut self) -> Result<(), EmbeddedError> {
        let Some(postmaster) = self.postmaster.take() else {
            return Ok(());
        };
        let data_dir = self.data_dir.display().to_string();
        if let Some(status) = postmaster.exit_status() {
            tracing::warn!(%data_dir, %status, "embedded PostgreSQL had already exited");
            return Ok(());
        }
        tracing::info!(%data_dir, pid = postmaster.pid, "stopping embedded PostgreSQL");
        postmaster
            .signal(libc::SIGINT)
            .map_err(io_error("signal PostgreSQL in", &self.data_dir))?;
        if let Some(status) = postmaster.wait_timeout(STOP_TIMEOUT) {
            if status.success() {
                tracing::info!(%data_dir, "embedded PostgreSQL stopped");
            } else {
                tracing::warn!(%data_dir, %status, "embedded PostgreSQL stopped with an error");
            }
            return Ok(());
        }
        tracing::warn!(
            %data_dir,
            "embedded PostgreSQL did not stop within {} s; forcing an immediate shutdown",
            STOP_TIMEOUT.as_secs()
        );
        postmaster
            .signal(libc::SIGQUIT)
            .map_err(io_error("signal PostgreSQL in", &self.data_dir))?;
        if postmaster.wait_timeout(QUIT_TIMEOUT).is_none() {
            tracing::error!(%data_dir, "embedded PostgreSQL ignored SIGQUIT; killing it");
            postmaster
                .signal(libc::SIGKILL)
                .map_err(io_error("signal PostgreSQL in", &self.data_dir))?;
            postmaster.wait_timeout(KILL_TIMEOUT);
        }
        Err(EmbeddedError::StopTimeout {
            secs: STOP_TIMEOUT.as_secs(),
        })
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

// ---------------------------------------------------------------------------
// The child process

/// The running `postgres` child and the thread that supervises it.
///
/// The child is spawned from a dedicated thread that lives exactly as long as
/// the child: the kernel's parent-death signal fires when the *thread* that
/// forked the child exits, so the thread must not end while the child runs.
/// It waits for the child to exit (without reaping it first, so the pid cannot
/// be reused while we may still signal it), then reaps it and publishes the
/// exit status.
#[derive(Debug)]
struct Postmaster {
    pid: u32,
    shared: Arc<ExitState>,
}

#[derive(Debug, Default)]
struct ExitState {
    /// Set, under the lock, in the same step as the child is reaped.
    status: Mutex<Option<ExitStatus>>,
    exited: Condvar,
}

impl ExitState {
    fn lock(&self) -> MutexGuard<'_, Option<ExitStatus>> {
        self.status
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Postmaster {
    fn spawn(mut command: Command) -> io::Result<Postmaster> {
        let shared = Arc::new(ExitState::default());
        let thread_shared = Arc::clone(&shared);
        let (pid_tx, pid_rx) = mpsc::channel::<io::Result<u32>>();
        std::thread::Builder::new()
            .name("agoat-pg-supervisor".into())
            .spawn(move || {
                let mut child = match command.spawn() {
                    Ok(child) => child,
                    Err(error) => {
                        let _ = pid_tx.send(Err(error));
                        return;
                    }
                };
                let pid = child.id();
                let _ = pid_tx.send(Ok(pid));
                if let Err(error) = wait_for_exit_without_reaping(pid) {
                    tracing::debug!(pid, %error, "waitid failed; falling back to wait");
                }
                let mut status = thread_shared.lock();
                let exit = match child.wait() {
                    Ok(exit) => exit,
                    Err(error) => {
                        tracing::error!(pid, %error, "cannot wait for PostgreSQL");
                        ExitStatus::default()
                    }
                };
                *status = Some(exit);
                drop(status);
                thread_shared.exited.notify_all();
            })?;
        let pid = pid_rx
            .recv()
            .map_err(|_| io::Error::other("the PostgreSQL supervisor thread died"))??;
        Ok(Postmaster { pid, shared })
    }

    fn exit_status(&self) -> Option<ExitStatus> {
        *self.shared.lock()
    }

    /// Sends `signal` unless the child has already been reaped.
    fn signal(&self, signal: libc::c_int) -> io::Result<()> {
        let status = self.shared.lock();
        if status.is_some() {
            return Ok(());
        }
        // Holding the lock: the child is not reaped yet, so `pid` is still it.
        match send_signal(self.pid, signal) {
            Err(error) if error.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    fn wait_timeout(&self, timeout: Duration) -> Option<ExitStatus> {
        let guard = self.shared.lock();
        let (guard, _) = self
            .shared
            .exited
            .wait_timeout_while(guard, timeout, |status| status.is_none())
            .unwrap_or_else(|poison| poison.into_inner());
        *guard
    }
}

/// Environment for `initdb` and `postgres`: no `PG*` variables from our
/// environment, and the server user's identity when running as root.
fn prepare_child(command: &mut Command, run_as: &RunAs) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PG") {
            command.env_remove(key);
        }
    }
    if let Some(user) = &run_as.switch_to {
        command.uid(user.uid).gid(user.gid);
    }
}

// ---------------------------------------------------------------------------
// System calls (the only unsafe code in this module)

/// Makes the child receive SIGINT (fast shutdown) when the thread that spawned
/// it dies, and refuses to start it if we are already gone.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec (after the uid
    // switch, so the setting survives it). It only calls the async-signal-safe
    // functions prctl and getppid and builds io::Errors from raw OS codes,
    // which does not allocate.
    unsafe {
        command.pre_exec(move || {
            let sigint = libc::SIGINT as libc::c_ulong;
            if libc::prctl(libc::PR_SET_PDEATHSIG, sigint, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn set_parent_death_signal(_command: &mut Command) {}

/// Blocks until process `pid` (our child) has exited, leaving it unreaped.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn wait_for_exit_without_reaping(pid: u32) -> io::Result<()> {
    let id = libc::id_t::from(pid);
    loop {
        let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
        // SAFETY: `info` is writable storage for one siginfo_t, which is all
        // waitid writes to.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                id,
                info.as_mut_ptr(),
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn wait_for_exit_without_reaping(_pid: u32) -> io::Result<()> {
    Ok(())
}

/// `kill(pid, signal)` for a single positive pid.
#[allow(unsafe_code)]
fn send_signal(pid: u32, signal: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid)
        .ok()
        .filter(|pid| *pid > 0)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: kill has no memory-safety preconditions; `pid` is positive, so
    // it addresses exactly one process.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[allow(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

// ---------------------------------------------------------------------------
// Binaries

/// Where to look for `initdb` and `postgres`; a parameter so tests need not
/// touch the process environment.
#[derive(Debug, Clone)]
struct BinarySearch {
    /// `AGOAT_PG_BINDIR`.
    env_bindir: Option<PathBuf>,
    /// `PATH`, also used to find `pg_config`.
    path: Option<OsString>,
    /// Holds `<version>/bin` folders (`/usr/lib/postgresql`).
    versioned_root: PathBuf,
    /// Tried last (`/usr/local/pgsql/bin`).
    fixed_dirs: Vec<PathBuf>,
}

impl BinarySearch {
    fn from_env() -> BinarySearch {
        BinarySearch {
            env_bindir: std::env::var_os(BINDIR_ENV)
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH"),
            versioned_root: PathBuf::from("/usr/lib/postgresql"),
            fixed_dirs: vec![PathBuf::from("/usr/local/pgsql/bin")],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Binaries {
    bindir: PathBuf,
    initdb: PathBuf,
    postgres: PathBuf,
}

fn find_binaries(search: &BinarySearch) -> Result<Binaries, EmbeddedError> {
    if let Some(dir) = &search.env_bindir {
        if let Some(found) = binaries_in(dir) {
            return Ok(found);
        }
        tracing::warn!(
            dir = %dir.display(),
            "{BINDIR_ENV} does not hold both initdb and postgres; looking elsewhere"
        );
    }
    let path_dirs: Vec<PathBuf> = search
        .path
        .as_deref()
        .map(|path| {
            std::env::split_paths(path)
                .filter(|dir| dir.is_absolute())
                .collect()
        })
        .unwrap_or_default();
    for dir in &path_dirs {
        if let Some(found) = binaries_on_path_dir(dir) {
            return Ok(found);
        }
    }
    if let Some(pg_config) = path_dirs
        .iter()
        .map(|dir| dir.join("pg_config"))
        .find(|candidate| is_executable(candidate))
        && let Some(bindir) = pg_config_bindir(&pg_config)
        && let Some(found) = binaries_in(&bindir)
    {
        return Ok(found);
    }
    for dir in versioned_bindirs(&search.versioned_root) {
        if let Some(found) = binaries_in(&dir) {
            return Ok(found);
        }
    }
    search
        .fixed_dirs
        .iter()
        .find_map(|dir| binaries_in(dir))
        .ok_or(EmbeddedError::BinariesNotFound)
}

fn binaries_in(dir: &Path) -> Option<Binaries> {
    let initdb = dir.join("initdb");
    let postgres = dir.join("postgres");
    (is_executable(&initdb) && is_executable(&postgres)).then(|| Binaries {
        bindir: dir.to_path_buf(),
        initdb,
        postgres,
    })
}

/// A `PATH` entry often holds symlinks into the real bindir; prefer the real
/// folder when it holds both programs.
fn binaries_on_path_dir(dir: &Path) -> Option<Binaries> {
    let initdb = dir.join("initdb");
    if !is_executable(&initdb) {
        return None;
    }
    fs::canonicalize(&initdb)
        .ok()
        .and_then(|real| real.parent().and_then(binaries_in))
        .or_else(|| binaries_in(dir))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.mode() & 0o111 != 0)
}

fn pg_config_bindir(pg_config: &Path) -> Option<PathBuf> {
    let output = Command::new(pg_config)
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = String::from_utf8(output.stdout).ok()?;
    let dir = dir.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin`, highest version first.
fn versioned_bindirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name
                .to_str()?
                .split('.')
                .map(|part| part.parse::<u32>().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

// ---------------------------------------------------------------------------
// Users and folders

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ServerUser {
    uid: u32,
    gid: u32,
}

/// Who runs `initdb` and `postgres`.
#[derive(Debug, Clone)]
struct RunAs {
    /// The `postgres` account when we are root; `None` runs as ourselves.
    switch_to: Option<ServerUser>,
}

impl RunAs {
    fn current() -> Result<RunAs, EmbeddedError> {
        if effective_uid() != 0 {
            return Ok(RunAs { switch_to: None });
        }
        let user = lookup_user(SERVER_USER).ok_or(EmbeddedError::NoServerUser)?;
        if user.uid == 0 {
            return Err(EmbeddedError::NoServerUser);
        }
        Ok(RunAs {
            switch_to: Some(user),
        })
    }
}

/// The uid and gid of `name`, from `/etc/passwd` or else `getent passwd`.
fn lookup_user(name: &str) -> Option<ServerUser> {
    let from_file = fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| find_passwd_entry(&passwd, name));
    from_file.or_else(|| {
        let output = Command::new("getent")
            .args(["passwd", name])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        find_passwd_entry(&String::from_utf8_lossy(&output.stdout), name)
    })
}

fn find_passwd_entry(passwd: &str, name: &str) -> Option<ServerUser> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(ServerUser { uid, gid })
    })
}

/// Creates `data_dir` (0700) and returns its canonical path. As root, also
/// checks that the server user can reach it and gives it to that user.
fn prepare_data_dir(data_dir: &Path, run_as: &RunAs) -> Result<PathBuf, EmbeddedError> {
    let data_dir = &std::path::absolute(data_dir).map_err(io_error("find", data_dir))?;
    if let Some(user) = &run_as.switch_to {
        // Check before creating anything, so a refusal leaves nothing behind;
        // folders created below are checked again once the data folder exists.
        if let Some(existing) = data_dir.ancestors().skip(1).find(|dir| dir.exists()) {
            let existing = fs::canonicalize(existing).map_err(io_error("open", existing))?;
            check_searchable_by(&existing.join("agoat-data"), user)?;
        }
    }
    if let Some(parent) = data_dir.parent() {
        create_parents(parent, run_as.switch_to.is_some())?;
    }
    match fs::DirBuilder::new().mode(0o700).create(data_dir) {
        Ok(()) => tracing::info!(data_dir = %data_dir.display(), "created the data folder"),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(io_error("create", data_dir)(error)),
    }
    let data_dir = fs::canonicalize(data_dir).map_err(io_error("open", data_dir))?;
    if !data_dir.is_dir() {
        return Err(io_error("use", &data_dir)(io::Error::other("not a folder")));
    }
    if let Some(user) = &run_as.switch_to {
        check_searchable_by(&data_dir, user)?;
        std::os::unix::fs::chown(&data_dir, Some(user.uid), Some(user.gid))
            .map_err(io_error("change the owner of", &data_dir))?;
        fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o700))
            .map_err(io_error("change the permissions of", &data_dir))?;
    }
    Ok(data_dir)
}

/// `mkdir -p`; as root the new folders get mode 0755 whatever the umask, so
/// that the server user can pass through them.
fn create_parents(dir: &Path, searchable_by_all: bool) -> Result<(), EmbeddedError> {
    if !searchable_by_all {
        return fs::create_dir_all(dir).map_err(io_error("create", dir));
    }
    let mut missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    missing.reverse();
    for dir in missing {
        match fs::create_dir(dir) {
            Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
                .map_err(io_error("change the permissions of", dir))?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(io_error("create", dir)(error)),
        }
    }
    Ok(())
}

/// Every folder above `path` must be searchable (`x`) by `user`, whose only
/// group is its primary group once the server is started.
fn check_searchable_by(path: &Path, user: &ServerUser) -> Result<(), EmbeddedError> {
    let mut parents: Vec<&Path> = path.ancestors().skip(1).collect();
    parents.reverse();
    for dir in parents {
        let meta = fs::metadata(dir).map_err(io_error("inspect", dir))?;
        let bit = if meta.uid() == user.uid {
            0o100
        } else if meta.gid() == user.gid {
            0o010
        } else {
            0o001
        };
        if meta.mode() & bit == 0 {
            return Err(EmbeddedError::DirNotSearchable {
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The socket folder: `<data>/run`, or a folder in `/tmp` named after a hash of
/// the data folder when the socket path would be too long, or cannot appear in
/// a connection string (not UTF-8, or with a comma, which separates hosts).
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let preferred = data_dir.join("run");
    let socket = preferred.join(SOCKET_NAME);
    if socket.as_os_str().len() <= MAX_SOCKET_PATH
        && socket.to_str().is_some_and(|path| !path.contains(','))
    {
        return preferred;
    }
    let hash = format!("{:016x}", fnv1a64(data_dir.as_os_str().as_encoded_bytes()));
    PathBuf::from(format!("/tmp/agoat-pg-{}", &hash[..12]))
}

/// FNV-1a: small, stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Creates `dir` with mode 0700 for the server user, or checks an existing one
/// is a real folder that belongs to us (or, as root, to root or the server user).
fn prepare_private_dir(dir: &Path, run_as: &RunAs) -> Result<(), EmbeddedError> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(io_error("create", dir)(error)),
    }
    let meta = fs::symlink_metadata(dir).map_err(io_error("inspect", dir))?;
    let unsafe_dir = |reason: &str| EmbeddedError::UnsafeSocketDir {
        dir: dir.to_path_buf(),
        reason: reason.to_owned(),
    };
    if !meta.file_type().is_dir() {
        return Err(unsafe_dir("it is not a folder"));
    }
    let owner = run_as.switch_to.map_or_else(effective_uid, |user| user.uid);
    if meta.uid() != owner && !(run_as.switch_to.is_some() && meta.uid() == 0) {
        return Err(unsafe_dir(&format!(
            "it belongs to uid {}: remove it",
            meta.uid()
        )));
    }
    if let Some(user) = &run_as.switch_to {
        std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
            .map_err(io_error("change the owner of", dir))?;
    }
    if meta.mode() & 0o777 != 0o700 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(io_error("change the permissions of", dir))?;
    }
    Ok(())
}

/// `chown -R` that never follows symlinks.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// initdb

fn run_initdb(
    binaries: &Binaries,
    data_dir: &Path,
    cluster_dir: &Path,
    run_as: &RunAs,
    log: &mut File,
) -> Result<(), EmbeddedError> {
    tracing::info!(
        data_dir = %data_dir.display(),
        bindir = %binaries.bindir.display(),
        "initialising a new PostgreSQL cluster"
    );
    let mut locales = ["C.UTF-8", "C"].into_iter().peekable();
    while let Some(locale) = locales.next() {
        let mut command = Command::new(&binaries.initdb);
        command
            .arg("-D")
            .arg(cluster_dir)
            .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8"])
            .arg(format!("--locale={locale}"))
            .arg("--no-instructions")
            .current_dir(data_dir)
            .stdin(Stdio::null());
        prepare_child(&mut command, run_as);
        let output = command
            .output()
            .map_err(io_error("run", &binaries.initdb))?;
        // The log is a convenience; failing to write it must not stop us.
        let _ = writeln!(
            log,
            "---- initdb --locale={locale} ({}) ----",
            output.status
        )
        .and_then(|()| log.write_all(&output.stdout))
        .and_then(|()| log.write_all(&output.stderr));
        if output.status.success() {
            tracing::info!(data_dir = %data_dir.display(), locale, "PostgreSQL cluster initialised");
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if locales.peek().is_some() && stderr.to_lowercase().contains("locale") {
            tracing::warn!(
                locale,
                "initdb rejected the locale; retrying with --locale=C"
            );
            continue;
        }
        let message = last_line(&stderr)
            .or_else(|| last_line(&String::from_utf8_lossy(&output.stdout)))
            .unwrap_or_else(|| output.status.to_string());
        return Err(EmbeddedError::InitDb {
            dir: cluster_dir.to_path_buf(),
            message,
        });
    }
    unreachable!("the last locale never retries")
}

// ---------------------------------------------------------------------------
// Lock files

/// Who holds a lock file left in the cluster or socket folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockHolder {
    /// No lock file, or its process is gone (PostgreSQL cleans that up itself).
    Nobody,
    /// A live process working in our cluster folder: a running server.
    Server(u32),
    /// A live process that has nothing to do with our cluster: the pid was
    /// reused after a crash. PostgreSQL would refuse to start, so we remove it.
    Stranger(u32),
    /// Alive, but we cannot tell what it is; PostgreSQL decides.
    Unknown(u32),
}

fn lock_holder(lock_file: &Path, cluster: &fs::Metadata) -> LockHolder {
    let Ok(contents) = fs::read_to_string(lock_file) else {
        return LockHolder::Nobody;
    };
    // Single-user backends write their pid negated.
    let Some(pid) = contents
        .lines()
        .next()
        .and_then(|line| line.trim().parse::<i64>().ok())
        .and_then(|pid| u32::try_from(pid.unsigned_abs()).ok())
        .filter(|pid| *pid != 0)
    else {
        return LockHolder::Nobody;
    };
    if pid == std::process::id() {
        return LockHolder::Stranger(pid);
    }
    match send_signal(pid, 0) {
        Err(error) if error.raw_os_error() == Some(libc::ESRCH) => return LockHolder::Nobody,
        _ => {}
    }
    // A postmaster and its backends always work in the cluster folder.
    match fs::metadata(format!("/proc/{pid}/cwd")) {
        Ok(cwd) if cwd.dev() == cluster.dev() && cwd.ino() == cluster.ino() => {
            LockHolder::Server(pid)
        }
        Ok(_) => LockHolder::Stranger(pid),
        Err(_) => LockHolder::Unknown(pid),
    }
}

fn process_name(pid: u32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|name| name.trim().to_owned())
}

fn clear_stale_locks(
    data_dir: &Path,
    cluster_dir: &Path,
    socket_dir: &Path,
) -> Result<(), EmbeddedError> {
    let cluster = fs::metadata(cluster_dir).map_err(io_error("inspect", cluster_dir))?;
    let pid_file = cluster_dir.join("postmaster.pid");
    match lock_holder(&pid_file, &cluster) {
        LockHolder::Server(pid) => {
            return Err(EmbeddedError::InUse {
                dir: data_dir.to_path_buf(),
                pid,
            });
        }
        LockHolder::Stranger(pid) => {
            tracing::warn!(pid, file = %pid_file.display(), "removing a stale PostgreSQL lock file (its pid now belongs to another process)");
            remove_if_present(&pid_file)?;
        }
        LockHolder::Nobody | LockHolder::Unknown(_) => {}
    }
    let socket_lock = socket_dir.join(SOCKET_LOCK_NAME);
    match lock_holder(&socket_lock, &cluster) {
        LockHolder::Server(pid) => {
            return Err(EmbeddedError::InUse {
                dir: data_dir.to_path_buf(),
                pid,
            });
        }
        // Another PostgreSQL could legitimately own a socket here only if
        // someone pointed it at our private folder; leave that one alone.
        LockHolder::Stranger(pid) if process_name(pid).as_deref() != Some("postgres") => {
            tracing::warn!(pid, file = %socket_lock.display(), "removing a stale PostgreSQL socket lock file");
            remove_if_present(&socket_lock)?;
            remove_if_present(&socket_dir.join(SOCKET_NAME))?;
        }
        _ => {}
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), EmbeddedError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(io_error("remove", path)(error))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Small helpers

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |error| EmbeddedError::Io {
        action,
        path,
        error,
    }
}

/// What the server wrote to `postgres.log` since `offset` (at most the last 64 KiB).
fn read_log_from(path: &Path, offset: u64) -> String {
    const MAX: u64 = 64 * 1024;
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |meta| meta.len());
    let start = offset.max(len.saturating_sub(MAX));
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The last few non-empty lines, joined into one line.
fn tail_lines(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    if lines.is_empty() {
        return "(no output)".to_owned();
    }
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join(" | ")
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(str::to_owned)
}

/// The pid in PostgreSQL's "Is another postmaster (PID 123) running ..." hint.
fn other_postmaster_pid(log: &str) -> Option<u32> {
    const MARKER: &str = "Is another postmaster (PID ";
    let start = log.rfind(MARKER)? + MARKER.len();
    let digits: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Quotes a libpq connection-string value when it needs it.
fn quote_conninfo_value(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\');
    if plain {
        return value.to_owned();
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// Quotes an entry of a PostgreSQL list setting (`unix_socket_directories`).
fn quote_guc_list_item(value: &str) -> String {
    if value.contains([',', '"']) || value.trim() != value {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty folder under /tmp, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir()
                .join(format!("agoat-embedded-test-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn fake_program(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn fake_bindir(dir: &Path) {
        fake_program(&dir.join("initdb"));
        fake_program(&dir.join("postgres"));
    }

    fn empty_search(tmp: &TempDir) -> BinarySearch {
        BinarySearch {
            env_bindir: None,
            path: Some(OsString::new()),
            versioned_root: tmp.0.join("no-such-root"),
            fixed_dirs: Vec::new(),
        }
    }

    #[test]
    fn binaries_not_found_is_one_clear_line() {
        let tmp = TempDir::new("notfound");
        let empty = tmp.0.join("empty");
        fs::create_dir(&empty).unwrap();
        let search = BinarySearch {
            env_bindir: Some(empty),
            ..empty_search(&tmp)
        };
        let error = find_binaries(&search).unwrap_err();
        assert!(matches!(error, EmbeddedError::BinariesNotFound));
        let message = error.to_string();
        assert!(!message.contains('\n'));
        assert!(message.starts_with("PostgreSQL server binaries (initdb, postgres) not found"));
        assert!(message.contains("DATABASE_URL"));
    }

    #[test]
    fn binaries_from_env_win() {
        let tmp = TempDir::new("envbin");
        let env_dir = tmp.0.join("env");
        let path_dir = tmp.0.join("path");
        fake_bindir(&env_dir);
        fake_bindir(&path_dir);
        let search = BinarySearch {
            env_bindir: Some(env_dir.clone()),
            path: Some(path_dir.into_os_string()),
            ..empty_search(&tmp)
        };
        assert_eq!(find_binaries(&search).unwrap().bindir, env_dir);
    }

    #[test]
    fn binaries_through_path_symlinks_resolve_to_real_dir() {
        let tmp = TempDir::new("symlink");
        let real = tmp.0.join("real/bin");
        fake_bindir(&real);
        let links = tmp.0.join("links");
        fs::create_dir(&links).unwrap();
        std::os::unix::fs::symlink(real.join("initdb"), links.join("initdb")).unwrap();
        // Only initdb is linked: the real folder still holds both.
        let path = std::env::join_paths([tmp.0.join("nothing"), links]).unwrap();
        let search = BinarySearch {
            path: Some(path),
            ..empty_search(&tmp)
        };
        let found = find_binaries(&search).unwrap();
        assert_eq!(found.bindir, fs::canonicalize(&real).unwrap());
        assert_eq!(found.postgres, found.bindir.join("postgres"));
    }

    #[test]
    fn initdb_without_postgres_is_not_enough() {
        let tmp = TempDir::new("half");
        let half = tmp.0.join("half");
        fake_program(&half.join("initdb"));
        let search = BinarySearch {
            path: Some(half.into_os_string()),
            ..empty_search(&tmp)
        };
        assert!(matches!(
            find_binaries(&search),
            Err(EmbeddedError::BinariesNotFound)
        ));
    }

    #[test]
    fn binaries_from_pg_config() {
        let tmp = TempDir::new("pgconfig");
        let bindir = tmp.0.join("server/bin");
        fake_bindir(&bindir);
        let tools = tmp.0.join("tools");
        fs::create_dir(&tools).unwrap();
        let pg_config = tools.join("pg_config");
        fs::write(
            &pg_config,
            format!("#!/bin/sh\necho '{}'\n", bindir.display()),
        )
        .unwrap();
        fs::set_permissions(&pg_config, fs::Permissions::from_mode(0o755)).unwrap();
        let search = BinarySearch {
            path: Some(tools.into_os_string()),
            ..empty_search(&tmp)
        };
        assert_eq!(find_binaries(&search).unwrap().bindir, bindir);
    }

    #[test]
    fn highest_versioned_bindir_wins() {
        let tmp = TempDir::new("versions");
        let root = tmp.0.join("postgresql");
        for version in ["9.6", "15", "16", "13"] {
            fake_bindir(&root.join(version).join("bin"));
        }
        fs::create_dir_all(root.join("not-a-version/bin")).unwrap();
        fake_program(&root.join("17/bin/initdb")); // incomplete
        let fixed = tmp.0.join("fixed");
        fake_bindir(&fixed);
        let search = BinarySearch {
            versioned_root: root.clone(),
            fixed_dirs: vec![fixed.clone()],
            ..empty_search(&tmp)
        };
        assert_eq!(find_binaries(&search).unwrap().bindir, root.join("16/bin"));
        let search = BinarySearch {
            fixed_dirs: vec![fixed.clone()],
            ..empty_search(&tmp)
        };
        assert_eq!(find_binaries(&search).unwrap().bindir, fixed);
    }

    #[test]
    fn socket_dir_falls_back_to_tmp_for_long_paths() {
        let short = Path::new("/var/lib/agoat");
        assert_eq!(socket_dir_for(short), PathBuf::from("/var/lib/agoat/run"));
        let long = PathBuf::from(format!("/srv/{}", "x".repeat(90)));
        let fallback = socket_dir_for(&long);
        let name = fallback.file_name().unwrap().to_str().unwrap();
        assert!(fallback.starts_with("/tmp"));
        assert_eq!(name.len(), "agoat-pg-".len() + 12);
        assert!(name.starts_with("agoat-pg-"));
        assert!(
            name["agoat-pg-".len()..]
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
        // Stable for the same folder, different for another one.
        assert_eq!(socket_dir_for(&long), fallback);
        assert_ne!(socket_dir_for(&long.join("y")), fallback);
        // A comma would split the host list in the connection string.
        assert!(
            socket_dir_for(Path::new("/srv/a,b"))
                .to_string_lossy()
                .starts_with("/tmp/agoat-pg-")
        );
        assert_eq!(
            socket_dir_for(Path::new("/srv/a b")),
            PathBuf::from("/srv/a b/run")
        );
        // Exactly at the limit still uses <data>/run.
        let run_len = "/run/.s.PGSQL.5432".len();
        let edge = PathBuf::from(format!("/{}", "e".repeat(MAX_SOCKET_PATH - run_len - 1)));
        assert_eq!(
            socket_dir_for(&edge).join(SOCKET_NAME).as_os_str().len(),
            100
        );
        assert_eq!(socket_dir_for(&edge), edge.join("run"));
    }

    #[test]
    fn conninfo_quoting() {
        assert_eq!(quote_conninfo_value("agoat"), "agoat");
        assert_eq!(quote_conninfo_value("/a b/run"), "'/a b/run'");
        assert_eq!(quote_conninfo_value("it's\\"), "'it\\'s\\\\'");
        assert_eq!(quote_conninfo_value(""), "''");
        assert_eq!(quote_guc_list_item("/x/run"), "/x/run");
        assert_eq!(quote_guc_list_item("/x,y/run"), "\"/x,y/run\"");
    }

    #[test]
    fn passwd_parsing() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      postgresql:x:5:5::/:/bin/false\n\
                      postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(
            find_passwd_entry(passwd, "postgres"),
            Some(ServerUser { uid: 101, gid: 104 })
        );
        assert_eq!(find_passwd_entry(passwd, "nobody"), None);
    }

    #[test]
    fn log_helpers() {
        let log = "LOG: starting\n\n2024 FATAL:  lock file \"postmaster.pid\" already exists\n\
                   2024 HINT:  Is another postmaster (PID 4242) running in data directory \"/x/pg\"?\n";
        assert_eq!(other_postmaster_pid(log), Some(4242));
        assert_eq!(other_postmaster_pid("LOG: fine"), None);
        let tail = tail_lines(log);
        assert!(!tail.contains('\n'));
        assert!(tail.starts_with("LOG: starting | 2024 FATAL: lock file"));
        assert_eq!(tail_lines(""), "(no output)");
        assert_eq!(last_line("a\nb\n\n"), Some("b".to_owned()));
    }

    // --- Against a real PostgreSQL (needs initdb/postgres and psql) ---------

    fn psql(url: &str, sql: &str) -> String {
        let output = Command::new("psql")
            .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

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

    #[tokio::test]
    async fn long_data_dir_uses_tmp_socket() {
        let tmp = TempDir::new("long");
        let data_dir = tmp
            .0
            .join("a-rather-long-folder-name".repeat(4))
            .join("data");
        let pg = EmbeddedPostgres::start(&data_dir).await.unwrap();
        assert!(
            pg.socket_dir
                .to_string_lossy()
                .starts_with("/tmp/agoat-pg-"),
            "{:?}",
            pg.socket_dir
        );
        assert!(pg.socket_dir.join(SOCKET_NAME).exists());
        assert_eq!(psql(&pg.url("postgres"), "select 3"), "3");
        let socket_dir = pg.socket_dir.clone();
        pg.stop().await.unwrap();
        let _ = fs::remove_dir_all(socket_dir);
    }

    #[tokio::test]
    async fn stale_pid_file_with_reused_pid_is_removed() {
        let tmp = TempDir::new("stale");
        let data_dir = tmp.0.join("data");
        let pg = EmbeddedPostgres::start(&data_dir).await.unwrap();
        let pg_dir = pg.cluster_dir.clone();
        let pid_file = pg_dir.join("postmaster.pid");
        let contents = fs::read_to_string(&pid_file).unwrap();
        let owner = fs::metadata(&pid_file).unwrap();
        pg.stop().await.unwrap();
        // Pretend we crashed and the old pid now belongs to another live
        // process of the server user, which would make PostgreSQL itself
        // refuse to start ("lock file already exists").
        let mut sleeper = Command::new("sleep");
        sleeper.arg("60").current_dir("/");
        if effective_uid() == 0 {
            sleeper.uid(owner.uid()).gid(owner.gid());
        }
        let mut sleeper = sleeper.spawn().unwrap();
        let mut lines: Vec<String> = contents.lines().map(str::to_owned).collect();
        lines[0] = sleeper.id().to_string();
        fs::write(&pid_file, lines.join("\n") + "\n").unwrap();
        if effective_uid() == 0 {
            std::os::unix::fs::chown(&pid_file, Some(owner.uid()), Some(owner.gid())).unwrap();
        }
        let cluster = fs::metadata(&pg_dir).unwrap();
        assert_eq!(
            lock_holder(&pid_file, &cluster),
            LockHolder::Stranger(sleeper.id())
        );
        let pg = EmbeddedPostgres::start(&data_dir).await.unwrap();
        assert_eq!(psql(&pg.url("postgres"), "select 4"), "4");
        assert_eq!(
            lock_holder(&pid_file, &cluster),
            LockHolder::Server(pg.pid())
        );
        pg.stop().await.unwrap();
        let _ = sleeper.kill();
        let _ = sleeper.wait();
    }
}
