//! Media files on a local disk, one folder per customer under a root. A write goes to a temporary
//! file in the key's own folder (a unique name starting with `.tmp-`, which no key can have), is
//! flushed to disk and renamed into place, so a reader sees the whole file or none and a crash
//! never leaves a half file under a real key; temporary files a crash left behind are removed when
//! the store opens, once they are older than [`STALE_TEMP_AGE`].

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::{Key, Store, StoreError, same_or_conflict};

/// How old a temporary file must be before opening a store removes it: older than any write
/// still under way, even from another server sharing the folder.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(60 * 60);

/// How every temporary file's name starts; no key's part starts with a dot.
const TEMP_PREFIX: &str = ".tmp-";

/// Media files under a root folder: `{root}/{customer}/[{folder}/]{sha256}.{ext}`.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: Arc<PathBuf>,
}

impl FsStore {
    /// Opens the store under `root`, creating the folder if needed, and removes the temporary
    /// files older than [`STALE_TEMP_AGE`] that a crash left behind.
    pub fn open(root: impl Into<PathBuf>) -> Result<FsStore, StoreError> {
        let root = root.into();
        let root = std::path::absolute(&root).map_err(|e| io_error("resolve", &root, e))?;
        create_folder(&root)?;
        let store = FsStore {
            root: Arc::new(root),
        };
        let removed = store.remove_stale_temp_files(STALE_TEMP_AGE)?;
        if removed > 0 {
            tracing::info!(removed, root = %store.root.display(), "removed unfinished media files");
        }
        Ok(store)
    }

    /// The folder the files are under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file of `key` is (or would be).
    pub fn path_of(&self, key: &Key) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// Removes the temporary files older than `older_than` in every customer's folder and its
    /// sub-folders; returns how many it removed.
    pub fn remove_stale_temp_files(&self, older_than: Duration) -> Result<usize, StoreError> {
        let entries =
            std::fs::read_dir(self.root()).map_err(|e| io_error("list", self.root(), e))?;
        let mut removed = 0;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                removed += sweep_folder(&entry.path(), older_than, 1);
            }
        }
        Ok(removed)
    }

    /// Runs a blocking file job on tokio's blocking threads.
    async fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Path) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let root = Arc::clone(&self.root);
        tokio::task::spawn_blocking(move || job(&root))
            .await
            .map_err(|e| io_error("run a file job in", self.root(), io::Error::other(e)))?
    }
}

#[async_trait::async_trait]
impl Store for FsStore {
    async fn put(&self, key: &Key, bytes: Bytes) -> Result<(), StoreError> {
        let key = key.clone();
        self.blocking(move |root| put_file(root, &key, &bytes))
            .await
    }

