//! Read replicas (`AGOAT_DATABASE_REPLICA_URLS`): streaming replicas of the primary that visitors'
//! reads may go to ([`crate::db::Database::visitor_read`]); admin pages and every write use the
//! primary.
//!
//! A background task measures each replica every [`MEASURE_EVERY`]: its lag is 0 when it has
//! replayed the write-ahead log up to where the primary was just before, otherwise the age of the
//! last transaction it replayed. A replica whose lag is over the limit (`AGOAT_REPLICA_MAX_LAG_MS`),
//! that cannot be reached, or that is not in recovery at all, is skipped until a later measurement
//! finds it well; a visitor whose read fails on a replica is answered from the primary. A request
//! of a signed-in user reads the primary ([`primary_only`]), so that a change is seen at once by
//! whoever made it. So do a customer's visitors after a change of that customer (committed through
//! this server, or learnt of through the change feed, [`crate::db::changes`]), until a measurement
//! whose primary position was read after the change finds the replica caught up — usually the next
//! one, within [`MEASURE_EVERY`] — or the lag limit has passed: the page cache then never keeps a
//! page rendered from a replica that lacks the change.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Double, Nullable, Text};
use diesel_async::pooled_connection::deadpool::Pool;

use crate::db::{Conn, PoolSettings, build_pool, conninfo};
use crate::error::{AppError, AppResult};

/// How often each replica's lag is measured.
pub const MEASURE_EVERY: Duration = Duration::from_millis(200);

/// The lag over which a replica is skipped unless `AGOAT_REPLICA_MAX_LAG_MS` says otherwise.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_millis(1000);

/// The longest a visitor's read waits for a replica's connection before it goes to the primary.
const REPLICA_WAIT: Duration = Duration::from_millis(500);

tokio::task_local! {
    /// Set for the requests whose reads must see the primary.
    static PRIMARY_ONLY: bool;
}

/// Runs `work` (a request) with its visitor reads on the primary when `primary` holds.
pub async fn primary_only<F: Future>(primary: bool, work: F) -> F::Output {
    PRIMARY_ONLY.scope(primary, work).await
}

fn wants_primary() -> bool {
    PRIMARY_ONLY.try_with(|primary| *primary).unwrap_or(false)
}

/// One replica.
pub struct Replica {
    /// `host:port/database`, for logs and metrics (never the password).
    pub label: String,
    pub(crate) pool: Pool<Conn>,
    usable: AtomicBool,
    /// The last measured lag, in milliseconds.
    lag_ms: AtomicU64,
    /// When the primary's position was read for the last measurement that found the replica
    /// caught up with it: every change committed before that is on the replica.
    caught_up_at: Mutex<Option<Instant>>,
}

impl Replica {
    /// Whether every change committed before `at` is known to be on the replica.
    pub(crate) fn has_changes_before(&self, at: Instant) -> bool {
        let caught_up = self.caught_up_at.lock().unwrap_or_else(|e| e.into_inner());
        caught_up.is_some_and(|caught_up| caught_up > at)
    }

    /// Skips the replica until a measurement finds it well again.
    pub(crate) fn set_failed(&self, error: &AppError) {
        if self.usable.swap(false, Ordering::Relaxed) {
            tracing::warn!(replica = %self.label, %error, "a read replica failed: visitors read the primary");
        }
    }

    /// The last measured lag.
    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.lag_ms.load(Ordering::Relaxed))
    }

    pub fn is_usable(&self) -> bool {
        self.usable.load(Ordering::Relaxed)
    }
}

/// The replicas of one server.
pub struct Replicas {
    list: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
}

impl Replicas {
    /// Pools for the replicas at `urls`, logging in as the serving login of `serving_url` (roles
    /// are replicated with everything else). Connections open lazily; until the first measurement
    /// no replica is used.
    pub fn connect(
        urls: &[String],
        serving_url: &str,
        settings: &PoolSettings,
        max_lag: Duration,
    ) -> AppResult<Replicas> {
        let (user, password) = conninfo::login_of(serving_url)?;
        let mut settings = settings.clone();
        settings.wait_timeout = settings.wait_timeout.min(REPLICA_WAIT);
        let list = urls
            .iter()
            .map(|url| {
                let url = conninfo::with_login(url, &user, password.as_deref());
                Ok(Replica {
                    label: conninfo::label_of(&url),
                    pool: build_pool(&url, &settings)?,
                    usable: AtomicBool::new(false),
                    lag_ms: AtomicU64::new(u64::MAX),
                    caught_up_at: Mutex::new(None),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Replicas {
            list,
            max_lag,
            next: AtomicUsize::new(0),
        })
    }

    /// The lag over which a replica is skipped.
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    pub fn list(&self) -> &[Replica] {
        &self.list
    }

    /// A replica a visitor may read now (in turn among the usable ones), unless this request must
    /// see the primary.
    pub(crate) fn pick(&self) -> Option<&Replica> {
        if wants_primary() {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..self.list.len())
            .map(|i| &self.list[(start + i) % self.list.len()])
            .find(|replica| replica.is_usable() && replica.lag() <= self.max_lag)
    }

    /// Measures every replica now and then every [`MEASURE_EVERY`], for as long as the process
    /// runs.
    pub fn keep_measuring(self: &Arc<Self>, primary: Pool<Conn>) -> tokio::task::JoinHandle<()> {
        let replicas = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                replicas.measure(&primary).await;
                tokio::time::sleep(MEASURE_EVERY).await;
            }
        })
    }

