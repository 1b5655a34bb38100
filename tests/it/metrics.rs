//! Metrics: a real `agoat serve` with `AGOAT_METRICS_BIND` serves Prometheus' text format on that
//! listener only — requests by route pattern (never by address) and status with latency
//! histograms, page cache hits and misses, the pool, the mail outbox, series of their own only for
//! the customers `AGOAT_METRICS_CUSTOMERS` names — and nothing of it on a customer's domain; a bad
//! setting stops the server before it starts.

use crate::cli::{Server, agoat_with_env};
use crate::common::http::{free_port, get as http_get, sample};
use crate::common::{TestApp, two_tenants};

fn has_series(text: &str, series: &str) -> bool {
    sample(text, series).is_some()
}

#[actix_web::test]
async fn a_server_reports_requests_cache_pool_and_mail_on_its_own_listener() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let tracked = t.a.to_string();
    let server = Server::start_with(
        &app.db,
        &[
            ("AGOAT_METRICS_BIND", metrics_addr.as_str()),
            ("AGOAT_METRICS_CUSTOMERS", tracked.as_str()),
        ],
    );

    // Traffic: a post twice (rendered, then from the cache), the other customer's home page, a
    // page that does not exist, the sign-in page.
    assert_eq!(server.get("alpha.test", "/posts/alpha-post").status, 200);
    assert_eq!(server.get("alpha.test", "/posts/alpha-post").status, 200);
    assert_eq!(server.get("beta.test", "/").status, 200);
    assert_eq!(server.get("alpha.test", "/no-such-page").status, 404);
    assert_eq!(server.get("alpha.test", "/admin/login").status, 200);
    // Never on the sites' listener, whatever the host.
    for host in ["alpha.test", "127.0.0.1", "localhost"] {
        let reply = server.get(host, "/metrics");
        assert_ne!(reply.status, 200, "{host}");
        assert!(!reply.body.contains("agoat_http_requests_total"), "{host}");
    }

    let reply = http_get(&metrics_addr, "127.0.0.1", "/metrics").unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = reply.body;
    let requests = |route: &str, status: u16| {
        sample(
            &text,
            &format!(
                "agoat_http_requests_total{{route=\"{route}\",method=\"GET\",status=\"{status}\"}}"
            ),
        )
        .unwrap_or(0.0)
    };
    assert!(requests("/posts/{slug}", 200) >= 1.0, "{text}");
    // The post's second answer came from the cache, and was counted with its latency.
    assert_eq!(requests("(page cache)", 200), 1.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "agoat_http_request_duration_seconds_count{route=\"(page cache)\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert!(requests("/admin/login", 200) >= 1.0, "{text}");
    assert!(requests("(default)", 404) >= 1.0, "{text}");
    // Route patterns, never addresses: no series names a post.
    assert!(!text.contains("alpha-post"), "{text}");
    assert!(
        has_series(
            &text,
            "agoat_http_request_duration_seconds_bucket{route=\"/admin/login\",le=\"+Inf\"}"
        ),
        "{text}"
    );
    assert!(
        sample(&text, "agoat_page_cache_hits_total").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "agoat_page_cache_misses_total").unwrap_or(0.0) >= 2.0,
        "{text}"
    );
    assert!(
        sample(&text, "agoat_page_cache_entries").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "agoat_page_cache_bytes").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    assert!(
        sample(&text, "agoat_db_pool_max_connections").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    assert!(
        sample(&text, "agoat_db_pool_open_connections").unwrap_or(0.0) > 0.0,
        "{text}"
    );
    assert!(
        has_series(&text, "agoat_db_pool_in_use_connections"),
        "{text}"
    );
    assert!(
        has_series(&text, "agoat_db_pool_waiting_requests"),
        "{text}"
    );
    assert!(has_series(&text, "agoat_mail_outbox_queued"), "{text}");
    assert!(
        has_series(&text, "agoat_mail_handled_total{outcome=\"sent\"}"),
        "{text}"
    );
    for name in [
        "agoat_http_requests_total",
        "agoat_http_request_duration_seconds",
        "agoat_page_cache_hits_total",
        "agoat_db_pool_in_use_connections",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
    }

    // Series of its own only for the customer named.
    let tracked_ok = format!(
        "agoat_customer_http_requests_total{{customer=\"{}\",status=\"2xx\"}}",
        t.a
    );
    assert!(sample(&text, &tracked_ok).unwrap_or(0.0) >= 3.0, "{text}");
    assert!(!text.contains(&t.b.to_string()), "{text}");

    // Only /metrics on that listener.
    let other = http_get(&metrics_addr, "127.0.0.1", "/").unwrap();
    assert_eq!(other.status, 404);
}

#[actix_web::test]
async fn a_bad_metrics_setting_stops_the_server_with_the_reason() {
    let app = TestApp::new().await;
    for (variable, value, reason) in [
        ("AGOAT_METRICS_BIND", "not an address", "AGOAT_METRICS_BIND"),
        ("AGOAT_METRICS_CUSTOMERS", "alpha", "is not a customer id"),
    ] {
        let bind = format!("127.0.0.1:{}", free_port());
        let mut env = vec![(variable, value)];
        if variable != "AGOAT_METRICS_BIND" {
            env.push(("AGOAT_METRICS_BIND", "127.0.0.1:0"));
        }
        let run = agoat_with_env(&app.db, &["serve", "--bind", &bind], &env);
        assert!(!run.status.success(), "{variable}");
        assert!(run.stderr.contains(reason), "{variable}: {}", run.stderr);
    }
}
