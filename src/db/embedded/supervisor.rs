//! Running the server: spawning `postgres` (as the server user when root) on
//! a prepared data folder, waiting until it accepts connections, stopping it
//! (fast, then immediate shutdown, then SIGKILL), and the thread that
//! supervises the child so the kernel's parent-death signal stops it when this
//! process dies. The system calls this needs are the only unsafe code of the
//! embedded server.

use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use super::binaries::{BinarySearch, find_binaries};
use super::data_dir::{
    give_cluster_to_server_user, open_log, prepare_data_dir, prepare_private_dir, socket_dir_for,
};
use super::initdb::run_initdb;
use super::locks::clear_stale_locks;
use super::placement::{Moved, place};
use super::run_as::{RunAs, check_searchable_by, prepare_child};
use super::server_log::{other_postmaster_pid, read_log_from, tail_lines};
use super::{EmbeddedError, EmbeddedPostgres, PORT, SOCKET_NAME, io_error};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const QUIT_TIMEOUT: Duration = Duration::from_secs(10);
const KILL_TIMEOUT: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(100);

impl EmbeddedPostgres {
    /// Everything up to spawning the server; blocking.
    pub(super) fn launch(data_dir: &Path) -> Result<EmbeddedPostgres, EmbeddedError> {
        let binaries = find_binaries(&BinarySearch::from_env())?;
        let run_as = RunAs::current()?;
        let placement = place(data_dir, &run_as)?;
        if let Some(moved) = &placement.moved {
            report_move(moved, &placement.data_dir);
        }
        let data_dir = prepare_data_dir(&placement.data_dir, &run_as)?;
        let cluster_dir = data_dir.join("pg");
        let socket_dir = socket_dir_for(&data_dir);
        prepare_private_dir(&socket_dir, &run_as)?;
        if let Some(user) = &run_as.switch_to {
            check_searchable_by(&socket_dir, user)?;
        }

        let log_path = data_dir.join("postgres.log");
        let mut log = open_log(&log_path, &run_as)?;
        give_cluster_to_server_user(&cluster_dir, &run_as)?;

        if !cluster_dir.join("PG_VERSION").exists() {
            run_initdb(&binaries, &data_dir, &cluster_dir, &run_as, &mut log)?;
        }

        clear_stale_locks(&data_dir, &cluster_dir, &socket_dir)?;

        let log_offset = log
            .seek(SeekFrom::End(0))
            .map_err(io_error("read", &log_path))?;
        let output = log.try_clone().map_err(io_error("open", &log_path))?;
        let command = postgres_command(
            &binaries.postgres,
            &data_dir,
            &socket_dir,
            &run_as,
            (output, log),
        );

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

    pub(super) async fn wait_until_ready(&self) -> Result<(), EmbeddedError> {
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
    pub(super) fn shutdown_blocking(&mut self) -> Result<(), EmbeddedError> {
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

/// Says, once per start, that the data folder is not the one asked for.
fn report_move(moved: &Moved, data_dir: &Path) {
    tracing::warn!(
        "the `postgres` system user cannot enter {}, which leads to {}: the embedded PostgreSQL keeps its data in {} instead",
        moved.blocked_at.display(),
        moved.requested.display(),
        data_dir.display()
    );
    if moved.requested.join("pg").join("PG_VERSION").exists() {
        tracing::warn!(
            "the cluster in {} is out of the `postgres` user's reach and is not used",
            moved.requested.join("pg").display()
        );
    }
}

/// The `postgres` command line: the cluster in `<data>/pg`, listening only on
/// the private socket folder, its output (`stdout`, `stderr`) appended to the
/// log.
fn postgres_command(
    postgres: &Path,
    data_dir: &Path,
    socket_dir: &Path,
    run_as: &RunAs,
    (stdout, stderr): (File, File),
) -> Command {
    let mut command = Command::new(postgres);
    command
        .arg("-D")
        .arg(data_dir.join("pg"))
        .arg("-k")
        .arg(quote_guc_list_item(&socket_dir.to_string_lossy()))
        .arg("-p")
        .arg(PORT.to_string())
        .args(["-c", "listen_addresses="])
        .args(["-c", "unix_socket_permissions=0700"])
        .args(["-c", "fsync=on"])
        .current_dir(data_dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        // Keep the terminal's Ctrl-C away from the server: we stop it
        // ourselves, after the application has let go of it.
        .process_group(0);
    prepare_child(&mut command, run_as);
    set_parent_death_signal(&mut command);
    command
}

/// The running `postgres` child and the thread that supervises it.
///
/// The child is spawned from a dedicated thread that lives exactly as long as
/// the child: the kernel's parent-death signal fires when the *thread* that
/// forked the child exits, so the thread must not end while the child runs.
/// It waits for the child to exit (without reaping it first, so the pid cannot
/// be reused while we may still signal it), then reaps it and publishes the
/// exit status.
#[derive(Debug)]
pub(super) struct Postmaster {
    pub(super) pid: u32,
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
pub(super) fn send_signal(pid: u32, signal: libc::c_int) -> io::Result<()> {
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

    #[test]
    fn guc_list_quoting() {
        assert_eq!(quote_guc_list_item("/x/run"), "/x/run");
        assert_eq!(quote_guc_list_item("/x,y/run"), "\"/x,y/run\"");
    }
}
