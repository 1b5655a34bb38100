//! `agoat bench seed`: fills a database with the benchmark data set — customers with sites, long
//! Markdown posts and product catalogs, one site with a deep archive, an editor sign-in and an
//! empty customer to import into — and prints what the load generator needs as `key=value` lines.
//!
//! Everything is written through the application role, one customer per transaction with the
//! tenant set (so row-level security checks every row), through the product's own bulk creates
//! in multi-row statements: posts through [`posts::create_many`] and products through
//! [`products::create_many`], each post with its first revision and every row with an audit
//! event.
//! The text ([`text`]) is deterministic: the same options seed the same titles, bodies and prices
//! (ids are random).
//!
//! `agoat bench photo FILE` writes a photo-like JPEG for the media benchmarks ([`photo`]).

use std::time::{Duration, Instant};

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use futures_util::{StreamExt, TryStreamExt};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

mod photo;
mod text;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::content::front_matter::slugify;
use crate::content::posts::{self, NewPost, Status};
use crate::db::keyset::TimeCursor;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::tenancy::users::{self, Role};
use crate::tenancy::{CustomerId, Scope, SiteId, customers, sites};
use crate::thorne::products::{self, NewProduct};

pub use photo::{PhotoArgs, write as write_photo};
pub use text::BodyPool;
use text::{CATEGORIES, FORMS, NOUNS, Rng, TAGS, WORDS, capitalize, mix, sentence, title};

/// Posts written per statement (each carries about 25 kB of Markdown and HTML).
const POST_BATCH: usize = 400;
/// Posts of the deep-archive site written per transaction.
const ARCHIVE_TX: usize = 2_000;
/// Distinct post bodies rendered once and shared out over the posts.
const BODY_VARIANTS: usize = 600;
/// Posts per page of the public listing (see `content::posts::PAGE_SIZE`).
const LISTING_PAGE: usize = crate::content::posts::PAGE_SIZE as usize;
/// The listing page of the deep archive whose address is printed.
const DEEP_PAGE: usize = 500;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed the benchmark data set into an empty database; prints `key=value` lines.
    Seed(SeedArgs),
    /// Write a photo-like JPEG (12 megapixels by default) for the media benchmarks.
    Photo(PhotoArgs),
}

/// The size of the data set: `--large` changes the defaults, each flag overrides one figure.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// 10,000 customers and 1,000,000 posts in total instead of 100 customers.
    #[arg(long)]
    pub large: bool,
    /// Customers with sites, posts and products [default: 100; --large: 10000].
    #[arg(long)]
    pub customers: Option<usize>,
    /// Sites per customer [default: 2].
    #[arg(long)]
    pub sites_per_customer: Option<usize>,
    /// Published posts per site [default: 200; --large: 50].
    #[arg(long)]
    pub posts_per_site: Option<usize>,
    /// Products per customer [default: 1000; --large: 100].
    #[arg(long)]
    pub products_per_customer: Option<usize>,
    /// Posts of the one deep-archive site (`archive.bench.test`) [default: 10000].
    #[arg(long)]
    pub archive_posts: Option<usize>,
    /// Customers seeded at the same time. Above 1, the customers' transactions (thousands of rows
    /// each, at `SERIALIZABLE`) conflict with one another and are retried until they give up.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
    /// Password of the editor `editor@bench.test` of the first customer.
    #[arg(long, env = "AGOAT_PASSWORD", hide_env_values = true)]
    pub editor_password: String,
}

/// The resolved size of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub customers: usize,
    pub sites_per_customer: usize,
    pub posts_per_site: usize,
    pub products_per_customer: usize,
    pub archive_posts: usize,
}

impl Shape {
    pub fn of(args: &SeedArgs) -> Shape {
        let (customers, posts_per_site, products) = if args.large {
            (10_000, 50, 100)
        } else {
            (100, 200, 1_000)
        };
        Shape {
            customers: args.customers.unwrap_or(customers),
            sites_per_customer: args.sites_per_customer.unwrap_or(2),
            posts_per_site: args.posts_per_site.unwrap_or(posts_per_site),
            products_per_customer: args.products_per_customer.unwrap_or(products),
            archive_posts: args.archive_posts.unwrap_or(10_000),
        }
    }

