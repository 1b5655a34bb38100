//! Routing by `Host`: normalisation, aliases, unknown and inactive tenants, malformed requests,
//! operations endpoints, domains added while the application runs, and request lines in absolute
//! form on a running server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::http::header::{HOST, HeaderValue};
use actix_web::test::TestRequest;
use agoat::config::PublicOrigin;
use agoat::tenancy::served_hosts::HostSite;
use agoat::tenancy::{CustomerId, SiteId, customers, host, sites};
use scoped_futures::ScopedFutureExt;

use crate::cli::Server;
use crate::common::{Response, TestApp, actor, minutes_ago, two_tenants};

/// Every customer and site name `two_tenants` creates, and the words they are made of.
const TENANT_WORDS: [&str; 6] = ["Alpha", "Beta", "Health", "Labs", "Blog", "alpha"];

/// Asserts that a response names no customer or site of `two_tenants`.
fn names_nobody(res: &Response) {
    for word in TENANT_WORDS {
        assert!(
            !res.body.contains(word),
            "the body names {word:?}: {}",
            res.body
        );
    }
}

/// Asserts a 200 home page of the site called `name`.
fn is_home_of(res: &Response, name: &str) {
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.texts("title"), vec![name.to_owned()]);
    assert_eq!(res.texts("a.site-name"), vec![name.to_owned()]);
}

/// `GET path` with the `Host` header given as raw bytes (e.g. UTF-8 that is not ASCII).
async fn get_raw_host(app: &TestApp, host: &[u8], path: &str) -> Response {
    let value = HeaderValue::from_bytes(host).expect("a header value may carry UTF-8 bytes");
    app.send(TestRequest::get().uri(path).insert_header((HOST, value)))
        .await
}

#[actix_web::test]
async fn port_in_host_is_ignored() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    let res = app.get("alpha.test:8080", "/").await;
    is_home_of(&res, "Alpha Blog");
    assert_eq!(res.texts(".post-card h2"), vec!["Title of alpha-post"]);

    let res = app.get("beta.test:443", "/posts/beta-post").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("h1.post-title"), vec!["Title of beta-post"]);
}

#[actix_web::test]
async fn host_is_case_insensitive() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    is_home_of(&app.get("ALPHA.Test", "/").await, "Alpha Blog");
    is_home_of(&app.get("BETA.TEST:8080", "/").await, "Beta Blog");
}

#[actix_web::test]
async fn trailing_dot_in_host_is_ignored() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    is_home_of(&app.get("alpha.test.", "/").await, "Alpha Blog");
    is_home_of(&app.get("Alpha.Test.:8080", "/").await, "Alpha Blog");
}

#[actix_web::test]
async fn punycode_host_reaches_an_idn_site() {
    let app = TestApp::new().await;
    let c = app.customer("Bücher GmbH").await;
    app.site(c, "Bücher Blog", "xn--bcher-kva.test").await;

    is_home_of(&app.get("xn--bcher-kva.test", "/").await, "Bücher Blog");
    is_home_of(&app.get("XN--BCHER-KVA.test.", "/").await, "Bücher Blog");
}

#[actix_web::test]
async fn unicode_host_is_converted_to_punycode() {
    let app = TestApp::new().await;
    let c = app.customer("Bücher GmbH").await;
    app.site(c, "Bücher Blog", "xn--bcher-kva.test").await;

    // A client may send the Unicode form as raw UTF-8 bytes (obs-text in a header value).
    let res = get_raw_host(&app, "bücher.test".as_bytes(), "/").await;
    is_home_of(&res, "Bücher Blog");
    let res = get_raw_host(&app, "BÜCHER.test.:8080".as_bytes(), "/").await;
    is_home_of(&res, "Bücher Blog");
}

#[actix_web::test]
async fn host_normalisation_maps_idn_to_punycode() {
    assert_eq!(
        host::normalize("bücher.test").as_deref(),
        Ok("xn--bcher-kva.test")
    );
    assert_eq!(
        host::normalize("BÜCHER.Test.:8080").as_deref(),
        Ok("xn--bcher-kva.test")
    );
    assert_eq!(host::normalize("ALPHA.Test.").as_deref(), Ok("alpha.test"));
    assert_eq!(
        host::normalize("alpha.test:8080").as_deref(),
        Ok("alpha.test")
    );
}

