//! Finding PostgreSQL's `initdb` and `postgres`: `AGOAT_PG_BINDIR`, then
//! `PATH` (through symlinks to the real folder), then `pg_config --bindir`,
//! then the highest `/usr/lib/postgresql/<version>/bin`, then
//! `/usr/local/pgsql/bin`.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::EmbeddedError;

/// Environment variable naming a folder that holds `initdb` and `postgres`.
const BINDIR_ENV: &str = "AGOAT_PG_BINDIR";

/// Where to look for `initdb` and `postgres`; a parameter so tests need not
/// touch the process environment.
#[derive(Debug, Clone)]
pub(super) struct BinarySearch {
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
    pub(super) fn from_env() -> BinarySearch {
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

/// The programs found, and the folder that holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Binaries {
    pub(super) bindir: PathBuf,
    pub(super) initdb: PathBuf,
    pub(super) postgres: PathBuf,
}

pub(super) fn find_binaries(search: &BinarySearch) -> Result<Binaries, EmbeddedError> {
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::super::test_support::TempDir;
    use super::*;

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
}
