//! Verifying owners' domains and checking them again: when each domain is due, what a check's
//! outcome does to its state, and the background task that runs the due checks.
//!
//! - `pending` → `verified` when a check succeeds (checked again every
//!   [`CheckSettings::recheck_every`]); a pending domain is retried every few minutes for
//!   [`PENDING_RETRIED_FOR`], then only when its owner asks.
//! - `verified` → `failing` when a check fails: still served, checked more often.
//! - `failing` → `lapsed` once [`CheckSettings::grace`] has passed since the first failure: no
//!   longer served (nor given certificates) until a check succeeds again.
//! - A domain another customer's site serves cannot be verified while that site serves it.
//!
//! Every change of state is an audit event of the customer, with `verification` as the actor.
//! Domains an operator added are never checked. Probes run outside any transaction; a check is
//! first claimed (its due time moved past the probe's duration), so two servers do not check the
//! same domain at once.

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use scoped_futures::ScopedFutureExt;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::schema::tenancy::domains as d;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::tenancy::domains::{self, Domain, Method, Nesting, State};
use crate::tenancy::verification::{Outcome, ProbeSettings, Prober};
use crate::tenancy::{CustomerId, Scope};

/// How long a pending domain is retried on its own.
pub const PENDING_RETRIED_FOR: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// How long a claimed check may take before another server may run it.
const CLAIM_LEASE: Duration = Duration::from_secs(60);

/// The most checks run at once by one server.
const CONCURRENT_CHECKS: usize = 8;

/// The most due checks taken per round.
const CHECKS_PER_ROUND: i64 = 64;

/// How often checks are repeated, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSettings {
    /// How often a verified domain is checked again (`AGOAT_DOMAIN_RECHECK_SECS`, default a day).
    pub recheck_every: Duration,
    /// How long a domain whose checks fail stays served (`AGOAT_DOMAIN_GRACE_SECS`, default three
    /// days).
    pub grace: Duration,
}

impl Default for CheckSettings {
    fn default() -> CheckSettings {
        CheckSettings {
            recheck_every: Duration::from_secs(24 * 3600),
            grace: Duration::from_secs(72 * 3600),
        }
    }
}

impl CheckSettings {
    pub fn from_env() -> Result<CheckSettings, String> {
        let defaults = CheckSettings::default();
        Ok(CheckSettings {
            recheck_every: seconds("AGOAT_DOMAIN_RECHECK_SECS", defaults.recheck_every)?,
            grace: seconds("AGOAT_DOMAIN_GRACE_SECS", defaults.grace)?,
        })
    }

    /// How often a pending or failing domain is tried.
    pub fn retry_every(&self) -> Duration {
        self.recheck_every.min(Duration::from_secs(5 * 60))
    }

    /// How often a lapsed domain is tried.
    pub fn lapsed_every(&self) -> Duration {
        self.recheck_every.min(Duration::from_secs(3600))
    }

    /// How often the background task looks for due checks.
    pub fn round_every(&self) -> Duration {
        self.recheck_every.min(Duration::from_secs(10))
    }
}

fn seconds(name: &str, default: Duration) -> Result<Duration, String> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => match text.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "{name} must be a whole number of seconds above 0, not {text:?}"
            )),
        },
        _ => Ok(default),
    }
}

/// The probes and the schedule, shared by the admin's "check now" and the background task.
pub struct DomainChecks {
    pub prober: Prober,
    pub settings: CheckSettings,
}

impl DomainChecks {
    pub fn new(probes: &ProbeSettings, settings: CheckSettings) -> DomainChecks {
        DomainChecks {
            prober: Prober::new(probes),
            settings,
        }
    }

    pub fn from_env() -> Result<DomainChecks, String> {
        Ok(DomainChecks::new(
            &ProbeSettings::from_env()?,
            CheckSettings::from_env()?,
        ))
    }

