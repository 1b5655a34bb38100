//! Where the data folder goes: the folder asked for, or — when AGoat runs as
//! root and the server user cannot enter a folder above it (a clone under
//! `/root`, a private temporary folder) — a folder of its own under
//! `/var/lib/agoat`, named after the folder asked for (its last two names and
//! a hash of its canonical path), so that two projects never share a cluster
//! and the same project always finds its cluster again.

use std::fs;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::run_as::{RunAs, reachable_by};
use super::{EmbeddedError, io_error};

/// Where data folders the server user cannot reach are moved to.
pub(super) const FALLBACK_ROOT: &str = "/var/lib/agoat";
/// Longest readable part of a fallback folder's name.
const NAME_LIMIT: usize = 32;
/// Hex digits of the path hash in a fallback folder's name.
const HASH_DIGITS: usize = 12;

/// The data folder to use for the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placement {
    /// The folder to use (absolute; made canonical once it exists).
    pub(super) data_dir: PathBuf,
    /// Set when the folder asked for is out of the server user's reach.
    pub(super) moved: Option<Moved>,
}

/// Why the data folder is not the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Moved {
    /// The folder asked for, canonical as far as it exists.
    pub(super) requested: PathBuf,
    /// The folder above it that the server user cannot enter.
    pub(super) blocked_at: PathBuf,
}

/// Places `requested`: as itself unless running as root and the server user
/// cannot reach it, then under [`FALLBACK_ROOT`].
pub(super) fn place(requested: &Path, run_as: &RunAs) -> Result<Placement, EmbeddedError> {
    place_under(requested, run_as, Path::new(FALLBACK_ROOT))
}

fn place_under(
    requested: &Path,
    run_as: &RunAs,
    fallback_root: &Path,
) -> Result<Placement, EmbeddedError> {
    let absolute = std::path::absolute(requested).map_err(io_error("find", requested))?;
    let Some(user) = &run_as.switch_to else {
        return Ok(Placement {
            data_dir: absolute,
            moved: None,
        });
    };
    match reachable_by(&absolute, user) {
        Ok(()) => Ok(Placement {
            data_dir: absolute,
            moved: None,
        }),
        Err(EmbeddedError::DirNotSearchable { dir }) => {
            let requested = canonical_as_far_as_it_exists(&absolute)?;
            Ok(Placement {
                data_dir: fallback_root.join(fallback_name(&requested)),
                moved: Some(Moved {
                    requested,
                    blocked_at: dir,
                }),
            })
        }
        Err(other) => Err(other),
    }
}

/// `path` with its longest existing beginning resolved (symlinks, `..`).
fn canonical_as_far_as_it_exists(path: &Path) -> Result<PathBuf, EmbeddedError> {
    let Some(existing) = path.ancestors().find(|dir| dir.exists()) else {
        return Ok(path.to_path_buf());
    };
    let resolved = fs::canonicalize(existing).map_err(io_error("open", existing))?;
    Ok(match path.strip_prefix(existing) {
        Ok(rest) if !rest.as_os_str().is_empty() => resolved.join(rest),
        _ => resolved,
    })
}

/// `<parent>-<name>-<hash>`: the last two names of `canonical` (letters,
/// digits, `.`, `_` and `-`; anything else becomes `_`), at most
/// [`NAME_LIMIT`] characters of them, and the first digits of the SHA-256 of
/// the whole path.
pub(super) fn fallback_name(canonical: &Path) -> String {
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let hash = hex::encode(digest);
    let hash = &hash[..HASH_DIGITS];
    let readable = readable_name(canonical);
    if readable.is_empty() {
        hash.to_owned()
    } else {
        format!("{readable}-{hash}")
    }
}

fn readable_name(path: &Path) -> String {
    let names: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let joined = names[names.len().saturating_sub(2)..]
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>();
    let kept = joined.len().saturating_sub(NAME_LIMIT);
    joined[kept..].trim_start_matches(['.', '-']).to_owned()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::super::EmbeddedPostgres;
    use super::super::run_as::effective_uid;
    use super::super::test_support::{TempDir, psql};
    use super::*;

    #[test]
    fn fallback_names_are_readable_distinct_and_stable() {
        let name = fallback_name(Path::new("/root/agoat/data"));
        assert!(name.starts_with("agoat-data-"), "{name}");
        assert_eq!(name.len(), "agoat-data-".len() + HASH_DIGITS);
        assert!(
            name["agoat-data-".len()..]
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
        assert_eq!(fallback_name(Path::new("/root/agoat/data")), name);
        // Same last names, another project: another folder.
        let other = fallback_name(Path::new("/home/x/agoat/data"));
        assert!(other.starts_with("agoat-data-"));
        assert_ne!(other, name);
        let odd = fallback_name(Path::new("/tmp/.hidden dir/dätä"));
        assert!(odd.starts_with("hidden_dir-d_t_-"), "{odd}");
        let long = fallback_name(&PathBuf::from(format!("/srv/{}/data", "x".repeat(80))));
        assert_eq!(long.len(), NAME_LIMIT + 1 + HASH_DIGITS);
        assert!(long.starts_with("xxx") && long.contains("-data-"), "{long}");
        assert_eq!(fallback_name(Path::new("/")).len(), HASH_DIGITS);
    }

    #[test]
    fn without_a_user_switch_the_folder_stays_where_it_was_asked_for() {
        let tmp = TempDir::new("placement-self");
        fs::set_permissions(&tmp.0, fs::Permissions::from_mode(0o700)).unwrap();
        let ourselves = RunAs { switch_to: None };
        let placed = place_under(&tmp.0.join("data"), &ourselves, Path::new("/nowhere")).unwrap();
        assert_eq!(placed.data_dir, tmp.0.join("data"));
        assert_eq!(placed.moved, None);
    }

    /// As root: a data folder inside a folder of mode 0700 (which the
    /// `postgres` user cannot enter) comes up under /var/lib/agoat, and
    /// nothing is created in the folder asked for.
    #[tokio::test]
    async fn as_root_an_unreachable_data_folder_moves_under_var_lib_agoat() {
        if effective_uid() != 0 {
            eprintln!(
                "skipped: only root runs the server as another user (this runs as uid {})",
                effective_uid()
            );
            return;
        }
        let Ok(run_as) = RunAs::current() else {
            eprintln!("skipped: there is no `postgres` system user to run the server as");
            return;
        };
        let tmp = TempDir::new("private");
        fs::set_permissions(&tmp.0, fs::Permissions::from_mode(0o700)).unwrap();
        let requested = tmp.0.join("data");
        let placed = place(&requested, &run_as).unwrap();
        let moved = placed.moved.clone().expect("the folder is out of reach");
        assert_eq!(moved.blocked_at, fs::canonicalize(&tmp.0).unwrap());
        let expected = Path::new(FALLBACK_ROOT).join(fallback_name(&moved.requested));
        assert_eq!(placed.data_dir, expected);
        let _cleanup = TempDir(expected.clone());

        let pg = EmbeddedPostgres::start(&requested).await.unwrap();
        assert_eq!(pg.data_dir(), expected.as_path());
        assert!(expected.join("pg").join("PG_VERSION").is_file());
        assert_eq!(psql(&pg.url("postgres"), "select 5"), "5");
        assert!(
            !requested.exists(),
            "nothing is made in the folder asked for"
        );
        pg.stop().await.unwrap();
    }
}
