//! The data folder: creating it (mode 0700, and as root owned by the server
//! user, with every folder above it passable by that user), its private
//! socket folder (`<data>/run`, or `/tmp/agoat-pg-<hash>` when that path is
//! too long for a socket), and giving a copied-in cluster to the server user.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::run_as::{RunAs, check_searchable_by, effective_uid, reachable_by};
use super::{EmbeddedError, SOCKET_NAME, io_error};

/// Longest socket path we use; the kernel's limit is 107 bytes.
const MAX_SOCKET_PATH: usize = 100;

/// Creates `data_dir` (0700) and returns its canonical path. As root, also
/// checks that the server user can reach it and gives it to that user.
pub(super) fn prepare_data_dir(data_dir: &Path, run_as: &RunAs) -> Result<PathBuf, EmbeddedError> {
    let data_dir = &std::path::absolute(data_dir).map_err(io_error("find", data_dir))?;
    if let Some(user) = &run_as.switch_to {
        // Check before creating anything, so a refusal leaves nothing behind;
        // folders created below are checked again once the data folder exists.
        reachable_by(data_dir, user)?;
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

/// The socket folder: `<data>/run`, or a folder in `/tmp` named after a hash of
/// the data folder when the socket path would be too long, or cannot appear in
/// a connection string (not UTF-8, or with a comma, which separates hosts).
pub(super) fn socket_dir_for(data_dir: &Path) -> PathBuf {
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
pub(super) fn prepare_private_dir(dir: &Path, run_as: &RunAs) -> Result<(), EmbeddedError> {
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

/// Opens `postgres.log` for appending (mode 0600), owned by the server user.
pub(super) fn open_log(log_path: &Path, run_as: &RunAs) -> Result<File, EmbeddedError> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log_path)
        .map_err(io_error("open", log_path))?;
    if let Some(user) = &run_as.switch_to {
        std::os::unix::fs::chown(log_path, Some(user.uid), Some(user.gid))
            .map_err(io_error("change the owner of", log_path))?;
    }
    Ok(log)
}

/// As root, gives a cluster copied in by root to the server user, which
/// must own it.
pub(super) fn give_cluster_to_server_user(
    cluster_dir: &Path,
    run_as: &RunAs,
) -> Result<(), EmbeddedError> {
    let Some(user) = &run_as.switch_to else {
        return Ok(());
    };
    if let Ok(meta) = fs::symlink_metadata(cluster_dir)
        && (meta.uid() != user.uid || meta.gid() != user.gid)
    {
        tracing::info!(dir = %cluster_dir.display(), "giving the cluster to the `postgres` user");
        chown_tree(cluster_dir, user.uid, user.gid)
            .map_err(io_error("change the owner of", cluster_dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedPostgres;
    use super::super::test_support::{TempDir, psql};
    use super::*;

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
}