    /// Measures every replica once.
    pub async fn measure(&self, primary: &Pool<Conn>) {
        let asked = Instant::now();
        let position = match primary_position(primary).await {
            Ok(position) => position,
            Err(error) => {
                tracing::debug!(%error, "the primary's position could not be read");
                return;
            }
        };
        for replica in &self.list {
            let measured = replica_lag(&replica.pool, &position).await;
            if matches!(measured, Ok(lag) if lag.is_zero()) {
                *replica
                    .caught_up_at
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(asked);
            }
            self.record(replica, measured);
        }
    }

    fn record(&self, replica: &Replica, measured: AppResult<Duration>) {
        let lag = match measured {
            Ok(lag) => lag,
            Err(error) => {
                replica.set_failed(&error);
                replica.lag_ms.store(u64::MAX, Ordering::Relaxed);
                metrics::gauge!(crate::metrics::DB_REPLICA_USABLE, "replica" => replica.label.clone()).set(0.0);
                return;
            }
        };
        replica.lag_ms.store(
            lag.as_millis().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
        let usable = lag <= self.max_lag;
        if replica.usable.swap(usable, Ordering::Relaxed) != usable {
            tracing::info!(replica = %replica.label, lag_ms = lag.as_millis() as u64, usable, "read replica");
        }
        metrics::gauge!(crate::metrics::DB_REPLICA_LAG, "replica" => replica.label.clone())
            .set(lag.as_secs_f64());
        metrics::gauge!(crate::metrics::DB_REPLICA_USABLE, "replica" => replica.label.clone())
            .set(if usable { 1.0 } else { 0.0 });
    }
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Text)]
    lsn: String,
}

/// Where the primary's write-ahead log is now.
async fn primary_position(primary: &Pool<Conn>) -> AppResult<String> {
    use diesel_async::RunQueryDsl;
    let mut conn = primary.get().await?;
    let position: Position = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result(&mut conn)
        .await?;
    Ok(position.lsn)
}

#[derive(QueryableByName)]
struct Replay {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = Bool)]
    caught_up: bool,
    #[diesel(sql_type = Nullable<Double>)]
    replay_age_ms: Option<f64>,
}

/// How far the replica is behind a primary that was at `position` a moment ago: nothing when it
/// has replayed that far, else the age of the last transaction it replayed.
async fn replica_lag(replica: &Pool<Conn>, position: &str) -> AppResult<Duration> {
    use diesel_async::RunQueryDsl;
    let mut conn = replica.get().await?;
    let replay: Replay = diesel::sql_query(
        "SELECT pg_is_in_recovery() AS in_recovery, \
         coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS caught_up, \
         (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::float8 \
         AS replay_age_ms",
    )
    .bind::<Text, _>(position)
    .get_result(&mut conn)
    .await?;
    if !replay.in_recovery {
        return Err(AppError::Internal(
            "it is not a replica: it is not in recovery".into(),
        ));
    }
    if replay.caught_up {
        return Ok(Duration::ZERO);
    }
    let age = replay.replay_age_ms.unwrap_or(f64::INFINITY).max(0.0);
    Ok(Duration::try_from_secs_f64(age / 1000.0).unwrap_or(Duration::MAX))
}

/// The replica URLs `AGOAT_DATABASE_REPLICA_URLS` lists (separated by commas), and the lag over
/// which one is skipped (`AGOAT_REPLICA_MAX_LAG_MS`, milliseconds).
pub fn settings_from_env() -> Result<(Vec<String>, Duration), String> {
    let urls: Vec<String> = std::env::var("AGOAT_DATABASE_REPLICA_URLS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    let max_lag = match std::env::var("AGOAT_REPLICA_MAX_LAG_MS") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                format!("AGOAT_REPLICA_MAX_LAG_MS: {text:?} is not a number of milliseconds")
            })?,
        _ => DEFAULT_MAX_LAG,
    };
    Ok((urls, max_lag))
}
