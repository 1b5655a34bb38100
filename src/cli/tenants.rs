//! `agoat customer|site|domain …`: operator commands for tenants, sites and their domains. Each
//! create prints the new id alone as the last line.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::tenancy::{CustomerId, Scope, SiteId, customers, domains, host, sites};

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Create a customer; prints its id.
    Create {
        /// The customer's name.
        #[arg(long)]
        name: String,
    },
    /// Deactivate a customer: all its sites stop answering.
    Deactivate {
        /// The customer's id.
        id: CustomerId,
    },
    /// Write every row and media file of a customer into one archive (a zip with a manifest and
    /// checksums), to recreate it elsewhere with `customer import`.
    Export {
        /// The customer's id.
        id: CustomerId,
        /// The archive file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Recreate a customer from its archive, with the same ids: refused when any of them exists
    /// here; all or nothing. Prints the customer's id.
    Import {
        /// The archive `customer export` wrote.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Create a site with its primary domain; prints its id.
    Create {
        /// The customer the site belongs to.
        #[arg(long)]
        customer: CustomerId,
        /// The site's name.
        #[arg(long)]
        name: String,
        /// The site's primary domain.
        #[arg(long)]
        domain: String,
    },
    /// Deactivate a site: its domains answer 404.
    Deactivate {
        /// The site's id.
        id: SiteId,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a domain to a site (an alias that redirects to the primary, unless --primary).
    Add {
        /// The site.
        #[arg(long)]
        site: SiteId,
        /// The domain, e.g. www.example.com.
        #[arg(long)]
        domain: String,
        /// Make this the site's primary domain.
        #[arg(long)]
        primary: bool,
    },
    /// Remove an alias domain.
    Remove {
        /// The domain to remove.
        domain: String,
    },
}

pub async fn customer(
    db: &Database,
    data_dir: &Path,
    command: CustomerCommand,
) -> Result<(), Failure> {
    match command {
        CustomerCommand::Export { id, out } => {
            let store = crate::cli::media_store(data_dir)?;
            return crate::cli::moving::export(db, store.as_ref(), id, &out).await;
        }
        CustomerCommand::Import { file } => {
            let store = crate::cli::media_store(data_dir)?;
            return crate::cli::moving::import(db, store.as_ref(), &file).await;
        }
        CustomerCommand::Create { name } => {
            let id = CustomerId::new_random();
            let scope = Scope::of(id);
            let actor = Actor::cli("customer create");
            db.tenant_tx(scope, |conn| {
                let (name, actor) = (&name, &actor);
                async move { customers::create(conn, scope, name, actor).await }.scope_boxed()
            })
            .await?;
            println!("{id}");
        }
        CustomerCommand::Deactivate { id } => {
            let scope = Scope::of(id);
            let actor = Actor::cli("customer deactivate");
            db.tenant_tx(scope, |conn| {
                let actor = &actor;
                async move { customers::deactivate(conn, scope, actor).await }.scope_boxed()
            })
            .await
            .map_err(|e| not_found_as(e, format!("customer {id} not found")))?;
            println!("customer {id} deactivated");
        }
    }
    Ok(())
}

pub async fn site(db: &Database, command: SiteCommand) -> Result<(), Failure> {
    match command {
        SiteCommand::Create {
            customer,
            name,
            domain,
        } => {
            let host = domain_arg(&domain)?;
            let id = SiteId::new_random();
            let scope = Scope::of(customer);
            let actor = Actor::cli("site create");
            db.tenant_tx(scope, |conn| {
                let (name, host, actor) = (&name, &host, &actor);
                async move {
                    if !customers::exists(conn, scope).await? {
                        return Err(AppError::Invalid(format!("customer {customer} not found")));
                    }
                    sites::create(conn, scope, id, name, host, actor).await
                }
                .scope_boxed()
            })
            .await?;
            println!("{id}");
        }
        SiteCommand::Deactivate { id } => {
            let scope = site_scope(db, id).await?;
            let actor = Actor::cli("site deactivate");
            db.tenant_tx(scope, |conn| {
                let actor = &actor;
                async move { sites::deactivate(conn, scope, id, actor).await }.scope_boxed()
            })
            .await?;
            println!("site {id} deactivated");
        }
    }
    Ok(())
}

pub async fn domain(db: &Database, command: DomainCommand) -> Result<(), Failure> {
    match command {
        DomainCommand::Add {
            site,
            domain,
            primary,
        } => {
            let host = domain_arg(&domain)?;
            let scope = site_scope(db, site).await?;
            let actor = Actor::cli("domain add");
            let added = db
                .tenant_tx(scope, |conn| {
                    let (host, actor) = (&host, &actor);
                    async move { domains::add(conn, scope, site, host, primary, actor).await }
                        .scope_boxed()
                })
                .await?;
            let kind = if added.is_primary {
                "primary domain"
            } else {
                "alias"
            };
            println!("{} added to site {site} as its {kind}", added.host);
        }
        DomainCommand::Remove { domain } => {
            let host = domain_arg(&domain)?;
            let entry = db
                .directory_read(|conn| {
                    let host = &host;
                    async move { domains::lookup(conn, host).await }.scope_boxed()
                })
                .await?
                .ok_or_else(|| AppError::Invalid(format!("the domain {host} is not in use")))?;
            let scope = Scope::of(CustomerId::from_uuid(entry.customer_id));
            let actor = Actor::cli("domain remove");
            db.tenant_tx(scope, |conn| {
                let (host, actor) = (&host, &actor);
                async move { domains::remove(conn, scope, host, actor).await }.scope_boxed()
            })
            .await?;
            println!("{host} removed");
        }
    }
    Ok(())
}

/// The scope of the customer that owns `site`.
pub async fn site_scope(db: &Database, site: SiteId) -> AppResult<Scope> {
    db.directory_read(|conn| async move { domains::owner_of_site(conn, site).await }.scope_boxed())
        .await?
        .map(Scope::of)
        .ok_or_else(|| AppError::Invalid(format!("site {site} not found")))
}

fn domain_arg(raw: &str) -> AppResult<String> {
    host::normalize_domain(raw)
        .map_err(|_| AppError::Invalid(format!("{raw:?} is not a valid domain name")))
}

fn not_found_as(error: AppError, message: String) -> AppError {
    match error {
        AppError::NotFound => AppError::Invalid(message),
        other => other,
    }
}
