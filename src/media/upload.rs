//! Adding uploads to the library, the one way an image enters it (the admin, the command line,
//! imports): every file is checked and processed first ([`crate::media::image`]), and one refused
//! file refuses them all, with nothing stored; then the files made from each are written to the
//! store (the upload itself too, kept but never served) — [`prepare`] — and finally the records
//! are added in one transaction — [`record`], which an import runs in its own transaction so that
//! posts and their images come in together or not at all. A failure after the store writes leaves
//! only unreferenced files, which are never served: serving goes through the records.

use bytes::Bytes;
use scoped_futures::ScopedFutureExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::media::image::{self, Limits, Processed, Refusal};
use crate::media::library::{self, Media, NewFile, NewMedia};
use crate::media::store::{Key, Store};
use crate::tenancy::Scope;

/// A file as it arrived: the name it had and its bytes.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub name: String,
    pub bytes: Bytes,
}

/// A refused file and why.
#[derive(Debug)]
pub struct Refused {
    pub name: String,
    pub reason: Refusal,
}

impl Refused {
    /// What an editor reads: the file's name and the reason.
    pub fn message(&self) -> String {
        format!("{}: {}", self.name, self.reason)
    }
}

/// Why nothing was added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// These files are not accepted (and so none is).
    #[error("{}", .0.iter().map(Refused::message).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Refused>),
    #[error(transparent)]
    App(#[from] AppError),
}

impl AddError {
    /// Whether every refusal is a file over the size limit (HTTP 413).
    pub fn is_too_large(&self) -> bool {
        self.all_refusals(Refusal::is_too_large)
    }

    /// Whether every refusal is a kind of file not accepted at all (HTTP 415).
    pub fn is_unsupported_type(&self) -> bool {
        self.all_refusals(Refusal::is_unsupported_type)
    }

    fn all_refusals(&self, test: impl Fn(&Refusal) -> bool) -> bool {
        matches!(self, AddError::Refused(refused) if refused.iter().all(|r| test(&r.reason)))
    }
}

/// One checked upload, ready to store.
struct Ready {
    incoming: Incoming,
    sha256: String,
    processed: Processed,
}

/// Uploads checked and stored, whose records are still to be added ([`record`]).
pub struct Prepared {
    items: Vec<(Ready, Vec<NewFile>)>,
}

/// Adds `files` to the library of the customer in scope, in order; returns the new records.
pub async fn add(
    db: &Database,
    store: &dyn Store,
    scope: Scope,
    actor: &Actor,
    files: Vec<Incoming>,
    limits: &Limits,
) -> Result<Vec<Media>, AddError> {
    let prepared = prepare(store, scope, files, limits).await?;
    let created = db
        .tenant_tx(scope, |conn| {
            let prepared = &prepared;
            async move { record(conn, scope, prepared, actor).await }.scope_boxed()
        })
        .await;
    if created.is_err() {
        discard(db, store, scope, &prepared).await;
    }
    Ok(created?)
}

/// Removes from the store the files `prepared` wrote that no image of the customer uses: call it
/// when the transaction that was to record them failed. A file another image has (the same
/// bytes uploaded before) stays. Failures are logged: such a file is served to no one.
pub async fn discard(db: &Database, store: &dyn Store, scope: Scope, prepared: &Prepared) {
    for (item, files) in &prepared.items {
        let customer = scope.customer_uuid();
        let extension = item.processed.format.extension();
        let sha = item.sha256.as_str();
        let used = db
            .tenant_read(scope, |conn| {
                async move { library::is_original_used(conn, scope, sha).await }.scope_boxed()
            })
            .await;
        if matches!(used, Ok(false))
            && let Ok(key) = Key::original(customer, sha, extension)
        {
            remove(store, &key).await;
        }
        for file in files {
            let name = file.name.as_str();
            let used = db
                .tenant_read(scope, |conn| {
                    async move { library::is_file_used(conn, scope, name).await }.scope_boxed()
                })
                .await;
            let Some((hash, ext)) = name.split_once('.') else {
                continue;
            };
            if matches!(used, Ok(false))
                && let Ok(key) = Key::new(customer, hash, ext)
            {
                remove(store, &key).await;
            }
        }
    }
}

async fn remove(store: &dyn Store, key: &Key) {
    if let Err(error) = store.delete(key).await {
        tracing::warn!(%error, "a file of a failed upload could not be removed from the store");
    }
}

