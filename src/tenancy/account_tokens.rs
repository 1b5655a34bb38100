//! Single-use links that let a person choose a user's password: invitations (valid 48 hours) and
//! password resets (valid 1 hour), in `tenancy.account_tokens`.
//!
//! A link's token is made by [`crate::token`] (32 random bytes) and stored only as its SHA-256.
//! A token opens its page only within the customer of the domain it is presented on, for its own
//! purpose, before it expires, while unused and while its user is active. Issuing a new token of
//! one purpose retires the user's earlier ones of that purpose, so only the newest link works;
//! using a token retires it in the same transaction that sets the password.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::{Conn, schema::tenancy::account_tokens};
use crate::error::{AppError, AppResult};
use crate::tenancy::users::{self, Account, User};
use crate::tenancy::{Scope, UserId};
use crate::token;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Accept an invitation: choose the first password.
    Invitation,
    /// Choose a new password.
    PasswordReset,
}

impl Purpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
        }
    }

    /// How long a token of this purpose works.
    pub const fn lifetime_hours(self) -> i64 {
        match self {
            Purpose::Invitation => 48,
            Purpose::PasswordReset => 1,
        }
    }
}

/// A token that opens its page now, with its user.
#[derive(Debug, Clone)]
pub struct Redeemable {
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub user: Account,
}

/// Makes a token of `purpose` for `user`, retiring the user's earlier unused ones of that
/// purpose; returns the token, which exists nowhere else once the mail holding it is sent.
pub async fn issue(
    conn: &mut Conn,
    scope: Scope,
    user: UserId,
    purpose: Purpose,
    created_by: Option<UserId>,
) -> AppResult<String> {
    let now = crate::db::now();
    retire_unused(conn, scope, user, purpose, now).await?;
    let secret = token::new_token();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::customer_id.eq(scope.customer_uuid()),
            account_tokens::id.eq(Uuid::new_v4()),
            account_tokens::user_id.eq(user.as_uuid()),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::token_hash.eq(token::hash(&secret)),
            account_tokens::created_by.eq(created_by.map(|u| u.as_uuid())),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + Duration::hours(purpose.lifetime_hours())),
        ))
        .execute(conn)
        .await?;
    Ok(secret)
}

/// The token `secret` of `purpose` if it opens its page now: of the customer in scope, unused,
/// unexpired, its user active. Anything else (garbage included) is `None`.
pub async fn redeemable(
    conn: &mut Conn,
    scope: Scope,
    secret: &str,
    purpose: Purpose,
) -> AppResult<Option<Redeemable>> {
    if !token::well_formed(secret) {
        return Ok(None);
    }
    let now = crate::db::now();
    let row: Option<(Uuid, Uuid, DateTime<Utc>)> = account_tokens::table
        .filter(account_tokens::customer_id.eq(scope.customer_uuid()))
        .filter(account_tokens::token_hash.eq(token::hash(secret)))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select((
            account_tokens::id,
            account_tokens::user_id,
            account_tokens::expires_at,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((id, user_id, expires_at)) = row else {
        return Ok(None);
    };
    let user = users::account(conn, scope, UserId::from_uuid(user_id)).await?;
    Ok(user.filter(|u| u.is_active).map(|user| Redeemable {
        id,
        expires_at,
        user,
    }))
}

/// Uses the token `secret` of `purpose`: retires it (and the user's other unused tokens of that
/// purpose) and returns its user. A token that does not open its page is `NotFound`, and nothing
/// changes.
pub async fn redeem(
    conn: &mut Conn,
    scope: Scope,
    secret: &str,
    purpose: Purpose,
) -> AppResult<Account> {
    let found = redeemable(conn, scope, secret, purpose)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = crate::db::now();
    let used = diesel::update(account_tokens::table)
        .filter(account_tokens::customer_id.eq(scope.customer_uuid()))
        .filter(account_tokens::id.eq(found.id))
        .filter(account_tokens::used_at.is_null())
        .set(account_tokens::used_at.eq(now))
        .execute(conn)
        .await?;
    if used != 1 {
        return Err(AppError::NotFound);
    }
    retire_unused(conn, scope, UserId::from_uuid(found.user.id), purpose, now).await?;
    Ok(found.user)
}

/// Marks the user's unused tokens of `purpose` as used.
async fn retire_unused(
    conn: &mut Conn,
    scope: Scope,
    user: UserId,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> AppResult<()> {
    diesel::update(account_tokens::table)
        .filter(account_tokens::customer_id.eq(scope.customer_uuid()))
        .filter(account_tokens::user_id.eq(user.as_uuid()))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::used_at.is_null())
        .set(account_tokens::used_at.eq(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Uses the token `secret` of `purpose` and sets its user's password to `password_hash`, audited
/// as `action` by that user (on the request's address). A token that does not open its page is
/// `NotFound`, and nothing changes.
pub async fn redeem_with_password(
    conn: &mut Conn,
    scope: Scope,
    secret: &str,
    purpose: Purpose,
    password_hash: &str,
    action: &str,
    request: &Actor,
) -> AppResult<User> {
    let account = redeem(conn, scope, secret, purpose).await?;
    let id = UserId::from_uuid(account.id);
    let actor = Actor {
        user_id: Some(id),
        label: account.email.clone(),
        ..request.clone()
    };
    users::set_password(conn, scope, id, password_hash, None, action, &actor).await
}
