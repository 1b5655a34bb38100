//! The migrations embedded in the binary, how they are applied (as the owner), and the check that
//! a database is current.

use diesel::QueryableByName;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Text};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{APP_ROLE, Conn};
use crate::error::{AppError, AppResult};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Creates the application role if it is missing and applies every pending migration, connecting
/// as the owner named by `url`. Returns how many migrations were applied.
pub async fn migrate(url: &str) -> AppResult<usize> {
    let mut conn = super::tls::connect(url)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot connect to the database: {e}")))?;
    ensure_app_role(&mut conn).await?;

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
    Ok(applied)
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

/// Creates [`APP_ROLE`] (no login, no ownership, no `BYPASSRLS`) and lets the connecting user
/// switch to it. Safe to run concurrently.
async fn ensure_app_role(conn: &mut AsyncPgConnection) -> AppResult<()> {
    #[derive(QueryableByName)]
    struct Facts {
        #[diesel(sql_type = Bool)]
        role_exists: bool,
        #[diesel(sql_type = Bool)]
        is_superuser: bool,
    }
    let facts: Facts = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role_exists, \
         (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser",
    )
    .bind::<Text, _>(APP_ROLE)
    .get_result(conn)
    .await?;
    if !facts.role_exists {
        let created = conn
            .batch_execute(&format!("CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS"))
            .await;
        // Another process may have created it at the same moment.
        if let Err(error) = created {
            let exists: Facts = diesel::sql_query(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role_exists, \
                 false AS is_superuser",
            )
            .bind::<Text, _>(APP_ROLE)
            .get_result(conn)
            .await?;
            if !exists.role_exists {
                return Err(AppError::Internal(format!(
                    "cannot create the role {APP_ROLE}: {error}"
                )));
            }
        }
    }
    if !facts.is_superuser {
        conn.batch_execute(&format!("GRANT {APP_ROLE} TO CURRENT_USER"))
            .await
            .map_err(|e| {
                AppError::Internal(format!(
                    "the database user must be allowed to switch to the role {APP_ROLE}: {e}"
                ))
            })?;
    }
    Ok(())
}