/// Checks and processes `files` (all refused if one is) and writes their files to the store.
pub async fn prepare(
    store: &dyn Store,
    scope: Scope,
    files: Vec<Incoming>,
    limits: &Limits,
) -> Result<Prepared, AddError> {
    let ready = check_all(files, limits).await?;
    let mut items = Vec::with_capacity(ready.len());
    for item in ready {
        let files = store_files(store, scope, &item).await?;
        items.push((item, files));
    }
    Ok(Prepared { items })
}

/// [`prepare`] for files on disk, each with the name it is known by (`2026/12/photo.jpg`), under
/// the limits the configuration sets.
pub async fn prepare_files(
    store: &dyn Store,
    scope: Scope,
    files: &[(String, std::path::PathBuf)],
) -> Result<Prepared, AddError> {
    let mut incoming = Vec::with_capacity(files.len());
    for (name, path) in files {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| AppError::Invalid(format!("cannot read {name}: {e}")))?;
        incoming.push(Incoming {
            name: name.clone(),
            bytes: bytes.into(),
        });
    }
    prepare(store, scope, incoming, &Limits::from_env()).await
}

/// Adds the records of prepared uploads, in their order (call inside a transaction).
pub async fn record(
    conn: &mut Conn,
    scope: Scope,
    prepared: &Prepared,
    actor: &Actor,
) -> AppResult<Vec<Media>> {
    let mut created = Vec::with_capacity(prepared.items.len());
    for (item, files) in &prepared.items {
        created.push(library::create(conn, scope, &new_media(item), files, actor).await?);
    }
    Ok(created)
}

/// Checks and processes every file; all refusals together when any is refused.
async fn check_all(files: Vec<Incoming>, limits: &Limits) -> Result<Vec<Ready>, AddError> {
    let mut ready = Vec::with_capacity(files.len());
    let mut refused = Vec::new();
    for incoming in files {
        match image::process_bounded(incoming.bytes.clone(), *limits).await {
            Ok(processed) => ready.push(Ready {
                sha256: hex::encode(Sha256::digest(&incoming.bytes)),
                incoming,
                processed,
            }),
            // An encoder that failed is not the upload's fault.
            Err(reason) if reason.is_server_fault() => {
                return Err(AppError::Internal(format!(
                    "processing {} failed: {reason}",
                    library::clean_name(&incoming.name)
                ))
                .into());
            }
            Err(reason) => refused.push(Refused {
                name: library::clean_name(&incoming.name),
                reason,
            }),
        }
    }
    if refused.is_empty() {
        Ok(ready)
    } else {
        Err(AddError::Refused(refused))
    }
}

/// Writes the upload (kept, never served) and every file made from it; returns the files' records.
async fn store_files(
    store: &dyn Store,
    scope: Scope,
    item: &Ready,
) -> Result<Vec<NewFile>, AddError> {
    let customer = scope.customer_uuid();
    let format = item.processed.format;
    let original = Key::original(customer, &item.sha256, format.extension())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    store
        .put(&original, item.incoming.bytes.clone())
        .await
        .map_err(unavailable)?;
    let mut files = Vec::with_capacity(item.processed.variants.len());
    for variant in &item.processed.variants {
        let hash = hex::encode(Sha256::digest(&variant.bytes));
        let extension = variant.format.extension();
        let key =
            Key::new(customer, &hash, extension).map_err(|e| AppError::Internal(e.to_string()))?;
        store
            .put(&key, Bytes::from(variant.bytes.clone()))
            .await
            .map_err(unavailable)?;
        files.push(NewFile {
            name: format!("{hash}.{extension}"),
            format: format_name(variant.format).to_owned(),
            width: variant.width as i32,
            height: variant.height as i32,
            size_bytes: variant.bytes.len() as i64,
        });
    }
    Ok(files)
}

fn unavailable(error: impl std::fmt::Display) -> AddError {
    AddError::App(AppError::Unavailable(format!(
        "the media store cannot be written: {error}"
    )))
}

fn new_media(item: &Ready) -> NewMedia<'_> {
    NewMedia {
        id: Uuid::new_v4(),
        sha256: &item.sha256,
        original_name: &item.incoming.name,
        format: format_name(item.processed.format),
        size_bytes: item.incoming.bytes.len() as i64,
        width: item.processed.width as i32,
        height: item.processed.height as i32,
        alt_text: "",
    }
}

/// The name a format is recorded under.
pub fn format_name(format: image::Format) -> &'static str {
    match format {
        image::Format::Jpeg => "jpeg",
        image::Format::Png => "png",
        image::Format::WebP => "webp",
        image::Format::Gif => "gif",
    }
}

/// The content type of a recorded format.
pub fn content_type(format: &str) -> &'static str {
    match format {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    }
}
