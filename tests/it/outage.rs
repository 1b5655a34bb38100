//! A database outage under load: PostgreSQL is stopped for 10 s while readers and a writer keep
//! going. During the outage every request fails fast with a 503 page (once the pages cached before
//! it may no longer be trusted) and `/readyz` says not
//! ready; within 5 s of the database being back every request succeeds again, without restarting
//! the app; every write acknowledged before the outage is still there.
//!
//! The pool settings come from the environment (`AGOAT_DB_TIMEOUT_MS`), as in production.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use agoat::audit::Actor;
use agoat::content::posts::{self, PostInput};
use agoat::db::changes::ChangeFeed;
use agoat::db::embedded::EmbeddedPostgres;
use agoat::db::{Database, PoolSettings};
use agoat::tenancy::users::{self, Role};
use agoat::tenancy::{CustomerId, Scope, SiteId, customers, sites};
use agoat::web::page_cache::PageCache;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use scoped_futures::ScopedFutureExt;

use crate::cli::Server;
use crate::common::http::get;
use crate::two_servers::{OWNER, PASSWORD, sign_in};

/// The longest a request may wait for a connection (`AGOAT_DB_TIMEOUT_MS`).
const DB_TIMEOUT: Duration = Duration::from_millis(1_000);
/// What "fails fast" allows beyond that timeout.
const SLACK: Duration = Duration::from_millis(1_500);
const OUTAGE: Duration = Duration::from_secs(10);
const RECOVERY: Duration = Duration::from_secs(5);

/// One request made by a reader.
#[derive(Debug, Clone)]
struct Sample {
    started: Instant,
    took: Duration,
    status: u16,
}

/// A cluster folder removed when the test ends.
struct ClusterDir(PathBuf);

