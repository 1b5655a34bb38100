//! Behind a proxy: the forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`, `Forwarded`)
//! of a trusted proxy name the client address the throttle and the audit log use, and whether
//! the request came over https (`Secure` cookies, HSTS); from any other peer they change nothing.
//! Absolute addresses stay on the configured public origin either way.

use actix_web::test::TestRequest;
use agoat::audit::{self, Actor, Change};
use agoat::tenancy::CustomerId;
use agoat::tenancy::users::Role;
use scoped_futures::ScopedFutureExt;
use serde_json::json;

use crate::common::{Browser, Response, TestApp, sql_text, two_tenants};

const EDITOR: &str = "editor@alpha.test";
const PASSWORD: &str = "correct horse battery";
/// Header lines, in order.
type Headers<'a> = &'a [(&'a str, &'a str)];

/// The proxy the trusting tests put in front of the application.
const PROXY: &str = "10.0.0.1:443";

/// A browser on A's site reaching the application from `peer`, with these headers on every
/// request.
fn browser_from<'a>(app: &'a TestApp, peer: &str, headers: Headers) -> Browser<'a> {
    let mut browser = app.browser("alpha.test");
    browser.peer = peer.parse().unwrap();
    browser.headers = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    browser
}

/// Signs in to `email` with a wrong password; asserts the plain refusal (401).
async fn typo(browser: &mut Browser<'_>, email: &str) {
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", email), ("password", "wrong password!!")],
        )
        .await;
    assert_eq!(res.status, 401, "{email}: {}", res.body);
}

/// The client address of the newest audit event of `entity`.
async fn last_address(app: &TestApp, entity: &str) -> String {
    sql_text(
        app,
        &format!(
            "SELECT coalesce(ip, '') AS s FROM audit.events WHERE entity = '{entity}' \
             ORDER BY occurred_at DESC LIMIT 1"
        ),
    )
    .await
}

/// `n` failed sign-ins of A's customer from `address`, over as many unknown accounts, recorded
/// as the sign-in form records them.
async fn failures_from(app: &TestApp, customer: CustomerId, address: &str, n: usize) {
    let address = address.to_owned();
    app.in_scope(customer, move |conn, scope| {
        let actor = Actor {
            user_id: None,
            label: "anonymous".into(),
            ip: Some(address.clone()),
            request_id: None,
        };
        async move {
            for i in 0..n {
                let change = Change {
                    entity: "sign_in",
                    entity_id: uuid::Uuid::nil(),
                    action: "failure",
                    before: None,
                    after: Some(json!({ "email": format!("guess{i}@alpha.test") })),
                };
                audit::record(conn, scope, &actor, change).await?;
            }
            Ok(())
        }
        .scope_boxed()
    })
    .await;
}

fn secure_cookie(res: &Response) -> bool {
    let cookie = res
        .header("set-cookie")
        .expect("the sign-in page sets a cookie");
    cookie.contains("; Secure")
}

fn hsts(res: &Response) -> bool {
    res.header("strict-transport-security").is_some()
}

#[actix_web::test]
async fn a_trusted_proxy_names_the_client_the_throttle_and_the_audit_log_use() {
    let app = TestApp::with_trusted_proxies("10.0.0.0/8").await;
    let t = two_tenants(&app).await;
    app.user(t.a, EDITOR, Role::Editor, PASSWORD).await;
    let client = [
        ("X-Forwarded-For", "198.51.100.20"),
        ("X-Forwarded-Proto", "https"),
    ];
    let mut browser = browser_from(&app, PROXY, &client);
    typo(&mut browser, EDITOR).await;
    assert_eq!(last_address(&app, "sign_in").await, "198.51.100.20");
    browser.sign_in(EDITOR, PASSWORD).await;
    assert_eq!(last_address(&app, "sign_in").await, "198.51.100.20");
    let res = browser.post("/admin", "/admin/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(
        sql_text(
            &app,
            "SELECT ip AS s FROM audit.events WHERE action = 'sign_out'"
        )
        .await,
        "198.51.100.20",
        "changes of a signed-in user carry the forwarded address too"
    );

    // The throttle counts by the forwarded address: a hundred failures from it refuse it…
    failures_from(&app, t.a, "198.51.100.20", 100).await;
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    assert!(res.header("retry-after").is_some());
    assert!(
        res.error_message().contains("from your network address"),
        "{}",
        res.error_message()
    );
    // …and neither the proxy's other clients nor requests of the proxy itself.
    browser_from(&app, PROXY, &[("X-Forwarded-For", "198.51.100.21")])
        .sign_in(EDITOR, PASSWORD)
        .await;
    browser_from(&app, PROXY, &[])
        .sign_in(EDITOR, PASSWORD)
        .await;
    assert_eq!(last_address(&app, "sign_in").await, "10.0.0.1");
}

