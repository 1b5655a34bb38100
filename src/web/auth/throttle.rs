//! Throttling of password checks (sign-in, and the current password of the own-password form),
//! counted from the audit log, where every failure is recorded, so that every app server sees
//! the same counts:
//!
//! - per account, strict: after [`ACCOUNT_LIMIT`] failures for one account (its e-mail, known or
//!   not) within [`WINDOW_MINUTES`], from any address, further checks are refused;
//! - per client address (as [`crate::web::client`] tells it), loose: after [`ADDRESS_LIMIT`]
//!   failures from one address, over any accounts, so that colleagues behind one shared address
//!   do not lock each other out with their typos.
//!
//! The window slides: a refusal lasts until the failure that made the limit leaves the window,
//! and the refusal (429) says exactly how long that is, in minutes on the page and in seconds in
//! `Retry-After`. Both limits are per customer.

use chrono::{DateTime, Utc};

use crate::audit::query::{self, FailuresOf};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// Failures allowed for one account within the window.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed from one client address within the window.
pub const ADDRESS_LIMIT: i64 = 100;
/// The window the failures are counted in.
pub const WINDOW_MINUTES: i64 = 15;

/// What a refusal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Account,
    Address,
}

/// A refusal: which limit was reached and how many seconds until a try may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limited: Limited,
    pub retry_after_secs: u64,
}

impl Refusal {
    /// The wait in whole minutes, rounded up.
    pub fn minutes(&self) -> u64 {
        self.retry_after_secs.div_ceil(60).max(1)
    }

    /// The sentence shown: what was refused and how long to wait.
    pub fn message(&self) -> String {
        let whom = match self.limited {
            Limited::Account => "for this account",
            Limited::Address => "from your network address",
        };
        let minutes = match self.minutes() {
            1 => "1 minute".to_owned(),
            n => format!("{n} minutes"),
        };
        format!("Too many failed password attempts {whom}. Try again in {minutes}.")
    }

    /// The 429 answer.
    pub fn error(&self) -> AppError {
        AppError::TooManyRequests {
            message: self.message(),
            retry_after_secs: self.retry_after_secs,
        }
    }
}

/// Whether password checks for the account `email` from the client address `address` are
/// refused now, and for how long. When both limits are reached, the longer wait is given.
pub async fn check(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    address: &str,
) -> AppResult<Option<Refusal>> {
    let now = crate::db::now();
    let since = now - chrono::Duration::minutes(WINDOW_MINUTES);
    let mut refusal: Option<Refusal> = None;
    for (limited, who, limit) in [
        (Limited::Account, FailuresOf::Account(email), ACCOUNT_LIMIT),
        (
            Limited::Address,
            FailuresOf::Address(address),
            ADDRESS_LIMIT,
        ),
    ] {
        let reached = query::nth_newest_password_failure(conn, scope, who, limit, since).await?;
        if let Some(at) = reached {
            let found = Refusal {
                limited,
                retry_after_secs: wait(at, now),
            };
            if refusal.is_none_or(|r| r.retry_after_secs < found.retry_after_secs) {
                refusal = Some(found);
            }
        }
    }
    Ok(refusal)
}

/// Seconds from `now` until the failure at `at` leaves the window, rounded up, at least 1.
fn wait(at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let until = at + chrono::Duration::minutes(WINDOW_MINUTES) - now;
    let micros = until.num_microseconds().unwrap_or(0).max(0) as u64;
    micros.div_ceil(1_000_000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_until_the_failure_leaves_the_window() {
        let now = crate::db::now();
        let ago = |secs: i64| now - chrono::Duration::seconds(secs);
        assert_eq!(wait(now, now), 900);
        assert_eq!(wait(ago(60), now), 840);
        assert_eq!(wait(ago(899), now), 1);
        assert_eq!(wait(ago(900), now), 1, "never zero");
        assert_eq!(
            wait(now - chrono::Duration::milliseconds(500), now),
            900,
            "rounded up"
        );
    }

    #[test]
    fn the_message_names_the_minutes() {
        let refusal = |limited, retry_after_secs| Refusal {
            limited,
            retry_after_secs,
        };
        assert_eq!(
            refusal(Limited::Account, 900).message(),
            "Too many failed password attempts for this account. Try again in 15 minutes."
        );
        assert_eq!(
            refusal(Limited::Address, 61).message(),
            "Too many failed password attempts from your network address. Try again in 2 minutes."
        );
        assert_eq!(refusal(Limited::Account, 1).minutes(), 1);
        assert!(
            refusal(Limited::Account, 60)
                .message()
                .ends_with("in 1 minute.")
        );
    }
}