    pub fn total_posts(&self) -> usize {
        self.customers * self.sites_per_customer * self.posts_per_site + self.archive_posts
    }
}

pub async fn run(db: &Database, command: BenchCommand) -> Result<(), Failure> {
    match command {
        BenchCommand::Seed(args) => seed(db, &args).await,
        BenchCommand::Photo(args) => photo::write(&args),
    }
}

async fn seed(db: &Database, args: &SeedArgs) -> Result<(), Failure> {
    let shape = Shape::of(args);
    if shape.customers == 0 || shape.sites_per_customer == 0 || shape.posts_per_site == 0 {
        return Err(
            AppError::Invalid("customers, sites and posts must be at least 1".into()).into(),
        );
    }
    if args.editor_password.chars().count() < 12 {
        return Err(
            AppError::Invalid("the editor password needs 12 characters or more".into()).into(),
        );
    }
    let started = Instant::now();
    let bodies = BodyPool::render(BODY_VARIANTS);
    let editor_hash = users::hash_password(&args.editor_password)?;
    let actor = Actor::cli("bench seed");
    let base = crate::db::now() - Duration::from_secs(3_600);

    let first = CustomerPlan::new(0, &shape, base);
    let summary = Summary::of(&first);
    seed_customer(db, &first, &bodies, Some(&editor_hash), &actor).await?;
    drop(first);
    let progress = progress_every(shape.customers);
    futures_util::stream::iter(1..shape.customers)
        .map(|index| {
            let (bodies, actor) = (&bodies, &actor);
            async move {
                let plan = CustomerPlan::new(index, &shape, base);
                seed_customer(db, &plan, bodies, None, actor).await?;
                if (index + 1) % progress == 0 {
                    eprintln!("seeded {} of {} customers", index + 1, shape.customers);
                }
                Ok::<(), AppError>(())
            }
        })
        .buffer_unordered(args.parallel.max(1))
        .try_collect::<()>()
        .await?;

    let archive = seed_archive(db, summary.scope, &shape, &bodies, base, &actor).await?;
    let import_customer = seed_import_target(db, &actor).await?;
    let seconds = started.elapsed().as_secs_f64();
    summary.print(&shape, &archive, import_customer, seconds);
    Ok(())
}

fn progress_every(customers: usize) -> usize {
    (customers / 10).max(1)
}

/// What one customer gets.
struct CustomerPlan {
    scope: Scope,
    name: String,
    sites: Vec<SitePlan>,
    posts: Vec<PostRow>,
    products: Vec<NewProduct>,
}

struct SitePlan {
    id: SiteId,
    name: String,
    host: String,
}

/// One post to insert; its body is an index into the [`BodyPool`].
#[derive(Debug, Clone)]
struct PostRow {
    id: Uuid,
    site_id: Uuid,
    title: String,
    slug: String,
    body: usize,
    tags: Vec<String>,
    published_at: DateTime<Utc>,
}

impl PostRow {
    fn as_new<'a>(&'a self, bodies: &'a BodyPool) -> NewPost<'a> {
        let body = &bodies.variants[self.body];
        NewPost {
            id: self.id,
            kind: posts::Kind::Post,
            site: SiteId::from_uuid(self.site_id),
            title: &self.title,
            slug: &self.slug,
            body: &body.body,
            description: &body.description,
            tags: &self.tags,
            status: Status::Published,
            published_at: Some(self.published_at),
            featured_media_id: None,
            byline: "",
        }
    }
}