impl Drop for ClusterDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn seed(url: &str) {
    agoat::db::migrate(url).await.expect("migrations apply");
    let serving = agoat::db::roles::prepare_serving_login(url, None)
        .await
        .expect("the serving login is set up");
    let db = Database::connect(&serving, &PoolSettings::default()).unwrap();
    let customer = CustomerId::new_random();
    let scope = Scope::of(customer);
    let site = SiteId::new_random();
    let hash = users::hash_password(PASSWORD).unwrap();
    db.tenant_tx(scope, |conn| {
        let hash = &hash;
        async move {
            let actor = Actor::cli("test");
            customers::create(conn, scope, "Alpha Health", &actor).await?;
            sites::create(conn, scope, site, "Alpha Blog", "alpha.test", &actor).await?;
            users::create(conn, scope, OWNER, Role::Owner, hash, &actor).await?;
            let input = PostInput {
                byline: String::new(),
                title: "Steady".into(),
                slug: "steady".into(),
                body_markdown: "Read all through the outage.".into(),
                description: String::new(),
                tags: Vec::new(),
                status: posts::Status::Published,
                published_at: Some(agoat::db::now() - chrono::Duration::minutes(1)),
                featured_media_id: None,
            };
            let change = posts::Change::Fields {
                input: &input,
                action: "create",
            };
            posts::save(conn, scope, posts::Target::New(site), change, &actor)
                .await?
                .saved()?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
    .expect("seeding");
}

fn readers(
    addr: &str,
    count: usize,
    stop: &Arc<AtomicBool>,
    samples: &Arc<Mutex<Vec<Sample>>>,
) -> Vec<JoinHandle<()>> {
    (0..count)
        .map(|_| {
            let (addr, stop, samples) = (addr.to_owned(), stop.clone(), samples.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let status = get(&addr, "alpha.test", "/posts/steady")
                        .map(|r| r.status)
                        .unwrap_or(0);
                    let took = started.elapsed();
                    samples.lock().unwrap().push(Sample {
                        started,
                        took,
                        status,
                    });
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect()
}

fn publish_fields(slug: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", slug),
        ("slug", slug),
        ("body", "Acknowledged before the outage."),
        ("description", ""),
        ("tags", ""),
        ("publish_at", ""),
        ("action", "publish"),
    ]
}

#[actix_web::test]
async fn an_outage_fails_fast_and_recovers_without_a_restart() {
    let dir = ClusterDir(
        std::env::temp_dir().join(format!("agoat-outage-{}", uuid::Uuid::new_v4().simple())),
    );
    let pg = EmbeddedPostgres::start(&dir.0)
        .await
        .expect("the cluster starts");
    let mut admin_conn = AsyncPgConnection::establish(&pg.url("postgres"))
        .await
        .unwrap();
    admin_conn
        .batch_execute("CREATE DATABASE agoat")
        .await
        .unwrap();
    drop(admin_conn);
    let url = pg.url("agoat");
    seed(&url).await;

    let timeout_ms = DB_TIMEOUT.as_millis().to_string();
    let server = Server::start_on(&url, &[("AGOAT_DB_TIMEOUT_MS", timeout_ms.as_str())]);
    let mut admin = sign_in(&server);
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let threads = readers(server.addr(), 3, &stop, &samples);

    // Writes acknowledged before the outage.
    let mut acknowledged = Vec::new();
    for n in 0..5 {
        let slug = format!("before-outage-{n}");
        let reply = admin.post("/admin/posts/new", "/admin/posts", &publish_fields(&slug));
        assert_eq!(reply.status, 303, "{}", reply.body);
        acknowledged.push(slug);
    }
    std::thread::sleep(Duration::from_millis(500));

    let stopping = Instant::now();
    pg.stop().await.expect("the cluster stops");
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let ready = get(server.addr(), "localhost", "/readyz").unwrap();
    assert_eq!(
        ready.status, 503,
        "readyz during the outage: {}",
        ready.body
    );
    let started = Instant::now();
    let write = admin.get("/admin/posts/new");
    assert!(
        write.status == 503 && started.elapsed() <= DB_TIMEOUT + SLACK,
        "the admin during the outage: {} after {:?}",
        write.status,
        started.elapsed()
    );
    assert!(
        write.body.contains("Temporarily unavailable"),
        "{}",
        write.body
    );
    std::thread::sleep(OUTAGE.saturating_sub(down.elapsed()));

    let restarting = Instant::now();
    let pg = EmbeddedPostgres::start(&dir.0)
        .await
        .expect("the cluster starts again");
    let back = Instant::now();
    std::thread::sleep(RECOVERY + Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    for thread in threads {
        thread.join().unwrap();
    }

    let samples = samples.lock().unwrap().clone();
    let during: Vec<&Sample> = samples
        .iter()
        // A page cached before the outage may still be served until the change feed is no
        // longer current, then for its short lifetime.
        .filter(|s| {
            s.started
                > down
                    + ChangeFeed::CURRENT_WITHIN
                    + ChangeFeed::POLL_EVERY
                    + PageCache::TTL
                    + Duration::from_millis(100)
                && s.started + s.took < restarting
        })
        .collect();
    assert!(
        during.len() > 10,
        "the readers kept going: {}",
        during.len()
    );
    for sample in &during {
        assert_eq!(sample.status, 503, "during the outage: {sample:?}");
        assert!(
            sample.took <= DB_TIMEOUT + SLACK,
            "a slow failure: {sample:?}"
        );
    }
    let recovered: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.started >= back + RECOVERY)
        .collect();
    assert!(
        recovered.len() > 10,
        "the readers kept going: {}",
        recovered.len()
    );
    for sample in &recovered {
        assert_eq!(sample.status, 200, "after recovery: {sample:?}");
    }
    let before: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.started + s.took < stopping)
        .collect();
    assert!(!before.is_empty());
    for sample in before {
        assert_eq!(sample.status, 200, "before the outage: {sample:?}");
    }

    assert_eq!(
        get(server.addr(), "localhost", "/readyz").unwrap().status,
        200
    );
    for slug in &acknowledged {
        let page = get(server.addr(), "alpha.test", &format!("/posts/{slug}")).unwrap();
        assert_eq!(page.status, 200, "{slug} survived the outage");
    }
    let reply = admin.post(
        "/admin/posts/new",
        "/admin/posts",
        &publish_fields("after-outage"),
    );
    assert_eq!(reply.status, 303, "writes work again: {}", reply.body);
    drop(server);
    pg.stop().await.expect("the cluster stops");
}
