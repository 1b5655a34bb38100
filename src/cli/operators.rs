//! `agoat operator create --email E`: a platform operator, who signs in to the console on
//! `AGOAT_PLATFORM_HOST`. The password is read as for users (`AGOAT_PASSWORD`, or standard input
//! when it is not a terminal; otherwise one is generated and printed once).

use clap::Subcommand;
use scoped_futures::ScopedFutureExt;

use crate::cli::Failure;
use crate::cli::users::password_input;
use crate::db::Database;
use crate::platform;
use crate::tenancy::users;

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create a platform operator; prints its id.
    Create {
        /// The operator's e-mail address (their sign-in name).
        #[arg(long)]
        email: String,
    },
}

pub async fn run(db: &Database, command: OperatorCommand) -> Result<(), Failure> {
    match command {
        OperatorCommand::Create { email } => {
            let email = platform::valid_email(&email)?;
            let (password, generated) = password_input()?;
            let hash = users::hash_password(&password)?;
            let operator = db
                .platform_tx(|conn| {
                    let (email, hash) = (&email, &hash);
                    async move { platform::create(conn, email, hash).await }.scope_boxed()
                })
                .await?;
            if generated {
                println!("password: {password}");
            }
            println!("{}", operator.id);
        }
    }
    Ok(())
}
