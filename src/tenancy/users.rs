//! Admin users: each belongs to exactly one customer and has one role. Passwords are stored as
//! argon2id PHC strings.

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{Conn, schema::tenancy::users};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, UserId};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What a user may do in the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including users and the audit log.
    Owner,
    /// Posts.
    Editor,
    /// Products and prices.
    Pricing,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Pricing => "pricing",
        }
    }

    /// Parses a stored or typed role name.
    pub fn parse(text: &str) -> AppResult<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "editor" => Ok(Role::Editor),
            "pricing" => Ok(Role::Pricing),
            other => Err(AppError::Invalid(format!(
                "unknown role {other:?}: use owner, editor or pricing"
            ))),
        }
    }
}

/// A user as stored, without the password hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub customer_id: Uuid,
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub is_active: bool,
    /// Bumped by every change (optimistic concurrency).
    pub version: i32,
    /// Invited by e-mail and no password chosen yet: cannot sign in until the invitation's link
    /// is followed.
    pub invitation_pending: bool,
}

impl User {
    /// The stored role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Editor)
    }

    /// The fields the audit log records (never the password hash).
    fn audited(&self) -> serde_json::Value {
        json!({
            "email": self.email,
            "role": self.role,
            "is_active": self.is_active,
            "version": self.version,
            "invitation_pending": self.invitation_pending,
        })
    }
}

/// Normalises and checks an e-mail address (lower-cased, one `@`, no spaces, ≤ 320 chars).
pub fn valid_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let shape_ok = email.len() <= 320
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if shape_ok {
        Ok(email)
    } else {
        Err(AppError::Invalid(format!(
            "{email:?} is not an e-mail address"
        )))
    }
}

/// Hashes a password with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane).
pub fn hash_password(password: &str) -> AppResult<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Invalid(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches a stored PHC hash. A stored value that is no hash (a user invited
/// who has not chosen a password yet) matches nothing, after as long a check as a real one.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => {
            if let Ok(decoy) = PasswordHash::new(decoy_hash()) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &decoy);
            }
            false
        }
    }
}

/// What the password hash of an invited user is until they choose a password: not a PHC string,
/// so no password matches it.
const NO_PASSWORD_YET: &str = "!invited";

/// Creates a user of the customer in scope.
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    role: Role,
    password_hash: &str,
    actor: &Actor,
) -> AppResult<User> {
    insert(conn, scope, email, role, password_hash, false, actor).await
}

/// Creates a user of the customer in scope who was invited by e-mail: no password matches theirs
/// until they choose one with the invitation's link ([`crate::tenancy::invitations`]).
pub async fn create_invited(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    role: Role,
    actor: &Actor,
) -> AppResult<User> {
    insert(conn, scope, email, role, NO_PASSWORD_YET, true, actor).await
}

async fn insert(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    role: Role,
    password_hash: &str,
    invitation_pending: bool,
    actor: &Actor,
) -> AppResult<User> {
    let email = valid_email(email)?;
    let now = crate::db::now();
    let user: User = diesel::insert_into(users::table)
        .values((
            users::customer_id.eq(scope.customer_uuid()),
            users::id.eq(UserId::new_random().as_uuid()),
            users::email.eq(&email),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
            users::invitation_pending.eq(invitation_pending),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match AppError::from(e) {
            error if error.unique_violation().is_some() => {
                AppError::Conflict(format!("a user with the e-mail {email} already exists"))
            }
            error if error.is_foreign_key_violation() => {
                AppError::Invalid(format!("customer {} does not exist", scope.customer_id()))
            }
            other => other,
        })?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "user",
            entity_id: user.id,
            action: "create",
            before: None,
            after: Some(user.audited()),
        },
    )
    .await?;
    Ok(user)
}

/// The user of the customer in scope with this e-mail, if any.
pub async fn by_email(conn: &mut Conn, scope: Scope, email: &str) -> AppResult<Option<User>> {
    users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// What signing in and checking a session need to know of a user.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub is_active: bool,
    pub session_generation: i32,
}

