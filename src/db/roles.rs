//! The database roles, and who serving connections log in as.
//!
//! * The schema owner (`DATABASE_URL`, or the embedded server's superuser) applies the migrations
//!   and sets up the roles below; serving connections never log in as it.
//! * [`APP_ROLE`] (`agoat_app`) holds what the migrations grant: it owns nothing, has no
//!   `BYPASSRLS`, so row-level security applies to it. Serving connections — the web server and
//!   every command's work on tenant data — log in as `agoat_app` itself, or as the login
//!   `AGOAT_APP_DATABASE_URL` names. To make that possible the owner turns `agoat_app` into a login
//!   and, when a password is known ([`Password`]), sets it as a SCRAM verifier, so the password
//!   itself never crosses the wire or reaches a server log.
//! * A serving login must not be, or be able to become, a superuser, a `BYPASSRLS` role or the
//!   owner of the schema: otherwise one `RESET ROLE` or `SET ROLE` would leave row-level security
//!   behind. [`confinement`] checks this; serving does not start, and the pool opens no connection,
//!   for a login that fails it.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use rand::Rng;

use super::{APP_ROLE, conninfo, tls};
use crate::error::{AppError, AppResult};

/// Environment variable with the password of [`APP_ROLE`] for the derived serving URL.
pub const PASSWORD_ENV: &str = "AGOAT_APP_DB_PASSWORD";
/// The file in the embedded default's data folder that keeps its generated password.
pub const PASSWORD_FILE: &str = "app-password";
/// How often a role change that collided with another process's is tried in all.
const ALTER_ATTEMPTS: u32 = 5;

/// The password of the serving login. Never printed: its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    /// A given password.
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// `AGOAT_APP_DB_PASSWORD` when set and not empty.
    pub fn from_env() -> Option<Password> {
        std::env::var(PASSWORD_ENV)
            .ok()
            .filter(|text| !text.is_empty())
            .map(Password)
    }

    /// The password kept in `dir`'s [`PASSWORD_FILE`], generated (32 random bytes, as hex) and
    /// written with mode 0600 the first time. Two processes starting at once keep the same one.
    pub fn kept_in(dir: &Path) -> AppResult<Password> {
        let path = dir.join(PASSWORD_FILE);
        if let Some(password) = read_password_file(&path)? {
            return Ok(password);
        }
        let password = Password(hex::encode(rand::rng().random::<[u8; 32]>()));
        let draft = dir.join(format!("{PASSWORD_FILE}.{}", std::process::id()));
        let written =
            write_private(&draft, &password.0).and_then(|()| fs::hard_link(&draft, &path));
        let _ = fs::remove_file(&draft);
        match written {
            Ok(()) => Ok(password),
            // Another process got there first: use its password.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                read_password_file(&path)?
                    .ok_or_else(|| cannot_keep(&path, io::Error::other("it is empty")))
            }
            Err(error) => Err(cannot_keep(&path, error)),
        }
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

fn read_password_file(path: &Path) -> AppResult<Option<Password>> {
    match fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => {
            close_up(path)?;
            Ok(Some(Password(text.trim().to_owned())))
        }
        Ok(_) => Ok(None),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(cannot_keep(path, error)),
    }
}

/// Gives the password file mode 0600 again if someone opened it up.
fn close_up(path: &Path) -> AppResult<()> {
    let mode = fs::metadata(path)
        .map_err(|e| cannot_keep(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| cannot_keep(path, e))?;
    }
    Ok(())
}

fn write_private(path: &Path, text: &str) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn cannot_keep(path: &Path, error: io::Error) -> AppError {
    AppError::Internal(format!(
        "cannot keep the serving password in {}: {error}",
        path.display()
    ))
}

/// The serving URL derived from the owner's: the same server, database and parameters, logging
/// in as [`APP_ROLE`] with `password` (or none).
pub fn serving_url(owner_url: &str, password: Option<&Password>) -> String {
    conninfo::with_login(owner_url, APP_ROLE, password.map(Password::as_str))
}

/// Sets up the serving login as the owner named by `owner_url` — creates [`APP_ROLE`] if it is
/// missing, makes it a login, sets `password` when given — and returns the serving URL derived
/// from `owner_url`, once a connection through it has passed [`confinement`].
pub async fn prepare_serving_login(
    owner_url: &str,
    password: Option<&Password>,
) -> AppResult<String> {
    let mut owner = tls::connect(owner_url)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot connect to the database: {e}")))?;
    ensure_app_role(&mut owner).await?;
    let changes = login_changes(&mut owner, password).await?;
    if !changes.is_empty() {
        alter_app_role(&mut owner, &changes).await?;
    }
    drop(owner);
    let url = serving_url(owner_url, password);
    check_serving_url(&url).await?;
    Ok(url)
}

/// Connects through `url` and checks that its login is confined (see [`confinement`]).
pub async fn check_serving_url(url: &str) -> AppResult<()> {
    let mut conn = tls::connect(url).await.map_err(|e| {
        AppError::Unavailable(format!(
            "cannot log in for serving ({e}): set {PASSWORD_ENV} to the password of {APP_ROLE}, \
             or AGOAT_APP_DATABASE_URL to a login that is a member of {APP_ROLE}"
        ))
    })?;
    confinement(&mut conn).await.map_err(AppError::Internal)
}

