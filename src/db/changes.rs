//! The change feed: how a process learns, within moments, that another process (another app
//! server, the command line) committed a change of a customer, so that caches of what visitors
//! see may keep pages until they change instead of for a short lifetime.
//!
//! Every read-write transaction of a customer ([`super::Database::tenant_tx`]) adds, as its last
//! statement, one row to `tenancy.customer_changes`: the customer, the process's id and the
//! database's clock. Rows are only ever added, so writers of one customer never wait on each
//! other. Each server reads the rows of the last [`ChangeFeed::LOOKBACK`] every
//! [`ChangeFeed::POLL_EVERY`] — one query for every customer; portable SQL, since CockroachDB has
//! no `LISTEN`/`NOTIFY` — and for each row another process wrote that the previous read did not
//! return, it ticks the customer in its write clock ([`super::WriteClock`]): that customer's
//! cached pages are not used again, and its visitors read the primary for the replica lag limit,
//! so a page is never rendered anew from a replica that lacks the change. The lookback is much
//! longer than the moments between a row's clock and its commit, so a row committed late is
//! still read. Rows older than [`ChangeFeed::KEEP`] are deleted by whichever server gets there.
//!
//! The feed is current while a read succeeded within [`ChangeFeed::CURRENT_WITHIN`]; while it is
//! not (the database unreachable, or no server loop running, as in the command line), caches fall
//! back to their short lifetime. A read that follows the previous one by more than the lookback
//! can cover ([`ChangeFeed::MAX_GAP`]) may have missed rows: it ticks every customer, so nothing
//! cached before the gap is used again.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Uuid as SqlUuid};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use super::{Access, Database, Within, run_on};
use crate::error::AppResult;
use crate::tenancy::{CustomerId, Scope};

/// What this process knows of the change feed.
pub struct ChangeFeed {
    /// This process's id in the rows it adds.
    server_id: Uuid,
    /// What `last_read_ms` counts from.
    began: Instant,
    /// When the last successful read started, in milliseconds since `began` plus one (0: never).
    last_read_ms: AtomicU64,
    /// The rows the last successful read returned.
    seen: Mutex<HashSet<Uuid>>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        ChangeFeed {
            server_id: Uuid::new_v4(),
            began: Instant::now(),
            last_read_ms: AtomicU64::new(0),
            seen: Mutex::default(),
        }
    }
}

#[derive(QueryableByName)]
struct ChangeRow {
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

impl ChangeFeed {
    /// How often each server reads the feed.
    pub const POLL_EVERY: Duration = Duration::from_millis(200);
    /// How far back each read looks.
    pub const LOOKBACK: Duration = Duration::from_secs(10);
    /// How long rows are kept.
    pub const KEEP: Duration = Duration::from_secs(60);
    /// How often a server deletes the rows older than [`ChangeFeed::KEEP`].
    pub const PRUNE_EVERY: Duration = Duration::from_secs(10);
    /// The feed is current while a read succeeded within this.
    pub const CURRENT_WITHIN: Duration = Duration::from_secs(1);
    /// The longest time between two reads that cannot miss a row: the lookback, less a margin for
    /// rows whose clock is read some moments before they commit.
    pub const MAX_GAP: Duration = Duration::from_secs(8);

    /// The statement a customer's read-write transaction ends with. Both ids are UUIDs, whose text
    /// is hex digits and dashes only, so they are safe inside the literals.
    pub(super) fn record_sql(&self, scope: Scope) -> String {
        format!(
            "INSERT INTO tenancy.customer_changes (customer_id, id, server_id, changed_at) \
             VALUES ('{}', '{}', '{}', clock_timestamp())",
            scope.customer_id().as_uuid(),
            Uuid::new_v4(),
            self.server_id
        )
    }

    /// Whether a read of the feed succeeded lately: only then may a cache keep a page past its
    /// short lifetime.
    pub fn is_current(&self) -> bool {
        match self.last_read_ms.load(Ordering::Relaxed) {
            0 => false,
            read => {
                let since = self.elapsed_ms().saturating_sub(read - 1);
                since <= Self::CURRENT_WITHIN.as_millis() as u64
            }
        }
    }

    fn elapsed_ms(&self) -> u64 {
        self.began.elapsed().as_millis() as u64
    }

    /// Whether a read started at `started_ms` follows the previous successful one by more than
    /// [`ChangeFeed::MAX_GAP`] (never, before the first read: nothing was cached by the feed's
    /// grace then).
    fn after_a_gap(&self, started_ms: u64) -> bool {
        match self.last_read_ms.load(Ordering::Relaxed) {
            0 => false,
            read => started_ms.saturating_sub(read - 1) > Self::MAX_GAP.as_millis() as u64,
        }
    }

    /// The customers of the rows in `rows` that the previous read did not return; `rows` is then
    /// what the next read is compared with.
    fn news(&self, rows: Vec<ChangeRow>) -> Vec<CustomerId> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let changed = rows
            .iter()
            .filter(|row| !seen.contains(&row.id))
            .map(|row| CustomerId::from_uuid(row.customer_id))
            .collect();
        *seen = rows.into_iter().map(|row| row.id).collect();
        changed
    }
}

