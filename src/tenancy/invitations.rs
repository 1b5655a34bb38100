//! Invitations: an owner invites an e-mail address with a role; the invitee gets a mail with a
//! single-use link (valid 48 hours, [`account_tokens`]) to `/admin/invitation/{token}` on the
//! site's primary domain, where they choose their password.
//!
//! The user exists from the invitation on, with no password that matches
//! ([`users::create_invited`]), so the role and the address are reserved and the users list shows
//! them as invited. Inviting a
//! still-invited address again sends a new link (the old one stops working) with the role given.
//! The user row, the token, the mail and the audit event are written in one transaction.

use serde_json::json;

use crate::audit::{self, Actor, Change};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::mail::{outbox, templates};
use crate::tenancy::account_tokens::{self, Purpose};
use crate::tenancy::users::{self, Role, User};
use crate::tenancy::{Scope, UserId};

/// The site a link is for: its name (the mail's sender name) and the base address of its primary
/// domain (`scheme://host[:port]`).
#[derive(Debug, Clone, Copy)]
pub struct LinkSite<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
}

/// Invites `email` with `role`: creates the user (or renews the invitation of a user still
/// invited), issues the link and queues its mail, audited. An address that already belongs to a
/// user who accepted is a conflict.
pub async fn invite(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    role: Role,
    site: LinkSite<'_>,
    actor: &Actor,
) -> AppResult<User> {
    let email = users::valid_email(email)?;
    let user = match users::by_email(conn, scope, &email).await? {
        Some(existing) if existing.invitation_pending && existing.is_active => {
            let id = UserId::from_uuid(existing.id);
            users::set_role(conn, scope, id, role, None, actor).await?
        }
        Some(_) => {
            return Err(AppError::Conflict(format!(
                "a user with the e-mail {email} already exists"
            )));
        }
        None => users::create_invited(conn, scope, &email, role, actor).await?,
    };
    let id = UserId::from_uuid(user.id);
    let secret = account_tokens::issue(conn, scope, id, Purpose::Invitation, actor.user_id).await?;
    let link = format!("{}/admin/invitation/{secret}", site.base_url);
    let mail = templates::Invitation {
        site_name: site.name,
        inviter: &actor.label,
        role: role.as_str(),
        link: &link,
        valid_hours: Purpose::Invitation.lifetime_hours(),
    }
    .mail(&email)?;
    outbox::queue(conn, scope, &mail).await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "invitation",
            entity_id: user.id,
            action: "send",
            before: None,
            after: Some(json!({
                "email": email,
                "role": role.as_str(),
                "valid_hours": Purpose::Invitation.lifetime_hours(),
            })),
        },
    )
    .await?;
    Ok(user)
}

/// Accepts the invitation `secret`: sets the user's password (the invitation is no longer
/// pending), retires the link, audited as the invitee. A link that does not open its page is
/// `NotFound`, and nothing changes.
pub async fn accept(
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
        Purpose::Invitation,
        password_hash,
        "accept_invitation",
        request,
    )
    .await
}