impl CustomerPlan {
    fn new(index: usize, shape: &Shape, base: DateTime<Utc>) -> CustomerPlan {
        let sites: Vec<SitePlan> = (0..shape.sites_per_customer)
            .map(|s| SitePlan {
                id: SiteId::new_random(),
                name: format!("Bench {index:05} Journal {}", s + 1),
                host: site_host(index, s),
            })
            .collect();
        let posts = sites
            .iter()
            .enumerate()
            .flat_map(|(s, site)| {
                let seed = mix(index as u64, s as u64);
                (0..shape.posts_per_site)
                    .map(move |i| post_row(seed, site.id, i, base, Duration::from_secs(6 * 3_600)))
            })
            .collect();
        let products = (0..shape.products_per_customer)
            .map(|p| product(index, p))
            .collect();
        CustomerPlan {
            scope: Scope::of(CustomerId::new_random()),
            name: format!("Bench Customer {index:05}"),
            sites,
            posts,
            products,
        }
    }
}

/// The primary domain of site `site` of customer `customer`.
pub fn site_host(customer: usize, site: usize) -> String {
    format!("c{customer:05}-s{}.bench.test", site + 1)
}

/// Post `i` of a site, newest first: each one `step` older than the one before.
fn post_row(seed: u64, site: SiteId, i: usize, base: DateTime<Utc>, step: Duration) -> PostRow {
    let mut rng = Rng::new(mix(seed, i as u64));
    let title = title(&mut rng);
    let slug = format!("{}-{}", slugify(&title), i + 1);
    let tag_count = 1 + rng.below(3);
    let tags = (0..tag_count)
        .map(|_| rng.pick(TAGS).to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    PostRow {
        id: Uuid::new_v4(),
        site_id: site.as_uuid(),
        title,
        slug,
        body: rng.below(BODY_VARIANTS),
        tags,
        published_at: base - step * (i as u32) - Duration::from_secs(rng.below(600) as u64),
    }
}

fn product(customer: usize, index: usize) -> NewProduct {
    let mut rng = Rng::new(mix(0x9e37_79b9 ^ customer as u64, index as u64));
    let cents = 200 + rng.below(7_800) as i64;
    let retail = cents * 8 / 5;
    let name = format!(
        "{} {} {}",
        capitalize(rng.pick(WORDS)),
        capitalize(rng.pick(NOUNS)),
        rng.pick(FORMS)
    );
    NewProduct {
        sku: format!("BN-{customer:05}-{index:05}"),
        name,
        description: sentence(&mut rng, 30),
        category: rng.pick(CATEGORIES).to_string(),
        wholesale_price: BigDecimal::new(cents.into(), 2),
        retail_price: BigDecimal::new(retail.into(), 2),
        in_stock: rng.below(10) != 0,
    }
}

/// Seeds one customer in one transaction (rerun whole on a serialization failure).
async fn seed_customer(
    db: &Database,
    plan: &CustomerPlan,
    bodies: &BodyPool,
    editor_hash: Option<&str>,
    actor: &Actor,
) -> AppResult<()> {
    db.tenant_tx(plan.scope, |conn| {
        async move { write_customer(conn, plan, bodies, editor_hash, actor).await }.scope_boxed()
    })
    .await
}

async fn write_customer(
    conn: &mut Conn,
    plan: &CustomerPlan,
    bodies: &BodyPool,
    editor_hash: Option<&str>,
    actor: &Actor,
) -> AppResult<()> {
    let scope = plan.scope;
    customers::create(conn, scope, &plan.name, actor).await?;
    for site in &plan.sites {
        sites::create(conn, scope, site.id, &site.name, &site.host, actor).await?;
    }
    if let Some(hash) = editor_hash {
        users::create(conn, scope, EDITOR_EMAIL, Role::Editor, hash, actor).await?;
    }
    insert_posts(conn, scope, &plan.posts, bodies, actor).await?;
    if !plan.products.is_empty() {
        products::create_many(conn, scope, &plan.products, actor).await?;
    }
    Ok(())
}

/// The sign-in of the first customer's editor.
pub const EDITOR_EMAIL: &str = "editor@bench.test";
/// The domain of the deep-archive site.
pub const ARCHIVE_HOST: &str = "archive.bench.test";

/// Writes published posts through [`posts::create_many`], a batch per statement: each with its
/// first revision and an audit event.
async fn insert_posts(
    conn: &mut Conn,
    scope: Scope,
    rows: &[PostRow],
    bodies: &BodyPool,
    actor: &Actor,
) -> AppResult<()> {
    for batch in rows.chunks(POST_BATCH) {
        let new: Vec<NewPost<'_>> = batch.iter().map(|row| row.as_new(bodies)).collect();
        posts::create_many(conn, scope, &new, actor).await?;
    }
    Ok(())
}

/// The deep archive: a third site of the first customer, its posts fifteen minutes apart.
struct Archive {
    rows: Vec<PostRow>,
}

impl Archive {
    /// The address of listing page `page` (1 = newest), as the "older" links reach it.
    fn page_path(&self, page: usize) -> Option<String> {
        if page <= 1 {
            return Some("/".to_owned());
        }
        let last_of_previous = self.rows.get((page - 1) * LISTING_PAGE - 1)?;
        let cursor = TimeCursor {
            at: last_of_previous.published_at,
            id: last_of_previous.id,
        };
        Some(format!("/?before={}", cursor.encode()))
    }
}

async fn seed_archive(
    db: &Database,
    scope: Scope,
    shape: &Shape,
    bodies: &BodyPool,
    base: DateTime<Utc>,
    actor: &Actor,
) -> AppResult<Archive> {
    let site = SiteId::new_random();
    db.tenant_tx(scope, |conn| {
        async move { sites::create(conn, scope, site, "Bench Archive", ARCHIVE_HOST, actor).await }
            .scope_boxed()
    })
    .await?;
    let rows: Vec<PostRow> = (0..shape.archive_posts)
        .map(|i| post_row(0xa4c1_1fe5, site, i, base, Duration::from_secs(900)))
        .collect();
    for chunk in rows.chunks(ARCHIVE_TX) {
        db.tenant_tx(scope, |conn| {
            async move { insert_posts(conn, scope, chunk, bodies, actor).await }.scope_boxed()
        })
        .await?;
    }
    Ok(Archive { rows })
}

/// A customer without products, for timing a CSV import into an empty catalog.
async fn seed_import_target(db: &Database, actor: &Actor) -> AppResult<CustomerId> {
    let id = CustomerId::new_random();
    let scope = Scope::of(id);
    db.tenant_tx(scope, |conn| {
        async move { customers::create(conn, scope, "Bench Import Target", actor).await }
            .scope_boxed()
    })
    .await?;
    Ok(id)
}

/// What the load generator needs to know about the seeded data.
struct Summary {
    scope: Scope,
    host: String,
    post_slug: String,
    edit_post_id: Uuid,
    product_sku: Option<String>,
}

impl Summary {
    fn of(first: &CustomerPlan) -> Summary {
        let site = first.sites[0].id.as_uuid();
        let mut on_site = first.posts.iter().filter(|p| p.site_id == site);
        let newest = on_site.next().expect("a site has at least one post");
        let edited = on_site.next().unwrap_or(newest);
        Summary {
            scope: first.scope,
            host: first.sites[0].host.clone(),
            post_slug: newest.slug.clone(),
            edit_post_id: edited.id,
            product_sku: first
                .products
                .get(first.products.len() / 2)
                .map(|p| p.sku.clone()),
        }
    }

    fn print(&self, shape: &Shape, archive: &Archive, import_customer: CustomerId, seconds: f64) {
        let lines: Vec<(&str, String)> = vec![
            ("customer", self.scope.customer_id().to_string()),
            ("host", self.host.clone()),
            ("post_path", format!("/posts/{}", self.post_slug)),
            ("edit_post_id", self.edit_post_id.to_string()),
            (
                "product_path",
                self.product_sku
                    .as_ref()
                    .map(|sku| format!("/products/{sku}"))
                    .unwrap_or_default(),
            ),
            ("editor_email", EDITOR_EMAIL.to_owned()),
            ("archive_host", ARCHIVE_HOST.to_owned()),
            ("archive_page", DEEP_PAGE.to_string()),
            (
                "archive_page_path",
                archive.page_path(DEEP_PAGE).unwrap_or_default(),
            ),
            ("import_customer", import_customer.to_string()),
            ("customers", shape.customers.to_string()),
            (
                "sites",
                (shape.customers * shape.sites_per_customer + 1).to_string(),
            ),
            ("posts", shape.total_posts().to_string()),
            (
                "products",
                (shape.customers * shape.products_per_customer).to_string(),
            ),
            ("seed_seconds", format!("{seconds:.1}")),
        ];
        for (key, value) in lines {
            println!("{key}={value}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn plan_counts(plan: &CustomerPlan) -> HashMap<&'static str, usize> {
        HashMap::from([
            ("sites", plan.sites.len()),
            ("posts", plan.posts.len()),
            ("products", plan.products.len()),
        ])
    }

    fn args(large: bool) -> SeedArgs {
        SeedArgs {
            large,
            customers: None,
            sites_per_customer: None,
            posts_per_site: None,
            products_per_customer: None,
            archive_posts: None,
            parallel: 2,
            editor_password: "a long enough password".into(),
        }
    }

    #[test]
    fn default_and_large_shapes_match_the_speed_requirements() {
        let default = Shape::of(&args(false));
        assert_eq!(default.customers, 100);
        assert_eq!(default.customers * default.sites_per_customer, 200);
        assert_eq!(default.total_posts(), 100 * 2 * 200 + 10_000);
        let large = Shape::of(&args(true));
        assert_eq!(large.customers, 10_000);
        assert_eq!(large.total_posts() - large.archive_posts, 1_000_000);
        let reduced = Shape::of(&SeedArgs {
            customers: Some(300),
            ..args(true)
        });
        assert_eq!(reduced.customers, 300);
        assert_eq!(reduced.posts_per_site, 50);
    }

    #[test]
    fn plans_have_unique_valid_slugs_skus_and_hosts() {
        let shape = Shape::of(&args(false));
        let plan = CustomerPlan::new(3, &shape, crate::db::now());
        assert_eq!(
            plan_counts(&plan),
            HashMap::from([("sites", 2), ("posts", 400), ("products", 1_000)])
        );
        let mut slugs = std::collections::HashSet::new();
        for post in &plan.posts {
            assert!(
                crate::content::front_matter::valid_slug(&post.slug),
                "{}",
                post.slug
            );
            assert!(
                slugs.insert((post.site_id, post.slug.clone())),
                "{}",
                post.slug
            );
        }
        let skus: std::collections::HashSet<_> = plan.products.iter().map(|p| &p.sku).collect();
        assert_eq!(skus.len(), 1_000);
        assert!(plan.products.iter().all(|p| products::valid_sku(&p.sku)));
        assert!(
            plan.products
                .iter()
                .all(|p| p.retail_price > p.wholesale_price)
        );
        for site in &plan.sites {
            assert_eq!(
                crate::tenancy::host::normalize_domain(&site.host).as_deref(),
                Ok(site.host.as_str())
            );
        }
    }

    #[test]
    fn posts_are_newest_first_and_the_deep_page_follows_the_older_links() {
        let base = crate::db::now();
        let site = SiteId::new_random();
        let rows: Vec<PostRow> = (0..6_000)
            .map(|i| post_row(1, site, i, base, Duration::from_secs(900)))
            .collect();
        assert!(
            rows.windows(2)
                .all(|w| w[0].published_at > w[1].published_at)
        );
        let archive = Archive { rows };
        assert_eq!(archive.page_path(1).as_deref(), Some("/"));
        let deep = archive.page_path(DEEP_PAGE).unwrap();
        let cursor = TimeCursor::decode(deep.strip_prefix("/?before=").unwrap()).unwrap();
        assert_eq!(cursor.id, archive.rows[4_989].id);
        assert_eq!(archive.page_path(602), None);
    }
}
