//! `agoat bench seed`: fills a database with the benchmark data set — customers with sites, long
//! Markdown posts and product catalogs, one site with a deep archive, an editor sign-in and an
//! empty customer to import into — and prints what the load generator needs as `key=value` lines.
//!
//! Everything is written through the application role, one customer per transaction with the
//! tenant set (so row-level security checks every row), in multi-row statements: posts as one
//! `INSERT … SELECT FROM unnest(…)` per batch with their first revisions copied server-side,
//! products through [`products::create_many`], an audit event for each created row. The text is
//! deterministic: the same options seed the same titles, bodies and prices (ids are random).

mod text;

use std::time::{Duration, Instant};

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use diesel::sql_types::{Array, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use futures_util::{StreamExt, TryStreamExt};
use scoped_futures::ScopedFutureExt;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::cli::Failure;
use crate::content::front_matter::slugify;
use crate::content::markdown;
use crate::db::keyset::TimeCursor;
use crate::db::{Conn, Database};
use crate::error::{AppError, AppResult};
use crate::tenancy::users::{self, Role};
use crate::tenancy::{CustomerId, Scope, SiteId, customers, sites};
use crate::thorne::products::{self, NewProduct};

use text::{
    CATEGORIES, FORMS, NOUNS, Rng, TAGS, WORDS, capitalize, markdown_body, mix, sentence, title,
};

/// Posts written per statement (each carries about 25 kB of Markdown and HTML).
const POST_BATCH: usize = 400;
/// Posts of the deep-archive site written per transaction.
const ARCHIVE_TX: usize = 2_000;
/// Distinct post bodies rendered once and shared out over the posts.
const BODY_VARIANTS: usize = 600;
/// Words in a post body, about.
const BODY_WORDS: usize = 1_500;
/// Posts per page of the public listing (see `content::posts::PAGE_SIZE`).
const LISTING_PAGE: usize = crate::content::posts::PAGE_SIZE as usize;
/// The listing page of the deep archive whose address is printed.
const DEEP_PAGE: usize = 500;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed the benchmark data set into an empty database; prints `key=value` lines.
    Seed(SeedArgs),
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
    /// Customers seeded at the same time.
    #[arg(long, default_value_t = 2)]
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

/// Writes published posts with their first revisions and an audit event each.
async fn insert_posts(
    conn: &mut Conn,
    scope: Scope,
    posts: &[PostRow],
    bodies: &BodyPool,
    actor: &Actor,
) -> AppResult<()> {
    let now = crate::db::now();
    for batch in posts.chunks(POST_BATCH) {
        insert_post_batch(conn, scope, batch, bodies, now).await?;
        insert_first_revisions(conn, scope, batch, actor, now).await?;
        let events = batch
            .iter()
            .map(|post| Change {
                entity: "post",
                entity_id: post.id,
                action: "create",
                before: None,
                after: Some(json!({
                    "title": post.title,
                    "slug": post.slug,
                    "tags": post.tags,
                    "status": "published",
                    "published_at": post.published_at,
                })),
            })
            .collect();
        audit::record_many(conn, scope, actor, events).await?;
    }
    Ok(())
}

async fn insert_post_batch(
    conn: &mut Conn,
    scope: Scope,
    batch: &[PostRow],
    bodies: &BodyPool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let column = |f: fn(&PostRow) -> &str| batch.iter().map(f).collect::<Vec<&str>>();
    let body = |f: fn(&RenderedBody) -> &str| {
        batch
            .iter()
            .map(|p| f(&bodies.variants[p.body]))
            .collect::<Vec<&str>>()
    };
    let ids: Vec<Uuid> = batch.iter().map(|p| p.id).collect();
    let site_ids: Vec<Uuid> = batch.iter().map(|p| p.site_id).collect();
    let tags: Vec<String> = batch.iter().map(|p| p.tags.join(",")).collect();
    let published: Vec<DateTime<Utc>> = batch.iter().map(|p| p.published_at).collect();
    diesel::sql_query(
        "INSERT INTO content.posts (customer_id, id, site_id, title, slug, body_markdown, \
         body_html, description, tags, status, published_at, created_at, updated_at) \
         SELECT $1, t.id, t.site_id, t.title, t.slug, t.body_markdown, t.body_html, \
         t.description, string_to_array(t.tags, ','), 'published', t.published_at, $2, $2 \
         FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], \
         $9::text[], $10::text[], $11::timestamptz[]) \
         AS t(id, site_id, title, slug, body_markdown, body_html, description, tags, published_at)",
    )
    .bind::<SqlUuid, _>(scope.customer_uuid())
    .bind::<Timestamptz, _>(now)
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<SqlUuid>, _>(&site_ids)
    .bind::<Array<Text>, _>(column(|p| &p.title))
    .bind::<Array<Text>, _>(column(|p| &p.slug))
    .bind::<Array<Text>, _>(body(|b| &b.markdown))
    .bind::<Array<Text>, _>(body(|b| &b.html))
    .bind::<Array<Text>, _>(body(|b| &b.description))
    .bind::<Array<Text>, _>(&tags)
    .bind::<Array<Timestamptz>, _>(&published)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revision 1 of each post of the batch, copied from the rows just written.
async fn insert_first_revisions(
    conn: &mut Conn,
    scope: Scope,
    batch: &[PostRow],
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let post_ids: Vec<Uuid> = batch.iter().map(|p| p.id).collect();
    let revision_ids: Vec<Uuid> = batch.iter().map(|_| Uuid::new_v4()).collect();
    diesel::sql_query(
        "INSERT INTO content.post_revisions (customer_id, id, post_id, revision_number, title, \
         slug, body_markdown, description, tags, status, published_at, trashed_at, editor_id, \
         editor_label, created_at) \
         SELECT p.customer_id, r.id, p.id, 1, p.title, p.slug, p.body_markdown, p.description, \
         p.tags, p.status, p.published_at, p.trashed_at, NULL, $2, $3 \
         FROM unnest($4::uuid[], $5::uuid[]) AS r(id, post_id) \
         JOIN content.posts p ON p.customer_id = $1 AND p.id = r.post_id",
    )
    .bind::<SqlUuid, _>(scope.customer_uuid())
    .bind::<Text, _>(&actor.label)
    .bind::<Timestamptz, _>(now)
    .bind::<Array<SqlUuid>, _>(&revision_ids)
    .bind::<Array<SqlUuid>, _>(&post_ids)
    .execute(conn)
    .await?;
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

/// A post body in Markdown with its rendered HTML and excerpt.
pub struct RenderedBody {
    pub markdown: String,
    pub html: String,
    pub description: String,
}

/// Distinct bodies, rendered once (on every core) and shared out over the posts.
pub struct BodyPool {
    variants: Vec<RenderedBody>,
}

impl BodyPool {
    pub fn render(count: usize) -> BodyPool {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = count.div_ceil(threads).max(1);
        let mut variants: Vec<(usize, RenderedBody)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..count)
                .step_by(per_thread)
                .map(|start| {
                    s.spawn(move || {
                        (start..(start + per_thread).min(count))
                            .map(|i| (i, rendered_body(i as u64)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("rendering a body does not panic"))
                .collect()
        });
        variants.sort_by_key(|(i, _)| *i);
        BodyPool {
            variants: variants.into_iter().map(|(_, body)| body).collect(),
        }
    }
}

fn rendered_body(seed: u64) -> RenderedBody {
    let markdown = markdown_body(seed, BODY_WORDS);
    RenderedBody {
        html: markdown::render(&markdown),
        description: markdown::excerpt(&markdown, 160),
        markdown,
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
    fn bodies_are_long_varied_markdown_and_deterministic() {
        let body = markdown_body(7, BODY_WORDS);
        assert_eq!(body, markdown_body(7, BODY_WORDS));
        assert_ne!(body, markdown_body(8, BODY_WORDS));
        let words = body.split_whitespace().count();
        assert!((1_400..2_200).contains(&words), "{words} words");
        let rendered = rendered_body(7);
        for tag in ["<h2", "<p>", "<a href=\"https://example.org/"] {
            assert!(rendered.html.contains(tag), "{tag} missing");
        }
        let kinds = (0..40u64).map(|seed| rendered_body(seed).html).fold(
            HashMap::new(),
            |mut seen, html| {
                for tag in [
                    "<ul>",
                    "<ol>",
                    "<pre>",
                    "<blockquote>",
                    "<table>",
                    "<h3",
                    "<code>",
                ] {
                    *seen.entry(tag).or_insert(0) += usize::from(html.contains(tag));
                }
                seen
            },
        );
        assert!(kinds.values().all(|n| *n > 0), "{kinds:?}");
        assert!(!rendered.description.is_empty() && rendered.description.chars().count() <= 161);
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
