//! The product on a real Citus cluster: a coordinator and two workers on this machine, each a
//! PostgreSQL with the `citus` library, started by these tests (as the `postgres` system user when
//! run as root) in a folder of their own and stopped at the end.
//!
//! Citus is not in Debian: `.ci/run` builds and installs it. Without it these tests say so and
//! pass, except when `AGOAT_REQUIRE_CITUS=1` (CI), where a missing Citus fails them.

#[path = "../support/citus_cluster.rs"]
mod cluster;

use agoat::audit::Actor;
use agoat::content::posts::{self, Change, PostInput, Status, Target};
use agoat::db::{Conn, Database, PoolSettings, roles};
use agoat::tenancy::{CustomerId, Scope, SiteId, customers, sites};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use scoped_futures::ScopedFutureExt;

use cluster::Cluster;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

async fn count(conn: &mut Conn, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn actor() -> Actor {
    Actor::cli("citus test")
}

/// A customer with a site and one published post (`hello`), written through the serving pool.
async fn seed_customer(db: &Database, index: usize) -> (CustomerId, SiteId) {
    let customer = CustomerId::new_random();
    let site = SiteId::new_random();
    let scope = Scope::of(customer);
    db.tenant_tx(scope, |conn| {
        async move {
            customers::create(conn, scope, &format!("Customer {index}"), &actor()).await?;
            let host = format!("c{index}.citus.test");
            sites::create(conn, scope, site, "Journal", &host, &actor()).await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
    .unwrap_or_else(|e| panic!("seeding customer {index}: {e}"));
    let title = format!("Post of customer {index}");
    add_post(db, customer, site, "hello", &title)
        .await
        .unwrap_or_else(|e| panic!("the post of customer {index}: {e}"));
    (customer, site)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_product_runs_on_a_citus_cluster() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let owner_url = cluster.owner_url();

    // `agoat migrate` alone places every table; a second run changes nothing.
    agoat::db::migrate(&owner_url).await.expect("migrate");
    let mut owner = cluster.owner().await;
    let layout = "SELECT count(*) AS n FROM pg_dist_partition";
    let placed = count(&mut owner, layout).await;
    agoat::db::migrate(&owner_url).await.expect("migrate again");
    assert_eq!(count(&mut owner, layout).await, placed);
    let tables = count(
        &mut owner,
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname IN ('tenancy','content','thorne','audit')",
    )
    .await;
    assert_eq!(
        placed, tables,
        "every table of the domain schemas is placed"
    );
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(*) AS n FROM pg_dist_partition WHERE partmethod = 'n'"
        )
        .await,
        3,
        "customers, sites and domains are reference tables"
    );
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(DISTINCT colocationid) AS n FROM pg_dist_partition WHERE partmethod = 'h'"
        )
        .await,
        1,
        "every distributed table is co-located"
    );
    // The composite foreign keys are all there again.
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' \
             AND conname = 'post_revisions_customer_id_post_id_fkey' \
             AND conrelid = 'content.post_revisions'::regclass"
        )
        .await,
        1
    );

    // Row-level security is forced on every shard of every tenant table, on both workers.
    for worker in cluster.worker_urls() {
        let mut conn = Cluster::connect(&worker).await;
        // Citus hides shards from the catalog unless asked.
        conn.batch_execute("SET citus.override_table_visibility = off")
            .await
            .unwrap();
        let unforced = count(
            &mut conn,
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('content','thorne','audit') AND c.relkind = 'r' \
             AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
        )
        .await;
        let shards = count(
            &mut conn,
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'content' AND c.relname LIKE 'posts\\_%' AND c.relkind = 'r'",
        )
        .await;
        assert!(shards > 0, "{worker} holds post shards");
        assert_eq!(
            unforced, 0,
            "{worker}: every shard forces row-level security"
        );
    }

    // Writes through the serving login: customers spread over both workers.
    let serving = roles::prepare_serving_login(&owner_url, None)
        .await
        .expect("serving login");
    let db = Database::connect(&serving, &PoolSettings::default()).unwrap();
    let mut seeded = Vec::new();
    for index in 0..12 {
        seeded.push(seed_customer(&db, index).await);
    }
    assert_eq!(
        count(
            &mut owner,
            "SELECT count(DISTINCT n.nodeport) AS n FROM content.posts p \
             JOIN pg_dist_placement pl \
               ON pl.shardid = get_shard_id_for_distribution_column('content.posts', p.customer_id) \
             JOIN pg_dist_node n ON n.groupid = pl.groupid"
        )
        .await,
        2,
        "customers' posts land on both workers"
    );

    // Each customer sees its own post, and only its own, through the policies on the shards.
    for (index, (customer, site)) in seeded.iter().copied().enumerate() {
        let scope = Scope::of(customer);
        let (title, visible) = db
            .tenant_read(scope, |conn| {
                async move {
                    let post = posts::visible_by_slug(conn, scope, site, "hello").await?;
                    // Deliberately unscoped: row-level security on the workers narrows it.
                    let visible = count(conn, "SELECT count(*) AS n FROM content.posts").await;
                    Ok((post.title, visible))
                }
                .scope_boxed()
            })
            .await
            .unwrap();
        assert_eq!(title, format!("Post of customer {index}"));
        assert_eq!(visible, 1, "customer {index} sees only its own post");
    }
    // Without a tenant, nothing: the policies fail closed on the shards.
    let nothing = db
        .directory_read(|conn| {
            async move { Ok(count(conn, "SELECT count(*) AS n FROM content.posts").await) }
                .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(nothing, 0);

    // A request's query is a router query: one task on one worker.
    let (customer, _) = seeded[0];
    let scope = Scope::of(customer);
    let plan: Vec<String> = db
        .tenant_read(scope, |conn| {
            async move {
                let lines: Vec<Line> = diesel::sql_query(format!(
                    "EXPLAIN SELECT title FROM content.posts WHERE customer_id = '{}' \
                     AND slug = 'hello'",
                    customer.as_uuid()
                ))
                .load(conn)
                .await?;
                Ok(lines.into_iter().map(|l| l.line).collect())
            }
            .scope_boxed()
        })
        .await
        .unwrap();
    assert!(
        plan.iter().any(|l| l.contains("Task Count: 1")),
        "{}",
        plan.join("\n")
    );

    // A reference table written after a multi-shard read in the same transaction.
    db.tenant_tx(scope, |conn| {
        async move {
            conn.batch_execute("SELECT count(*) FROM content.posts")
                .await?;
            conn.batch_execute(&format!(
                "UPDATE tenancy.customers SET name = 'Renamed' WHERE id = '{}'",
                customer.as_uuid()
            ))
            .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
    .expect("a reference-table write after a multi-shard read");

    drop(owner);
    cluster.stop().await;
}

/// What the light load saw: requests answered, and every error.
#[derive(Debug, Default)]
struct LoadReport {
    reads: usize,
    writes: usize,
    errors: Vec<String>,
}

/// Reads every customer's post and, every fourth round, adds a post to one customer, until
/// `stop`; returns what it saw.
async fn light_load(
    db: Database,
    customers: Vec<(CustomerId, SiteId)>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> LoadReport {
    let mut report = LoadReport::default();
    let mut round = 0usize;
    while !std::sync::atomic::AtomicBool::load(&stop, std::sync::atomic::Ordering::Relaxed) {
        for &(customer, site) in &customers {
            let scope = Scope::of(customer);
            let read = db
                .tenant_read(scope, |conn| {
                    async move { posts::visible_by_slug(conn, scope, site, "hello").await }
                        .scope_boxed()
                })
                .await;
            match read {
                Ok(_) => report.reads += 1,
                Err(e) => report.errors.push(format!("read: {e}")),
            }
        }
        if round.is_multiple_of(4) {
            let (customer, site) = customers[round / 4 % customers.len()];
            let slug = format!("load-{round}");
            match add_post(&db, customer, site, &slug, "Written under load").await {
                Ok(()) => report.writes += 1,
                Err(e) => report.errors.push(format!("write: {e}")),
            }
        }
        round += 1;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    report
}

async fn add_post(
    db: &Database,
    customer: CustomerId,
    site: SiteId,
    slug: &str,
    title: &str,
) -> agoat::error::AppResult<()> {
    let scope = Scope::of(customer);
    let input = PostInput {
        byline: String::new(),
        title: title.to_owned(),
        slug: slug.to_owned(),
        body_markdown: "Hello from the **cluster**.".into(),
        description: String::new(),
        tags: vec![],
        status: Status::Published,
        published_at: Some(agoat::db::now() - chrono::Duration::minutes(1)),
        featured_media_id: None,
    };
    db.tenant_tx(scope, |conn| {
        let input = &input;
        async move {
            let change = Change::Fields {
                input,
                action: "create",
            };
            posts::save(conn, scope, Target::New(site), change, &actor())
                .await?
                .saved()?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

async fn posts_per_node(owner: &mut Conn) -> Vec<(i32, i64)> {
    #[derive(QueryableByName)]
    struct PerNode {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        port: i32,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<PerNode> = diesel::sql_query(
        "SELECT n.nodeport AS port, count(*) AS n FROM content.posts p \
         JOIN pg_dist_placement pl \
           ON pl.shardid = get_shard_id_for_distribution_column('content.posts', p.customer_id) \
         JOIN pg_dist_node n ON n.groupid = pl.groupid GROUP BY 1 ORDER BY 1",
    )
    .load(owner)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.port, r.n)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_is_added_and_a_customer_isolated_while_serving() {
    let Some(mut cluster) = Cluster::start().await else {
        return;
    };
    let owner_url = cluster.owner_url();
    agoat::db::migrate(&owner_url).await.expect("migrate");
    let serving = roles::prepare_serving_login(&owner_url, None)
        .await
        .expect("serving login");
    let db = Database::connect(&serving, &PoolSettings::default()).unwrap();
    let mut customers = Vec::new();
    for index in 0..8 {
        customers.push(seed_customer(&db, index).await);
    }
    let mut owner = cluster.owner().await;
    let total = |rows: &[(i32, i64)]| rows.iter().map(|(_, n)| n).sum::<i64>();

    // A third worker, and a rebalance while visitors read and editors write.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::spawn(light_load(db.clone(), customers.clone(), stop.clone()));
    let third = cluster.add_worker().await;
    // Two statements: the job must be committed before the background workers can run it. Shards
    // move by copying while their writes wait (`block_writes`): PostgreSQL 15's logical
    // replication, which the non-blocking mode uses, refuses tables with row-level security.
    owner
        .batch_execute("SELECT citus_rebalance_start(shard_transfer_mode => 'block_writes')")
        .await
        .expect("start the rebalance");
    owner
        .batch_execute("SELECT citus_rebalance_wait()")
        .await
        .expect("the rebalance finishes");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let report = load.await.unwrap();
    assert!(
        report.errors.is_empty(),
        "errors under load: {:?}",
        report.errors
    );
    assert!(report.reads > 0 && report.writes > 0, "{report:?}");
    let shards_on_third = count(
        &mut owner,
        &format!(
            "SELECT count(*) AS n FROM pg_dist_placement pl JOIN pg_dist_node n \
             ON n.groupid = pl.groupid WHERE n.nodeport = {third}"
        ),
    )
    .await;
    assert!(
        shards_on_third > 0,
        "the rebalance moved shards to the new worker"
    );
    let after = posts_per_node(&mut owner).await;
    assert_eq!(
        total(&after),
        (customers.len() + report.writes) as i64,
        "nothing lost: every post, the ones written during the rebalance too ({after:?})"
    );

    // A large customer gets a shard of its own, moved to the worker chosen for it.
    let (big, big_site) = customers[0];
    #[derive(QueryableByName)]
    struct Shard {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let isolated: Shard = diesel::sql_query(format!(
        "SELECT isolate_tenant_to_new_shard('content.posts', '{}', 'CASCADE', \
         shard_transfer_mode => 'block_writes') AS id",
        big.as_uuid()
    ))
    .get_result(&mut owner)
    .await
    .expect("isolate the tenant");
    let alone = count(
        &mut owner,
        &format!(
            "SELECT count(*) AS n FROM pg_dist_shard WHERE shardid = {} \
             AND shardminvalue = shardmaxvalue",
            isolated.id
        ),
    )
    .await;
    assert_eq!(alone, 1, "the new shard holds exactly one hash value");
    #[derive(QueryableByName)]
    struct Port {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        port: i32,
    }
    let Port { port: source } = diesel::sql_query(format!(
        "SELECT n.nodeport AS port FROM pg_dist_placement pl JOIN pg_dist_node n \
         ON n.groupid = pl.groupid WHERE pl.shardid = {}",
        isolated.id
    ))
    .get_result(&mut owner)
    .await
    .unwrap();
    let target = cluster
        .worker_ports()
        .into_iter()
        .find(|&p| i32::from(p) != source)
        .unwrap();
    owner
        .batch_execute(&format!(
            "SELECT citus_move_shard_placement({}, '127.0.0.1', {source}, '127.0.0.1', {target}, \
             shard_transfer_mode => 'block_writes')",
            isolated.id
        ))
        .await
        .expect("move the isolated shard");
    let Port { port: now_on } = diesel::sql_query(format!(
        "SELECT n.nodeport AS port FROM pg_dist_placement pl JOIN pg_dist_node n \
         ON n.groupid = pl.groupid WHERE pl.shardid = {}",
        isolated.id
    ))
    .get_result(&mut owner)
    .await
    .unwrap();
    assert_eq!(now_on, i32::from(target));
    // The customer is served from there, and can still write.
    let scope = Scope::of(big);
    let title = db
        .tenant_read(scope, |conn| {
            async move { posts::visible_by_slug(conn, scope, big_site, "hello").await }
                .scope_boxed()
        })
        .await
        .expect("read after the move")
        .title;
    assert_eq!(title, "Post of customer 0");
    add_post(
        &db,
        big,
        big_site,
        "after-the-move",
        "Written after the move",
    )
    .await
    .expect("write after the move");
    assert_eq!(
        total(&posts_per_node(&mut owner).await),
        (customers.len() + report.writes + 1) as i64
    );

    drop(owner);
    cluster.stop().await;
}
