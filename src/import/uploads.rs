//! The files owners upload to the import page — an export and, if they have one, an archive of
//! its images — kept in the database between the dry run and the apply so that any app server can
//! apply them. The bytes go in parts of at most [`PART_BYTES`], written and read one at a time, so
//! that no step holds a whole export in memory. An upload applies at most once; its parts are
//! removed when it does, and unapplied uploads after [`KEPT_FOR_DAYS`] days.

use std::path::Path;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::schema::content::{site_import_parts, site_import_uploads};
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::import::apply::Report;
use crate::import::convert::Source;
use crate::tenancy::{Scope, SiteId};

/// The largest part an upload's bytes are kept in.
pub const PART_BYTES: usize = 1024 * 1024;

/// How long an upload that was never applied is kept.
pub const KEPT_FOR_DAYS: i64 = 7;

/// Longest file name kept (longer ones are cut).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// Which of an upload's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Export,
    Archive,
}

impl File {
    fn as_str(self) -> &'static str {
        match self {
            File::Export => "export",
            File::Archive => "archive",
        }
    }
}

/// A stored upload (without its bytes).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = site_import_uploads)]
pub struct Upload {
    pub id: Uuid,
    pub site_id: Uuid,
    pub source: String,
    pub export_name: String,
    pub export_bytes: i64,
    pub export_sha256: String,
    pub archive_name: Option<String>,
    pub archive_bytes: Option<i64>,
    pub report: serde_json::Value,
    pub uploaded_by_label: String,
    pub uploaded_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    pub applied_report: Option<serde_json::Value>,
    pub version: i32,
}

impl Upload {
    /// The system the export comes from.
    pub fn source(&self) -> Source {
        Source::parse(&self.source).unwrap_or(Source::WordPress)
    }

    /// What the dry run found.
    pub fn dry_run_report(&self) -> Report {
        serde_json::from_value(self.report.clone()).unwrap_or_default()
    }

    /// What the apply did, once applied.
    pub fn applied(&self) -> Option<Report> {
        self.applied_report
            .clone()
            .and_then(|r| serde_json::from_value(r).ok())
    }
}

/// A file on disk to store with an upload.
pub struct NewFile<'a> {
    pub name: &'a str,
    pub path: &'a Path,
}

/// What a new upload holds.
pub struct NewUpload<'a> {
    pub site: SiteId,
    pub source: Source,
    pub export: NewFile<'a>,
    pub archive: Option<NewFile<'a>>,
    pub report: &'a Report,
}

/// The name a file is kept under: without any folder part or control character, at most
/// [`MAX_FILE_NAME_CHARS`], `fallback` when nothing is left.
pub fn clean_file_name(name: &str, fallback: &str) -> String {
    crate::input::file_name(name, MAX_FILE_NAME_CHARS, fallback)
}

