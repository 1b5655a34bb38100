//! Shareable preview links: a link lets anyone holding it see one revision of a post (a draft,
//! usually) on the site's domain, until it expires or is revoked.
//!
//! A link's token is 32 random bytes (base64url, 43 characters, see [`crate::token`]), shown once
//! when the link is made; only its SHA-256 (hex) is stored, so the table cannot be used to rebuild
//! a link, and a token cannot be guessed or forged. Tokens are looked up within the customer in
//! scope only.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::content::posts::Post;
use crate::content::revisions;
use crate::db::{Conn, schema::content::preview_links};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;
use crate::token::{hash, new_token, well_formed};

/// Lifetime of a link when none is asked for.
pub const DEFAULT_LIFETIME_HOURS: i64 = 48;
/// Longest lifetime a link may have (30 days).
pub const MAX_LIFETIME_HOURS: i64 = 30 * 24;

/// A stored link (without its token, which is never stored).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = preview_links)]
pub struct PreviewLink {
    pub id: Uuid,
    pub post_id: Uuid,
    pub revision_number: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a link still opens its preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    Revoked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
        }
    }
}

impl PreviewLink {
    /// The state of the link at `now`; revoked wins over expired.
    pub fn state(&self, now: DateTime<Utc>) -> LinkState {
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.expires_at <= now {
            LinkState::Expired
        } else {
            LinkState::Active
        }
    }

    fn audit_fields(&self) -> serde_json::Value {
        json!({
            "post_id": self.post_id,
            "revision_number": self.revision_number,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        })
    }
}

/// A link just made, with its token: the only time the token is known.
#[derive(Debug, Clone)]
pub struct CreatedLink {
    pub link: PreviewLink,
    pub token: String,
}

/// Reads the lifetime an editor typed, in whole hours: empty means the default, otherwise
/// 1 to [`MAX_LIFETIME_HOURS`].
pub fn parse_lifetime(text: &str) -> AppResult<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Duration::hours(DEFAULT_LIFETIME_HOURS));
    }
    let invalid = || {
        AppError::BadRequest(format!(
            "the lifetime must be a whole number of hours from 1 to {MAX_LIFETIME_HOURS}"
        ))
    };
    let hours: i64 = text.parse().map_err(|_| invalid())?;
    if !(1..=MAX_LIFETIME_HOURS).contains(&hours) {
        return Err(invalid());
    }
    Ok(Duration::hours(hours))
}

/// Makes a link to the newest revision of `post`, living for `lifetime`; audited.
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    post: &Post,
    lifetime: Duration,
    actor: &Actor,
) -> AppResult<CreatedLink> {
    let revision_number = revisions::latest_number(conn, scope, post.id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("post {} has no revision", post.id)))?;
    let token = new_token();
    let now = crate::db::now();
    let link: PreviewLink = diesel::insert_into(preview_links::table)
        .values((
            preview_links::customer_id.eq(scope.customer_uuid()),
            preview_links::id.eq(Uuid::new_v4()),
            preview_links::post_id.eq(post.id),
            preview_links::revision_number.eq(revision_number),
            preview_links::token_hash.eq(hash(&token)),
            preview_links::created_by.eq(actor.user_id.map(|id| id.as_uuid())),
            preview_links::created_at.eq(now),
            preview_links::expires_at.eq(now + lifetime),
        ))
        .returning(PreviewLink::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "preview_link",
            entity_id: link.id,
            action: "create",
            before: None,
            after: Some(link.audit_fields()),
        },
    )
    .await?;
    Ok(CreatedLink { link, token })
}

/// Every link of a post, newest first.
pub async fn for_post(conn: &mut Conn, scope: Scope, post: Uuid) -> AppResult<Vec<PreviewLink>> {
    preview_links::table
        .filter(preview_links::customer_id.eq(scope.customer_uuid()))
        .filter(preview_links::post_id.eq(post))
        .order((preview_links::created_at.desc(), preview_links::id.desc()))
        .select(PreviewLink::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Revokes a link of a post (audited); revoking a revoked link changes nothing.
/// [`AppError::NotFound`] when the post has no such link.
pub async fn revoke(
    conn: &mut Conn,
    scope: Scope,
    post: Uuid,
    link: Uuid,
    actor: &Actor,
) -> AppResult<PreviewLink> {
    let current: PreviewLink = preview_links::table
        .filter(preview_links::customer_id.eq(scope.customer_uuid()))
        .filter(preview_links::post_id.eq(post))
        .filter(preview_links::id.eq(link))
        .select(PreviewLink::as_select())
        .first(conn)
        .await?;
    if current.revoked_at.is_some() {
        return Ok(current);
    }
    let revoked: PreviewLink = diesel::update(preview_links::table)
        .filter(preview_links::customer_id.eq(scope.customer_uuid()))
        .filter(preview_links::id.eq(link))
        .set(preview_links::revoked_at.eq(Some(crate::db::now())))
        .returning(PreviewLink::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "preview_link",
            entity_id: revoked.id,
            action: "revoke",
            before: Some(current.audit_fields()),
            after: Some(revoked.audit_fields()),
        },
    )
    .await?;
    Ok(revoked)
}

/// The link a token opens at `now` in the customer in scope: `None` when the token is malformed,
/// unknown (or another customer's), expired or revoked.
pub async fn open(
    conn: &mut Conn,
    scope: Scope,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<PreviewLink>> {
    if !well_formed(token) {
        return Ok(None);
    }
    preview_links::table
        .filter(preview_links::customer_id.eq(scope.customer_uuid()))
        .filter(preview_links::token_hash.eq(hash(token)))
        .filter(preview_links::revoked_at.is_null())
        .filter(preview_links::expires_at.gt(now))
        .select(PreviewLink::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("").unwrap(), Duration::hours(48));
        assert_eq!(parse_lifetime(" 2 ").unwrap(), Duration::hours(2));
        assert_eq!(parse_lifetime("720").unwrap(), Duration::hours(720));
        for bad in [
            "0",
            "-1",
            "721",
            "1.5",
            "abc",
            "99999999999999999999",
            "1e3",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn states() {
        let now = Utc::now();
        let mut link = PreviewLink {
            id: Uuid::nil(),
            post_id: Uuid::nil(),
            revision_number: 1,
            created_by: None,
            created_at: now,
            expires_at: now + Duration::hours(1),
            revoked_at: None,
        };
        assert_eq!(link.state(now), LinkState::Active);
        assert_eq!(link.state(now + Duration::hours(2)), LinkState::Expired);
        link.revoked_at = Some(now);
        assert_eq!(link.state(now), LinkState::Revoked);
    }
}