/// `Err` with the reason when the session's login is, or can become, a superuser, a role that
/// bypasses row-level security, or the owner of the `tenancy` schema.
pub async fn confinement(conn: &mut AsyncPgConnection) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Reach {
        #[diesel(sql_type = Text)]
        login: String,
        #[diesel(sql_type = Bool)]
        privileged: bool,
        #[diesel(sql_type = Bool)]
        owner: bool,
    }
    let reach: Reach = diesel::sql_query(
        "SELECT session_user::text AS login, \
           EXISTS (SELECT 1 FROM pg_roles r WHERE (r.rolsuper OR r.rolbypassrls) \
                     AND pg_has_role(session_user, r.oid, 'MEMBER')) AS privileged, \
           COALESCE((SELECT pg_has_role(session_user, n.nspowner, 'MEMBER') \
                       FROM pg_namespace n WHERE n.nspname = 'tenancy'), false) AS owner",
    )
    .get_result(conn)
    .await
    .map_err(|e| format!("cannot check the serving login: {e}"))?;
    let what = match (reach.privileged, reach.owner) {
        (false, false) => return Ok(()),
        (true, _) => "a superuser or a role that bypasses row-level security",
        (false, true) => "the owner of the schema",
    };
    Err(format!(
        "the serving login {} is or can become {what}; serving connections must log in as \
         {APP_ROLE} or a login that is a member of nothing else (AGOAT_APP_DATABASE_URL)",
        reach.login
    ))
}

/// The product's tables (every table of its schemas) the session's current role may not read, by
/// `schema.table`: empty when the grants the migrations gave [`APP_ROLE`] are in place. A database
/// restored without them (the role missing during the restore, or `pg_restore --no-acl`) still
/// migrates and connects, but every page is an error.
pub async fn unreadable_tables(conn: &mut AsyncPgConnection) -> AppResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let tables: Vec<Table> = diesel::sql_query(
        "SELECT n.nspname || '.' || c.relname AS name \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('tenancy', 'content', 'thorne', 'audit', 'platform') \
           AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')) \
         ORDER BY 1",
    )
    .load(conn)
    .await?;
    Ok(tables.into_iter().map(|table| table.name).collect())
}

/// Creates [`APP_ROLE`] (no login yet, no ownership, no `BYPASSRLS`) and lets the connecting user
/// switch to it. Safe to run concurrently.
pub(super) async fn ensure_app_role(conn: &mut AsyncPgConnection) -> AppResult<()> {
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

/// The `ALTER ROLE` options the serving login still needs: `LOGIN` unless it has it, and the
/// password's SCRAM verifier when one is given.
async fn login_changes(
    conn: &mut AsyncPgConnection,
    password: Option<&Password>,
) -> AppResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Login {
        #[diesel(sql_type = Bool)]
        can_login: bool,
    }
    let login: Login =
        diesel::sql_query("SELECT rolcanlogin AS can_login FROM pg_roles WHERE rolname = $1")
            .bind::<Text, _>(APP_ROLE)
            .get_result(conn)
            .await?;
    let mut changes = Vec::new();
    if !login.can_login {
        changes.push("LOGIN".to_owned());
    }
    if let Some(password) = password {
        let verifier = postgres_protocol::password::scram_sha_256(password.as_str().as_bytes());
        changes.push(format!("PASSWORD '{}'", verifier.replace('\'', "''")));
    }
    Ok(changes)
}

/// `ALTER ROLE agoat_app …`, tried again when another process changed the role at the same
/// moment ("tuple concurrently updated").
async fn alter_app_role(conn: &mut AsyncPgConnection, changes: &[String]) -> AppResult<()> {
    let sql = format!("ALTER ROLE {APP_ROLE} {}", changes.join(" "));
    let mut attempt = 1;
    loop {
        match conn.batch_execute(&sql).await {
            Ok(()) => return Ok(()),
            Err(error)
                if attempt < ALTER_ATTEMPTS
                    && error.to_string().contains("concurrently updated") =>
            {
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(error) => {
                return Err(AppError::Internal(format!(
                    "cannot make {APP_ROLE} a login with its password ({error}): give the \
                     DATABASE_URL user CREATEROLE, or set AGOAT_APP_DATABASE_URL to a login that \
                     is a member of {APP_ROLE}"
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_password_file_is_made_once_private_and_reused() {
        use std::os::unix::fs::MetadataExt;
        let dir =
            TempDir(std::env::temp_dir().join(format!("agoat-roles-test-{}", std::process::id())));
        fs::create_dir_all(&dir.0).unwrap();
        let first = Password::kept_in(&dir.0).unwrap();
        assert_eq!(first.as_str().len(), 64);
        assert!(first.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        let file = dir.0.join(PASSWORD_FILE);
        assert_eq!(fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
        assert_eq!(Password::kept_in(&dir.0).unwrap(), first);
        // A file someone opened up is closed again.
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(Password::kept_in(&dir.0).unwrap(), first);
        assert_eq!(fs::metadata(&file).unwrap().mode() & 0o777, 0o600);
        // Nothing else is left behind.
        assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
        assert_eq!(format!("{first:?}"), "Password(…)");
    }

    #[test]
    fn the_serving_url_logs_in_as_the_application_role() {
        let password = Password::new("pw");
        assert_eq!(
            serving_url(
                "postgres://owner:x@db/agoat?sslmode=require",
                Some(&password)
            ),
            "postgres://agoat_app:pw@db/agoat?sslmode=require"
        );
        assert_eq!(
            serving_url("host=/run user=agoat dbname=agoat", None),
            "host=/run dbname=agoat user=agoat_app"
        );
    }
}
