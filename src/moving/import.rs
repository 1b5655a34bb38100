//! Recreating a customer from its archive: checked whole before anything is written, media files
//! into the store, every row in one transaction, nothing left when any step fails (see
//! [`crate::moving`]).

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;

use super::archive::{FORMAT, MEDIA_PREFIX, Reader, VERSION};
use super::catalog::{self, DOMAINS, Table};
use crate::db::schema::tenancy::domains;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::media::store::{Key, Store};
use crate::tenancy::{CustomerId, Scope, customers};

/// What an import created.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub customer: CustomerId,
    pub customer_name: String,
    /// Rows in all.
    pub rows: u64,
    /// Tables with rows.
    pub tables: usize,
    /// Media files in the archive (each now in the store).
    pub media_files: usize,
}

/// Recreates the customer of the archive at `path` in `db` and `store`, with the same ids.
/// Refuses a Citus coordinator: Citus writes `INSERT … SELECT` into a reference table with
/// `COPY`, which it refuses under row-level security, so the rows could not go in as the customer.
/// On Citus a customer moves between nodes with Citus' own shard moves (docs/deploy/citus.md).
async fn refuse_citus(conn: &mut crate::db::Conn) -> AppResult<()> {
    if crate::db::citus::is_coordinator(conn).await? {
        return Err(AppError::Invalid(
            "this database is a Citus coordinator: a customer is moved between Citus nodes with \
             Citus' own shard moves (docs/deploy/citus.md), not imported from an archive"
                .into(),
        ));
    }
    Ok(())
}

pub async fn import(db: &Database, store: &dyn Store, path: &Path) -> AppResult<ImportSummary> {
    let reader = Reader::open(path)?;
    check_version(&reader)?;
    let reader = tokio::task::spawn_blocking(move || reader.verify().map(|()| reader))
        .await
        .map_err(|e| AppError::Internal(format!("the archive check failed: {e}")))??;
    let manifest = &reader.manifest;
    let scope = Scope::of(CustomerId::from_uuid(manifest.customer_id));
    let hosts = domain_hosts(&reader).await?;
    let tables = db
        .tenant_read(scope, |conn| {
            let hosts = &hosts;
            async move {
                refuse_citus(conn).await?;
                refuse_taken(conn, scope, hosts).await?;
                catalog::tables(conn).await
            }
            .scope_boxed()
        })
        .await?;
    check_entries(&reader, &tables)?;
    let added = put_media(store, &reader).await?;
    let inserted = db
        .tenant_tx(scope, |conn| {
            let (reader, tables, hosts) = (&reader, &tables, &hosts);
            async move {
                refuse_taken(conn, scope, hosts).await?;
                insert_all(conn, reader, tables).await
            }
            .scope_boxed()
        })
        .await;
    let (rows, tables_with_rows) = match inserted {
        Ok(counts) => counts,
        Err(error) => {
            remove_media(store, &added).await;
            return Err(error);
        }
    };
    Ok(ImportSummary {
        customer: scope.customer_id(),
        customer_name: manifest.customer_name.clone(),
        rows,
        tables: tables_with_rows,
        media_files: manifest.media().count(),
    })
}

/// Refuses another format, a newer layout or another schema version than this binary's.
fn check_version(reader: &Reader) -> AppResult<()> {
    let manifest = &reader.manifest;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(AppError::Invalid(format!(
            "this is not a customer archive this version can read (format {:?} version {}, \
             expected {FORMAT:?} version {VERSION}): nothing imported",
            manifest.format, manifest.version
        )));
    }
    let here = crate::db::latest_migration()?;
    if manifest.schema_version != here {
        return Err(AppError::Invalid(format!(
            "the archive was made at schema version {} but this database is at {here}: \
             export it again with the same version of agoat: nothing imported",
            manifest.schema_version
        )));
    }
    Ok(())
}

/// Refuses a manifest listing a table this database does not have.
fn check_entries(reader: &Reader, tables: &[Table]) -> AppResult<()> {
    for entry in &reader.manifest.entries {
        if entry.name.starts_with(MEDIA_PREFIX) {
            continue;
        }
        if !tables.iter().any(|t| t.entry_name() == entry.name) || entry.rows.is_none() {
            return Err(AppError::Invalid(format!(
                "the archive's entry {} is no table of this database: nothing imported",
                entry.name
            )));
        }
    }
    Ok(())
}

/// The hosts of the archive's domains.
async fn domain_hosts(reader: &Reader) -> AppResult<Vec<String>> {
    let name = format!("rows/{DOMAINS}.jsonl");
    let mut hosts = Vec::new();
    if reader.manifest.entry(&name).is_none() {
        return Ok(hosts);
    }
    let mut batches = reader.rows(&name);
    while let Some(batch) = batches.next().await {
        for line in batch? {
            let row: serde_json::Value = serde_json::from_str(&line)
                .map_err(|e| AppError::Invalid(format!("{name}: not a row: {e}")))?;
            if let Some(host) = row.get("host").and_then(|h| h.as_str()) {
                hosts.push(host.to_owned());
            }
        }
    }
    Ok(hosts)
}

