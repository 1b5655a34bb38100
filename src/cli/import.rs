//! `agoat import posts|products`: bulk imports, all or nothing.

use std::path::PathBuf;

use clap::Subcommand;
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::cli::tenants::site_scope;
use crate::content::import as post_import;
use crate::db::Database;
use crate::error::AppError;
use crate::tenancy::{CustomerId, Scope, SiteId, customers};
use crate::thorne::csv_import;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import Markdown files with YAML front matter (title, slug, date, draft, description, tags)
    /// into a site. A future date schedules the post; an existing slug gets a new revision.
    Posts {
        /// The site to import into.
        #[arg(long)]
        site: SiteId,
        /// Markdown files, or folders searched for *.md and *.markdown.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import products from CSV (sku,name,description,category,wholesale_price,retail_price,
    /// in_stock), matched by SKU.
    Products {
        /// The customer whose catalog to import into.
        #[arg(long)]
        customer: CustomerId,
        /// The CSV file.
        file: PathBuf,
    },
}

pub async fn run(db: &Database, command: ImportCommand) -> Result<(), Failure> {
    match command {
        ImportCommand::Posts { site, paths } => {
            let batch = post_import::read_batch(&paths, crate::db::now())?;
            let scope = site_scope(db, site).await?;
            let actor = Actor::cli("import posts");
            let summary = db
                .tenant_tx(scope, |conn| {
                    let (batch, actor) = (&batch, &actor);
                    async move { post_import::apply(conn, scope, site, batch, actor).await }
                        .scope_boxed()
                })
                .await?;
            println!(
                "{} posts created, {} updated",
                summary.created, summary.updated
            );
        }
        ImportCommand::Products { customer, file } => {
            let data = std::fs::read(&file)
                .map_err(|e| AppError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let rows = csv_import::parse(&data)?;
            let scope = Scope::of(customer);
            let actor = Actor::cli("import products");
            let report = db
                .tenant_tx(scope, |conn| {
                    let (rows, actor) = (&rows, &actor);
                    async move {
                        if !customers::exists(conn, scope).await? {
                            return Err(AppError::Invalid(format!(
                                "customer {customer} not found"
                            )));
                        }
                        csv_import::apply(conn, scope, rows, actor).await
                    }
                    .scope_boxed()
                })
                .await?;
            println!(
                "{} products created, {} updated, {} unchanged",
                report.created, report.updated, report.unchanged
            );
        }
    }
    Ok(())
}