/// Stores an upload for the customer in scope, its files read from disk part by part, with an
/// audit event carrying the dry run's counts; removes the customer's unapplied uploads older
/// than [`KEPT_FOR_DAYS`]. Call inside a transaction.
pub async fn store(
    conn: &mut Conn,
    scope: Scope,
    new: &NewUpload<'_>,
    actor: &Actor,
) -> AppResult<Upload> {
    remove_stale(conn, scope).await?;
    let id = Uuid::new_v4();
    let export_sha256 = sha256_of(new.export.path).await?;
    let archive_bytes = match &new.archive {
        Some(archive) => Some(size_of(archive.path).await?),
        None => None,
    };
    let upload: Upload = diesel::insert_into(site_import_uploads::table)
        .values((
            site_import_uploads::customer_id.eq(scope.customer_uuid()),
            site_import_uploads::id.eq(id),
            site_import_uploads::site_id.eq(new.site.as_uuid()),
            site_import_uploads::source.eq(new.source.as_str()),
            site_import_uploads::export_name.eq(clean_file_name(new.export.name, "export")),
            site_import_uploads::export_bytes.eq(size_of(new.export.path).await?),
            site_import_uploads::export_sha256.eq(&export_sha256),
            site_import_uploads::archive_name.eq(new
                .archive
                .as_ref()
                .map(|a| clean_file_name(a.name, "images.zip"))),
            site_import_uploads::archive_bytes.eq(archive_bytes),
            site_import_uploads::report.eq(report_json(new.report)),
            site_import_uploads::uploaded_by.eq(actor.user_id.map(|u| u.as_uuid())),
            site_import_uploads::uploaded_by_label.eq(&actor.label),
            site_import_uploads::uploaded_at.eq(crate::db::now()),
        ))
        .returning(Upload::as_returning())
        .get_result(conn)
        .await?;
    write_parts(conn, scope, id, File::Export, new.export.path).await?;
    if let Some(archive) = &new.archive {
        write_parts(conn, scope, id, File::Archive, archive.path).await?;
    }
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "site_import",
            entity_id: id,
            action: "upload",
            before: None,
            after: Some(json!({
                "source": upload.source,
                "export": upload.export_name,
                "export_bytes": upload.export_bytes,
                "export_sha256": upload.export_sha256,
                "archive": upload.archive_name,
                "archive_bytes": upload.archive_bytes,
                "dry_run": counts(new.report),
            })),
        },
    )
    .await?;
    Ok(upload)
}

fn report_json(report: &Report) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

/// The counts of a report, for an audit event.
fn counts(report: &Report) -> serde_json::Value {
    json!({
        "posts_created": report.posts_created,
        "posts_updated": report.posts_updated,
        "pages_created": report.pages_created,
        "pages_updated": report.pages_updated,
        "images_added": report.images_added,
        "images_kept": report.images_kept,
        "images_missing": report.missing_images.len(),
        "skipped": report.skipped.len(),
        "old_addresses": report.old_addresses,
        "problems": report.problems.len(),
    })
}

async fn size_of(path: &Path) -> AppResult<i64> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| AppError::Internal(format!("cannot read an uploaded file: {e}")))?;
    Ok(meta.len() as i64)
}

async fn sha256_of(path: &Path) -> AppResult<String> {
    let mut file = open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).await.map_err(unreadable)?;
        if read == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

async fn open(path: &Path) -> AppResult<tokio::fs::File> {
    tokio::fs::File::open(path).await.map_err(unreadable)
}

fn unreadable(error: std::io::Error) -> AppError {
    AppError::Internal(format!("cannot read an uploaded file: {error}"))
}

/// Writes a file as parts of at most [`PART_BYTES`].
async fn write_parts(
    conn: &mut Conn,
    scope: Scope,
    upload: Uuid,
    which: File,
    path: &Path,
) -> AppResult<()> {
    let mut file = open(path).await?;
    let mut seq = 0;
    loop {
        let mut part = Vec::with_capacity(PART_BYTES);
        (&mut file)
            .take(PART_BYTES as u64)
            .read_to_end(&mut part)
            .await
            .map_err(unreadable)?;
        if part.is_empty() {
            return Ok(());
        }
        diesel::insert_into(site_import_parts::table)
            .values((
                site_import_parts::customer_id.eq(scope.customer_uuid()),
                site_import_parts::upload_id.eq(upload),
                site_import_parts::file.eq(which.as_str()),
                site_import_parts::seq.eq(seq),
                site_import_parts::bytes.eq(&part),
            ))
            .execute(conn)
            .await?;
        seq += 1;
    }
}

/// Writes one of an upload's files to `path`, reading one part per transaction, so that neither
/// the application nor a database connection holds more than a part at a time.
pub async fn read_file_to(
    db: &Database,
    scope: Scope,
    upload: Uuid,
    which: File,
    path: &Path,
) -> AppResult<()> {
    use scoped_futures::ScopedFutureExt;
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))?;
    let mut seq = 0;
    loop {
        let part: Option<Vec<u8>> = db
            .tenant_read(scope, |conn| {
                async move {
                    site_import_parts::table
                        .filter(site_import_parts::customer_id.eq(scope.customer_uuid()))
                        .filter(site_import_parts::upload_id.eq(upload))
                        .filter(site_import_parts::file.eq(which.as_str()))
                        .filter(site_import_parts::seq.eq(seq))
                        .select(site_import_parts::bytes)
                        .first(conn)
                        .await
                        .optional()
                        .map_err(AppError::from)
                }
                .scope_boxed()
            })
            .await?;
        let Some(part) = part else {
            break;
        };
        out.write_all(&part)
            .await
            .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))?;
        seq += 1;
    }
    out.flush()
        .await
        .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))
}