impl Account {
    /// The stored role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Editor)
    }
}

/// The account with this e-mail in the customer in scope.
pub async fn account_by_email(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
) -> AppResult<Option<Account>> {
    users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// The account with this id in the customer in scope.
pub async fn account(conn: &mut Conn, scope: Scope, id: UserId) -> AppResult<Option<Account>> {
    users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::id.eq(id.as_uuid()))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// Ends every session of a user (sign-out everywhere, password change, disabling).
pub async fn end_sessions(conn: &mut Conn, scope: Scope, id: UserId) -> AppResult<()> {
    diesel::update(users::table)
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::id.eq(id.as_uuid()))
        .set((
            users::session_generation.eq(users::session_generation + 1),
            users::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new hash of the same password (after the hashing parameters changed).
pub async fn store_rehash(conn: &mut Conn, scope: Scope, id: UserId, phc: &str) -> AppResult<()> {
    diesel::update(users::table)
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::id.eq(id.as_uuid()))
        .set(users::password_hash.eq(phc))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a stored hash uses other parameters than the current ones (and should be redone).
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return true;
    };
    let current = argon2::Params::default();
    let param = |name: &str| hash.params.get_decimal(name);
    hash.algorithm.as_str() != "argon2id"
        || param("m") != Some(current.m_cost())
        || param("t") != Some(current.t_cost())
        || param("p") != Some(current.p_cost())
}

/// A hash to verify against when the e-mail is unknown, so both cases take as long.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        hash_password("decoy password that never matches").unwrap_or_default()
    });
    &DECOY
}

