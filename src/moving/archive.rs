//! The archive file of a customer's data: a zip of `rows/<schema>.<table>.jsonl` entries,
//! `media/<store key>` entries and `manifest.json` (see [`crate::moving`]). [`Writer`] writes it
//! entry by entry, hashing as it goes; [`Reader`] checks it against its manifest and hands out its
//! entries in bounded pieces, read on a thread of their own.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::error::{AppError, AppResult};

/// What the manifest's `format` says.
pub const FORMAT: &str = "agoat-customer-archive";
/// The version of the archive's layout this binary writes and reads.
pub const VERSION: u32 = 1;
/// The manifest's entry name.
pub const MANIFEST: &str = "manifest.json";
/// Where the media files' entries are.
pub const MEDIA_PREFIX: &str = "media/";

/// Most rows in one batch handed out by [`Reader::rows`].
const BATCH_ROWS: usize = 500;
/// Most bytes of rows in one batch (a larger row comes alone).
const BATCH_BYTES: usize = 4 << 20;

/// What the archive holds, written last into it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// The newest migration of the database it was made from.
    pub schema_version: String,
    pub created_at: DateTime<Utc>,
    /// Every other entry, in the order written: the tables parents first, then the media files.
    pub entries: Vec<Entry>,
}

/// One entry of the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// For a table: how many rows (lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Its size, uncompressed.
    pub bytes: u64,
    /// The SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

impl Manifest {
    /// The entry called `name`.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The media files' entries.
    pub fn media(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.name.starts_with(MEDIA_PREFIX))
    }
}

fn damaged(path: &Path, error: impl std::fmt::Display) -> AppError {
    AppError::Invalid(format!(
        "{} is not a readable customer archive: {error}",
        path.display()
    ))
}

fn write_failed(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("cannot write the archive: {error}"))
}

// ------------------------------------------------------------------------------------------------
// Writing

/// An archive being written.
pub struct Writer {
    zip: ZipWriter<BufWriter<File>>,
    open: Option<Open>,
    entries: Vec<Entry>,
}

/// The entry being written.
struct Open {
    name: String,
    hasher: Sha256,
    bytes: u64,
    rows: Option<u64>,
}

impl Writer {
    /// A new, empty archive at `path` (replacing any file there).
    pub fn create(path: &Path) -> AppResult<Writer> {
        let file = File::create(path).map_err(|e| {
            AppError::Invalid(format!("cannot create the file {}: {e}", path.display()))
        })?;
        Ok(Writer {
            zip: ZipWriter::new(BufWriter::new(file)),
            open: None,
            entries: Vec::new(),
        })
    }

    /// Starts the lines of a table's rows (compressed).
    pub fn begin_rows(&mut self, name: &str) -> AppResult<()> {
        self.begin(name, CompressionMethod::Deflated, Some(0))
    }

    /// Starts a media file (stored as it is: images are compressed already).
    pub fn begin_file(&mut self, name: &str) -> AppResult<()> {
        self.begin(name, CompressionMethod::Stored, None)
    }

    fn begin(&mut self, name: &str, method: CompressionMethod, rows: Option<u64>) -> AppResult<()> {
        self.end()?;
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        self.zip.start_file(name, options).map_err(write_failed)?;
        self.open = Some(Open {
            name: name.to_owned(),
            hasher: Sha256::new(),
            bytes: 0,
            rows,
        });
        Ok(())
    }

    /// Writes one row (its JSON text) and a line feed.
    pub fn write_row(&mut self, line: &str) -> AppResult<()> {
        self.write(line.as_bytes())?;
        self.write(b"\n")?;
        if let Some(rows) = self.open.as_mut().and_then(|o| o.rows.as_mut()) {
            *rows += 1;
        }
        Ok(())
    }

    /// Writes bytes of the open entry.
    pub fn write(&mut self, bytes: &[u8]) -> AppResult<()> {
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| AppError::Internal("no archive entry is open".into()))?;
        open.hasher.update(bytes);
        open.bytes += bytes.len() as u64;
        self.zip.write_all(bytes).map_err(write_failed)
    }

    /// Ends the open entry, if any, and records it.
    fn end(&mut self) -> AppResult<()> {
        if let Some(open) = self.open.take() {
            self.entries.push(Entry {
                name: open.name,
                rows: open.rows,
                bytes: open.bytes,
                sha256: hex::encode(open.hasher.finalize()),
            });
        }
        Ok(())
    }

    /// Writes the manifest (`manifest.entries` replaced by the entries written) and closes the
    /// file, flushed to disk; returns the manifest.
    pub fn finish(mut self, mut manifest: Manifest) -> AppResult<Manifest> {
        self.end()?;
        manifest.entries = std::mem::take(&mut self.entries);
        let text = serde_json::to_vec_pretty(&manifest).map_err(write_failed)?;
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        self.zip
            .start_file(MANIFEST, options)
            .map_err(write_failed)?;
        self.zip.write_all(&text).map_err(write_failed)?;
        let file = self
            .zip
            .finish()
            .map_err(write_failed)?
            .into_inner()
            .map_err(|e| write_failed(e.error()))?;
        file.sync_all().map_err(write_failed)?;
        Ok(manifest)
    }
}

// ------------------------------------------------------------------------------------------------
// Reading

/// An archive being read: its path and its manifest.
#[derive(Debug, Clone)]
pub struct Reader {
    path: PathBuf,
    pub manifest: Manifest,
}

