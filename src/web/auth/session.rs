//! What an admin session cookie holds, and the rules for when it has ended.
//!
//! The cookie is signed and encrypted (actix-session's private cookies); it names the user, the
//! customer, the user's session generation at sign-in, and two times: when the user signed in
//! (absolute timeout) and when the session was last used (idle timeout).

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::tenancy::{CustomerId, UserId};

/// A session unused this long has ended.
pub const IDLE_TIMEOUT_SECS: i64 = 2 * 60 * 60;
/// A session older than this has ended, however busy.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 60 * 60;

const AUTH_KEY: &str = "auth";
const FLASH_KEY: &str = "flash";

/// The signed-in part of a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: UserId,
    pub customer: CustomerId,
    /// The user's `session_generation` when they signed in.
    pub generation: i32,
    /// Unix seconds.
    pub signed_in_at: i64,
    /// Unix seconds.
    pub last_seen_at: i64,
}

impl SignedIn {
    /// Whether the session has outlived the idle or the absolute timeout at `now` (Unix seconds).
    pub fn expired(&self, now: i64) -> bool {
        now - self.last_seen_at > IDLE_TIMEOUT_SECS
            || now - self.signed_in_at > ABSOLUTE_TIMEOUT_SECS
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The signed-in part of the session, if any.
pub fn signed_in(session: &Session) -> Option<SignedIn> {
    session.get::<SignedIn>(AUTH_KEY).ok().flatten()
}

/// Starts a signed-in session under a fresh session id (and a fresh CSRF token).
pub fn sign_in(session: &Session, user: UserId, customer: CustomerId, generation: i32) {
    session.renew();
    session.clear();
    let now = now_secs();
    let data = SignedIn {
        user,
        customer,
        generation,
        signed_in_at: now,
        last_seen_at: now,
    };
    let _ = session.insert(AUTH_KEY, data);
}

/// Records that the session was used now.
pub fn touch(session: &Session, mut data: SignedIn) {
    let now = now_secs();
    if now != data.last_seen_at {
        data.last_seen_at = now;
        let _ = session.insert(AUTH_KEY, data);
    }
}

/// Ends the session in this browser.
pub fn sign_out(session: &Session) {
    session.purge();
}

/// Leaves a one-time message for the next page.
pub fn flash(session: &Session, message: &str) {
    let _ = session.insert(FLASH_KEY, message);
}

/// Takes the one-time message, if any.
pub fn take_flash(session: &Session) -> Option<String> {
    let message = session.get::<String>(FLASH_KEY).ok().flatten();
    if message.is_some() {
        session.remove(FLASH_KEY);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(signed_in_at: i64, last_seen_at: i64) -> SignedIn {
        SignedIn {
            user: UserId::new_random(),
            customer: CustomerId::new_random(),
            generation: 0,
            signed_in_at,
            last_seen_at,
        }
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let now = 1_000_000;
        assert!(!data(now - 60, now - 60).expired(now));
        assert!(data(now - 60, now - IDLE_TIMEOUT_SECS - 1).expired(now));
        assert!(!data(now - ABSOLUTE_TIMEOUT_SECS, now).expired(now));
        assert!(data(now - ABSOLUTE_TIMEOUT_SECS - 1, now).expired(now));
    }
}
