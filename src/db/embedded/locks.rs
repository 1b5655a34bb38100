//! Lock files a crashed server may leave in the cluster folder
//! (`postmaster.pid`) or the socket folder (`.s.PGSQL.5432.lock`): a live
//! server's lock refuses the start, a lock whose pid now belongs to an
//! unrelated process is removed so PostgreSQL does not refuse to start.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::supervisor::send_signal;
use super::{EmbeddedError, SOCKET_NAME, io_error};

const SOCKET_LOCK_NAME: &str = ".s.PGSQL.5432.lock";

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

pub(super) fn clear_stale_locks(
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

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    use super::super::EmbeddedPostgres;
    use super::super::run_as::effective_uid;
    use super::super::test_support::{TempDir, psql};
    use super::*;

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
