//! `agoat user create | reset-password | disable`: admin users of a customer. A password comes
//! from `AGOAT_PASSWORD`, or standard input when it is not a terminal; otherwise one is generated
//! and printed once. Resetting the password and disabling end every session of the user.

use std::io::{IsTerminal, Read};

use clap::Subcommand;
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::db::{Conn, Database};
use crate::error::AppError;
use crate::tenancy::users::{self, OwnerRule, Role};
use crate::tenancy::{CustomerId, Scope, UserId, customers};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an admin user; prints its id.
    Create {
        /// The customer the user belongs to.
        #[arg(long)]
        customer: CustomerId,
        /// The user's e-mail address (their sign-in name).
        #[arg(long)]
        email: String,
        /// owner, editor or pricing.
        #[arg(long)]
        role: String,
    },
    /// Set a new password for a user and end all their sessions.
    ResetPassword {
        /// The customer the user belongs to.
        #[arg(long)]
        customer: CustomerId,
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Disable a user: they cannot sign in, and all their sessions end.
    Disable {
        /// The customer the user belongs to.
        #[arg(long)]
        customer: CustomerId,
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
    },
}

pub async fn run(db: &Database, command: UserCommand) -> Result<(), Failure> {
    match command {
        UserCommand::Create {
            customer,
            email,
            role,
        } => {
            let role = Role::parse(&role)?;
            let (password, generated) = password_input()?;
            let hash = users::hash_password(&password)?;
            let scope = Scope::of(customer);
            let actor = Actor::cli("user create");
            let user = db
                .tenant_tx(scope, |conn| {
                    let (email, hash, actor) = (&email, &hash, &actor);
                    async move { users::create(conn, scope, email, role, hash, actor).await }
                        .scope_boxed()
                })
                .await?;
            if generated {
                println!("password: {password}");
            }
            println!("{}", user.id);
        }
        UserCommand::ResetPassword { customer, email } => {
            let scope = Scope::of(customer);
            find(db, scope, &email).await?;
            let (password, generated) = password_input()?;
            let hash = users::hash_password(&password)?;
            let actor = Actor::cli("user reset-password");
            let user = db
                .tenant_tx(scope, |conn| {
                    let (email, hash, actor) = (&email, &hash, &actor);
                    async move {
                        let user = existing(conn, scope, email).await?;
                        let id = UserId::from_uuid(user.id);
                        users::set_password(conn, scope, id, hash, None, "reset_password", actor)
                            .await
                    }
                    .scope_boxed()
                })
                .await?;
            if generated {
                println!("password: {password}");
            }
            println!(
                "the password of {} is reset; all their sessions have ended",
                user.email
            );
        }
        UserCommand::Disable { customer, email } => {
            let scope = Scope::of(customer);
            let actor = Actor::cli("user disable");
            let user = db
                .tenant_tx(scope, |conn| {
                    let (email, actor) = (&email, &actor);
                    async move {
                        let user = existing(conn, scope, email).await?;
                        let id = UserId::from_uuid(user.id);
                        users::set_active(conn, scope, id, false, None, OwnerRule::Operator, actor)
                            .await
                    }
                    .scope_boxed()
                })
                .await?;
            println!("{} is disabled; all their sessions have ended", user.email);
        }
    }
    Ok(())
}

/// Checks, before asking for a password, that the customer and the user exist.
async fn find(db: &Database, scope: Scope, email: &str) -> Result<(), AppError> {
    db.tenant_read(scope, |conn| {
        async move { existing(conn, scope, email).await.map(|_| ()) }.scope_boxed()
    })
    .await
}

/// The user with this e-mail; an unknown customer or user is a one-line error naming it.
async fn existing(conn: &mut Conn, scope: Scope, email: &str) -> Result<users::User, AppError> {
    if !customers::exists(conn, scope).await? {
        return Err(AppError::Invalid(format!(
            "customer {} does not exist",
            scope.customer_id()
        )));
    }
    users::by_email(conn, scope, email).await?.ok_or_else(|| {
        AppError::Invalid(format!(
            "customer {} has no user with the e-mail {}",
            scope.customer_id(),
            email.trim().to_lowercase()
        ))
    })
}

/// The password to set, and whether it was generated here.
pub(crate) fn password_input() -> Result<(String, bool), AppError> {
    if let Ok(password) = std::env::var("AGOAT_PASSWORD") {
        return Ok((password, false));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut text = String::new();
        stdin.lock().read_to_string(&mut text).map_err(|e| {
            AppError::Invalid(format!("cannot read the password from standard input: {e}"))
        })?;
        let password = text.trim_end_matches(['\r', '\n']).to_owned();
        if !password.is_empty() {
            return Ok((password, false));
        }
    }
    Ok((users::generate_password(), true))
}
