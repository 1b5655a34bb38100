//! `agoat import posts|products`: bulk imports, all or nothing.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use scoped_futures::ScopedFutureExt;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::cli::tenants::site_scope;
use crate::content::import as post_import;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::import::convert::Source;
use crate::import::{ImportError, run};
use crate::media::store::Store;
use crate::media::upload;
use crate::tenancy::{CustomerId, Scope, SiteId, customers};
use crate::thorne::csv_import;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import Markdown files with YAML front matter (title, slug, date, draft, description, tags)
    /// into a site. A future date schedules the post; an existing slug gets a new revision.
    /// Images shown from files beside the posts (`![x](images/a.jpg)`) are added to the media
    /// library and the posts point at them.
    Posts {
        /// The site to import into.
        #[arg(long)]
        site: SiteId,
        /// Markdown files, or folders searched for *.md and *.markdown.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import a WordPress site from its export (Tools → Export → All content, WXR 1.1 or 1.2):
    /// posts, pages, categories and tags, images and every old address, all or nothing.
    /// Importing the same export again updates what the first import made.
    Wordpress {
        /// The site to import into.
        #[arg(long)]
        site: SiteId,
        /// The export file.
        file: PathBuf,
        /// The site's `wp-content/uploads` folder, where the export's images are found.
        #[arg(long)]
        uploads: Option<PathBuf>,
        /// Only report what the import would do; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a Ghost site from its export (Settings → Labs → Export, Ghost 4 and 5): posts and
    /// pages, public tags, images and old addresses, all or nothing; members-only and paid posts
    /// come across as drafts. Importing the same export again updates what the first import made.
    Ghost {
        /// The site to import into.
        #[arg(long)]
        site: SiteId,
        /// The export file (JSON).
        file: PathBuf,
        /// The site's `content/images` folder, where the export's images are found.
        #[arg(long)]
        images: Option<PathBuf>,
        /// Only report what the import would do; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import products from CSV (sku,name,description,category,wholesale_price,retail_price,
    /// in_stock,images), matched by SKU; images: ids of the customer's media library separated by
    /// spaces, the main image first.
    Products {
        /// The customer whose catalog to import into.
        #[arg(long)]
        customer: CustomerId,
        /// The CSV file.
        file: PathBuf,
        /// Only report what the import would do: products to create, to update (with the columns
        /// that change) and unchanged, and every bad row; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(db: &Database, data_dir: &Path, command: ImportCommand) -> Result<(), Failure> {
    match command {
        ImportCommand::Posts { site, paths } => import_posts(db, data_dir, site, &paths).await?,
        ImportCommand::Wordpress {
            site,
            file,
            uploads,
            dry_run,
        } => {
            import_site(
                db,
                data_dir,
                Source::WordPress,
                site,
                &file,
                uploads,
                dry_run,
            )
            .await?
        }
        ImportCommand::Ghost {
            site,
            file,
            images,
            dry_run,
        } => import_site(db, data_dir, Source::Ghost, site, &file, images, dry_run).await?,
        ImportCommand::Products {
            customer,
            file,
            dry_run,
        } => {
            let data = std::fs::read(&file)
                .map_err(|e| AppError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let parsed = csv_import::parse_all(&data);
            let scope = Scope::of(customer);
            if dry_run {
                let plan = db
                    .tenant_read(scope, |conn| {
                        let parsed = &parsed;
                        async move {
                            ensure_customer(conn, scope, customer).await?;
                            csv_import::plan(conn, scope, parsed).await
                        }
                        .scope_boxed()
                    })
                    .await?;
                print_plan(&plan);
                if !plan.errors.is_empty() {
                    return Err(plan.error_lines().into());
                }
                let report = plan.report();
                println!(
                    "dry run: {} products to create, {} to update, {} unchanged; nothing was written",
                    report.created, report.updated, report.unchanged
                );
                return Ok(());
            }
            if !parsed.errors.is_empty() {
                return Err(parsed
                    .errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .into());
            }
            let actor = Actor::cli("import products");
            let note = csv_import::ImportNote {
                name: &format!("Import of {}", file_display_name(&file)),
                reason: "CSV import",
            };
            let report = db
                .tenant_tx(scope, |conn| {
                    let (parsed, actor) = (&parsed, &actor);
                    async move {
                        ensure_customer(conn, scope, customer).await?;
                        let plan = csv_import::plan(conn, scope, parsed).await?;
                        csv_import::write(conn, scope, &plan, note, actor).await
                    }
                    .scope_boxed()
                })
                .await?;
            if let Some(change_set) = report.change_set {
                println!("change set {change_set}");
            }
            println!(
                "{} products created, {} updated, {} unchanged",
                report.created, report.updated, report.unchanged
            );
        }
    }
    Ok(())
}

async fn ensure_customer(conn: &mut Conn, scope: Scope, customer: CustomerId) -> AppResult<()> {
    if customers::exists(conn, scope).await? {
        Ok(())
    } else {
        Err(AppError::Invalid(format!("customer {customer} not found")))
    }
}

fn file_display_name(file: &Path) -> String {
    file.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string())
}

/// Imports the posts of `paths` and the local images they show, in one transaction.
async fn import_posts(
    db: &Database,
    data_dir: &Path,
    site: SiteId,
    paths: &[PathBuf],
) -> Result<(), Failure> {
    let batch = post_import::read_batch(paths, crate::db::now())?;
    let scope = site_scope(db, site).await?;
    let images = post_import::local_images(&batch)?;
    let store = crate::cli::media_store(data_dir)?;
    let prepared = if images.is_empty() {
        None
    } else {
        Some(prepare_images(store.as_ref(), scope, &images).await?)
    };
    let actor = Actor::cli("import posts");
    let written = db
        .tenant_tx(scope, |conn| {
            let (batch, actor, prepared, images) = (&batch, &actor, &prepared, &images);
            async move {
                let mut batch = batch.clone();
                let mut added = 0;
                if let Some(prepared) = prepared {
                    let media = upload::record(conn, scope, prepared, actor).await?;
                    added = media.len();
                    let ids = images
                        .iter()
                        .cloned()
                        .zip(media.iter().map(|m| m.id))
                        .collect();
                    post_import::use_library_images(&mut batch, &ids);
                }
                let summary = post_import::apply(conn, scope, site, &batch, actor).await?;
                Ok((summary, added))
            }
            .scope_boxed()
        })
        .await;
    if let (Err(_), Some(prepared)) = (&written, &prepared) {
        upload::discard(db, store.as_ref(), scope, prepared).await;
    }
    let (summary, added) = written?;
    let images = match added {
        0 => String::new(),
        1 => ", 1 image added to the media library".to_owned(),
        n => format!(", {n} images added to the media library"),
    };
    println!(
        "{} posts created, {} updated{images}",
        summary.created, summary.updated
    );
    Ok(())
}

/// Reads, checks and stores the image files; a refused one is reported with its path.
pub(crate) async fn prepare_images(
    store: &dyn Store,
    scope: Scope,
    images: &[PathBuf],
) -> Result<upload::Prepared, Failure> {
    let files: Vec<_> = images
        .iter()
        .map(|path| (path.display().to_string(), path.clone()))
        .collect();
    upload::prepare_files(store, scope, &files)
        .await
        .map_err(|e| Failure::from(ImportError::from(e)))
}

/// `agoat import wordpress|ghost`: prints the report; a dry run that found problems fails with
/// them.
async fn import_site(
    db: &Database,
    data_dir: &Path,
    source: Source,
    site: SiteId,
    file: &Path,
    images: Option<PathBuf>,
    dry_run: bool,
) -> Result<(), Failure> {
    let scope = site_scope(db, site).await?;
    let store = crate::cli::media_store(data_dir)?;
    let actor = Actor::cli(match source {
        Source::WordPress => "import wordpress",
        Source::Ghost => "import ghost",
    });
    let file_name = file_display_name(file);
    let options = run::Options {
        source,
        site,
        file,
        file_name: &file_name,
        uploads: images.as_deref(),
        dry_run,
        upload: None,
    };
    let report = run::run(db, store.as_ref(), scope, options, &actor).await?;
    if !report.problems.is_empty() {
        return Err(report.problems.into());
    }
    for line in report.lines(dry_run) {
        println!("{line}");
    }
    Ok(())
}

/// One line per product the import creates or updates.
fn print_plan(plan: &csv_import::Plan) {
    for create in &plan.creates {
        println!(
            "line {}: create {} ({})",
            create.line, create.product.sku, create.product.name
        );
    }
    for update in &plan.updates {
        let columns: Vec<String> = update
            .columns
            .iter()
            .map(|c| match c.column {
                "wholesale_price" | "retail_price" | "in_stock" => {
                    format!("{} {} → {}", c.column, c.old, c.new)
                }
                other => other.to_owned(),
            })
            .collect();
        println!(
            "line {}: update {}: {}",
            update.line,
            update.current.sku,
            columns.join(", ")
        );
    }
}
