//! `GET /.well-known/agoat/tls-allowed?domain=D`, the question a TLS proxy asks before it gets a
//! certificate on demand: 200 for a domain (primary or alias) of an active site of an active
//! customer, 404 for any other name, 400 for a missing or malformed parameter; on any host, with
//! a body that names no customer, from memory — also while the database is unreachable.

use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use agoat::tenancy::served_hosts::HostSite;
use agoat::tenancy::{CustomerId, SiteId, customers, sites};
use diesel_async::SimpleAsyncConnection;
use scoped_futures::ScopedFutureExt;

use crate::common::{Response, TestApp, actor};

const PATH: &str = "/.well-known/agoat/tls-allowed";

async fn ask(app: &TestApp, host: &str, query: &str) -> Response {
    app.get(host, &format!("{PATH}?{query}")).await
}

/// Polls until asking for `domain` answers `status`, for at most a few refreshes.
async fn eventually(app: &TestApp, domain: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let res = ask(app, "proxy.internal", &format!("domain={domain}")).await;
        if res.status == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{domain}: still {} instead of {status}",
            res.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn answers_for_the_domains_of_active_sites_only() {
    let app = TestApp::new().await;
    let a = app.customer("Alpha Health").await;
    let a_site = app.site(a, "Alpha Blog", "alpha.test").await;
    app.alias(a, a_site, "www.alpha.test").await;
    let a_shop = app.site(a, "Alpha Shop", "shop.alpha.test").await;
    let c = app.customer("Gamma Goods").await;
    app.site(c, "Gamma Blog", "gamma.test").await;
    app.state.served_hosts.keep_fresh(app.pool.clone()).await;

    for (host, query, status) in [
        // Primary domains and aliases, however the name is spelt, asked on any host.
        ("proxy.internal", "domain=alpha.test", 200),
        ("127.0.0.1:8080", "domain=www.alpha.test", 200),
        ("alpha.test", "domain=ALPHA.Test.", 200),
        ("unknown.test", "domain=shop.alpha.test", 200),
        ("proxy.internal", "domain=gamma.test", 200),
        // Names no site has.
        ("proxy.internal", "domain=unknown.test", 404),
        ("proxy.internal", "domain=test", 404),
        ("proxy.internal", "domain=evil.alpha.test", 404),
        // Not one domain.
        ("proxy.internal", "", 400),
        ("proxy.internal", "domain=", 400),
        ("proxy.internal", "name=alpha.test", 400),
        ("proxy.internal", "domain=alpha.test:443", 400),
        ("proxy.internal", "domain=alpha.test/admin", 400),
        ("proxy.internal", "domain=alpha..test", 400),
        ("proxy.internal", "domain=alpha.test&domain=gamma.test", 400),
        ("proxy.internal", "domain=%FF%FE", 400),
    ] {
        let res = ask(&app, host, query).await;
        assert_eq!(res.status, status, "{host} {query}: {}", res.body);
        assert!(
            ["allowed\n", "unknown\n", "bad request\n"].contains(&res.body.as_str())
                || res.status == 400,
            "{query}: {:?}",
            res.body
        );
        for name in ["Alpha", "Gamma", "alpha.test", "gamma.test"] {
            assert!(!res.body.contains(name), "{query}: {:?}", res.body);
        }
        assert_eq!(res.header("cache-control"), Some("no-store"), "{query}");
    }
    let garbage = format!("domain={}", "a".repeat(5_000));
    assert_eq!(ask(&app, "proxy.internal", &garbage).await.status, 400);

    // A deactivated customer or site is refused after the next refresh, without any request
    // touching the database.
    app.in_scope(c, |conn, scope| {
        async move { customers::deactivate(conn, scope, &actor()).await }.scope_boxed()
    })
    .await;
    app.in_scope(a, move |conn, scope| {
        async move { sites::deactivate(conn, scope, a_shop, &actor()).await }.scope_boxed()
    })
    .await;
    eventually(&app, "gamma.test", 404).await;
    eventually(&app, "shop.alpha.test", 404).await;
    assert_eq!(
        ask(&app, "proxy.internal", "domain=alpha.test")
            .await
            .status,
        200
    );

    // A domain added later is served after the next refresh.
    app.alias(a, a_site, "alpha.example").await;
    eventually(&app, "alpha.example", 200).await;
}

#[actix_web::test]
async fn answers_503_until_the_set_is_first_loaded() {
    let app = TestApp::new().await;
    let a = app.customer("Alpha Health").await;
    app.site(a, "Alpha Blog", "alpha.test").await;
    let res = ask(&app, "proxy.internal", "domain=alpha.test").await;
    assert_eq!(res.status, 503);
    app.state
        .served_hosts
        .refresh(&app.pool)
        .await
        .expect("the set loads");
    assert_eq!(
        ask(&app, "proxy.internal", "domain=alpha.test")
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn keeps_answering_from_the_last_set_while_the_database_is_unreachable() {
    let app = TestApp::new().await;
    let a = app.customer("Alpha Health").await;
    let a_site = app.site(a, "Alpha Blog", "alpha.test").await;
    app.alias(a, a_site, "www.alpha.test").await;
    app.state.served_hosts.keep_fresh(app.pool.clone()).await;
    assert_eq!(
        ask(&app, "proxy.internal", "domain=alpha.test")
            .await
            .status,
        200
    );

    // The serving login can no longer connect, and its open connections are ended.
    let mut owner = app.db.owner_conn().await;
    let name = &app.db.name;
    owner
        .batch_execute(&format!(
            "REVOKE CONNECT ON DATABASE \"{name}\" FROM PUBLIC; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
              WHERE datname = '{name}' AND pid <> pg_backend_pid();"
        ))
        .await
        .unwrap();
    let failures = app.state.served_hosts.failures();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.served_hosts.failures() < failures + 2 {
        assert!(Instant::now() < deadline, "no refresh failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        app.pool.ping().await.is_err(),
        "the database is unreachable"
    );

    for (domain, status) in [
        ("alpha.test", 200),
        ("www.alpha.test", 200),
        ("unknown.test", 404),
    ] {
        let started = Instant::now();
        let res = ask(&app, "proxy.internal", &format!("domain={domain}")).await;
        assert_eq!(res.status, status, "{domain}");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{domain}: took {:?}",
            started.elapsed()
        );
    }

    owner
        .batch_execute(&format!("GRANT CONNECT ON DATABASE \"{name}\" TO PUBLIC"))
        .await
        .unwrap();
    let loads = app.state.served_hosts.loads();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.served_hosts.loads() == loads {
        assert!(Instant::now() < deadline, "the set was not reloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn other_methods_are_not_answered_here() {
    let app = TestApp::new().await;
    let somewhere = HostSite {
        customer: CustomerId::from_uuid(uuid::Uuid::new_v4()),
        site: SiteId::from_uuid(uuid::Uuid::new_v4()),
    };
    app.state
        .served_hosts
        .replace([("alpha.test".to_owned(), somewhere)]);
    let res = app
        .send(
            TestRequest::post()
                .uri(&format!("{PATH}?domain=alpha.test"))
                .insert_header(("Host", "proxy.internal")),
        )
        .await;
    assert_ne!(res.status, 200);
}
