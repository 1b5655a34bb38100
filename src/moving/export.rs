//! Writing a customer's archive: every table's rows of the customer in one snapshot, then its
//! media files from the store (see [`crate::moving`]).

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use super::archive::{MEDIA_PREFIX, Manifest, Writer};
use super::catalog::{self, Table};
use crate::db::schema::content::{media, media_files};
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::media::image::Format;
use crate::media::store::{Key, Store};
use crate::media::upload::content_type;
use crate::tenancy::{CustomerId, Scope, customers};

/// Rows read at once from a table.
const BATCH: i64 = 500;
/// Rows read at once from a table with a `BYTEA` column (its rows may be large).
const BYTES_BATCH: i64 = 8;

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    pub manifest: Manifest,
    /// Rows in all.
    pub rows: u64,
    /// Tables (every table is in the archive, also an empty one).
    pub tables: usize,
    /// Media files in the archive.
    pub media_files: usize,
    /// Originals of images the store no longer had (the files served from them are there).
    pub missing_originals: usize,
}

/// Writes the archive of `customer` to `out` (through `<out>.partial`, renamed when complete).
pub async fn export(
    db: &Database,
    store: &dyn Store,
    customer: CustomerId,
    out: &Path,
) -> AppResult<ExportSummary> {
    let scope = Scope::of(customer);
    let partial = partial_path(out);
    let written = db
        .tenant_snapshot(scope, |conn| {
            let partial = &partial;
            async move { write_archive(conn, store, scope, partial).await }.scope_boxed()
        })
        .await;
    let summary = match written {
        Ok(summary) => summary,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, out).map_err(|e| {
        AppError::Internal(format!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            out.display()
        ))
    })?;
    Ok(summary)
}

/// `<out>.partial`.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

async fn write_archive(
    conn: &mut Conn,
    store: &dyn Store,
    scope: Scope,
    path: &Path,
) -> AppResult<ExportSummary> {
    let customer = match customers::current(conn, scope).await {
        Err(AppError::NotFound) => {
            return Err(AppError::Invalid(format!(
                "customer {} not found",
                scope.customer_uuid()
            )));
        }
        other => other?,
    };
    let tables = catalog::tables(conn).await?;
    let mut writer = Writer::create(path)?;
    let mut rows = 0;
    for table in &tables {
        rows += write_table(conn, &mut writer, table, scope.customer_uuid()).await?;
    }
    let keys = media_keys(conn, scope.customer_uuid()).await?;
    let (media_files, missing_originals) = write_media(store, &mut writer, &keys).await?;
    let manifest = writer.finish(Manifest {
        format: super::archive::FORMAT.to_owned(),
        version: super::archive::VERSION,
        customer_id: customer.id,
        customer_name: customer.name,
        schema_version: crate::db::latest_migration()?,
        created_at: crate::db::now(),
        entries: Vec::new(),
    })?;
    Ok(ExportSummary {
        manifest,
        rows,
        tables: tables.len(),
        media_files,
        missing_originals,
    })
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Writes the customer's rows of `table`, in primary key order; returns how many.
async fn write_table(
    conn: &mut Conn,
    writer: &mut Writer,
    table: &Table,
    customer: Uuid,
) -> AppResult<u64> {
    writer.begin_rows(&table.entry_name())?;
    let limit = if table.has_bytes { BYTES_BATCH } else { BATCH };
    let mut after: Option<String> = None;
    let mut count = 0;
    loop {
        let lines = read_batch(conn, table, customer, after.as_deref(), limit).await?;
        for line in &lines {
            writer.write_row(&line.line)?;
        }
        count += lines.len() as u64;
        if (lines.len() as i64) < limit {
            return Ok(count);
        }
        after = lines.into_iter().last().map(|l| l.line);
    }
}

/// Up to `limit` rows of the customer in `table` as JSON, in primary key order, after the row
/// `after` (JSON of a row of the table) when given.
async fn read_batch(
    conn: &mut Conn,
    table: &Table,
    customer: Uuid,
    after: Option<&str>,
    limit: i64,
) -> AppResult<Vec<Line>> {
    let key_of = |alias: &str| {
        table
            .primary_key
            .iter()
            .map(|c| format!("{alias}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (t, column) = (&table.sql_name, &table.customer_column);
    let order = key_of("t");
    let lines = match after {
        None => {
            diesel::sql_query(format!(
                "SELECT row_to_json(t)::text AS line FROM {t} t \
                 WHERE t.{column} = $1 ORDER BY {order} LIMIT {limit}"
            ))
            .bind::<diesel::sql_types::Uuid, _>(customer)
            .load(conn)
            .await?
        }
        Some(after) => {
            diesel::sql_query(format!(
                "SELECT row_to_json(t)::text AS line \
                 FROM {t} t, json_populate_record(NULL::{t}, $2::json) k \
                 WHERE t.{column} = $1 AND ({order}) > ({}) ORDER BY {order} LIMIT {limit}",
                key_of("k")
            ))
            .bind::<diesel::sql_types::Uuid, _>(customer)
            .bind::<Text, _>(after)
            .load(conn)
            .await?
        }
    };
    Ok(lines)
}

/// A media file to write: its key, and whether the store must have it (a file served to
/// visitors) or may lack it (an upload's original, kept but never served).
struct MediaKey {
    key: Key,
    required: bool,
}

/// The store keys of the customer's media: every file served and every original kept.
async fn media_keys(conn: &mut Conn, customer: Uuid) -> AppResult<Vec<MediaKey>> {
    let names: Vec<String> = media_files::table
        .filter(media_files::customer_id.eq(customer))
        .select(media_files::name)
        .distinct()
        .order(media_files::name)
        .load(conn)
        .await?;
    let mut keys = Vec::with_capacity(names.len());
    for name in names {
        let (hash, ext) = name.split_once('.').unwrap_or((&name, ""));
        let key = Key::new(customer, hash, ext).map_err(|e| AppError::Internal(e.to_string()))?;
        keys.push(MediaKey {
            key,
            required: true,
        });
    }
    let originals: Vec<(String, String)> = media::table
        .filter(media::customer_id.eq(customer))
        .select((media::sha256, media::format))
        .distinct()
        .order(media::sha256)
        .load(conn)
        .await?;
    for (sha256, format) in originals {
        let Some(format) = Format::from_mime(content_type(&format)) else {
            continue;
        };
        let key = Key::original(customer, &sha256, format.extension())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        keys.push(MediaKey {
            key,
            required: false,
        });
    }
    Ok(keys)
}

/// Writes each file of `keys` from the store, one at a time; returns how many were written and
/// how many originals the store lacked.
async fn write_media(
    store: &dyn Store,
    writer: &mut Writer,
    keys: &[MediaKey],
) -> AppResult<(usize, usize)> {
    let (mut written, mut missing) = (0, 0);
    for MediaKey { key, required } in keys {
        let found = store
            .get(key)
            .await
            .map_err(|e| AppError::Unavailable(format!("the media store cannot be read: {e}")))?;
        let Some(bytes) = found else {
            if *required {
                return Err(AppError::Invalid(format!(
                    "the media file {key} is missing from the media store"
                )));
            }
            missing += 1;
            continue;
        };
        writer.begin_file(&format!("{MEDIA_PREFIX}{key}"))?;
        writer.write(&bytes)?;
        written += 1;
    }
    Ok((written, missing))
}
