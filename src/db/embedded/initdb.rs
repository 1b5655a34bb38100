//! Creating a new cluster with `initdb`: superuser `agoat`, trust
//! authentication (the server only listens on its private socket), UTF-8,
//! locale `C.UTF-8` or else `C`; its output goes to `postgres.log`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::binaries::Binaries;
use super::run_as::{RunAs, prepare_child};
use super::server_log::last_line;
use super::{EmbeddedError, SUPERUSER, io_error};

/// Runs `initdb` for `cluster_dir`, retrying with `--locale=C` when the
/// system lacks `C.UTF-8`.
pub(super) fn run_initdb(
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
