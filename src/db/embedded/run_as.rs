//! Who runs `initdb` and `postgres`: ourselves, or — because PostgreSQL
//! refuses to run as root — the `postgres` system user when AGoat runs as
//! root; how a child process takes on that identity, and whether that user
//! can reach a folder.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{EmbeddedError, io_error};

/// The system account that runs the server when AGoat runs as root.
const SERVER_USER: &str = "postgres";

/// The uid and gid of the server user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ServerUser {
    pub(super) uid: u32,
    pub(super) gid: u32,
}

/// Who runs `initdb` and `postgres`.
#[derive(Debug, Clone)]
pub(super) struct RunAs {
    /// The `postgres` account when we are root; `None` runs as ourselves.
    pub(super) switch_to: Option<ServerUser>,
}

impl RunAs {
    pub(super) fn current() -> Result<RunAs, EmbeddedError> {
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

/// Environment for `initdb` and `postgres`: no `PG*` variables from our
/// environment, and the server user's identity when running as root.
pub(super) fn prepare_child(command: &mut Command, run_as: &RunAs) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PG") {
            command.env_remove(key);
        }
    }
    if let Some(user) = &run_as.switch_to {
        command.uid(user.uid).gid(user.gid);
    }
}

/// Every folder above `path` must be searchable (`x`) by `user`, whose only
/// group is its primary group once the server is started.
pub(super) fn check_searchable_by(path: &Path, user: &ServerUser) -> Result<(), EmbeddedError> {
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

/// Whether `user` can pass through every existing folder above `data_dir`
/// (folders still to be created are made passable).
pub(super) fn reachable_by(data_dir: &Path, user: &ServerUser) -> Result<(), EmbeddedError> {
    let Some(existing) = data_dir.ancestors().skip(1).find(|dir| dir.exists()) else {
        return Ok(());
    };
    let existing = fs::canonicalize(existing).map_err(io_error("open", existing))?;
    check_searchable_by(&existing.join("agoat-data"), user)
}

/// The effective uid of this process.
#[allow(unsafe_code)]
pub(super) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
