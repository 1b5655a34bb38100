//! The migrations embedded in the binary, how they are applied (as the owner), and the check that
//! a database is current.

use diesel::QueryableByName;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_types::Text;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{APP_ROLE, Conn};
use crate::error::{AppError, AppResult};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The advisory lock `migrate` holds, so that processes started at once (two app servers, a
/// server and a command) migrate one after the other: the second then finds nothing to do,
/// instead of failing on a role, table or grant the first is creating ("tuple concurrently
/// updated"). Where the engine has no advisory locks (CockroachDB) migrations run unserialized.
const MIGRATION_LOCK: i64 = 0x6167_6f61_745f_6d67;

/// Creates the application role if it is missing and applies every pending migration, connecting
/// as the owner named by `url`; on a Citus coordinator then places the tables
/// ([`super::citus::place_tables`]). Returns how many migrations were applied. One process
/// migrates at a time ([`MIGRATION_LOCK`]).
pub async fn migrate(url: &str) -> AppResult<usize> {
    let mut lock = super::tls::connect(url)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot connect to the database: {e}")))?;
    let locked = lock
        .batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await;
    if let Err(error) = &locked {
        // CockroachDB has no advisory locks: start one process first there.
        tracing::info!(%error, "no advisory lock: migrations are not serialized between processes");
    }
    let applied = migrate_locked(url).await;
    if locked.is_ok() {
        // Closing the session releases it too; released at once, the next process waits less.
        let _ = lock
            .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .await;
    }
    applied
}

async fn migrate_locked(url: &str) -> AppResult<usize> {
    let mut conn = super::tls::connect(url)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot connect to the database: {e}")))?;
    super::roles::ensure_app_role(&mut conn).await?;

    let applied = tokio::task::spawn_blocking(move || -> AppResult<usize> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| AppError::Internal(format!("migration failed: {e}")))?
            .len();
        SimpleConnection::batch_execute(
            &mut conn,
            &format!("GRANT SELECT ON __diesel_schema_migrations TO {APP_ROLE}"),
        )?;
        Ok(applied)
    })
    .await
    .map_err(|e| AppError::Internal(format!("migration task failed: {e}")))??;
    let mut conn = super::tls::connect(url)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot connect to the database: {e}")))?;
    if let Some(placed) = super::citus::place_tables(&mut conn).await?
        && !(placed.reference.is_empty() && placed.distributed.is_empty())
    {
        tracing::info!(
            reference = placed.reference.len(),
            distributed = placed.distributed.len(),
            "Citus coordinator: tables placed"
        );
    }
    Ok(applied)
}

/// The name of the newest migration embedded in the binary (`2026-12-26-000001_site_import_uploads`):
/// the version of the schema a database migrated by this binary has.
pub fn latest_migration() -> AppResult<String> {
    let known = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| AppError::Internal(format!("cannot list migrations: {e}")))?;
    known
        .iter()
        .map(|migration| migration.name().to_string())
        .max()
        .ok_or_else(|| AppError::Internal("no migrations are embedded".into()))
}

/// Whether every embedded migration is recorded as applied.
pub async fn migrations_current(conn: &mut Conn) -> AppResult<bool> {
    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let applied: Vec<Applied> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load(conn)
        .await?;
    let known = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| AppError::Internal(format!("cannot list migrations: {e}")))?;
    Ok(known.iter().all(|migration| {
        let version = migration.name().version().to_string();
        applied.iter().any(|a| a.version == version)
    }))
}