#[actix_web::test]
async fn alias_redirects_to_the_primary_with_path_and_query() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.alias(t.a, t.a_site, "alpha-alias.test").await;

    let res = app.get("alpha-alias.test", "/posts/x?y=1").await;
    assert_eq!(res.status, 301);
    assert_eq!(
        res.header("location"),
        Some("http://alpha.test/posts/x?y=1")
    );

    let res = app.get("alpha-alias.test", "/").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("http://alpha.test/"));

    let res = app
        .get("ALPHA-ALIAS.test.", "/products?category=Vitamins&x=%20y")
        .await;
    assert_eq!(res.status, 301);
    assert_eq!(
        res.header("location"),
        Some("http://alpha.test/products?category=Vitamins&x=%20y")
    );
    // The redirect says nothing about the tenant.
    assert!(!res.body.contains("Alpha Health"));
}

#[actix_web::test]
async fn alias_redirect_goes_to_the_public_origin_not_the_requests_port() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.alias(t.a, t.a_site, "alpha-alias.test").await;
    for host in [
        "alpha-alias.test:8080",
        "alpha-alias.test:99999",
        "alpha-alias.test:80",
    ] {
        let res = app.get(host, "/posts/x?y=1").await;
        assert_eq!(res.status, 301, "{host}");
        assert_eq!(
            res.header("location"),
            Some("http://alpha.test/posts/x?y=1"),
            "{host}"
        );
    }

    // The configured origin's port is kept (the scheme's own is not repeated).
    let app = TestApp::with_origin(PublicOrigin::new("https", Some(8443)).unwrap()).await;
    let t = two_tenants(&app).await;
    app.alias(t.a, t.a_site, "alpha-alias.test").await;
    let res = app.get("alpha-alias.test:99999", "/posts/x").await;
    assert_eq!(res.status, 301);
    assert_eq!(
        res.header("location"),
        Some("https://alpha.test:8443/posts/x")
    );
}

#[actix_web::test]
async fn unknown_host_is_a_404_that_names_nobody() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    for path in ["/", "/posts/alpha-post", "/products", "/feed.xml", "/nope"] {
        let res = app.get("unknown.test", path).await;
        assert_eq!(res.status, 404, "{path}");
        names_nobody(&res);
    }
}

#[actix_web::test]
async fn inactive_customer_is_a_404_that_names_nobody() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.alias(t.a, t.a_site, "alpha-alias.test").await;
    assert_eq!(app.get("alpha.test", "/").await.status, 200);
    assert_eq!(app.get("alpha-alias.test", "/").await.status, 301);

    app.in_scope(t.a, |conn, scope| {
        async move { customers::deactivate(conn, scope, &actor()).await }.scope_boxed()
    })
    .await;
    app.state.directory.invalidate();

    for (host, path) in [
        ("alpha.test", "/"),
        ("alpha.test", "/posts/alpha-post"),
        ("alpha.test", "/products/ALPHA-1"),
        ("alpha-alias.test", "/"),
    ] {
        let res = app.get(host, path).await;
        assert_eq!(res.status, 404, "{host}{path}");
        names_nobody(&res);
    }
    // The other customer is unaffected.
    is_home_of(&app.get("beta.test", "/").await, "Beta Blog");
}

#[actix_web::test]
async fn inactive_site_is_a_404_that_names_nobody() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let shop = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    app.post(t.a, shop, "shop-post", Some(minutes_ago(5))).await;
    assert_eq!(app.get("alpha.test", "/").await.status, 200);

    let site = t.a_site;
    app.in_scope(t.a, move |conn, scope| {
        async move { sites::deactivate(conn, scope, site, &actor()).await }.scope_boxed()
    })
    .await;
    app.state.directory.invalidate();

    for path in ["/", "/posts/alpha-post", "/products"] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 404, "{path}");
        names_nobody(&res);
        assert!(!res.body.contains("Shop"));
    }
    // The customer's other site still answers.
    let res = app.get("shop.alpha.test", "/").await;
    is_home_of(&res, "Alpha Shop");
    assert_eq!(res.texts(".post-card h2"), vec!["Title of shop-post"]);
}

