//! `agoat media add --customer ID FILE…`: adds images to a customer's media library as the admin's
//! upload does (checked and processed first, all or nothing) and prints the new ids, one a line,
//! in the order of the files.

use std::path::PathBuf;

use bytes::Bytes;
use clap::Subcommand;
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::db::Database;
use crate::error::AppError;
use crate::media::image::Limits;
use crate::media::store::Store;
use crate::media::upload::{self, AddError, Incoming};
use crate::tenancy::{CustomerId, Scope, customers};

#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Add image files (JPEG, PNG, WebP, GIF); prints the new ids, one a line.
    Add {
        /// The customer whose library gets the images.
        #[arg(long)]
        customer: CustomerId,
        /// The image files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub async fn run(db: &Database, store: &dyn Store, command: MediaCommand) -> Result<(), Failure> {
    match command {
        MediaCommand::Add { customer, files } => add(db, store, customer, &files).await,
    }
}

async fn add(
    db: &Database,
    store: &dyn Store,
    customer: CustomerId,
    paths: &[PathBuf],
) -> Result<(), Failure> {
    let scope = Scope::of(customer);
    let exists = db
        .tenant_read(scope, |conn| {
            async move { customers::exists(conn, scope).await }.scope_boxed()
        })
        .await?;
    if !exists {
        return Err(AppError::Invalid(format!("no customer {customer}")).into());
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| {
            Failure::from(AppError::Invalid(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        })?;
        files.push(Incoming {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: Bytes::from(bytes),
        });
    }
    let actor = Actor::cli("media add");
    match upload::add(db, store, scope, &actor, files, &Limits::from_env()).await {
        Ok(added) => {
            for media in added {
                println!("{}", media.id);
            }
            Ok(())
        }
        Err(AddError::Refused(refused)) => Err(Failure::from(
            refused.iter().map(|r| r.message()).collect::<Vec<_>>(),
        )),
        Err(AddError::App(error)) => Err(error.into()),
    }
}