/// Refuses when the customer exists here, or any of `hosts` is in this database's directory.
async fn refuse_taken(conn: &mut Conn, scope: Scope, hosts: &[String]) -> AppResult<()> {
    if customers::exists(conn, scope).await? {
        return Err(AppError::Invalid(format!(
            "customer {} already exists in this database: nothing imported",
            scope.customer_uuid()
        )));
    }
    let taken: Vec<String> = domains::table
        .filter(domains::host.eq_any(hosts))
        .select(domains::host)
        .distinct()
        .order(domains::host)
        .load(conn)
        .await?;
    if !taken.is_empty() {
        return Err(AppError::Invalid(format!(
            "these domains of the customer are in use in this database: {}: nothing imported",
            taken.join(", ")
        )));
    }
    Ok(())
}

/// Puts every media file of the archive into the store; returns the keys that were not there
/// before. Removes those again when one fails.
async fn put_media(store: &dyn Store, reader: &Reader) -> AppResult<Vec<Key>> {
    let customer = reader.manifest.customer_id;
    let names: Vec<String> = reader.manifest.media().map(|e| e.name.clone()).collect();
    let mut files = reader.files(names);
    let mut added = Vec::new();
    while let Some(file) = files.next().await {
        let outcome = match file {
            Ok((name, bytes)) => put_one(store, customer, &name, bytes).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(Some(key)) => added.push(key),
            Ok(None) => {}
            Err(error) => {
                remove_media(store, &added).await;
                return Err(error);
            }
        }
    }
    Ok(added)
}

/// Puts one media file; returns its key when it was not in the store before.
async fn put_one(
    store: &dyn Store,
    customer: uuid::Uuid,
    name: &str,
    bytes: Vec<u8>,
) -> AppResult<Option<Key>> {
    let text = name.strip_prefix(MEDIA_PREFIX).unwrap_or(name);
    let key = Key::parse(text)
        .ok()
        .filter(|key| key.customer() == customer)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "the archive's entry {name} is not a media file of its customer: nothing imported"
            ))
        })?;
    let unavailable = |e| AppError::Unavailable(format!("the media store: {e}"));
    let existed = store.get(&key).await.map_err(unavailable)?.is_some();
    store.put(&key, bytes.into()).await.map_err(unavailable)?;
    Ok((!existed).then_some(key))
}

/// Removes the media files an import added (failures are logged: such a file is served to no
/// one).
async fn remove_media(store: &dyn Store, added: &[Key]) {
    for key in added {
        if let Err(error) = store.delete(key).await {
            tracing::warn!(%key, %error, "a media file of a failed import could not be removed");
        }
    }
}

/// Inserts every table's rows, parents first; returns the rows and the tables with rows.
async fn insert_all(conn: &mut Conn, reader: &Reader, tables: &[Table]) -> AppResult<(u64, usize)> {
    let (mut rows, mut filled) = (0, 0);
    for table in tables {
        let Some(entry) = reader.manifest.entry(&table.entry_name()) else {
            continue;
        };
        let inserted = insert_table(conn, reader, table).await?;
        if Some(inserted) != entry.rows {
            return Err(AppError::Invalid(format!(
                "{}: {inserted} rows imported, the manifest lists {}: nothing imported",
                table.name,
                entry.rows.unwrap_or_default()
            )));
        }
        rows += inserted;
        filled += usize::from(inserted > 0);
    }
    Ok((rows, filled))
}

/// Inserts the rows of `table`, batch by batch; returns how many.
async fn insert_table(conn: &mut Conn, reader: &Reader, table: &Table) -> AppResult<u64> {
    let columns = table.columns.join(", ");
    let t = &table.sql_name;
    let sql = format!(
        "INSERT INTO {t} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{t}, $1::json)"
    );
    let mut batches = reader.rows(&table.entry_name());
    let mut count = 0;
    while let Some(batch) = batches.next().await {
        let json = format!("[{}]", batch?.join(","));
        let inserted = diesel::sql_query(&sql)
            .bind::<Text, _>(json)
            .execute(conn)
            .await
            .map_err(|e| refused_row(table, e.into()))?;
        count += inserted as u64;
    }
    Ok(count)
}

/// A database error inserting into `table`, naming it (a serialization failure stays one, so the
/// transaction is tried again).
fn refused_row(table: &Table, error: AppError) -> AppError {
    if error.is_retryable() {
        return error;
    }
    let detail = match &error {
        AppError::Database(e) => e.to_string(),
        other => other.to_string(),
    };
    AppError::Invalid(format!(
        "the rows of {} cannot be imported: {detail}: nothing imported",
        table.name
    ))
}