/// Every user of the customer in scope, by e-mail.
pub async fn list(conn: &mut Conn, scope: Scope) -> AppResult<Vec<User>> {
    users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .order(users::email.asc())
        .select(User::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The user of the customer in scope with this id, if any.
pub async fn get(conn: &mut Conn, scope: Scope, id: UserId) -> AppResult<Option<User>> {
    users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::id.eq(id.as_uuid()))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// How many active owners the customer in scope has (an owner still invited does not count).
pub async fn active_owners(conn: &mut Conn, scope: Scope) -> AppResult<i64> {
    users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::role.eq(Role::Owner.as_str()))
        .filter(users::is_active.eq(true))
        .filter(users::invitation_pending.eq(false))
        .count()
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// Whether a change may leave the customer without an active owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerRule {
    /// Refuse a change that leaves no active owner (the admin).
    KeepOne,
    /// An operator on the command line may (to lock out a compromised account).
    Operator,
}

/// The version a change was based on: `Some` refuses the change with a conflict when the row has
/// changed since (a form), `None` applies it to the current row (the command line).
pub type Expected = Option<i32>;

/// Loads the user to change, checking the expected version.
async fn for_change(
    conn: &mut Conn,
    scope: Scope,
    id: UserId,
    expected: Expected,
) -> AppResult<User> {
    let user = get(conn, scope, id).await?.ok_or(AppError::NotFound)?;
    if expected.is_some_and(|v| v != user.version) {
        return Err(AppError::Conflict(format!(
            "{} was changed by someone else in the meantime; reload the page and try again",
            user.email
        )));
    }
    Ok(user)
}

/// Refuses to take away the last active owner.
async fn keep_an_owner(
    conn: &mut Conn,
    scope: Scope,
    user: &User,
    rule: OwnerRule,
) -> AppResult<()> {
    if rule == OwnerRule::KeepOne
        && user.is_active
        && !user.invitation_pending
        && user.role() == Role::Owner
        && active_owners(conn, scope).await? <= 1
    {
        return Err(AppError::Invalid(format!(
            "{} is the last active owner; make another user an owner first",
            user.email
        )));
    }
    Ok(())
}

/// Writes a change of a user (version bumped, sessions ended when asked) and audits it.
#[allow(clippy::too_many_arguments)]
async fn apply(
    conn: &mut Conn,
    scope: Scope,
    before: &User,
    role: Role,
    is_active: bool,
    password_hash: Option<&str>,
    end_sessions: bool,
    action: &str,
    actor: &Actor,
) -> AppResult<User> {
    let now = crate::db::now();
    let target = users::table
        .filter(users::customer_id.eq(scope.customer_uuid()))
        .filter(users::id.eq(before.id))
        .filter(users::version.eq(before.version));
    let generation_step = i32::from(end_sessions);
    let after: Option<User> = match password_hash {
        Some(hash) => diesel::update(target)
            .set((
                users::role.eq(role.as_str()),
                users::is_active.eq(is_active),
                users::password_hash.eq(hash),
                users::invitation_pending.eq(false),
                users::session_generation.eq(users::session_generation + generation_step),
                users::version.eq(users::version + 1),
                users::updated_at.eq(now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
            .await
            .optional()?,
        None => diesel::update(target)
            .set((
                users::role.eq(role.as_str()),
                users::is_active.eq(is_active),
                users::session_generation.eq(users::session_generation + generation_step),
                users::version.eq(users::version + 1),
                users::updated_at.eq(now),
            ))
            .returning(User::as_returning())
            .get_result(conn)
            .await
            .optional()?,
    };
    let after = after.ok_or_else(|| {
        AppError::Conflict(format!(
            "{} was changed by someone else in the meantime; reload the page and try again",
            before.email
        ))
    })?;
    let mut old = before.audited();
    let mut new = after.audited();
    if password_hash.is_some() {
        old["password"] = json!("(previous)");
        new["password"] = json!("(new)");
    }
    if end_sessions {
        old["sessions"] = json!("open");
        new["sessions"] = json!("ended");
    }
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "user",
            entity_id: after.id,
            action,
            before: Some(old),
            after: Some(new),
        },
    )
    .await?;
    Ok(after)
}

/// Gives a user another role.
pub async fn set_role(
    conn: &mut Conn,
    scope: Scope,
    id: UserId,
    role: Role,
    expected: Expected,
    actor: &Actor,
) -> AppResult<User> {
    let user = for_change(conn, scope, id, expected).await?;
    if user.role() == role {
        return Ok(user);
    }
    keep_an_owner(conn, scope, &user, OwnerRule::KeepOne).await?;
    apply(
        conn,
        scope,
        &user,
        role,
        user.is_active,
        None,
        false,
        "change_role",
        actor,
    )
    .await
}

/// Disables (ending every session of the user) or enables a user.
pub async fn set_active(
    conn: &mut Conn,
    scope: Scope,
    id: UserId,
    active: bool,
    expected: Expected,
    rule: OwnerRule,
    actor: &Actor,
) -> AppResult<User> {
    let user = for_change(conn, scope, id, expected).await?;
    if active {
        if user.is_active {
            return Ok(user);
        }
        return apply(
            conn,
            scope,
            &user,
            user.role(),
            true,
            None,
            false,
            "enable",
            actor,
        )
        .await;
    }
    if user.is_active {
        keep_an_owner(conn, scope, &user, rule).await?;
    }
    apply(
        conn,
        scope,
        &user,
        user.role(),
        false,
        None,
        true,
        "disable",
        actor,
    )
    .await
}

/// Sets a new password hash and ends every session of the user (an invitation still pending is
/// then accepted). `action` names it in the audit log (`reset_password` by someone else,
/// `change_password` by the user, `accept_invitation` and `reset_password_by_link` through a
/// mailed link).
pub async fn set_password(
    conn: &mut Conn,
    scope: Scope,
    id: UserId,
    password_hash: &str,
    expected: Expected,
    action: &str,
    actor: &Actor,
) -> AppResult<User> {
    let user = for_change(conn, scope, id, expected).await?;
    apply(
        conn,
        scope,
        &user,
        user.role(),
        user.is_active,
        Some(password_hash),
        true,
        action,
        actor,
    )
    .await
}

/// A random password of 20 letters and digits, for when none was given.
pub fn generate_password() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}