    /// Checks one domain of the customer in scope now, whatever its due time (an owner asked),
    /// and records the outcome. Not found: no such domain, or one an operator added.
    pub async fn check_now(&self, db: &Database, scope: Scope, host: &str) -> AppResult<Domain> {
        let host = host.to_owned();
        let (token, http_allowed) = db
            .tenant_read(scope, |conn| {
                let host = &host;
                async move { what_to_check(conn, scope, host).await }.scope_boxed()
            })
            .await?
            .ok_or(AppError::NotFound)?;
        self.probe_and_record(db, scope, &host, &token, http_allowed)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Runs every check due now; answers how many ran.
    pub async fn run_due(&self, db: &Database) -> AppResult<usize> {
        let now = crate::db::now();
        let due: Vec<(Uuid, String)> = db
            .directory_read(|conn| async move { due(conn, now).await }.scope_boxed())
            .await?;
        let count = due.len();
        futures_util::stream::iter(due)
            .for_each_concurrent(CONCURRENT_CHECKS, |(customer, host)| async move {
                let scope = Scope::of(CustomerId::from_uuid(customer));
                if let Err(error) = self.claim_and_check(db, scope, &host).await {
                    tracing::warn!(%error, host, "a domain check failed to run");
                }
            })
            .await;
        Ok(count)
    }

    async fn claim_and_check(&self, db: &Database, scope: Scope, host: &str) -> AppResult<()> {
        let now = crate::db::now();
        let claimed = db
            .tenant_tx_row_locked(scope, |conn| {
                async move { claim(conn, scope, host, now).await }.scope_boxed()
            })
            .await?;
        if let Some((token, http_allowed)) = claimed {
            self.probe_and_record(db, scope, host, &token, http_allowed)
                .await?;
        }
        Ok(())
    }

    async fn probe_and_record(
        &self,
        db: &Database,
        scope: Scope,
        host: &str,
        token: &str,
        http_allowed: bool,
    ) -> AppResult<Option<Domain>> {
        let outcome = self.prober.check(host, token, http_allowed).await;
        let now = crate::db::now();
        let settings = self.settings;
        db.tenant_tx(scope, |conn| {
            let outcome = &outcome;
            async move { record(conn, scope, host, token, outcome, now, &settings).await }
                .scope_boxed()
        })
        .await
    }

    /// Runs the due checks every [`CheckSettings::round_every`] on a task of the current Tokio
    /// runtime until `checks` is dropped.
    pub fn keep_checking(self: &Arc<Self>, db: Database) {
        tokio::spawn(check_loop(Arc::downgrade(self), db));
    }
}

async fn check_loop(checks: Weak<DomainChecks>, db: Database) {
    let Some(every) = checks.upgrade().map(|c| c.settings.round_every()) else {
        return;
    };
    let mut rounds = tokio::time::interval(every);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        let Some(checks) = checks.upgrade() else {
            return;
        };
        if let Err(error) = checks.run_due(&db).await {
            tracing::debug!(%error, "the due domain checks could not be listed");
        }
    }
}

/// The token to check a domain against, and whether the HTTP answer may verify it (not for a name
/// under another customer's served domain: the product may already answer for such a name).
async fn what_to_check(
    conn: &mut Conn,
    scope: Scope,
    host: &str,
) -> AppResult<Option<(String, bool)>> {
    let Some(domain) = domains::find(conn, scope, host).await? else {
        return Ok(None);
    };
    let Some(token) = domain.token else {
        return Ok(None);
    };
    let under_another = domains::nested_elsewhere(conn, scope, host).await? == Some(Nesting::Under);
    Ok(Some((token, !under_another)))
}