#[actix_web::test]
async fn an_untrusted_peer_cannot_name_another_client_or_claim_https() {
    let app = TestApp::with_trusted_proxies("10.0.0.0/8").await;
    let t = two_tenants(&app).await;
    app.user(t.a, EDITOR, Role::Editor, PASSWORD).await;
    let claims = [
        ("X-Forwarded-For", "198.51.100.20"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "for=198.51.100.21;proto=https"),
    ];
    let mut browser = browser_from(&app, "203.0.113.7:40000", &claims);
    let page = browser.get("/admin/login").await;
    assert_eq!(page.status, 200);
    assert!(!secure_cookie(&page), "{:?}", page.headers);
    assert!(!hsts(&page));
    typo(&mut browser, EDITOR).await;
    assert_eq!(last_address(&app, "sign_in").await, "203.0.113.7");

    // Failures of the address it names are not its own…
    failures_from(&app, t.a, "198.51.100.20", 100).await;
    failures_from(&app, t.a, "198.51.100.21", 100).await;
    browser.sign_in(EDITOR, PASSWORD).await;
    // …and its own count, whatever it names.
    failures_from(&app, t.a, "203.0.113.7", 100).await;
    let mut again = browser_from(&app, "203.0.113.7:40001", &claims);
    let res = again
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    assert!(res.header("retry-after").is_some());

    // The scheme of an absolute-form request line is the client's word too.
    let res = app
        .send(
            TestRequest::get()
                .uri("https://alpha.test/admin/login")
                .insert_header(("Host", "alpha.test"))
                .peer_addr("203.0.113.7:40002".parse().unwrap()),
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(!secure_cookie(&res) && !hsts(&res), "{:?}", res.headers);
}

#[actix_web::test]
async fn without_trusted_proxies_no_forwarding_header_is_believed() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, EDITOR, Role::Editor, PASSWORD).await;
    let mut browser = browser_from(
        &app,
        PROXY,
        &[
            ("X-Forwarded-For", "198.51.100.20"),
            ("X-Forwarded-Proto", "https"),
        ],
    );
    let page = browser.get("/admin/login").await;
    assert!(!secure_cookie(&page) && !hsts(&page), "{:?}", page.headers);
    typo(&mut browser, EDITOR).await;
    assert_eq!(last_address(&app, "sign_in").await, "10.0.0.1");
}

#[actix_web::test]
async fn https_through_a_trusted_proxy_means_secure_cookies_and_hsts() {
    let app = TestApp::with_trusted_proxies("10.0.0.0/8").await;
    two_tenants(&app).await;
    let cases: &[(Headers, bool)] = &[
        (&[("X-Forwarded-Proto", "https")], true),
        (&[("X-Forwarded-Proto", "HTTPS")], true),
        (&[("Forwarded", "for=198.51.100.20;proto=https")], true),
        (
            &[
                ("X-Forwarded-For", "198.51.100.20"),
                ("X-Forwarded-Proto", "https"),
            ],
            true,
        ),
        (&[], false),
        (&[("X-Forwarded-Proto", "http")], false),
        (&[("X-Forwarded-Proto", "javascript")], false),
        (&[("X-Forwarded-Proto", "")], false),
        (&[("Forwarded", "proto=\"https")], false),
        // X-Forwarded-Proto is read before Forwarded.
        (
            &[
                ("Forwarded", "for=198.51.100.20;proto=https"),
                ("X-Forwarded-Proto", "http"),
            ],
            false,
        ),
    ];
    for (headers, https) in cases {
        let mut browser = browser_from(&app, PROXY, headers);
        let page = browser.get("/admin/login").await;
        assert_eq!(page.status, 200, "{headers:?}");
        assert_eq!(secure_cookie(&page), *https, "{headers:?}");
        assert_eq!(hsts(&page), *https, "{headers:?}");
    }
    // Absolute addresses are the public origin's, whatever scheme the proxy names.
    let over_https = browser_from(&app, PROXY, &[("X-Forwarded-Proto", "https")])
        .get("/")
        .await;
    assert_eq!(
        over_https.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/")
    );
}

