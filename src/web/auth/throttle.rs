//! Sign-in throttling: after five failed sign-ins for one account or from one address within
//! fifteen minutes, further tries are refused for fifteen minutes. Failures are counted from the
//! audit log, where every sign-in attempt is recorded.

use crate::audit;
use crate::db::Conn;
use crate::error::AppResult;
use crate::tenancy::Scope;

/// Failures allowed within the window.
pub const MAX_FAILURES: i64 = 5;
/// The window, and how long further tries are refused.
pub const WINDOW_MINUTES: i64 = 15;

/// The message shown when tries are refused.
pub const REFUSED: &str = "Too many failed sign-ins. Further tries are refused for 15 minutes.";

/// Whether sign-ins for `email` or from `ip` are refused now.
pub async fn is_locked(conn: &mut Conn, scope: Scope, email: &str, ip: &str) -> AppResult<bool> {
    let since = crate::db::now() - chrono::Duration::minutes(WINDOW_MINUTES);
    let (by_ip, by_account) =
        audit::query::sign_in_failures_since(conn, scope, email, ip, since).await?;
    Ok(by_ip >= MAX_FAILURES || by_account >= MAX_FAILURES)
}