/// The domains whose check is due at `now`, the longest due first, of every customer (the
/// directory is readable without a tenant).
async fn due(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<Vec<(Uuid, String)>> {
    d::table
        .filter(d::next_check_at.le(now))
        .order(d::next_check_at.asc())
        .limit(CHECKS_PER_ROUND)
        .select((d::customer_id, d::host))
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Takes a due check: moves its due time past the probe's duration, so no other server runs it
/// meanwhile. None: it is no longer due (another server took it) or is gone.
async fn claim(
    conn: &mut Conn,
    scope: Scope,
    host: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<(String, bool)>> {
    let taken = diesel::update(d::table)
        .filter(d::customer_id.eq(scope.customer_uuid()))
        .filter(d::host.eq(host))
        .filter(d::next_check_at.le(now))
        .set(d::next_check_at.eq(now + CLAIM_LEASE))
        .execute(conn)
        .await?;
    if taken == 0 {
        return Ok(None);
    }
    what_to_check(conn, scope, host).await
}

/// What a check's outcome makes of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: State,
    pub verified_by: Option<Method>,
    pub verified_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub check_error: Option<String>,
    pub next_check_at: Option<DateTime<Utc>>,
    /// The audit action, when the state changes.
    pub event: Option<&'static str>,
}

/// The next state of `domain` after a check at `now` found `outcome`.
pub fn transition(
    domain: &Domain,
    outcome: &Outcome,
    now: DateTime<Utc>,
    settings: &CheckSettings,
) -> Transition {
    let state = domain.state();
    match outcome {
        Outcome::Verified(method) => Transition {
            state: State::Verified,
            verified_by: Some(*method),
            verified_at: if state.is_served() {
                domain.verified_at.or(Some(now))
            } else {
                Some(now)
            },
            failing_since: None,
            check_error: None,
            next_check_at: Some(now + settings.recheck_every),
            event: match state {
                State::Pending => Some("verify"),
                State::Failing => Some("recover"),
                State::Lapsed => Some("reinstate"),
                State::Verified => None,
            },
        },
        Outcome::Failed(reason) => {
            let failed = |state, failing_since, next_check_at, event| Transition {
                state,
                verified_by: domain.verified_by(),
                verified_at: domain.verified_at,
                failing_since,
                check_error: Some(reason.chars().take(300).collect()),
                next_check_at,
                event,
            };
            match state {
                State::Pending => {
                    let retried = now - domain.created_at < PENDING_RETRIED_FOR;
                    let next = retried.then(|| now + settings.retry_every());
                    failed(State::Pending, None, next, None)
                }
                State::Verified => {
                    let next = now + settings.retry_every().min(settings.grace);
                    failed(State::Failing, Some(now), Some(next), Some("check_failed"))
                }
                State::Failing => {
                    let since = domain.failing_since.unwrap_or(now);
                    let ends = since + settings.grace;
                    if now >= ends {
                        let next = now + settings.lapsed_every();
                        failed(State::Lapsed, Some(since), Some(next), Some("lapse"))
                    } else {
                        let next = (now + settings.retry_every()).min(ends);
                        failed(State::Failing, Some(since), Some(next), None)
                    }
                }
                State::Lapsed => {
                    let next = now + settings.lapsed_every();
                    failed(State::Lapsed, domain.failing_since, Some(next), None)
                }
            }
        }
    }
}

/// Records a check of `host` against `token`. None: the domain is gone, or its token changed,
/// since the probe started.
async fn record(
    conn: &mut Conn,
    scope: Scope,
    host: &str,
    token: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
    settings: &CheckSettings,
) -> AppResult<Option<Domain>> {
    let Some(domain) = domains::find(conn, scope, host).await? else {
        return Ok(None);
    };
    if domain.token.as_deref() != Some(token) {
        return Ok(None);
    }
    let mut outcome = outcome.clone();
    if matches!(outcome, Outcome::Verified(_))
        && !domain.is_served()
        && domains::lookup(conn, host).await?.is_some()
    {
        outcome = Outcome::Failed(
            "Another site uses this domain; it can be verified here once that site no longer \
             does."
                .into(),
        );
    }
    let next = transition(&domain, &outcome, now, settings);
    let updated: Domain = diesel::update(d::table)
        .filter(d::customer_id.eq(scope.customer_uuid()))
        .filter(d::host.eq(host))
        .set((
            d::state.eq(next.state.as_str()),
            d::verified_by.eq(next.verified_by.map(Method::as_str)),
            d::verified_at.eq(next.verified_at),
            d::checked_at.eq(now),
            d::next_check_at.eq(next.next_check_at),
            d::failing_since.eq(next.failing_since),
            d::check_error.eq(&next.check_error),
        ))
        .returning(Domain::as_returning())
        .get_result(conn)
        .await?;
    if let Some(action) = next.event {
        audit::record(
            conn,
            scope,
            &verification_actor(),
            Change {
                entity: "domain",
                entity_id: domain.site_id,
                action,
                before: Some(json!({"host": host, "state": domain.state().as_str()})),
                after: Some(json!({
                    "host": host,
                    "state": next.state.as_str(),
                    "verified_by": next.verified_by.map(Method::as_str),
                    "reason": next.check_error,
                })),
            },
        )
        .await?;
    }
    Ok(Some(updated))
}

fn verification_actor() -> Actor {
    Actor {
        user_id: None,
        label: "verification".into(),
        ip: None,
        request_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(state: &str, by: Option<&str>, failing_since: Option<DateTime<Utc>>) -> Domain {
        let json = json!({
            "host": "example.com",
            "customer_id": Uuid::nil(),
            "site_id": Uuid::nil(),
            "is_primary": false,
            "created_at": "2026-12-01T00:00:00Z",
            "state": state,
            "verified_by": by,
            "token": "t",
            "verified_at": by.map(|_| "2026-12-01T01:00:00Z"),
            "checked_at": null,
            "next_check_at": null,
            "failing_since": failing_since,
            "check_error": null,
        });
        serde_json::from_value(json).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn settings() -> CheckSettings {
        CheckSettings {
            recheck_every: Duration::from_secs(24 * 3600),
            grace: Duration::from_secs(72 * 3600),
        }
    }

    #[test]
    fn a_pending_domain_is_verified_and_checked_again_a_day_later() {
        let now = at("2026-12-02T00:00:00Z");
        let next = transition(
            &domain("pending", None, None),
            &Outcome::Verified(Method::Dns),
            now,
            &settings(),
        );
        assert_eq!(next.state, State::Verified);
        assert_eq!(next.verified_by, Some(Method::Dns));
        assert_eq!(next.verified_at, Some(now));
        assert_eq!(next.next_check_at, Some(at("2026-12-03T00:00:00Z")));
        assert_eq!(next.event, Some("verify"));
    }

    #[test]
    fn a_pending_domain_is_retried_for_a_week_then_waits_for_its_owner() {
        let failed = Outcome::Failed("DNS: no TXT record".into());
        let early = transition(
            &domain("pending", None, None),
            &failed,
            at("2026-12-02T00:00:00Z"),
            &settings(),
        );
        assert_eq!(early.state, State::Pending);
        assert_eq!(early.next_check_at, Some(at("2026-12-02T00:05:00Z")));
        assert_eq!(early.check_error.as_deref(), Some("DNS: no TXT record"));
        assert_eq!(early.event, None);
        let late = transition(
            &domain("pending", None, None),
            &failed,
            at("2026-12-09T00:00:00Z"),
            &settings(),
        );
        assert_eq!(late.next_check_at, None);
    }

    #[test]
    fn a_failing_domain_stays_served_for_the_grace_period_then_lapses() {
        let failed = Outcome::Failed("DNS: no TXT record".into());
        let first = transition(
            &domain("verified", Some("dns"), None),
            &failed,
            at("2026-12-02T00:00:00Z"),
            &settings(),
        );
        assert_eq!(
            (first.state, first.event),
            (State::Failing, Some("check_failed"))
        );
        assert_eq!(first.failing_since, Some(at("2026-12-02T00:00:00Z")));

        let since = Some(at("2026-12-02T00:00:00Z"));
        let within = transition(
            &domain("failing", Some("dns"), since),
            &failed,
            at("2026-12-04T23:58:00Z"),
            &settings(),
        );
        assert_eq!((within.state, within.event), (State::Failing, None));
        assert_eq!(
            within.next_check_at,
            Some(at("2026-12-05T00:00:00Z")),
            "the next try is when the grace ends"
        );

        let after = transition(
            &domain("failing", Some("dns"), since),
            &failed,
            at("2026-12-05T00:00:00Z"),
            &settings(),
        );
        assert_eq!((after.state, after.event), (State::Lapsed, Some("lapse")));
        assert_eq!(after.failing_since, since);

        let back = transition(
            &domain("lapsed", Some("dns"), since),
            &Outcome::Verified(Method::Http),
            at("2026-12-06T00:00:00Z"),
            &settings(),
        );
        assert_eq!(
            (back.state, back.event),
            (State::Verified, Some("reinstate"))
        );
        assert_eq!((back.failing_since, back.check_error), (None, None));
    }

    #[test]
    fn a_verified_domain_that_passes_keeps_its_first_verification_time() {
        let next = transition(
            &domain("verified", Some("dns"), None),
            &Outcome::Verified(Method::Dns),
            at("2026-12-05T00:00:00Z"),
            &settings(),
        );
        assert_eq!(next.verified_at, Some(at("2026-12-01T01:00:00Z")));
        assert_eq!(next.event, None);
    }
}
