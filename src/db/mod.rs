//! The database: the connection pool, the one transaction helper every unit of work runs through,
//! the application role that row-level security applies to, and the embedded migrations.
//!
//! The pool serves on connections that log in as the role [`APP_ROLE`] (or a login that is a
//! member of it; see [`roles`]), never as the schema owner: it owns nothing, cannot bypass
//! row-level security and cannot become a role that could, so the tenant policies hold even
//! against a `RESET ROLE`. Each new connection is checked for that before it is used, and switches
//! to [`APP_ROLE`]. Each transaction first sets `app.customer_id` for its scope,
//! transaction-locally; the one read across customers is the mail sender's scan of the outbox
//! ([`Database::outbox_scan`]).

pub mod changes;
pub mod citus;
pub mod conninfo;
pub mod embedded;
pub mod fixed_sql;
pub mod keyset;
mod migrations;
pub mod replicas;
pub mod roles;
pub mod schema;
pub mod target;
pub mod tls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::connection::TransactionDepthChange;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, SimpleAsyncConnection, TransactionManager,
};
use futures_util::FutureExt;
use rand::Rng;
use scoped_futures::ScopedBoxFuture;

use crate::error::{AppError, AppResult};
use crate::tenancy::{CustomerId, Scope};
use uuid::Uuid;

pub use migrations::{latest_migration, migrate, migrations_current};

/// The connection type every query function takes.
pub type Conn = AsyncPgConnection;

/// The role the application works as: no ownership, no `BYPASSRLS`.
pub const APP_ROLE: &str = "agoat_app";

/// How often a transaction is run in all before a serialization failure is reported as 503.
const MAX_ATTEMPTS: u32 = 6;

/// Tunables of the pool.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// How long a request waits for a free connection (or a new one) before it fails with 503.
    pub wait_timeout: Duration,
    /// Longest a single statement may run.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_size: 16,
            wait_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

impl PoolSettings {
    /// The defaults, with `AGOAT_DB_POOL_SIZE`, `AGOAT_DB_TIMEOUT_MS` (longest wait for a
    /// connection: while the database is down, requests fail with 503 after at most this long)
    /// and `AGOAT_DB_STATEMENT_TIMEOUT_MS` applied when set.
    pub fn from_env() -> Result<PoolSettings, String> {
        let mut settings = PoolSettings::default();
        if let Some(size) = env_number("AGOAT_DB_POOL_SIZE")? {
            settings.max_size = usize::try_from(size).map_err(|e| e.to_string())?.max(1);
        }
        if let Some(ms) = env_number("AGOAT_DB_TIMEOUT_MS")? {
            settings.wait_timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(ms) = env_number("AGOAT_DB_STATEMENT_TIMEOUT_MS")? {
            settings.statement_timeout = Duration::from_millis(ms.max(1));
        }
        Ok(settings)
    }
}

fn env_number(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, not {text:?}")),
        Err(_) => Ok(None),
    }
}

/// A pool of serving connections, working as [`APP_ROLE`].
#[derive(Clone)]
pub struct Database {
    pool: Pool<Conn>,
    writes: Arc<WriteClock>,
    /// What other processes changed, learnt from the database (see [`changes`]).
    changes: Arc<changes::ChangeFeed>,
    /// Streaming replicas visitors' reads may go to.
    replicas: Option<Arc<replicas::Replicas>>,
}

/// How many read-write transactions this process has committed per customer: caches of what a
/// customer's visitors see compare it to know that something may have changed.
#[derive(Debug, Default)]
pub struct WriteClock {
    /// Per customer: the count, and when the last of them committed.
    counts: RwLock<HashMap<Uuid, (u64, Instant)>>,
    /// Added to every customer's count: moved when any customer may have changed unseen.
    everyone: AtomicU64,
}

impl WriteClock {
    /// The customer's count now.
    pub fn of(&self, customer: CustomerId) -> u64 {
        let counts = self.counts.read().unwrap_or_else(|e| e.into_inner());
        let everyone = self.everyone.load(Ordering::Acquire);
        counts
            .get(&customer.as_uuid())
            .map_or(0, |(count, _)| *count)
            + everyone
    }

    /// Moves every customer's count at once: what was cached of any customer is not used again.
    pub fn tick_everyone(&self) {
        self.everyone.fetch_add(1, Ordering::AcqRel);
    }

    /// When the customer's last write was counted, if that was within `window`.
    pub fn last_write_within(&self, customer: CustomerId, window: Duration) -> Option<Instant> {
        let counts = self.counts.read().unwrap_or_else(|e| e.into_inner());
        counts
            .get(&customer.as_uuid())
            .map(|(_, at)| *at)
            .filter(|at| at.elapsed() <= window)
    }