/// An upload of the customer in scope.
pub async fn find(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Upload> {
    site_import_uploads::table
        .filter(site_import_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(site_import_uploads::id.eq(id))
        .select(Upload::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// The customer's uploads to one site, newest first.
pub async fn recent(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    limit: i64,
) -> AppResult<Vec<Upload>> {
    site_import_uploads::table
        .filter(site_import_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(site_import_uploads::site_id.eq(site.as_uuid()))
        .order(site_import_uploads::uploaded_at.desc())
        .limit(limit)
        .select(Upload::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The refusal of an upload that was applied already.
fn already_applied(upload: &Upload) -> AppError {
    AppError::Conflict(format!(
        "The export “{}” was already imported; upload it again to import it once more.",
        upload.export_name
    ))
}

/// Refuses an upload that was applied already.
pub fn ensure_not_applied(upload: &Upload) -> AppResult<()> {
    match upload.applied_at {
        Some(_) => Err(already_applied(upload)),
        None => Ok(()),
    }
}

/// Marks an upload applied, if it still is at the version it was read at and not applied yet;
/// otherwise [`AppError::Conflict`]. Call first in the import's transaction: a second apply
/// running at the same time waits here, then fails.
pub async fn claim(conn: &mut Conn, scope: Scope, upload: &Upload) -> AppResult<()> {
    ensure_not_applied(upload)?;
    let claimed = diesel::update(site_import_uploads::table)
        .filter(site_import_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(site_import_uploads::id.eq(upload.id))
        .filter(site_import_uploads::version.eq(upload.version))
        .filter(site_import_uploads::applied_at.is_null())
        .set((
            site_import_uploads::applied_at.eq(Some(crate::db::now())),
            site_import_uploads::version.eq(site_import_uploads::version + 1),
        ))
        .execute(conn)
        .await?;
    if claimed == 1 {
        Ok(())
    } else {
        Err(already_applied(upload))
    }
}

/// Records what applying a claimed upload did, removes its parts and audits it.
pub async fn mark_applied(
    conn: &mut Conn,
    scope: Scope,
    upload: &Upload,
    report: &Report,
    actor: &Actor,
) -> AppResult<()> {
    diesel::update(site_import_uploads::table)
        .filter(site_import_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(site_import_uploads::id.eq(upload.id))
        .set(site_import_uploads::applied_report.eq(Some(report_json(report))))
        .execute(conn)
        .await?;
    diesel::delete(site_import_parts::table)
        .filter(site_import_parts::customer_id.eq(scope.customer_uuid()))
        .filter(site_import_parts::upload_id.eq(upload.id))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "site_import",
            entity_id: upload.id,
            action: "apply",
            before: None,
            after: Some(counts(report)),
        },
    )
    .await
}

/// Removes the customer's uploads that were never applied and are older than [`KEPT_FOR_DAYS`]
/// (their parts go with them).
async fn remove_stale(conn: &mut Conn, scope: Scope) -> AppResult<()> {
    let before = crate::db::now() - chrono::Duration::days(KEPT_FOR_DAYS);
    diesel::delete(site_import_uploads::table)
        .filter(site_import_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(site_import_uploads::applied_at.is_null())
        .filter(site_import_uploads::uploaded_at.lt(before))
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_folders_and_get_a_fallback() {
        assert_eq!(
            clean_file_name("C:\\fakepath\\site.xml", "export"),
            "site.xml"
        );
        assert_eq!(clean_file_name("dir/", "images.zip"), "images.zip");
    }
}