fn open_zip(path: &Path) -> AppResult<ZipArchive<BufReader<File>>> {
    let file = File::open(path)
        .map_err(|e| AppError::Invalid(format!("cannot open {}: {e}", path.display())))?;
    ZipArchive::new(BufReader::new(file)).map_err(|e| damaged(path, e))
}

impl Reader {
    /// Opens the archive at `path` and reads its manifest.
    pub fn open(path: &Path) -> AppResult<Reader> {
        let mut zip = open_zip(path)?;
        let mut text = Vec::new();
        zip.by_name(MANIFEST)
            .map_err(|e| damaged(path, format!("{MANIFEST}: {e}")))?
            .read_to_end(&mut text)
            .map_err(|e| damaged(path, format!("{MANIFEST}: {e}")))?;
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|e| damaged(path, format!("{MANIFEST}: {e}")))?;
        Ok(Reader {
            path: path.to_owned(),
            manifest,
        })
    }

    /// Checks every entry against the manifest, reading each once: the archive holds exactly
    /// the entries listed (and the manifest), each of the size and SHA-256 listed. Blocking.
    pub fn verify(&self) -> AppResult<()> {
        let mut zip = open_zip(&self.path)?;
        let mut listed: Vec<&str> = self.manifest.entries.iter().map(|e| &*e.name).collect();
        listed.sort_unstable();
        if listed.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(damaged(&self.path, "its manifest lists an entry twice"));
        }
        for name in zip.file_names() {
            let name = name.map_err(|e| damaged(&self.path, e))?;
            if name != MANIFEST && listed.binary_search(&&*name).is_err() {
                return Err(damaged(
                    &self.path,
                    format!("{name} is not listed in its manifest"),
                ));
            }
        }
        for entry in &self.manifest.entries {
            let mut file = zip
                .by_name(&entry.name)
                .map_err(|e| damaged(&self.path, format!("{}: {e}", entry.name)))?;
            let (bytes, sha256) = hash(&mut file)
                .map_err(|e| damaged(&self.path, format!("{} cannot be read: {e}", entry.name)))?;
            if bytes != entry.bytes || sha256 != entry.sha256 {
                return Err(AppError::Invalid(format!(
                    "{}: the entry {} does not match its checksum in the manifest \
                     (the archive was changed or damaged): nothing imported",
                    self.path.display(),
                    entry.name
                )));
            }
        }
        Ok(())
    }

    /// The rows of the entry `name`, in batches (each at most [`BATCH_ROWS`] lines and
    /// [`BATCH_BYTES`], unless one line is larger), read on a thread of their own that stays at
    /// most one batch ahead.
    pub fn rows(&self, name: &str) -> Batches<Vec<String>> {
        let (sender, receiver) = mpsc::channel(1);
        let (path, name) = (self.path.clone(), name.to_owned());
        std::thread::spawn(move || {
            if let Err(error) = send_rows(&path, &name, &sender) {
                let _ = sender.blocking_send(Err(error));
            }
        });
        Batches(receiver)
    }

    /// The entries `names`, one at a time with their bytes, read on a thread of their own that
    /// stays at most one entry ahead.
    pub fn files(&self, names: Vec<String>) -> Batches<(String, Vec<u8>)> {
        let (sender, receiver) = mpsc::channel(1);
        let path = self.path.clone();
        std::thread::spawn(move || {
            if let Err(error) = send_files(&path, names, &sender) {
                let _ = sender.blocking_send(Err(error));
            }
        });
        Batches(receiver)
    }
}

/// The size and SHA-256 (hex) of everything `reader` gives.
fn hash(reader: &mut impl Read) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok((bytes, hex::encode(hasher.finalize())));
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
}

/// Pieces of an archive's entry, read on another thread.
pub struct Batches<T>(mpsc::Receiver<AppResult<T>>);

impl<T> Batches<T> {
    /// The next piece; `None` at the end.
    pub async fn next(&mut self) -> Option<AppResult<T>> {
        self.0.recv().await
    }
}

type Sender<T> = mpsc::Sender<AppResult<T>>;

fn send_rows(path: &Path, name: &str, sender: &Sender<Vec<String>>) -> AppResult<()> {
    let mut zip = open_zip(path)?;
    let file = zip
        .by_name(name)
        .map_err(|e| damaged(path, format!("{name}: {e}")))?;
    let mut lines = BufReader::new(file);
    let mut batch = Vec::new();
    let mut batch_bytes = 0;
    loop {
        let mut line = String::new();
        let n = lines
            .read_line(&mut line)
            .map_err(|e| damaged(path, format!("{name}: {e}")))?;
        if n == 0 {
            break;
        }
        let line = line.trim_end_matches('\n');
        if line.is_empty() {
            continue;
        }
        batch_bytes += line.len();
        batch.push(line.to_owned());
        if batch.len() >= BATCH_ROWS || batch_bytes >= BATCH_BYTES {
            if sender
                .blocking_send(Ok(std::mem::take(&mut batch)))
                .is_err()
            {
                return Ok(()); // the reader stopped
            }
            batch_bytes = 0;
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(Ok(batch));
    }
    Ok(())
}

fn send_files(
    path: &Path,
    names: Vec<String>,
    sender: &Sender<(String, Vec<u8>)>,
) -> AppResult<()> {
    let mut zip = open_zip(path)?;
    for name in names {
        let mut bytes = Vec::new();
        zip.by_name(&name)
            .map_err(|e| damaged(path, format!("{name}: {e}")))?
            .read_to_end(&mut bytes)
            .map_err(|e| damaged(path, format!("{name}: {e}")))?;
        if sender.blocking_send(Ok((name, bytes))).is_err() {
            return Ok(());
        }
    }
    Ok(())
}
