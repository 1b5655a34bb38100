//! Read replicas: real `agoat serve` processes on a primary and its streaming replica
//! (`pg_basebackup`, `tests/it/common/replica.rs`). Visitors' pages are read from the replica —
//! shown by pausing its replay and changing a post on the primary — while a signed-in user's
//! requests read the primary; a post published by another process is on the public site through
//! the replica within a second; a replica lagging past `AGOAT_REPLICA_MAX_LAG_MS` is skipped, and
//! one that stops answering costs visitors no error. While the primary is down, visitors of a site
//! the server already routed keep being served from the replica.

use std::time::{Duration, Instant};

use crate::cli::{Server, agoat_on, post_file};
use crate::common::http::{Reply, free_port, metric, send};
use crate::common::replica::ReplicaPair;
use diesel_async::SimpleAsyncConnection;

/// A customer with a site on `alpha.test` and one published post, `first`, titled "First".
fn seed(url: &str, files: &tempfile::TempDir) -> String {
    agoat_on(url, &["migrate"]).assert_ok();
    let customer = agoat_on(url, &["customer", "create", "--name", "Alpha Health"]).new_id();
    let site = agoat_on(
        url,
        &[
            "site",
            "create",
            "--customer",
            &customer.to_string(),
            "--name",
            "Alpha Blog",
            "--domain",
            "alpha.test",
        ],
    )
    .new_id();
    import_post(url, &site.to_string(), files, "First", "first");
    site.to_string()
}

fn import_post(url: &str, site: &str, files: &tempfile::TempDir, title: &str, slug: &str) {
    let path = files.path().join(format!("{slug}.md"));
    std::fs::write(&path, post_file(title, slug, "2024-05-01", false)).unwrap();
    agoat_on(
        url,
        &["import", "posts", "--site", site, path.to_str().unwrap()],
    )
    .assert_ok();
}

/// Polls `done` every 50 ms for at most `within`; how long it took, or none.
fn within(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if done() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A page as a visitor asks for it; a new query string each time, so that the page cache (which
/// is not what is tested here) never answers.
fn visit(server: &Server, path: &str) -> Reply {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    server.get("alpha.test", &format!("{path}?visit={n}"))
}

/// The same as a signed-in user's browser asks for it.
fn visit_signed_in(server: &Server, path: &str) -> Reply {
    send(
        server.addr(),
        "GET",
        "alpha.test",
        &format!("{path}?signed-in={}", uuid::Uuid::new_v4()),
        Some("agoat_session=a-session"),
        None,
    )
    .unwrap()
}

#[actix_web::test]
async fn visitors_read_the_replica_and_fall_back_to_the_primary() {
    let pair = ReplicaPair::start().await;
    let files = tempfile::tempdir().unwrap();
    let site = seed(&pair.primary_url(), &files);
    let replica_label = format!("127.0.0.1:{}/agoat", pair.replica_port);
    let usable = format!("agoat_db_replica_usable{{replica=\"{replica_label}\"}}");
    let replica_reads = "agoat_db_visitor_reads_total{database=\"replica\"}";
    let primary_reads = "agoat_db_visitor_reads_total{database=\"primary\"}";

    // Server A tolerates any lag; server B skips a replica more than a second behind.
    let (metrics_a, metrics_b) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let replica_url = pair.replica_url();
    let a = Server::start_on(
        &pair.primary_url(),
        &[
            ("AGOAT_DATABASE_REPLICA_URLS", replica_url.as_str()),
            ("AGOAT_REPLICA_MAX_LAG_MS", "600000"),
            ("AGOAT_METRICS_BIND", metrics_a.as_str()),
        ],
    );
    let b = Server::start_on(
        &pair.primary_url(),
        &[
            ("AGOAT_DATABASE_REPLICA_URLS", replica_url.as_str()),
            ("AGOAT_METRICS_BIND", metrics_b.as_str()),
        ],
    );
    for metrics in [&metrics_a, &metrics_b] {
        let ready = within(Duration::from_secs(10), || metric(metrics, &usable) == 1.0);
        assert!(ready.is_some(), "the replica is measured and used");
    }
    // Right after the seed, visitors read the primary until the replica is measured caught up
    // with it; then the replica.
    let on_replica = within(Duration::from_secs(3), || {
        let reply = visit(&a, "/posts/first");
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body.contains("First") && metric(&metrics_a, replica_reads) >= 1.0
    });
    assert!(on_replica.is_some(), "visitors read the replica");

    // Replay paused, the post changed on the primary: visitors of A still read the replica's
    // copy; a signed-in user reads the primary's.
    pair.pause_replay().await;
    let mut primary = pair.primary().await;
    primary
        .batch_execute(
            "UPDATE content.posts SET title = 'Changed on the primary' WHERE slug = 'first'",
        )
        .await
        .unwrap();
    let reply = visit(&a, "/posts/first");
    assert_eq!(reply.status, 200);
    assert!(
        !reply.body.contains("Changed on the primary"),
        "a visitor reads the replica"
    );
    let reply = visit_signed_in(&a, "/posts/first");
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.contains("Changed on the primary"),
        "a signed-in user reads the primary"
    );

    // B measures the replica's lag past its limit and sends its visitors to the primary.
    let skipped = within(Duration::from_secs(5), || {
        metric(&metrics_b, &usable) == 0.0
    });
    assert!(
        skipped.is_some(),
        "B skips a replica more than a second behind"
    );
    let reply = visit(&b, "/posts/first");
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.contains("Changed on the primary"),
        "B's visitors read the primary"
    );

    // Replay resumed: a post published by another process is on A's public site, read from
    // the replica, within a second. (Until the replica is measured caught up with the change,
    // which the change feed tells A of, A's visitors read the primary.)
    pair.resume_replay().await;
    let caught_up = within(Duration::from_secs(5), || {
        visit(&a, "/posts/first")
            .body
            .contains("Changed on the primary")
    });
    assert!(caught_up.is_some(), "the replica catches up");
    import_post(&pair.primary_url(), &site, &files, "Second", "second");
    let from_replica = within(Duration::from_secs(3), || {
        let (replica, primary) = (
            metric(&metrics_a, replica_reads),
            metric(&metrics_a, primary_reads),
        );
        visit(&a, "/posts/second").status == 200
            && metric(&metrics_a, replica_reads) > replica
            && metric(&metrics_a, primary_reads) == primary
    });
    let from_replica = from_replica.expect("the new post is shown from the replica");
    assert!(
        from_replica < Duration::from_secs(1),
        "shown from the replica after {from_replica:?}"
    );
    let before = metric(&metrics_a, primary_reads);

    // The replica stops: visitors see no error, on either server.
    pair.stop_replica();
    for server in [&a, &b] {
        for _ in 0..5 {
            let started = Instant::now();
            let reply = visit(server, "/posts/second");
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert!(started.elapsed() < Duration::from_secs(2));
        }
    }
    assert!(metric(&metrics_a, primary_reads) > before);
}

