//! `agoat demo`: migrates, seeds a demo world once (two customers, three sites on `*.localhost`
//! domains a browser opens directly, posts including a draft and a scheduled one, Thorne products,
//! one admin sign-in per role, an operator of the console on `platform.localhost`), prints its
//! URLs and sign-ins, and serves it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use scoped_futures::ScopedFutureExt;
use uuid::{Uuid, uuid};

use crate::audit::Actor;
use crate::cli::Failure;
use crate::config::{PublicOrigin, TrustedProxies};
use crate::content::import as post_import;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::media::store::Store;
use crate::tenancy::users::{self, Role};
use crate::tenancy::{CustomerId, Scope, SiteId, customers, domains, sites};
use crate::thorne::csv_import;

macro_rules! demo_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../../demo/posts/", $path)))
    };
}

const VITALITY_POSTS: &[(&str, &str)] = &[
    demo_file!("vitality/building-a-balanced-plate.md"),
    demo_file!("vitality/gut-health-fiber-and-fermented-foods.md"),
    demo_file!("vitality/magnesium-and-sleep.md"),
    demo_file!("vitality/omega-3-what-we-know.md"),
    demo_file!("vitality/protein-for-recovery-after-40.md"),
    demo_file!("vitality/sleep-hygiene-checklist.md"),
    demo_file!("vitality/vitamin-d-basics-for-autumn.md"),
];
const VITALITY_SHOP_POSTS: &[(&str, &str)] = &[
    demo_file!("vitality-shop/how-to-read-a-supplement-label.md"),
    demo_file!("vitality-shop/storing-supplements-properly.md"),
    demo_file!("vitality-shop/tracking-your-supplement-routine.md"),
    demo_file!("vitality-shop/what-third-party-testing-means.md"),
];
const PEAK_POSTS: &[(&str, &str)] = &[
    demo_file!("peak/creatine-myths-and-facts.md"),
    demo_file!("peak/electrolytes-for-hot-weather-training.md"),
    demo_file!("peak/fueling-your-first-marathon.md"),
    demo_file!("peak/protein-timing-for-athletes.md"),
    demo_file!("peak/spring-training-block-nutrition.md"),
];

/// A demo site: name, primary domain, aliases, posts.
struct DemoSite {
    id: Uuid,
    name: &'static str,
    primary: &'static str,
    aliases: &'static [&'static str],
    posts: &'static [(&'static str, &'static str)],
}

/// A demo customer with its sites, catalog and sign-ins.
struct DemoCustomer {
    id: Uuid,
    name: &'static str,
    sites: &'static [DemoSite],
    products_csv: &'static str,
    /// (e-mail, role, password)
    users: &'static [(&'static str, Role, &'static str)],
}

const DEMO: &[DemoCustomer] = &[
    DemoCustomer {
        id: uuid!("6f1d0a57-0000-4000-8000-000000000001"),
        name: "Vitality Health Co.",
        sites: &[
            DemoSite {
                id: uuid!("6f1d0a57-0000-4000-8000-000000000011"),
                name: "Vitality",
                primary: "vitality.localhost",
                aliases: &["www.vitality.localhost"],
                posts: VITALITY_POSTS,
            },
            DemoSite {
                id: uuid!("6f1d0a57-0000-4000-8000-000000000012"),
                name: "Vitality Shop Journal",
                primary: "shop.vitality.localhost",
                aliases: &[],
                posts: VITALITY_SHOP_POSTS,
            },
        ],
        products_csv: include_str!("../../demo/products/vitality.csv"),
        users: &[
            (
                "owner@vitality.localhost",
                Role::Owner,
                "vitality-owner-demo",
            ),
            (
                "editor@vitality.localhost",
                Role::Editor,
                "vitality-editor-demo",
            ),
            (
                "pricing@vitality.localhost",
                Role::Pricing,
                "vitality-pricing-demo",
            ),
        ],
    },
    DemoCustomer {
        id: uuid!("6f1d0a57-0000-4000-8000-000000000002"),
        name: "Peak Performance Labs",
        sites: &[DemoSite {
            id: uuid!("6f1d0a57-0000-4000-8000-000000000021"),
            name: "Peak Performance",
            primary: "peak.localhost",
            aliases: &["www.peak.localhost"],
            posts: PEAK_POSTS,
        }],
        products_csv: include_str!("../../demo/products/peak.csv"),
        users: &[
            ("owner@peak.localhost", Role::Owner, "peak-owner-demo-1"),
            ("editor@peak.localhost", Role::Editor, "peak-editor-demo-1"),
            (
                "pricing@peak.localhost",
                Role::Pricing,
                "peak-pricing-demo-1",
            ),
        ],
    },
];