impl Database {
    /// Reads the change feed now: ticks the write clock of every customer another process changed
    /// since the previous read. Returns how many changes were new.
    pub async fn read_changes(&self) -> AppResult<usize> {
        let started_ms = self.changes.elapsed_ms();
        let (server, lookback) = (
            self.changes.server_id,
            ChangeFeed::LOOKBACK.as_secs() as i32,
        );
        let rows: Vec<ChangeRow> = run_on(
            &self.pool,
            Within::ChangeFeed,
            Access::ReadOnly,
            None,
            &|conn| {
                async move {
                    use diesel_async::RunQueryDsl;
                    let rows = diesel::sql_query(
                        "SELECT customer_id, id FROM tenancy.customer_changes \
                         WHERE changed_at > now() - $1 * INTERVAL '1 second' \
                         AND server_id <> $2",
                    )
                    .bind::<Integer, _>(lookback)
                    .bind::<SqlUuid, _>(server)
                    .load(conn)
                    .await?;
                    Ok(rows)
                }
                .scope_boxed()
            },
        )
        .await?;
        if self.changes.after_a_gap(started_ms) {
            tracing::info!(
                "the change feed was not read for a while: every cached page is dropped"
            );
            self.writes.tick_everyone();
        }
        let changed = self.changes.news(rows);
        for customer in &changed {
            self.writes.tick(*customer);
        }
        self.changes
            .last_read_ms
            .store(started_ms + 1, Ordering::Relaxed);
        Ok(changed.len())
    }

    /// Deletes the feed's rows older than [`ChangeFeed::KEEP`].
    pub async fn prune_changes(&self) -> AppResult<()> {
        let keep = ChangeFeed::KEEP.as_secs() as i32;
        run_on(
            &self.pool,
            Within::ChangeFeed,
            Access::RowLocked,
            None,
            &|conn| {
                async move {
                    use diesel_async::RunQueryDsl;
                    diesel::sql_query(
                        "DELETE FROM tenancy.customer_changes \
                         WHERE changed_at < now() - $1 * INTERVAL '1 second'",
                    )
                    .bind::<Integer, _>(keep)
                    .execute(conn)
                    .await?;
                    Ok(())
                }
                .scope_boxed()
            },
        )
        .await
    }

    /// Reads the change feed once now — so that the changes of the last moments are counted
    /// before the first page is kept — then every [`ChangeFeed::POLL_EVERY`] in the background,
    /// for as long as the process runs, pruning it every [`ChangeFeed::PRUNE_EVERY`].
    pub async fn keep_following_changes(&self) -> tokio::task::JoinHandle<()> {
        if let Err(error) = self.read_changes().await {
            tracing::warn!(%error, "the change feed could not be read: pages are kept for moments only");
        }
        let db = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(ChangeFeed::POLL_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_prune = Instant::now();
            let mut failing = false;
            loop {
                ticks.tick().await;
                match db.read_changes().await {
                    Ok(_) if failing => {
                        failing = false;
                        tracing::info!("the change feed is read again");
                    }
                    Ok(_) => {}
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(%error, "the change feed could not be read: pages are kept for moments only");
                    }
                    Err(_) => {}
                }
                if !failing && last_prune.elapsed() >= ChangeFeed::PRUNE_EVERY {
                    last_prune = Instant::now();
                    if let Err(error) = db.prune_changes().await {
                        tracing::debug!(%error, "the change feed could not be pruned");
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(customer: Uuid, id: Uuid) -> ChangeRow {
        ChangeRow {
            customer_id: customer,
            id,
        }
    }

    #[test]
    fn a_row_is_news_once() {
        let feed = ChangeFeed::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            feed.news(vec![row(a, first)]),
            vec![CustomerId::from_uuid(a)]
        );
        assert_eq!(
            feed.news(vec![row(a, first), row(b, second)]),
            vec![CustomerId::from_uuid(b)]
        );
        assert!(feed.news(vec![row(b, second)]).is_empty());
    }

    #[test]
    fn a_read_long_after_the_previous_one_may_have_missed_rows() {
        let feed = ChangeFeed::default();
        assert!(!feed.after_a_gap(60_000), "before the first read");
        feed.last_read_ms.store(1_000 + 1, Ordering::Relaxed);
        assert!(!feed.after_a_gap(1_200));
        assert!(!feed.after_a_gap(1_000 + ChangeFeed::MAX_GAP.as_millis() as u64));
        assert!(feed.after_a_gap(1_001 + ChangeFeed::MAX_GAP.as_millis() as u64));
        const { assert!(ChangeFeed::MAX_GAP.as_secs() < ChangeFeed::LOOKBACK.as_secs()) };
    }

    #[test]
    fn the_feed_is_current_only_after_a_read() {
        let feed = ChangeFeed::default();
        assert!(!feed.is_current());
        feed.last_read_ms
            .store(feed.elapsed_ms() + 1, Ordering::Relaxed);
        assert!(feed.is_current());
    }
}