#[actix_web::test]
async fn visitors_of_known_sites_are_served_from_the_replica_while_the_primary_is_down() {
    let pair = ReplicaPair::start().await;
    let files = tempfile::tempdir().unwrap();
    let site = seed(&pair.primary_url(), &files);
    let usable = format!(
        "agoat_db_replica_usable{{replica=\"127.0.0.1:{}/agoat\"}}",
        pair.replica_port
    );
    let stale = "agoat_site_directory_stale_total";
    let metrics = format!("127.0.0.1:{}", free_port());
    let replica_url = pair.replica_url();
    let server = Server::start_on(
        &pair.primary_url(),
        &[
            ("AGOAT_DATABASE_REPLICA_URLS", replica_url.as_str()),
            ("AGOAT_METRICS_BIND", metrics.as_str()),
        ],
    );
    let ready = within(Duration::from_secs(10), || metric(&metrics, &usable) == 1.0);
    assert!(ready.is_some(), "the replica is measured and used");
    let on_replica = within(Duration::from_secs(3), || {
        visit(&server, "/posts/first").status == 200
            && metric(
                &metrics,
                "agoat_db_visitor_reads_total{database=\"replica\"}",
            ) >= 1.0
    });
    assert!(on_replica.is_some(), "visitors read the replica");

    // The primary crashes; once the site's directory entry is past its lifetime, visitors are
    // still routed by it and read the replica.
    pair.stop_primary();
    std::thread::sleep(Duration::from_secs(1));
    for _ in 0..3 {
        for path in ["/posts/first", "/"] {
            let reply = visit(&server, path);
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            assert!(reply.body.contains("Alpha Blog"));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(metric(&metrics, stale) >= 1.0, "routed by the last entry");
    // A host this server never routed cannot be looked up: 503, not a wrong site.
    assert_eq!(server.get("beta.test", "/").status, 503);

    // The primary is back: a post published meanwhile by another process is shown.
    pair.start_primary_again();
    import_post(&pair.primary_url(), &site, &files, "Second", "second");
    let shown = within(Duration::from_secs(5), || {
        visit(&server, "/posts/second").status == 200
    });
    assert!(shown.is_some(), "the server reads the primary again");
}
