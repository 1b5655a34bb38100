//! The platform's operators: the people who run the platform for every customer, outside every
//! tenant. Their accounts (argon2id, like users), their sign-ins and its throttle, and what the
//! operator console shows of a customer's usage. Their rows are reached only in a platform
//! transaction ([`crate::db::Database::platform_tx`]); whatever an operator changes of a
//! customer is changed in that customer's scope and recorded in its audit log with the operator
//! as actor ([`operator_actor`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::Conn;
use crate::db::schema::content::{media_files, posts};
use crate::db::schema::platform::{operator_sign_ins, operators};
use crate::db::schema::tenancy::sites;
use crate::db::schema::thorne::products;
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// Failures of one address within [`WINDOW_MINUTES`] after which it is refused.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failures from one client within [`WINDOW_MINUTES`] after which it is refused.
pub const MAX_FAILURES_PER_CLIENT: i64 = 100;
pub const WINDOW_MINUTES: i64 = 15;

/// An operator as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = operators)]
pub struct Operator {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub is_active: bool,
    pub session_generation: i32,
}

/// Checks and normalises an operator's e-mail address (lower case, trimmed).
pub fn valid_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let shaped = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if shaped {
        Ok(email)
    } else {
        Err(AppError::Invalid(format!(
            "{email:?} is not an e-mail address"
        )))
    }
}

/// Creates an operator with this password hash; an address already taken is a conflict.
pub async fn create(conn: &mut Conn, email: &str, password_hash: &str) -> AppResult<Operator> {
    let email = valid_email(email)?;
    let now = crate::db::now();
    diesel::insert_into(operators::table)
        .values((
            operators::id.eq(Uuid::new_v4()),
            operators::email.eq(&email),
            operators::password_hash.eq(password_hash),
            operators::created_at.eq(now),
            operators::updated_at.eq(now),
        ))
        .returning(Operator::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match AppError::from(e) {
            error if error.violates_unique("operators_email_unique") => {
                AppError::Conflict(format!("an operator with the address {email} exists"))
            }
            other => other,
        })
}

/// The operator with this address, if any.
pub async fn by_email(conn: &mut Conn, email: &str) -> AppResult<Option<Operator>> {
    operators::table
        .filter(operators::email.eq(email.trim().to_lowercase()))
        .select(Operator::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// The operator with this id, if any.
pub async fn find(conn: &mut Conn, id: Uuid) -> AppResult<Option<Operator>> {
    operators::table
        .filter(operators::id.eq(id))
        .select(Operator::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// Ends every session of the operator (signing out ends them everywhere).
pub async fn end_sessions(conn: &mut Conn, id: Uuid) -> AppResult<()> {
    diesel::update(operators::table)
        .filter(operators::id.eq(id))
        .set((
            operators::session_generation.eq(operators::session_generation + 1),
            operators::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a sign-in attempt: `success`, `failure` or `refused`.
pub async fn record_sign_in(
    conn: &mut Conn,
    email: &str,
    client: &str,
    outcome: &str,
) -> AppResult<()> {
    diesel::insert_into(operator_sign_ins::table)
        .values((
            operator_sign_ins::id.eq(Uuid::new_v4()),
            operator_sign_ins::email.eq(truncated(email, 320)),
            operator_sign_ins::client.eq(truncated(client, 100)),
            operator_sign_ins::outcome.eq(outcome),
            operator_sign_ins::occurred_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// How long sign-ins for `email` from `client` are refused, if they are: until the oldest
/// failure that counts leaves the window.
pub async fn locked_for(
    conn: &mut Conn,
    email: &str,
    client: &str,
) -> AppResult<Option<chrono::Duration>> {
    let window = chrono::Duration::minutes(WINDOW_MINUTES);
    let now = crate::db::now();
    let since = now - window;
    let by_email = failures_since(conn, since, Some(email), None).await?;
    let by_client = failures_since(conn, since, None, Some(client)).await?;
    let mut until: Option<DateTime<Utc>> = None;
    for (times, max) in [
        (by_email, MAX_FAILURES_PER_EMAIL),
        (by_client, MAX_FAILURES_PER_CLIENT),
    ] {
        // The newest `max` failures: the oldest of them decides when one leaves the window.
        if times.len() as i64 >= max {
            let deciding = times[times.len() - max as usize] + window;
            until = Some(until.map_or(deciding, |u| u.max(deciding)));
        }
    }
    Ok(until.map(|u| (u - now).max(chrono::Duration::seconds(1))))
}

/// The times of failed sign-ins since `since`, oldest first, of one address or one client.
async fn failures_since(
    conn: &mut Conn,
    since: DateTime<Utc>,
    email: Option<&str>,
    client: Option<&str>,
) -> AppResult<Vec<DateTime<Utc>>> {
    let mut query = operator_sign_ins::table
        .filter(operator_sign_ins::occurred_at.gt(since))
        .filter(operator_sign_ins::outcome.eq("failure"))
        .select(operator_sign_ins::occurred_at)
        .order(operator_sign_ins::occurred_at.asc())
        .into_boxed();
    if let Some(email) = email {
        query = query.filter(operator_sign_ins::email.eq(email.to_owned()));
    }
    if let Some(client) = client {
        query = query.filter(operator_sign_ins::client.eq(client.to_owned()));
    }
    query.load(conn).await.map_err(AppError::from)
}

/// The actor of an operator's changes in a customer's audit log.
pub fn operator_actor(email: &str, ip: Option<String>, request_id: Option<String>) -> Actor {
    Actor {
        user_id: None,
        label: format!("operator:{email}"),
        ip,
        request_id,
    }
}

/// How much of the platform a customer uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub sites: i64,
    pub posts: i64,
    pub products: i64,
    pub media_bytes: i64,
}

/// The usage of the customer in scope (read in its own scope).
pub async fn usage(conn: &mut Conn, scope: Scope) -> AppResult<Usage> {
    let customer = scope.customer_uuid();
    let sites = sites::table
        .filter(sites::customer_id.eq(customer))
        .count()
        .get_result(conn)
        .await?;
    let posts = posts::table
        .filter(posts::customer_id.eq(customer))
        .count()
        .get_result(conn)
        .await?;
    let products = products::table
        .filter(products::customer_id.eq(customer))
        .count()
        .get_result(conn)
        .await?;
    let media_bytes: Option<bigdecimal::BigDecimal> = media_files::table
        .filter(media_files::customer_id.eq(customer))
        .select(diesel::dsl::sum(media_files::size_bytes))
        .get_result(conn)
        .await?;
    use bigdecimal::ToPrimitive;
    Ok(Usage {
        sites,
        posts,
        products,
        media_bytes: media_bytes.and_then(|b| b.to_i64()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_addresses() {
        assert_eq!(valid_email(" Ops@Example.COM ").unwrap(), "ops@example.com");
        for bad in [
            "",
            "ops",
            "@example.com",
            "ops@example",
            "ops@.com",
            "o ps@example.com",
        ] {
            assert!(valid_email(bad).is_err(), "{bad}");
        }
    }
}