    async fn get(&self, key: &Key) -> Result<Option<Bytes>, StoreError> {
        let path = self.path_of(key);
        self.blocking(move |_| read_file(&path)).await
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        let path = self.path_of(key);
        self.blocking(move |_| match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error("delete", &path, e)),
            _ => Ok(()),
        })
        .await
    }

    fn describe(&self) -> String {
        format!("files under {}", self.root.display())
    }
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` under `key`: unless the file exists, to a temporary file, flushed, renamed into
/// place, and the folder flushed so that the new name survives a crash.
fn put_file(root: &Path, key: &Key, bytes: &[u8]) -> Result<(), StoreError> {
    let path = root.join(key.as_str());
    if let Some(existing) = read_file(&path)? {
        return same_or_conflict(key, &existing, bytes);
    }
    let folder = path.parent().expect("a key's file is in a folder");
    create_folders(root, folder)?;
    let temp = write_temp_file(folder, key.file_name(), bytes)?;
    if let Err(e) = std::fs::rename(&temp, &path) {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error("rename into place", &path, e));
    }
    sync_folder(folder)
}

/// The whole file, or `None` when there is none.
fn read_file(path: &Path) -> Result<Option<Bytes>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(Bytes::from(bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path, e)),
    }
}

/// Writes `bytes` to a new, uniquely named temporary file in `folder` and flushes it to disk;
/// returns its path. Nothing is left behind on failure.
fn write_temp_file(folder: &Path, file_name: &str, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let name = format!("{TEMP_PREFIX}{:016x}-{file_name}", rand::random::<u64>());
    let temp = folder.join(name);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
    match written {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(io_error("write", &temp, e))
        }
    }
}

/// Creates `folder` (mode 0755) with its parents.
fn create_folder(folder: &Path) -> Result<(), StoreError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(folder)
        .map_err(|e| io_error("create the folder", folder, e))
}

/// Creates `folder` under `root` if it is missing, and flushes the new names in every folder
/// between them.
fn create_folders(root: &Path, folder: &Path) -> Result<(), StoreError> {
    if folder.is_dir() {
        return Ok(());
    }
    create_folder(folder)?;
    let mut parent = folder.parent();
    while let Some(dir) = parent.filter(|dir| dir.starts_with(root)) {
        sync_folder(dir)?;
        parent = dir.parent();
    }
    Ok(())
}

/// Flushes a folder's entries (new and renamed names) to disk.
fn sync_folder(folder: &Path) -> Result<(), StoreError> {
    File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| io_error("flush the folder", folder, e))
}

/// Removes the temporary files older than `older_than` in `folder` and, `depth` levels down, in
/// its sub-folders; returns how many. Files that vanish meanwhile are skipped.
fn sweep_folder(folder: &Path, older_than: Duration, depth: u32) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if file_type.is_dir() && depth > 0 {
            removed += sweep_folder(&path, older_than, depth - 1);
        } else if file_type.is_file() && is_stale_temp(&entry, older_than) {
            removed += usize::from(std::fs::remove_file(&path).is_ok());
        }
    }
    removed
}

/// Whether a folder entry is a temporary file last written more than `older_than` ago.
fn is_stale_temp(entry: &std::fs::DirEntry, older_than: Duration) -> bool {
    let is_temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
    let age = entry.metadata().and_then(|m| m.modified()).map(|modified| {
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default()
    });
    is_temp && age.is_ok_and(|age| age > older_than)
}

#[cfg(test)]
mod tests {
    use super::*;

    use uuid::Uuid;

    /// A fresh store in a temporary folder that is removed at the end of the test.
    fn store() -> (tempfile::TempDir, FsStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path().join("media")).unwrap();
        (dir, store)
    }

    fn key_for(customer: Uuid, bytes: &[u8], folder: Option<&str>) -> Key {
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(bytes));
        match folder {
            Some(folder) => Key::in_folder(customer, folder, &hash, "bin").unwrap(),
            None => Key::new(customer, &hash, "bin").unwrap(),
        }
    }

    /// The names in a folder, sorted.
    fn names_in(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// `size` bytes that differ from position to position and from `seed` to `seed`.
    fn pattern(size: usize, seed: u8) -> Bytes {
        (0..size)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect::<Vec<u8>>()
            .into()
    }

    #[tokio::test]
    async fn after_a_put_only_the_final_file_exists() {
        let (_dir, store) = store();
        let customer = Uuid::new_v4();
        let bytes = pattern(1000, 1);
        let key = key_for(customer, &bytes, None);
        store.put(&key, bytes.clone()).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Some(bytes));
        let folder = store.root().join(customer.to_string());
        assert_eq!(names_in(&folder), [key.file_name()]);
        assert_eq!(names_in(store.root()), [customer.to_string()]);
    }

    #[tokio::test]
    async fn an_original_goes_to_its_sub_folder() {
        let (_dir, store) = store();
        let customer = Uuid::new_v4();
        let bytes = pattern(10, 2);
        let key = key_for(customer, &bytes, Some("originals"));
        store.put(&key, bytes.clone()).await.unwrap();
        let folder = store.root().join(customer.to_string()).join("originals");
        assert_eq!(names_in(&folder), [key.file_name()]);
        assert_eq!(std::fs::read(store.path_of(&key)).unwrap(), bytes);
    }

    #[tokio::test]
    async fn absent_is_none_and_delete_is_idempotent() {
        let (_dir, store) = store();
        let bytes = pattern(10, 3);
        let key = key_for(Uuid::new_v4(), &bytes, None);
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.delete(&key).await.unwrap();
        store.put(&key, bytes).await.unwrap();
        store.delete(&key).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.delete(&key).await.unwrap();
    }

    #[tokio::test]
    async fn the_same_bytes_again_change_nothing_and_other_bytes_conflict() {
        use std::os::unix::fs::MetadataExt;
        let (_dir, store) = store();
        let bytes = pattern(100, 4);
        let key = key_for(Uuid::new_v4(), &bytes, None);
        store.put(&key, bytes.clone()).await.unwrap();
        let inode = std::fs::metadata(store.path_of(&key)).unwrap().ino();
        store.put(&key, bytes.clone()).await.unwrap();
        assert_eq!(std::fs::metadata(store.path_of(&key)).unwrap().ino(), inode);
        let err = store.put(&key, pattern(100, 5)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        assert_eq!(store.get(&key).await.unwrap(), Some(bytes));
    }

    /// Writers and readers of the same new 5 MB file at once: every read is the whole file or
    /// nothing, every write succeeds, and no temporary file is left.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_put_racing_gets_never_yields_partial_bytes() {
        let (_dir, store) = store();
        let customer = Uuid::new_v4();
        for round in 0..4u8 {
            let bytes = pattern(5 * 1024 * 1024, round);
            let key = key_for(customer, &bytes, None);
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..3 {
                let (store, key, bytes) = (store.clone(), key.clone(), bytes.clone());
                tasks.spawn(async move { store.put(&key, bytes).await.unwrap() });
            }
            for _ in 0..3 {
                let (store, key, bytes) = (store.clone(), key.clone(), bytes.clone());
                tasks.spawn(async move { read_until_whole(&store, &key, &bytes).await });
            }
            while let Some(done) = tasks.join_next().await {
                done.unwrap();
            }
        }
        let folder = store.root().join(customer.to_string());
        assert!(names_in(&folder).iter().all(|n| !n.starts_with('.')));
        assert_eq!(names_in(&folder).len(), 4);
    }

    /// Reads `key` until it is there, checking that every read is nothing or the whole file.
    async fn read_until_whole(store: &FsStore, key: &Key, expected: &Bytes) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            match store.get(key).await.unwrap() {
                Some(read) => {
                    assert!(read == *expected, "partial read: {} bytes", read.len());
                    return;
                }
                None => assert!(tokio::time::Instant::now() < deadline, "never written"),
            }
            tokio::task::yield_now().await;
        }
    }

    /// Writes a file at `path`, last modified `age` ago.
    fn file_aged(path: &Path, age: Duration) {
        std::fs::write(path, b"half").unwrap();
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[tokio::test]
    async fn opening_removes_only_stale_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("media");
        let customer = Uuid::new_v4();
        let originals = root.join(customer.to_string()).join("originals");
        std::fs::create_dir_all(&originals).unwrap();
        let key = key_for(customer, b"whole", None);
        let folder = originals.parent().unwrap();
        let crashed = format!("{TEMP_PREFIX}00000000000000aa-{}", key.file_name());
        let hour_and_more = STALE_TEMP_AGE + Duration::from_secs(60);
        file_aged(&folder.join(&crashed), hour_and_more);
        file_aged(
            &originals.join(".tmp-00000000000000bb-x.png"),
            hour_and_more,
        );
        file_aged(
            &folder.join(".tmp-00000000000000cc-fresh.png"),
            Duration::ZERO,
        );
        file_aged(&folder.join(key.file_name()), hour_and_more * 24);
        file_aged(&folder.join("notes.txt"), hour_and_more);

        let store = FsStore::open(&root).unwrap();
        assert_eq!(
            names_in(folder),
            [
                ".tmp-00000000000000cc-fresh.png",
                key.file_name(),
                "notes.txt",
                "originals"
            ]
        );
        assert!(names_in(&originals).is_empty());
        assert!(Key::parse(&format!("{customer}/{crashed}")).is_err());
        assert_eq!(store.remove_stale_temp_files(Duration::ZERO).unwrap(), 1);
    }

    #[tokio::test]
    async fn a_temporary_file_is_never_served() {
        let (_dir, store) = store();
        let key = key_for(Uuid::new_v4(), b"never written", None);
        let folder = store.path_of(&key).parent().unwrap().to_owned();
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join(format!("{TEMP_PREFIX}1-{}", key.file_name())),
            b"ha",
        )
        .unwrap();
        assert_eq!(store.get(&key).await.unwrap(), None);
    }

    #[test]
    fn describe_names_the_root_and_a_file_as_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path().join("m")).unwrap();
        assert_eq!(
            store.describe(),
            format!("files under {}", dir.path().join("m").display())
        );
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        let err = FsStore::open(dir.path().join("file")).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
    }
}
