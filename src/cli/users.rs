//! `agoat user create`: admin users of a customer. The password comes from `AGOAT_PASSWORD`, or
//! standard input when it is not a terminal; otherwise one is generated and printed once.

use std::io::{IsTerminal, Read};

use clap::Subcommand;
use rand::Rng;
use rand::distr::Alphanumeric;
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::db::Database;
use crate::error::AppError;
use crate::tenancy::users::{self, Role};
use crate::tenancy::{CustomerId, Scope};

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
    }
    Ok(())
}

/// The password to set, and whether it was generated here.
fn password_input() -> Result<(String, bool), AppError> {
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
    let generated: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    Ok((generated, true))
}