    fn tick(&self, customer: CustomerId) {
        let mut counts = self.counts.write().unwrap_or_else(|e| e.into_inner());
        let entry = counts
            .entry(customer.as_uuid())
            .or_insert((0, Instant::now()));
        *entry = (entry.0 + 1, Instant::now());
    }
}

/// Whether a transaction may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadOnly,
    ReadWrite,
    /// Read-write, of writes no visitor sees: see [`Database::tenant_tx_unpublished`].
    ReadWriteUnpublished,
    /// Read-write at `READ COMMITTED`: see [`Database::tenant_tx_row_locked`].
    RowLocked,
    /// Read-only at `REPEATABLE READ`: every statement sees one snapshot.
    Snapshot,
}

impl Database {
    /// Builds the pool on the serving URL `url` (see [`roles::prepare_serving_login`]);
    /// connections are opened lazily, and one whose login fails [`roles::confinement`] is refused.
    pub fn connect(url: &str, settings: &PoolSettings) -> AppResult<Database> {
        Ok(Database {
            pool: build_pool(url, settings)?,
            writes: Arc::default(),
            changes: Arc::default(),
            replicas: None,
        })
    }

    /// The same database with visitors' reads going to `replicas` when they can (see
    /// [`replicas`]); starts measuring them.
    pub fn with_replicas(mut self, replicas: replicas::Replicas) -> Database {
        let replicas = Arc::new(replicas);
        replicas.keep_measuring(self.pool.clone());
        self.replicas = Some(replicas);
        self
    }

    /// The replicas, if any.
    pub fn replicas(&self) -> Option<&replicas::Replicas> {
        self.replicas.as_deref()
    }

    /// How many connections the pool holds, lends and is waited for.
    pub fn pool_status(&self) -> deadpool::Status {
        self.pool.status()
    }

    /// The committed writes of this process, per customer, and those other processes committed
    /// once the change feed has seen them.
    pub fn writes(&self) -> &WriteClock {
        &self.writes
    }

    /// The change feed: whether this process knows of other processes' changes (see
    /// [`changes`]).
    pub fn changes(&self) -> &changes::ChangeFeed {
        &self.changes
    }