#[actix_web::test]
async fn spoofed_chains_garbage_and_several_headers_name_the_right_client() {
    let app = TestApp::with_trusted_proxies("10.0.0.0/8, fd00::/8").await;
    two_tenants(&app).await;
    let cases: &[(&str, Headers, &str)] = &[
        // The client wrote a chain ending in a trusted address; the proxy appended the real one.
        (
            PROXY,
            &[("X-Forwarded-For", "1.2.3.4, 10.0.0.9, 198.51.100.30")],
            "198.51.100.30",
        ),
        // The same chain sent straight to the application.
        (
            "203.0.113.7:40000",
            &[("X-Forwarded-For", "1.2.3.4, 10.0.0.9")],
            "203.0.113.7",
        ),
        // Through two trusted proxies.
        (
            PROXY,
            &[("X-Forwarded-For", "198.51.100.31, 10.0.0.9")],
            "198.51.100.31",
        ),
        // Garbage: the proxy is the last address believed.
        (
            PROXY,
            &[("X-Forwarded-For", "<script>alert(1)</script>")],
            "10.0.0.1",
        ),
        (PROXY, &[("X-Forwarded-For", "unknown")], "10.0.0.1"),
        (PROXY, &[("X-Forwarded-For", "999.1.2.3")], "10.0.0.1"),
        (
            PROXY,
            &[("X-Forwarded-For", "198.51.100.32, garbage")],
            "10.0.0.1",
        ),
        (
            PROXY,
            &[("X-Forwarded-For", "garbage, 198.51.100.33")],
            "198.51.100.33",
        ),
        (PROXY, &[("Forwarded", "for=_hidden")], "10.0.0.1"),
        (PROXY, &[("Forwarded", "for=\"unclosed")], "10.0.0.1"),
        (
            PROXY,
            &[("Forwarded", "for=198.51.100.34;for=198.51.100.35")],
            "10.0.0.1",
        ),
        // Quoted IPv6 with a port; ports on IPv4.
        (
            PROXY,
            &[("Forwarded", "for=\"[2001:db8::7]:4711\";proto=https")],
            "2001:db8::7",
        ),
        (
            PROXY,
            &[("X-Forwarded-For", "[2001:db8::8]:4711")],
            "2001:db8::8",
        ),
        (
            PROXY,
            &[("X-Forwarded-For", "198.51.100.36:5000")],
            "198.51.100.36",
        ),
        // Several lines of one header are one list.
        (
            PROXY,
            &[
                ("X-Forwarded-For", "1.2.3.4"),
                ("X-Forwarded-For", "198.51.100.37"),
            ],
            "198.51.100.37",
        ),
        (
            PROXY,
            &[
                ("Forwarded", "for=1.2.3.4"),
                ("Forwarded", "for=198.51.100.38;proto=https"),
            ],
            "198.51.100.38",
        ),
        // Both kinds: X-Forwarded-For is read, Forwarded left aside.
        (
            PROXY,
            &[
                ("Forwarded", "for=1.2.3.4"),
                ("X-Forwarded-For", "198.51.100.39"),
            ],
            "198.51.100.39",
        ),
        // IPv6 proxies, and an IPv4 proxy written as IPv6.
        (
            "[fd00::1]:443",
            &[("X-Forwarded-For", "198.51.100.40")],
            "198.51.100.40",
        ),
        (
            "[::ffff:10.0.0.1]:443",
            &[("X-Forwarded-For", "198.51.100.41")],
            "198.51.100.41",
        ),
        (
            "[fe80::1]:443",
            &[("X-Forwarded-For", "198.51.100.42")],
            "fe80::1",
        ),
    ];
    for (i, (peer, headers, expected)) in cases.iter().enumerate() {
        let mut browser = browser_from(&app, peer, headers);
        // One unknown account per case, so that no account limit is reached.
        typo(&mut browser, &format!("case{i}@alpha.test")).await;
        assert_eq!(
            last_address(&app, "sign_in").await,
            *expected,
            "{peer} {headers:?}"
        );
    }
}
