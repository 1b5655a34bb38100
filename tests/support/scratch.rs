//! Where the tests' own database servers keep their data: a memory-backed folder when the machine
//! has one. A test creates and drops a database from a template every few seconds, each of
//! hundreds of files (about 750 on a Citus worker); on ext4, allocating inodes among so many
//! recently deleted ones took about a third of the machine's CPU in a Citus run. Nothing there has
//! to outlive the test process.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

/// `AGOAT_TEST_SCRATCH` if set, else `/dev/shm` when it is a writable folder, else the system's
/// temporary folder; decided once per process.
pub fn root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(choose_root).clone()
}

fn choose_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("AGOAT_TEST_SCRATCH").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = PathBuf::from("/dev/shm");
    if is_writable_folder(&shm) {
        return shm;
    }
    std::env::temp_dir()
}

/// Runs the shell commands `then` once this process has ended, whether or not it ends cleanly: a
/// detached shell (its own session, so a Ctrl-C to the test run leaves it be) polls for the
/// process. For servers and folders that must not outlive a test process that keeps them in a
/// static, which is never dropped.
pub fn after_process_ends(then: &str) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {then}",
        pid = std::process::id()
    );
    // Never waited for: it outlives this process on purpose, and init reaps it.
    #[allow(clippy::zombie_processes)]
    let _watchdog = std::process::Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the watchdog of the test servers");
}

fn is_writable_folder(dir: &std::path::Path) -> bool {
    let probe = dir.join(format!(".agoat-probe-{}", std::process::id()));
    let writable = std::fs::create_dir(&probe).is_ok();
    let _ = std::fs::remove_dir(&probe);
    writable
}