#[actix_web::test]
async fn a_host_the_served_set_names_is_resolved_without_a_lookup() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.alias(t.a, t.a_site, "alpha-alias.test").await;
    app.state.served_hosts.refresh(&app.pool).await.unwrap();
    let before = app.state.directory.host_lookups();

    is_home_of(&app.get("alpha.test", "/").await, "Alpha Blog");
    is_home_of(&app.get("beta.test", "/").await, "Beta Blog");
    let res = app.get("alpha-alias.test", "/posts/alpha-post").await;
    assert_eq!(res.status, 301);
    assert_eq!(
        res.header("location"),
        Some("http://alpha.test/posts/alpha-post")
    );
    assert_eq!(app.state.directory.host_lookups(), before, "no host lookup");

    // A host the set does not name is looked up.
    let res = app.get("nobody.test", "/").await;
    assert_eq!(res.status, 404);
    names_nobody(&res);
    assert_eq!(app.state.directory.host_lookups(), before + 1);
}

#[actix_web::test]
async fn a_served_set_out_of_date_never_shows_another_site() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    // As if, within the last second, each host had moved to the other customer's site, and a
    // host of Alpha's had been removed.
    let named = |customer, site| HostSite { customer, site };
    // A customer and a site that no longer exist (moved to another database).
    let nowhere = named(
        CustomerId::from_uuid(uuid::Uuid::new_v4()),
        SiteId::from_uuid(uuid::Uuid::new_v4()),
    );
    app.alias(t.a, t.a_site, "alpha-alias.test").await;
    app.state.served_hosts.replace([
        ("alpha.test".to_owned(), named(t.b, t.b_site)),
        ("beta.test".to_owned(), named(t.a, t.a_site)),
        ("gone.test".to_owned(), named(t.a, t.a_site)),
        ("alpha-alias.test".to_owned(), nowhere),
        ("moved.test".to_owned(), nowhere),
    ]);
    let before = app.state.directory.host_lookups();

    is_home_of(&app.get("beta.test", "/").await, "Beta Blog");
    let res = app.get("beta.test", "/posts/alpha-post").await;
    assert_eq!(res.status, 404, "Alpha's post is not on Beta's site");
    is_home_of(&app.get("alpha.test", "/").await, "Alpha Blog");
    let res = app.get("alpha-alias.test", "/").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("http://alpha.test/"));
    for host in ["gone.test", "moved.test"] {
        let res = app.get(host, "/").await;
        assert_eq!(res.status, 404, "{host}");
        names_nobody(&res);
    }
    // Each was checked against the site the set named, then looked up.
    assert_eq!(app.state.directory.host_lookups(), before + 5);

    // A site deactivated since the set was read is not served from it.
    app.state.served_hosts.refresh(&app.pool).await.unwrap();
    let a_site = t.a_site;
    app.in_scope(t.a, move |conn, scope| {
        async move { sites::deactivate(conn, scope, a_site, &actor()).await }.scope_boxed()
    })
    .await;
    app.state.directory.invalidate();
    let res = app.get("alpha.test", "/").await;
    assert_eq!(res.status, 404);
    names_nobody(&res);
}

#[actix_web::test]
async fn missing_host_is_a_400() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    let req = TestRequest::default().uri("/");
    assert!(
        req.to_request().head().headers.get(HOST).is_none(),
        "the test request carries no Host"
    );
    let res = app.send(TestRequest::default().uri("/")).await;
    assert_eq!(res.status, 400);
    names_nobody(&res);

    let res = app
        .send(TestRequest::default().uri("/posts/alpha-post"))
        .await;
    assert_eq!(res.status, 400);

    let res = app.get("", "/").await;
    assert_eq!(res.status, 400);
}

#[actix_web::test]
async fn malformed_host_is_a_400() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    for host in [
        "bad host",
        "a..b",
        "x:abc",
        "alpha.test:",
        "alpha.test:123456",
        ".alpha.test",
        "-alpha.test",
        "alpha.test/x",
        "user@alpha.test",
        "alpha.test:80:80",
    ] {
        let res = app.get(host, "/").await;
        assert_eq!(res.status, 400, "{host:?}");
        names_nobody(&res);
    }
}

#[actix_web::test]
async fn healthz_answers_whatever_the_host() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    let res = app.send(TestRequest::default().uri("/healthz")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body.trim(), "ok");
    for host in ["alpha.test", "unknown.test", "bad host", "a..b", "x:abc"] {
        let res = app.get(host, "/healthz").await;
        assert_eq!(res.status, 200, "{host:?}");
        assert_eq!(res.body.trim(), "ok");
    }
}

