//! Sign-in throttling: after five failed sign-ins for one account or from one address within
//! fifteen minutes, further tries are refused for fifteen minutes. Failures are counted from the
//! audit log, where every sign-in attempt is recorded.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;

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
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let since = crate::db::now() - chrono::Duration::minutes(WINDOW_MINUTES);
    let by_ip: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM audit.events
          WHERE customer_id = $1 AND ip = $2 AND occurred_at > $3
            AND entity = 'sign_in' AND action = 'failure'",
    )
    .bind::<SqlUuid, _>(scope.customer_uuid())
    .bind::<Text, _>(ip)
    .bind::<Timestamptz, _>(since)
    .get_result(conn)
    .await?;
    if by_ip.n >= MAX_FAILURES {
        return Ok(true);
    }
    let by_account: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM audit.events
          WHERE customer_id = $1 AND entity = 'sign_in' AND action = 'failure'
            AND occurred_at > $3 AND after ->> 'email' = $2",
    )
    .bind::<SqlUuid, _>(scope.customer_uuid())
    .bind::<Text, _>(email.trim().to_lowercase())
    .bind::<Timestamptz, _>(since)
    .get_result(conn)
    .await?;
    Ok(by_account.n >= MAX_FAILURES)
}