    /// Runs `work` in a read-write transaction scoped to one customer, retrying serialization
    /// failures (also at COMMIT) with capped exponential backoff and jitter.
    pub async fn tenant_tx<'a, R, F>(&self, scope: Scope, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Tenant(scope), Access::ReadWrite, work)
            .await
    }

    /// Runs `work` in a read-write transaction scoped to one customer whose writes no visitor ever
    /// sees (a sign-in's record, a password reset's token, the end of a session): unlike
    /// [`Database::tenant_tx`] it neither ticks the write clock nor adds to the change feed, so
    /// that such requests, which anyone can make, never drop the customer's cached pages.
    pub async fn tenant_tx_unpublished<'a, R, F>(&self, scope: Scope, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Tenant(scope), Access::ReadWriteUnpublished, work)
            .await
    }

    /// Runs `work` in a read-write transaction scoped to one customer at `READ COMMITTED`, for
    /// work that is correct through row locks alone: a queue's claims (`SELECT … FOR UPDATE SKIP
    /// LOCKED`, then `UPDATE`s whose conditions are checked again on the locked rows). At
    /// `SERIALIZABLE`, two claimers that skip each other's rows would still be reported as a
    /// conflict (each read the range the other wrote); on Citus that failure surfaces at a
    /// worker's COMMIT, where it cannot be told from other failures. Serialization failures are
    /// retried like everywhere else; it does not tick the write clock (nothing visitors see
    /// changes in such work).
    pub async fn tenant_tx_row_locked<'a, R, F>(&self, scope: Scope, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Tenant(scope), Access::RowLocked, work)
            .await
    }

    /// Runs `work` in a read-only transaction scoped to one customer.
    pub async fn tenant_read<'a, R, F>(&self, scope: Scope, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Tenant(scope), Access::ReadOnly, work)
            .await
    }

    /// Runs `work` in a read-only transaction scoped to one customer at `REPEATABLE READ`, so that
    /// every statement of it sees the same snapshot: a consistent copy of everything the customer
    /// has, read in many statements (see [`crate::moving`]).
    pub async fn tenant_snapshot<'a, R, F>(&self, scope: Scope, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Tenant(scope), Access::Snapshot, work)
            .await
    }

    /// Runs `work` in a read-only transaction with no customer set: only the public domain
    /// directory is visible.
    pub async fn directory_read<'a, R, F>(&self, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Nothing, Access::ReadOnly, work).await
    }

    /// Runs `work` in a read-only transaction that sees the domain directory and which customers
    /// and sites are active (`app.served_hosts`), nothing else: the list of every host served
    /// ([`crate::tenancy::served_hosts`]).
    pub async fn served_hosts_read<'a, R, F>(&self, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::ServedHosts, Access::ReadOnly, work).await
    }

    /// Runs `work` in a read-write transaction of the platform's operators: their own tables,
    /// and the list of customers and sites (anything of one customer goes through
    /// [`Database::tenant_tx`] in that customer's scope).
    pub async fn platform_tx<'a, R, F>(&self, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Platform, Access::ReadWrite, work).await
    }

    /// Runs `work` in a read-only transaction of the platform's operators.
    pub async fn platform_read<'a, R, F>(&self, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::Platform, Access::ReadOnly, work).await
    }

    /// Runs `work` in a read-only transaction with no customer set and `app.mail_sender` on: the
    /// one place that reads across customers. The policy `sender_scan` then shows it the rows of
    /// `tenancy.mail_outbox` of every customer (and nothing else of any customer), so the mail
    /// sender can learn which customers have mail due; it claims, sends and records those mails
    /// in each customer's own transactions.
    pub async fn outbox_scan<'a, R, F>(&self, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        self.run(Within::MailSender, Access::ReadOnly, work).await
    }

    /// Checks that a connection can be had and answers.
    pub async fn ping(&self) -> AppResult<()> {
        let mut conn = self.pool.get().await?;
        conn.batch_execute("SELECT 1").await?;
        Ok(())
    }

    /// Whether every embedded migration has been applied to this database.
    pub async fn migrations_current(&self) -> AppResult<bool> {
        let mut conn = self.pool.get().await?;
        migrations_current(&mut conn).await
    }

    /// The product's tables the serving role may not read (see [`roles::unreadable_tables`]).
    pub async fn unreadable_tables(&self) -> AppResult<Vec<String>> {
        let mut conn = self.pool.get().await?;
        roles::unreadable_tables(&mut conn).await
    }

    async fn run<'a, R, F>(&self, within: Within, access: Access, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        let published = match (within, access) {
            (Within::Tenant(scope), Access::ReadWrite) => Some(scope),
            _ => None,
        };
        let last = published.map(|scope| self.changes.record_sql(scope));
        let result = run_on(&self.pool, within, access, last.as_deref(), &work).await;
        if let (Ok(_), Some(scope)) = (&result, published) {
            self.writes.tick(scope.customer_id());
        }
        result
    }

    /// Runs `work` in a read-only transaction scoped to one customer, for a visitor's page: on a
    /// replica when one is within its lag limit, this customer has not written through this
    /// server within that limit and the request need not see the primary (see [`replicas`]);
    /// on the primary otherwise, and whenever the replica fails.
    pub async fn visitor_read<'a, R, F>(&self, scope: Scope, work: F) -> AppResult<R>
    where
        F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
        R: Send + 'a,
    {
        let within = Within::Tenant(scope);
        if let Some(replica) = self.replica_for(scope) {
            match run_on(&replica.pool, within, Access::ReadOnly, None, &work).await {
                Err(error) if error.may_have_broken_the_connection() => replica.set_failed(&error),
                other => {
                    metrics::counter!(crate::metrics::DB_VISITOR_READS, "database" => "replica")
                        .increment(1);
                    return other;
                }
            }
        }
        metrics::counter!(crate::metrics::DB_VISITOR_READS, "database" => "primary").increment(1);
        run_on(&self.pool, within, Access::ReadOnly, None, &work).await
    }

    fn replica_for(&self, scope: Scope) -> Option<&replicas::Replica> {
        let replicas = self.replicas.as_deref()?;
        let replica = replicas.pick()?;
        // A change of this customer must be on the replica before its pages are read there. The
        // lag is known as of the last measurement: past the limit plus two more, it is.
        let window = replicas.max_lag() + 2 * replicas::MEASURE_EVERY;
        match self.writes.last_write_within(scope.customer_id(), window) {
            Some(at) if !replica.has_changes_before(at) => None,
            _ => Some(replica),
        }
    }
}

