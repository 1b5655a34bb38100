//! Which PostgreSQL to use: the one `DATABASE_URL` names, or the embedded default under the data
//! folder (started here, or already running for another `agoat` process on the same folder). As
//! root, a data folder the `postgres` system user cannot reach is replaced by one under
//! `/var/lib/agoat` (see [`embedded::data_dir_for`]). Also which login serves: the one
//! `AGOAT_APP_DATABASE_URL` names, or `agoat_app` with the password `AGOAT_APP_DB_PASSWORD` gives
//! or — for the embedded default — the one kept in its data folder (see [`roles`]).

use std::path::{Path, PathBuf};

use diesel::QueryableByName;
use diesel::sql_types::Bool;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::db::embedded::{self, EmbeddedPostgres};
use crate::db::roles::{self, Password};
use crate::error::{AppError, AppResult};

/// The database the embedded default creates and uses.
const EMBEDDED_DATABASE: &str = "agoat";

/// A database to work on, and the embedded server to stop afterwards if this process started it.
pub struct DatabaseTarget {
    /// As the schema owner.
    url: String,
    /// The serving login's connection string, when given (`AGOAT_APP_DATABASE_URL`).
    app_url: Option<String>,
    /// The embedded server's data folder, when the database is the embedded default.
    data_dir: Option<PathBuf>,
    embedded: Option<EmbeddedPostgres>,
}

impl DatabaseTarget {
    /// Uses `database_url` when given; otherwise the embedded default under `data_dir`. Serving
    /// connections log in through `app_database_url` when given.
    pub async fn open(
        database_url: Option<&str>,
        app_database_url: Option<&str>,
        data_dir: &Path,
    ) -> AppResult<DatabaseTarget> {
        let app_url = app_database_url
            .filter(|u| !u.trim().is_empty())
            .map(str::to_owned);
        if let Some(url) = database_url.filter(|u| !u.trim().is_empty()) {
            return Ok(DatabaseTarget {
                url: url.to_owned(),
                app_url,
                data_dir: None,
                embedded: None,
            });
        }
        let home =
            embedded::data_dir_for(data_dir).map_err(|e| AppError::Internal(e.to_string()))?;
        if let Some(url) = running_embedded(&home) {
            tracing::info!(data_dir = %home.display(), "using the embedded PostgreSQL another process runs");
            return Ok(DatabaseTarget {
                url,
                app_url,
                data_dir: Some(home),
                embedded: None,
            });
        }
        let embedded = EmbeddedPostgres::start(data_dir)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        ensure_database(&embedded.url("postgres"), EMBEDDED_DATABASE).await?;
        Ok(DatabaseTarget {
            url: embedded.url(EMBEDDED_DATABASE),
            app_url,
            data_dir: Some(embedded.data_dir().to_path_buf()),
            embedded: Some(embedded),
        })
    }

    /// The connection string as the schema owner: for migrations and setting up the roles.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The connection string serving connections use: `AGOAT_APP_DATABASE_URL` when given,
    /// checked; otherwise the owner sets up the login `agoat_app` and its password
    /// (`AGOAT_APP_DB_PASSWORD`, or the embedded default's kept one, or none) and it is derived
    /// from [`DatabaseTarget::url`].
    pub async fn serving_url(&self) -> AppResult<String> {
        if let Some(url) = &self.app_url {
            roles::check_serving_url(url).await?;
            return Ok(url.clone());
        }
        let password = match (Password::from_env(), &self.data_dir) {
            (Some(given), _) => Some(given),
            (None, Some(dir)) => Some(Password::kept_in(dir)?),
            (None, None) => None,
        };
        roles::prepare_serving_login(&self.url, password.as_ref()).await
    }

    /// The embedded server's data folder, or `None` when `DATABASE_URL` names the database.
    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    /// Stops the embedded server if this process started it.
    pub async fn close(self) {
        if let Some(embedded) = self.embedded
            && let Err(error) = embedded.stop().await
        {
            tracing::warn!(%error, "the embedded PostgreSQL did not stop cleanly");
        }
    }
}

/// The connection string of a live embedded server on `data_dir`, read from its `postmaster.pid`
/// (pid, data dir, start time, port, socket dir, listen address, shared memory key, status).
fn running_embedded(data_dir: &Path) -> Option<String> {
    let pid_file = data_dir.join("pg").join("postmaster.pid");
    let text = std::fs::read_to_string(pid_file).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let pid: u32 = <[&str]>::first(&lines)?.trim().parse().ok()?;
    let port = lines.get(3)?.trim();
    let socket_dir = lines.get(4)?.trim();
    let ready = lines.get(7).is_some_and(|s| s.trim() == "ready");
    let alive = PathBuf::from(format!("/proc/{pid}")).exists();
    (alive && ready && !socket_dir.is_empty())
        .then(|| format!("host={socket_dir} port={port} user=agoat dbname={EMBEDDED_DATABASE}"))
}

/// Creates `name` on the server if it does not exist yet.
async fn ensure_database(admin_url: &str, name: &str) -> AppResult<()> {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let mut conn = crate::db::tls::connect(admin_url).await.map_err(|e| {
        AppError::Unavailable(format!("cannot connect to the embedded PostgreSQL: {e}"))
    })?;
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut conn)
            .await?;
    if !found.exists {
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\" ENCODING 'UTF8'"))
            .await?;
    }
    Ok(())
}
