//! Read replicas: real `agoat serve` processes on a primary and its streaming replica
//! (`pg_basebackup`, `tests/it/common/replica.rs`). Visitors' pages are read from the replica —
//! shown by pausing its replay and changing a post on the primary — while a signed-in user's
//! requests read the primary; a post published by another process is on the public site through
//! the replica within a second; a replica lagging past `AGOAT_REPLICA_MAX_LAG_MS` is skipped, and
//! one that stops answering costs visitors no error.

use std::time::{Duration, Instant};

use crate::cli::{Server, agoat_on, post_file};
use crate::common::http::{Reply, free_port, get as http_get, send};
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

/// The value of a sample on the metrics listener (0 when absent).
fn metric(addr: &str, series: &str) -> f64 {
    let reply = http_get(addr, "127.0.0.1", "/metrics").unwrap();
    reply
        .body
        .lines()
        .find_map(|line| {
            line.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
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
    let reply = visit(&a, "/posts/first");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("First"));
    assert!(metric(&metrics_a, replica_reads) >= 1.0);

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
    // the replica, within a second.
    pair.resume_replay().await;
    let caught_up = within(Duration::from_secs(5), || {
        visit(&a, "/posts/first")
            .body
            .contains("Changed on the primary")
    });
    assert!(caught_up.is_some(), "the replica catches up");
    let before = metric(&metrics_a, primary_reads);
    import_post(&pair.primary_url(), &site, &files, "Second", "second");
    let shown = within(Duration::from_secs(3), || {
        visit(&a, "/posts/second").status == 200
    });
    let shown = shown.expect("the new post is shown");
    assert!(shown < Duration::from_secs(1), "shown after {shown:?}");
    assert_eq!(
        metric(&metrics_a, primary_reads),
        before,
        "every visit read the replica"
    );

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
