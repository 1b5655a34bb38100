//! The outbox table, `tenancy.mail_outbox`: queueing a mail in the transaction of its cause, and
//! what the sender does with it (find the customers with mail due, claim, record the outcome).
//!
//! A claim sets `claim_id` and `claimed_until` on rows locked with `FOR UPDATE SKIP LOCKED`, in
//! the customer's own transaction: a second sender skips the rows the first one is claiming, and
//! rows claimed until later are not due for anyone else. The outcome is recorded only by the
//! claim that holds the row. Should a sender die after its SMTP server accepted a mail but before
//! it recorded that, the mail is sent again once the claim has expired; its `Message-ID` is the
//! same both times, so a receiving system can tell.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::{Conn, schema::tenancy::mail_outbox};
use crate::error::{AppError, AppResult};
use crate::tenancy::{CustomerId, Scope};

/// A mail to queue, rendered.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// What caused it: `invitation`, `password_reset`…
    pub kind: &'static str,
    /// The name the mail comes from (the site's), shown with the configured sender address.
    pub from_name: String,
    /// The recipient's address.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A queued mail as the sender reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct QueuedMail {
    pub customer_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub from_name: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub state: String,
    /// Tries made so far.
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The states of a mail.
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// Longest error text kept with a mail.
const MAX_ERROR_CHARS: usize = 500;

/// Queues `mail` for the customer in scope, due now; returns its id. Call it inside the
/// transaction of the change that causes the mail, and wake the sender after the commit.
pub async fn queue(conn: &mut Conn, scope: Scope, mail: &NewMail) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    let now = crate::db::now();
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::customer_id.eq(scope.customer_uuid()),
            mail_outbox::id.eq(id),
            mail_outbox::kind.eq(mail.kind),
            mail_outbox::from_name.eq(truncate(&mail.from_name, 200)),
            mail_outbox::to_address.eq(&mail.to),
            mail_outbox::subject.eq(truncate(&mail.subject, 300)),
            mail_outbox::text_body.eq(&mail.text),
            mail_outbox::html_body.eq(&mail.html),
            mail_outbox::state.eq(QUEUED),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(now),
            mail_outbox::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// The customers with mail due at `now` that nobody holds, at most `limit`. Runs only inside
/// [`crate::db::Database::outbox_scan`], the one transaction that sees every customer's outbox.
pub async fn due_customers(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> AppResult<Vec<CustomerId>> {
    let ids: Vec<Uuid> = mail_outbox::table
        .filter(mail_outbox::state.eq(QUEUED))
        .filter(mail_outbox::next_attempt_at.le(now))
        .filter(
            mail_outbox::claimed_until
                .is_null()
                .or(mail_outbox::claimed_until.le(now)),
        )
        .select(mail_outbox::customer_id)
        .distinct()
        .limit(limit)
        .load(conn)
        .await?;
    Ok(ids.into_iter().map(CustomerId::from_uuid).collect())
}

/// How many mails of every customer wait to be sent (due or not yet); read by the sender, in
/// [`crate::db::Database::outbox_scan`].
pub async fn queued_count(conn: &mut Conn) -> AppResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::state.eq(QUEUED))
        .count()
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// Claims up to `limit` of the customer's due mails for `claim` until `until`, oldest due first:
/// rows another sender is claiming right now are skipped, rows claimed until later are not due.
pub async fn claim(
    conn: &mut Conn,
    scope: Scope,
    claim: Uuid,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> AppResult<Vec<QueuedMail>> {
    let ids: Vec<Uuid> = mail_outbox::table
        .filter(mail_outbox::customer_id.eq(scope.customer_uuid()))
        .filter(mail_outbox::state.eq(QUEUED))
        .filter(mail_outbox::next_attempt_at.le(now))
        .filter(
            mail_outbox::claimed_until
                .is_null()
                .or(mail_outbox::claimed_until.le(now)),
        )
        .order(mail_outbox::next_attempt_at.asc())
        .limit(limit)
        .select(mail_outbox::id)
        .for_update()
        .skip_locked()
        .load(conn)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed: Vec<QueuedMail> = diesel::update(mail_outbox::table)
        .filter(mail_outbox::customer_id.eq(scope.customer_uuid()))
        .filter(mail_outbox::id.eq_any(&ids))
        .set((
            mail_outbox::claim_id.eq(claim),
            mail_outbox::claimed_until.eq(until),
        ))
        .returning(QueuedMail::as_returning())
        .get_results(conn)
        .await?;
    claimed.sort_by_key(|m| (m.next_attempt_at, m.id));
    Ok(claimed)
}

/// The queued row of the customer in scope with this id, as long as `claim` holds it.
macro_rules! held {
    ($scope:expr, $id:expr, $claim:expr) => {
        mail_outbox::table
            .filter(mail_outbox::customer_id.eq($scope.customer_uuid()))
            .filter(mail_outbox::id.eq($id))
            .filter(mail_outbox::claim_id.eq($claim))
            .filter(mail_outbox::state.eq(QUEUED))
    };
}

/// Records that the mail was sent, erasing its bodies (they may hold a single-use link). Returns
/// whether `claim` still held it.
pub async fn mark_sent(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    claim: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let changed = diesel::update(held!(scope, id, claim))
        .set((
            mail_outbox::state.eq(SENT),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::sent_at.eq(now),
            mail_outbox::claimed_until.eq(None::<DateTime<Utc>>),
            mail_outbox::last_error.eq(None::<String>),
            mail_outbox::text_body.eq(""),
            mail_outbox::html_body.eq(""),
        ))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

/// Records a failed try and when to try again. Returns whether `claim` still held the mail.
pub async fn mark_retry(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    claim: Uuid,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> AppResult<bool> {
    let changed = diesel::update(held!(scope, id, claim))
        .set((
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::next_attempt_at.eq(next_attempt_at),
            mail_outbox::claimed_until.eq(None::<DateTime<Utc>>),
            mail_outbox::last_error.eq(truncate(error, MAX_ERROR_CHARS)),
        ))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

/// Records that the mail will not be sent (its last try failed, or the error was permanent),
/// erasing its bodies. Returns whether `claim` still held it.
pub async fn mark_failed(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    claim: Uuid,
    error: &str,
) -> AppResult<bool> {
    let changed = diesel::update(held!(scope, id, claim))
        .set((
            mail_outbox::state.eq(FAILED),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::claimed_until.eq(None::<DateTime<Utc>>),
            mail_outbox::last_error.eq(truncate(error, MAX_ERROR_CHARS)),
            mail_outbox::text_body.eq(""),
            mail_outbox::html_body.eq(""),
        ))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

/// The customer's mails, newest first, at most `limit` (what an operator or a test looks at).
pub async fn recent(conn: &mut Conn, scope: Scope, limit: i64) -> AppResult<Vec<QueuedMail>> {
    mail_outbox::table
        .filter(mail_outbox::customer_id.eq(scope.customer_uuid()))
        .order((mail_outbox::created_at.desc(), mail_outbox::id.asc()))
        .limit(limit)
        .select(QueuedMail::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