/// Runs `work` in a transaction on a connection of `pool`, then the statement `last` if given,
/// retrying serialization failures (also at COMMIT) with capped exponential backoff and jitter.
async fn run_on<'a, R, F>(
    pool: &Pool<Conn>,
    within: Within,
    access: Access,
    last: Option<&str>,
    work: &F,
) -> AppResult<R>
where
    F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
    R: Send + 'a,
{
    let begin = begin_sql(within, access);
    let mut attempt = 1;
    loop {
        match attempt_on(pool, access, &begin, last, work).await {
            Err(error) if error.is_retryable() && attempt < MAX_ATTEMPTS => {
                tracing::debug!(attempt, %error, "transaction conflict, retrying");
                metrics::counter!(crate::metrics::DB_RETRIES).increment(1);
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(error) if error.is_retryable() => {
                tracing::warn!(attempt, %error, "transaction kept conflicting");
                metrics::counter!(crate::metrics::DB_GIVE_UPS).increment(1);
                return Err(AppError::Unavailable(
                    "the database kept refusing the transaction".into(),
                ));
            }
            other => return other,
        }
    }
}

async fn attempt_on<'a, R, F>(
    pool: &Pool<Conn>,
    access: Access,
    begin: &str,
    last: Option<&str>,
    work: &F,
) -> AppResult<R>
where
    F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
    R: Send + 'a,
{
    let mut pooled = pool.get().await.inspect_err(count_timeout)?;
    let result = match (access, last) {
        (Access::ReadOnly, None) => in_read_only_transaction(&mut pooled, begin, work).await,
        _ => in_transaction(&mut pooled, begin, last, work).await,
    };
    if let Err(error) = &result
        && error.may_have_broken_the_connection()
    {
        // A connection the server closed (a restart, an outage) is never handed out again.
        let _ = deadpool::managed::Object::take(pooled);
    }
    result
}

/// Counts a wait for a connection that timed out.
fn count_timeout(error: &diesel_async::pooled_connection::deadpool::PoolError) {
    if matches!(error, deadpool::managed::PoolError::Timeout(_)) {
        metrics::counter!(crate::metrics::DB_POOL_TIMEOUTS).increment(1);
    }
}

/// A pool of serving connections on `url`: each new connection checked by
/// [`roles::confinement`] and set up for serving.
pub(crate) fn build_pool(url: &str, settings: &PoolSettings) -> AppResult<Pool<Conn>> {
    let statement_timeout_ms = settings.statement_timeout.as_millis();
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let session_setup = citus::session_setup_sql();
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        let session_setup = session_setup.clone();
        async move {
                let mut conn = tls::connect(&url).await?;
                roles::confinement(&mut conn)
                    .await
                    .map_err(diesel::ConnectionError::BadConnection)?;
                conn.batch_execute(&format!(
                    "SET ROLE {APP_ROLE}; SET application_name = 'agoat'; \
                     SET statement_timeout = {statement_timeout_ms}; SET TIME ZONE 'UTC'; {session_setup}"
                ))
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(conn)
            }
            .boxed()
    });
    let manager = AsyncDieselConnectionManager::<Conn>::new_with_config(url, config);
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.wait_timeout))
        .recycle_timeout(Some(settings.wait_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| AppError::Internal(format!("cannot build the connection pool: {e}")))?;
    Ok(pool)
}

async fn in_transaction<'a, R, F>(
    conn: &mut Conn,
    begin: &str,
    last: Option<&str>,
    work: &F,
) -> AppResult<R>
where
    F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
    R: Send + 'a,
{
    AnsiTransactionManager::begin_transaction_sql(conn, begin).await?;
    let mut outcome = work(conn).await;
    if let (Ok(_), Some(last)) = (&outcome, last)
        && let Err(error) = conn.batch_execute(last).await
    {
        outcome = Err(error.into());
    }
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(error) => {
            AnsiTransactionManager::rollback_transaction(conn).await?;
            Err(error)
        }
    }
}

/// Runs `work` in a read-only transaction (at `READ COMMITTED`, whose `COMMIT` cannot fail) in
/// as few round trips as the statements of `work` need: `BEGIN` and the scope's setting are sent
/// ahead of its first statement in the same flight (if they failed, that statement fails too, in
/// the transaction they aborted or, had `BEGIN` itself failed, seeing no customer's rows), and the
/// `COMMIT` (a `ROLLBACK` after an error) is sent as the connection goes back to the pool: whatever
/// is sent on it next is queued behind it. Their own answers are not waited for. The transaction
/// is marked open in diesel's transaction manager meanwhile ([`mark_transaction`]).
async fn in_read_only_transaction<'a, R, F>(conn: &mut Conn, begin: &str, work: &F) -> AppResult<R>
where
    F: for<'c> Fn(&'c mut Conn) -> ScopedBoxFuture<'a, 'c, AppResult<R>> + Send + Sync + 'a,
    R: Send + 'a,
{
    send_unanswered(conn, begin)?;
    mark_transaction(conn, TransactionDepthChange::IncreaseDepth)?;
    let outcome = work(conn).await;
    let end = if outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    match send_unanswered(conn, end) {
        Ok(()) => mark_transaction(conn, TransactionDepthChange::DecreaseDepth)?,
        // The connection closed: the server ended the transaction with it. What was read stands;
        // the connection, still marked as in a transaction, is not lent out again.
        Err(error) => {
            tracing::debug!(%error, "the end of a read-only transaction could not be sent")
        }
    }
    outcome
}