/// Seeds once and serves on `bind`; the sites' absolute addresses are on the port it listens on
/// unless `AGOAT_PUBLIC_PORT` says otherwise.
pub async fn run(
    db: Database,
    bind: SocketAddr,
    data_dir: Option<&Path>,
    trusted: TrustedProxies,
    media_store: Arc<dyn Store>,
    files_dir: &Path,
) -> Result<(), Failure> {
    let origin = crate::config::public_origin(Some(bind.port()))
        .map_err(|e| Failure::from(AppError::Invalid(e)))?;
    seed(&db).await?;
    let platform_host =
        crate::config::platform_host().unwrap_or_else(|| DEMO_PLATFORM_HOST.to_owned());
    let welcome = Welcome {
        origin: &origin,
        data_dir,
        platform_host: &platform_host,
        mail: crate::mail::transport::Transport::from_env(files_dir)
            .map(|transport| transport.describe())
            .unwrap_or_else(|problem| problem),
    };
    welcome.print();
    let platform_host = Some(platform_host);
    crate::cli::serve::serve_with(
        db,
        bind,
        origin,
        trusted,
        media_store,
        platform_host,
        files_dir,
    )
    .await
}

/// The operator console's host in the demo (unless `AGOAT_PLATFORM_HOST` names another).
const DEMO_PLATFORM_HOST: &str = "platform.localhost";
/// The demo's operator and their password.
const DEMO_OPERATOR: (&str, &str) = ("operator@platform.localhost", "platform-operator-demo-1");

/// Seeds every demo customer that does not exist yet (each in one transaction), and the demo's
/// operator.
pub async fn seed(db: &Database) -> AppResult<()> {
    let (email, password) = DEMO_OPERATOR;
    let hash = users::hash_password(password)?;
    db.platform_tx(|conn| {
        let hash = &hash;
        async move {
            if crate::platform::by_email(conn, email).await?.is_none() {
                crate::platform::create(conn, email, hash).await?;
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await?;
    for customer in DEMO {
        let scope = Scope::of(CustomerId::from_uuid(customer.id));
        db.tenant_tx(scope, |conn| {
            async move { seed_customer(conn, scope, customer).await }.scope_boxed()
        })
        .await?;
    }
    Ok(())
}

async fn seed_customer(conn: &mut Conn, scope: Scope, customer: &DemoCustomer) -> AppResult<()> {
    if customers::exists(conn, scope).await? {
        return Ok(());
    }
    let actor = Actor::cli("demo");
    customers::create(conn, scope, customer.name, &actor).await?;
    for site in customer.sites {
        let site_id = SiteId::from_uuid(site.id);
        sites::create(conn, scope, site_id, site.name, site.primary, &actor).await?;
        for alias in site.aliases {
            domains::add(conn, scope, site_id, alias, false, &actor).await?;
        }
        let sources = site
            .posts
            .iter()
            .map(|(name, text)| (PathBuf::from(*name), (*text).to_owned()))
            .collect();
        let batch = post_import::check_sources(sources, crate::db::now())
            .map_err(|errors| AppError::Internal(format!("demo posts: {}", errors.join("; "))))?;
        post_import::apply(conn, scope, site_id, &batch, &actor).await?;
    }
    let rows = csv_import::parse(customer.products_csv.as_bytes())
        .map_err(|errors| AppError::Internal(format!("demo products: {}", errors.join("; "))))?;
    csv_import::apply(conn, scope, &rows, &actor).await?;
    for (email, role, password) in customer.users {
        let hash = users::hash_password(password)?;
        users::create(conn, scope, email, *role, &hash, &actor).await?;
    }
    Ok(())
}

/// What the demo's welcome names.
struct Welcome<'a> {
    origin: &'a PublicOrigin,
    data_dir: Option<&'a Path>,
    platform_host: &'a str,
    /// Where mail goes: the outbox folder, or the SMTP server.
    mail: String,
}

impl Welcome<'_> {
    fn print(&self) {
        print_welcome(self.origin, self.data_dir, self.platform_host);
        println!("Mail (invitations, password resets): {}", self.mail);
        println!("Press Ctrl-C to stop.");
    }
}

fn print_welcome(origin: &PublicOrigin, data_dir: Option<&Path>, platform_host: &str) {
    println!("AGoat Publisher demo is running. Open:");
    println!();
    println!(
        "  The operator console       {}/",
        origin.base_url(platform_host)
    );
    let (email, password) = DEMO_OPERATOR;
    println!("    operator sign-in: {email} / {password}");
    for customer in DEMO {
        println!();
        println!("  {}", customer.name);
        for site in customer.sites {
            println!("    {:<24} {}/", site.name, origin.base_url(site.primary));
            for alias in site.aliases {
                println!(
                    "    {:<24} {}/ (redirects to the primary)",
                    "",
                    origin.base_url(alias)
                );
            }
        }
        println!("    admin sign-ins (/admin/login on the site's domain):");
        for (email, role, password) in customer.users {
            println!("      {:<8} {email} / {password}", role.as_str());
        }
    }
    println!();
    if let Some(dir) = data_dir {
        println!("Data: the embedded PostgreSQL in {}", dir.display());
    }
}
