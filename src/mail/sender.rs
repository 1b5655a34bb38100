//! The sender: a task in every app server that sends what the outbox holds.
//!
//! One pass finds the customers with mail due (the one read across customers,
//! [`Database::outbox_scan`]), then for each customer claims a batch of its due mails in the
//! customer's own transaction, sends them one by one after that commit, and records each outcome
//! in another (these transactions rest on row locks: [`Database::tenant_tx_row_locked`]): sent;
//! a transient failure retried after `base_backoff × 2^(tries − 1)` (at most `max_backoff`);
//! failed after `max_attempts` tries or at once on a permanent refusal (a 5xx
//! answer, an address that cannot be written). Passes repeat while they find work, then the task
//! sleeps until it is woken ([`Mailer::wake`]) or `poll_interval` has passed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use super::Mailer;
use super::message::{self, FromAddress};
use super::outbox::{self, QueuedMail};
use super::transport::{SendError, Transport};
use crate::db::Database;
use crate::error::AppResult;
use crate::tenancy::Scope;

/// How the sender paces itself.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often it looks for due mail when nobody wakes it.
    pub poll_interval: Duration,
    /// How long a claim holds a mail: longer than one send may take.
    pub lease: Duration,
    /// The wait after the first failed try; it doubles with every further one.
    pub base_backoff: Duration,
    /// The longest wait between two tries.
    pub max_backoff: Duration,
    /// Tries in all before a mail is given up as failed.
    pub max_attempts: i32,
    /// Mails of one customer claimed at once.
    pub batch: i64,
    /// Customers served in one pass.
    pub customers_per_pass: i64,
}

impl Default for Settings {
    /// Every 5 s; claims of 2 minutes; retries after 30 s, 1 min, 2 min… up to 1 hour apart, 10
    /// tries in all (about 4 hours).
    fn default() -> Self {
        Settings {
            poll_interval: Duration::from_secs(5),
            lease: Duration::from_secs(120),
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 10,
            batch: 20,
            customers_per_pass: 100,
        }
    }
}

impl Settings {
    /// The wait before the next try after `tries` failed ones (1 or more).
    pub fn backoff(&self, tries: i32) -> Duration {
        let doublings = u32::try_from(tries.saturating_sub(1)).unwrap_or(0).min(30);
        self.base_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Report {
    /// Adds the outcomes to the metrics.
    fn count(&self) {
        for (outcome, n) in [
            ("sent", self.sent),
            ("retry", self.retried),
            ("failed", self.failed),
        ] {
            metrics::counter!(crate::metrics::MAIL_HANDLED, "outcome" => outcome)
                .increment(n as u64);
        }
    }

    /// Mails this pass dealt with.
    pub fn handled(&self) -> usize {
        self.sent + self.retried + self.failed
    }
}

/// Sends the outbox through one transport.
#[derive(Clone)]
pub struct Sender {
    db: Database,
    transport: Transport,
    from: FromAddress,
    settings: Settings,
}

impl Sender {
    pub fn new(
        db: Database,
        transport: Transport,
        from: FromAddress,
        settings: Settings,
    ) -> Sender {
        Sender {
            db,
            transport,
            from,
            settings,
        }
    }

    /// Where mail goes, for the log.
    pub fn describe(&self) -> String {
        format!(
            "{}, from {}",
            self.transport.describe(),
            self.from.address()
        )
    }

    /// Runs the sender until the process ends: a pass now, then whenever `mailer` is woken or
    /// the poll interval has passed. A failing pass (the database is down) is logged and tried
    /// again at the next turn.
    pub fn spawn(self, mailer: Mailer) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.drain().await {
                    Ok(report) => {
                        if report.handled() > 0 {
                            tracing::debug!(?report, "mail sent");
                        }
                        report.count();
                        self.count_queued().await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the mail sender could not read the outbox")
                    }
                }
                tokio::select! {
                    _ = mailer.woken() => {}
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                }
            }
        })
    }

    /// Sets the metric of the mails waiting in the outbox.
    async fn count_queued(&self) {
        let queued = self
            .db
            .outbox_scan(|conn| async move { outbox::queued_count(conn).await }.scope_boxed())
            .await;
        if let Ok(queued) = queued {
            metrics::gauge!(crate::metrics::MAIL_QUEUED).set(queued as f64);
        }
    }

    /// Passes until one finds nothing due.
    pub async fn drain(&self) -> AppResult<Report> {
        let mut total = Report::default();
        loop {
            let report = self.pass().await?;
            total.sent += report.sent;
            total.retried += report.retried;
            total.failed += report.failed;
            if report.handled() == 0 {
                return Ok(total);
            }
        }
    }

    /// One pass: the due mails of up to `customers_per_pass` customers, one batch each.
    pub async fn pass(&self) -> AppResult<Report> {
        let now = crate::db::now();
        let limit = self.settings.customers_per_pass;
        let customers = self
            .db
            .outbox_scan(|conn| {
                async move { outbox::due_customers(conn, now, limit).await }.scope_boxed()
            })
            .await?;
        let mut report = Report::default();
        for customer in customers {
            let scope = Scope::of(customer);
            let claim = Uuid::new_v4();
            let now = crate::db::now();
            let until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
            let batch = self.settings.batch;
            let mails = self
                .db
                .tenant_tx_row_locked(scope, |conn| {
                    async move { outbox::claim(conn, scope, claim, now, until, batch).await }
                        .scope_boxed()
                })
                .await?;
            for mail in mails {
                self.send_one(scope, claim, &mail, &mut report).await?;
            }
        }
        Ok(report)
    }

    async fn send_one(
        &self,
        scope: Scope,
        claim: Uuid,
        mail: &QueuedMail,
        report: &mut Report,
    ) -> AppResult<()> {
        let outcome = match message::build(mail, &self.from) {
            Ok(message) => self.transport.send(&message, mail.id).await,
            Err(unsendable) => Err(SendError::Permanent(unsendable.0)),
        };
        let tries = mail.attempts + 1;
        let id = mail.id;
        match outcome {
            Ok(()) => {
                let now = crate::db::now();
                self.db
                    .tenant_tx_row_locked(scope, |conn| {
                        async move { outbox::mark_sent(conn, scope, id, claim, now).await }
                            .scope_boxed()
                    })
                    .await?;
                tracing::info!(mail = %id, kind = %mail.kind, "mail sent");
                report.sent += 1;
            }
            Err(SendError::Transient(error)) if tries < self.settings.max_attempts => {
                let next = retry_at(crate::db::now(), self.settings.backoff(tries));
                tracing::warn!(mail = %id, tries, %error, next = %next, "mail not sent, will retry");
                let error = &error;
                self.db
                    .tenant_tx_row_locked(scope, |conn| {
                        async move { outbox::mark_retry(conn, scope, id, claim, error, next).await }
                            .scope_boxed()
                    })
                    .await?;
                report.retried += 1;
            }
            Err(SendError::Transient(error) | SendError::Permanent(error)) => {
                tracing::warn!(mail = %id, tries, %error, "mail given up");
                let error = &error;
                self.db
                    .tenant_tx_row_locked(scope, |conn| {
                        async move { outbox::mark_failed(conn, scope, id, claim, error).await }
                            .scope_boxed()
                    })
                    .await?;
                report.failed += 1;
            }
        }
        Ok(())
    }
}

fn retry_at(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let settings = Settings::default();
        let secs: Vec<u64> = (1..=9).map(|n| settings.backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(settings.backoff(1000).as_secs(), 3600);
    }
}