/// Records in the connection's transaction manager that a transaction began or ended, so that a
/// connection given back with one still open (its request dropped halfway, the client gone) is
/// discarded by the pool instead of being lent out again inside that transaction.
fn mark_transaction(conn: &mut Conn, change: TransactionDepthChange) -> AppResult<()> {
    AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_state()?
        .change_transaction_depth(change)?;
    Ok(())
}

/// Sends `sql` on `conn` without waiting for its answer, which the connection reads and drops.
fn send_unanswered(conn: &Conn, sql: &str) -> AppResult<()> {
    let mut shared = conn;
    // The first poll sends the statement (or fails because the connection is closed); the answer
    // would only come on a later one.
    match SimpleAsyncConnection::batch_execute(&mut shared, sql).now_or_never() {
        None | Some(Ok(())) => Ok(()),
        Some(Err(error)) => Err(error.into()),
    }
}

/// Whose rows a transaction may see (row-level security reads the setting it makes).
#[derive(Debug, Clone, Copy)]
enum Within {
    /// One customer's (`app.customer_id`).
    Tenant(Scope),
    /// The platform's operators' (`app.platform`).
    Platform,
    /// No one's: only what every policy shows, the domain directory.
    Nothing,
    /// The domain directory and which customers and sites are active (`app.served_hosts`).
    ServedHosts,
    /// Every customer's mail outbox and nothing else of any customer (`app.mail_sender`).
    MailSender,
    /// Every customer's rows of the change feed and nothing else (`app.change_feed`).
    ChangeFeed,
}

/// `BEGIN` and the tenant (or platform) setting in one round trip.
fn begin_sql(within: Within, access: Access) -> String {
    let mode = match access {
        Access::ReadOnly => "READ ONLY",
        Access::ReadWrite | Access::ReadWriteUnpublished => {
            "ISOLATION LEVEL SERIALIZABLE, READ WRITE"
        }
        Access::RowLocked => "ISOLATION LEVEL READ COMMITTED, READ WRITE",
        Access::Snapshot => "ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    };
    match within {
        // A UUID's text form is hex digits and dashes only, so it is safe inside the literal.
        // `SET LOCAL` rather than `set_config(…, true)`: on Citus it reaches the workers too.
        Within::Tenant(scope) => format!(
            "BEGIN {mode}; SET LOCAL app.customer_id = '{}'",
            scope.customer_id().as_uuid()
        ),
        Within::Platform => format!("BEGIN {mode}; SET LOCAL app.platform = 'on'"),
        Within::ServedHosts => format!("BEGIN {mode}; SET LOCAL app.served_hosts = 'on'"),
        Within::MailSender => format!("BEGIN {mode}; SET LOCAL app.mail_sender = 'on'"),
        Within::ChangeFeed => format!("BEGIN {mode}; SET LOCAL app.change_feed = 'on'"),
        Within::Nothing => format!("BEGIN {mode}"),
    }
}

fn backoff(attempt: u32) -> Duration {
    let base_ms = 10u64 << attempt.min(6);
    let jitter = rand::rng().random_range(0..=base_ms);
    Duration::from_millis((base_ms + jitter).min(1_000))
}

/// The current time at microsecond precision, as PostgreSQL stores it, so values read back
/// compare equal. Times are bound from Rust, never `now()` inside `UPDATE … SET`.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    now - Duration::from_nanos(u64::from(now.timestamp_subsec_nanos() % 1_000))
}

/// `text` with `%`, `_` and `\` escaped, so that inside a `LIKE` pattern it matches itself.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `LIKE` pattern that matches any text containing `text`.
pub fn like_contains(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticking_everyone_moves_every_customers_count() {
        let clock = WriteClock::default();
        let (a, b) = (
            CustomerId::from_uuid(Uuid::new_v4()),
            CustomerId::from_uuid(Uuid::new_v4()),
        );
        clock.tick(a);
        let (before_a, before_b) = (clock.of(a), clock.of(b));
        clock.tick_everyone();
        assert_ne!(clock.of(a), before_a);
        assert_ne!(clock.of(b), before_b, "also a customer never ticked before");
        clock.tick(b);
        assert_eq!(clock.of(b), before_b + 2);
    }
}