#[actix_web::test]
async fn readyz_reports_ready() {
    let app = TestApp::new().await;

    let res = app.send(TestRequest::default().uri("/readyz")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body.trim(), "ready");
    let res = app.get("unknown.test", "/readyz").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body.trim(), "ready");
}

/// Polls `GET host/` every 100 ms until the status is `want`; returns how long it took.
async fn poll_until(app: &TestApp, host: &str, want: u16) -> Duration {
    let started = Instant::now();
    loop {
        let res = app.get(host, "/").await;
        if res.status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{host} still answers {} after 2 s",
            res.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_new_site_is_served_within_two_seconds() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    assert_eq!(app.get("gamma.test", "/").await.status, 404);

    let c = app.customer("Gamma Corp").await;
    app.site(c, "Gamma Blog", "gamma.test").await;
    let took = poll_until(&app, "gamma.test", 200).await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    is_home_of(&app.get("gamma.test", "/").await, "Gamma Blog");
}

#[actix_web::test]
async fn a_new_alias_is_served_within_two_seconds() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    assert_eq!(app.get("alpha-new.test", "/").await.status, 404);

    app.alias(t.a, t.a_site, "alpha-new.test").await;
    let took = poll_until(&app, "alpha-new.test", 301).await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    let res = app.get("alpha-new.test", "/posts/alpha-post").await;
    assert_eq!(
        res.header("location"),
        Some("http://alpha.test/posts/alpha-post")
    );
}

/// Sends `head` (a request line and headers, without the blank line) to a running server and
/// returns the status and the body.
fn raw_request(server: &Server, head: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "{head}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = head.lines().find_map(|l| {
        l.strip_prefix("location: ")
            .or_else(|| l.strip_prefix("Location: "))
    });
    (status, format!("{}{body}", location.unwrap_or("")))
}

#[actix_web::test]
async fn a_request_line_in_absolute_form_is_routed_by_its_authority_not_by_host() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.alias(t.a, t.a_site, "alpha-alias.test").await;
    let server = Server::start_with(&app.db, &[]);

    // The authority of the request line names the site; the Host header is ignored.
    let (status, body) = raw_request(
        &server,
        "GET http://alpha.test/posts/alpha-post HTTP/1.1\r\nHost: beta.test",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Title of alpha-post"), "{body}");
    assert!(!body.contains("Beta"), "{body}");
    let (status, body) = raw_request(
        &server,
        "GET http://beta.test/posts/alpha-post HTTP/1.1\r\nHost: alpha.test",
    );
    assert_eq!(status, 404, "B has no such post: {body}");
    assert!(!body.contains("Title of alpha-post"), "{body}");
    let (status, body) = raw_request(
        &server,
        "GET http://ALPHA.test.:99999/ HTTP/1.1\r\nHost: beta.test",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<title>Alpha Blog</title>"), "{body}");
    assert!(body.contains("href=\"http://alpha.test/\""), "{body}");
    assert!(!body.contains("99999"), "{body}");
    let (status, body) = raw_request(
        &server,
        "GET http://beta.test/admin/login HTTP/1.1\r\nHost: alpha.test",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Beta Blog"), "{body}");
    assert!(!body.contains("Alpha"), "{body}");

    // An alias or an unknown name in the request line counts, not a known Host.
    let (status, location) = raw_request(
        &server,
        "GET http://alpha-alias.test/products?x=1 HTTP/1.1\r\nHost: beta.test",
    );
    assert_eq!(status, 301);
    assert!(
        location.starts_with("http://alpha.test/products?x=1"),
        "{location}"
    );
    let (status, body) = raw_request(
        &server,
        "GET http://unknown.test/ HTTP/1.1\r\nHost: alpha.test",
    );
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("Alpha"), "{body}");
    // An HTTP/1.1 request without a Host header is still malformed (RFC 9112 §3.2).
    let (status, body) = raw_request(&server, "GET http://beta.test/ HTTP/1.1");
    assert_eq!(status, 400, "{body}");
    // The origin form still goes by Host.
    let (status, body) = raw_request(&server, "GET / HTTP/1.1\r\nHost: alpha.test");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<title>Alpha Blog</title>"), "{body}");
}
