//! Running `agoat import wordpress|ghost` on a test application: a data folder whose media store
//! is the application's own, and the command with an export from tests/fixtures/import.

use std::path::{Path, PathBuf};

use crate::cli::{Run, agoat_with_env};
use crate::common::TestApp;

/// A file of a fixture folder (`wordpress`, `ghost`).
pub fn fixture(source: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(source)
        .join(name)
}

/// A data folder whose media store is the test application's own.
pub fn data_dir(app: &TestApp) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(app.media_dir(), dir.path().join("media")).unwrap();
    dir
}

/// `agoat import SOURCE --site SITE EXPORT FOLDER_FLAG FOLDER EXTRA…` with the fixture's export
/// and images.
pub fn import_fixture(
    app: &TestApp,
    data: &Path,
    (source, export, folder_flag, folder): (&str, &str, &str, &str),
    site: &str,
    extra: &[&str],
) -> Run {
    let export = fixture(source, export);
    let folder = fixture(source, folder);
    let mut args = vec![
        "import",
        source,
        "--site",
        site,
        export.to_str().unwrap(),
        folder_flag,
        folder.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    agoat_with_env(
        &app.db,
        &args,
        &[("AGOAT_DATA_DIR", data.to_str().unwrap())],
    )
}
