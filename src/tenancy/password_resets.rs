//! Password resets by mail: on a site's domain, `/admin/password/forgot` takes an e-mail address;
//! when it belongs to an active user of that site's customer, a mail with a single-use link (valid
//! 1 hour, [`account_tokens`]) to `/admin/password/reset/{token}` is queued. Whether it does is
//! never told to the person asking: the answer is the same either way.
//!
//! Requests are limited per address (3 an hour) and per client address (10 an hour), counted from
//! the audit log, where every request is an event (`password_reset` `request`, or `refused` when
//! over a limit), so every app server counts the same. Completing a reset sets the password,
//! retires the link and ends every session of the user.

use chrono::Duration;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::Conn;
use crate::error::AppResult;
use crate::mail::{outbox, templates};
use crate::tenancy::account_tokens::{self, Purpose};
use crate::tenancy::invitations::LinkSite;
use crate::tenancy::users::{self, User};
use crate::tenancy::{Scope, UserId};

/// How long a reset link works, in hours.
pub const LINK_HOURS: i64 = Purpose::PasswordReset.lifetime_hours();
/// Requests allowed for one e-mail address within the window.
pub const MAX_PER_ADDRESS: i64 = 3;
/// Requests allowed from one client address within the window.
pub const MAX_PER_CLIENT: i64 = 10;
/// The window, in minutes.
pub const WINDOW_MINUTES: i64 = 60;

/// What became of a request: the person asking is told the same either way, unless limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Recorded; a mail is queued if the address belongs to an active user.
    Taken,
    /// Over a limit: recorded as refused, nothing sent.
    Limited,
}

/// Asks for a reset link for `email` (already checked by [`users::valid_email`]) from the client
/// address of `actor`, audited; queues the mail when the address belongs to an active user.
pub async fn request(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    site: LinkSite<'_>,
    actor: &Actor,
) -> AppResult<Requested> {
    let since = crate::db::now() - Duration::minutes(WINDOW_MINUTES);
    let ip = actor.ip.as_deref().unwrap_or("unknown");
    let (by_address, by_client) =
        audit::query::password_reset_requests_since(conn, scope, email, ip, since).await?;
    let limited = by_address >= MAX_PER_ADDRESS || by_client >= MAX_PER_CLIENT;
    let account = if limited {
        None
    } else {
        users::account_by_email(conn, scope, email)
            .await?
            .filter(|a| a.is_active)
    };
    if let Some(account) = &account {
        let id = UserId::from_uuid(account.id);
        let secret = account_tokens::issue(conn, scope, id, Purpose::PasswordReset, None).await?;
        let link = format!("{}/admin/password/reset/{secret}", site.base_url);
        let again = format!("{}/admin/password/forgot", site.base_url);
        let mail = templates::PasswordReset {
            site_name: site.name,
            link: &link,
            again: &again,
            valid_hours: LINK_HOURS,
        }
        .mail(&account.email)?;
        outbox::queue(conn, scope, &mail).await?;
    }
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "password_reset",
            entity_id: account.as_ref().map_or(Uuid::nil(), |a| a.id),
            action: if limited { "refused" } else { "request" },
            before: None,
            after: Some(json!({ "email": email, "mailed": account.is_some() })),
        },
    )
    .await?;
    Ok(if limited {
        Requested::Limited
    } else {
        Requested::Taken
    })
}

/// Completes the reset `secret`: sets the new password, retires the link, ends every session of
/// the user, audited as that user. A link that does not open its page is `NotFound`, and nothing
/// changes.
pub async fn complete(
    conn: &mut Conn,
    scope: Scope,
    secret: &str,
    password_hash: &str,
    request: &Actor,
) -> AppResult<User> {
    account_tokens::redeem_with_password(
        conn,
        scope,
        secret,
        Purpose::PasswordReset,
        password_hash,
        "reset_password_by_link",
        request,
    )
    .await
}
