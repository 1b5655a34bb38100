//! The command line: parsing (clap), opening the database, running a command, and reporting
//! errors as one clear line on stderr with a non-zero exit.

mod bench;
mod demo;
mod import;
mod media;
mod moving;
mod operators;
mod serve;
mod tenants;
mod users;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::config::TrustedProxies;
use crate::db::target::DatabaseTarget;
use crate::db::{Database, PoolSettings};
use crate::error::{AppError, AppResult};
use crate::media::store::Store;

/// AGoat Publisher: a server-rendered, multi-tenant web CMS.
#[derive(Debug, Parser)]
#[command(name = "agoat", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL; without it the embedded default runs its own PostgreSQL.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL connection URL of the login serving connections use (agoat_app, or a login that
    /// is a member of it and of nothing that could become the owner); without it, the database
    /// URL with the login agoat_app.
    #[arg(
        long,
        global = true,
        env = "AGOAT_APP_DATABASE_URL",
        hide_env_values = true
    )]
    pub app_database_url: Option<String>,
    /// Folder of the embedded PostgreSQL (used when no database URL is given).
    #[arg(long, global = true, env = "AGOAT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed a demo world once (two customers, three sites on *.localhost), print its URLs
    /// and sign-ins, and serve it.
    Demo(ServeArgs),
    /// Serve the sites (applies pending migrations first unless --no-migrate).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage customers (tenants).
    #[command(subcommand)]
    Customer(tenants::CustomerCommand),
    /// Manage sites of a customer.
    #[command(subcommand)]
    Site(tenants::SiteCommand),
    /// Manage the domains a site answers on.
    #[command(subcommand)]
    Domain(tenants::DomainCommand),
    /// Import posts (Markdown with front matter) or products (CSV).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Add images to a customer's media library.
    #[command(subcommand)]
    Media(media::MediaCommand),
    /// Manage admin users of a customer.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage the platform's operators (the console on AGOAT_PLATFORM_HOST).
    #[command(subcommand)]
    Operator(operators::OperatorCommand),
    /// Benchmark support: seed the benchmark data set, write a photo for the media benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Options of the server.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AGOAT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Do not apply pending migrations before serving.
    #[arg(long)]
    pub no_migrate: bool,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // --help and --version
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            let text = error.to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            eprintln!("{}", first.trim());
            return ExitCode::from(2);
        }
    };
    let serving = matches!(cli.command, Command::Demo(_) | Command::Serve(_));
    // Commands other than the server report failures themselves, in one line.
    let _log_writer = crate::config::init_logging(if serving { "info" } else { "error" }, serving);
    let outcome = actix_web::rt::System::new().block_on(run(cli));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            for line in failure.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

/// What a failed command reports: one line, or one per bad input (import).
pub struct Failure(Vec<String>);

impl Failure {
    fn lines(&self) -> &[String] {
        &self.0
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        let line = match error {
            AppError::NotFound => "not found".to_owned(),
            AppError::Database(e) => format!("database error: {}", one_line(&e.to_string())),
            other => one_line(&other.to_string()),
        };
        Failure(line.lines().map(str::to_owned).collect())
    }
}

impl From<crate::import::ImportError> for Failure {
    fn from(error: crate::import::ImportError) -> Self {
        match error {
            crate::import::ImportError::Refused(lines) => Failure(lines),
            crate::import::ImportError::App(error) => error.into(),
        }
    }
}

impl From<Vec<String>> for Failure {
    fn from(lines: Vec<String>) -> Self {
        Failure(lines)
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn run(cli: Cli) -> Result<(), Failure> {
    // The benchmark photo needs no database.
    if let Command::Bench(bench::BenchCommand::Photo(args)) = &cli.command {
        return bench::write_photo(args);
    }
    let migrate = !matches!(&cli.command, Command::Serve(args) if args.no_migrate);
    // Checked before any database work, so a bad value stops the server at once.
    let trusted = match &cli.command {
        Command::Serve(_) | Command::Demo(_) => serve::trusted_proxies()?,
        _ => TrustedProxies::default(),
    };
    let target = DatabaseTarget::open(
        cli.database.database_url.as_deref(),
        cli.database.app_database_url.as_deref(),
        &cli.database.data_dir,
    )
    .await?;
    let result = run_on(
        &target,
        &cli.database.data_dir,
        migrate,
        trusted,
        cli.command,
    )
    .await;
    target.close().await;
    result
}

async fn run_on(
    target: &DatabaseTarget,
    data_dir: &Path,
    migrate: bool,
    trusted: TrustedProxies,
    command: Command,
) -> Result<(), Failure> {
    if migrate {
        let applied = crate::db::migrate(target.url()).await?;
        if applied > 0 {
            tracing::info!(applied, "migrations applied");
        }
    }
    if let Command::Migrate = command {
        return Ok(());
    }
    let serving_url = target.serving_url().await?;
    let db = open_pool(&serving_url)?;
    match command {
        Command::Migrate => Ok(()),
        Command::Serve(args) => {
            let db = serve::with_replicas(db, &serving_url)?;
            let store = media_store(data_dir)?;
            serve::serve(
                db,
                args.bind,
                serve::public_origin()?,
                trusted,
                store,
                data_dir,
            )
            .await
        }
        Command::Demo(args) => {
            let store = media_store(data_dir)?;
            demo::run(db, args.bind, target.data_dir(), trusted, store, data_dir).await
        }
        Command::Media(command) => media::run(&db, media_store(data_dir)?.as_ref(), command).await,
        Command::Customer(command) => tenants::customer(&db, data_dir, command).await,
        Command::Site(command) => tenants::site(&db, command).await,
        Command::Domain(command) => tenants::domain(&db, command).await,
        Command::Import(command) => import::run(&db, data_dir, command).await,
        Command::User(command) => users::run(&db, command).await,
        Command::Operator(command) => operators::run(&db, command).await,
        Command::Bench(command) => bench::run(&db, command).await,
    }
}

/// The media store the configuration names (`AGOAT_MEDIA_URL`), else files under
/// `<data dir>/media`.
pub(crate) fn media_store(data_dir: &Path) -> Result<Arc<dyn Store>, Failure> {
    crate::media::store::from_env(data_dir)
        .map_err(|e| Failure::from(AppError::Invalid(e.to_string())))
}

fn open_pool(url: &str) -> AppResult<Database> {
    let settings = PoolSettings::from_env().map_err(AppError::Invalid)?;
    Database::connect(url, &settings)
}
