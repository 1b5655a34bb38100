//! Every response carries the security headers: a CSP without inline script (no nonce either: no
//! page has an inline script), nosniff, a referrer policy, no framing of the admin, HSTS only over https.

use actix_web::test::TestRequest;

use crate::common::{Response, TestApp, two_tenants};

fn csp(res: &Response) -> String {
    res.header("content-security-policy")
        .unwrap_or_else(|| panic!("no CSP on a {} response", res.status))
        .to_owned()
}

fn assert_common(res: &Response, admin: bool) {
    let policy = csp(res);
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("nonce-"), "{policy}");
    assert!(policy.contains("object-src 'none'"), "{policy}");
    let ancestors = if admin { "'none'" } else { "'self'" };
    assert!(
        policy.contains(&format!("frame-ancestors {ancestors}")),
        "{policy}"
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        res.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    let framing = if admin { "DENY" } else { "SAMEORIGIN" };
    assert_eq!(res.header("x-frame-options"), Some(framing));
    assert!(res.header("permissions-policy").is_some());
}

#[actix_web::test]
async fn every_kind_of_response_carries_them() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    for (host, path, status) in [
        ("alpha.test", "/", 200),
        ("alpha.test", "/posts/alpha-post", 200),
        ("alpha.test", "/products/ALPHA-1", 200),
        ("alpha.test", "/feed.xml", 200),
        ("alpha.test", "/posts/missing", 404),
        ("unknown.test", "/", 404),
    ] {
        let res = app.get(host, path).await;
        assert_eq!(res.status, status, "{host}{path}");
        assert_common(&res, false);
        assert!(res.header("strict-transport-security").is_none());
    }
    for (path, status) in [
        ("/admin/login", 200),
        ("/admin/posts", 303),
        ("/admin/nope", 404),
    ] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, status, "{path}");
        assert_common(&res, true);
        assert_eq!(res.header("cache-control"), Some("no-store"), "{path}");
    }
}

#[actix_web::test]
async fn hsts_only_over_https() {
    let app = TestApp::with_trusted_proxies("10.0.0.1").await;
    two_tenants(&app).await;
    let through = |peer: &str, proto: &str| {
        TestRequest::get()
            .uri("/")
            .insert_header(("Host", "alpha.test"))
            .insert_header(("X-Forwarded-Proto", proto))
            .peer_addr(peer.parse().unwrap())
    };
    let res = app.send(through("10.0.0.1:443", "https")).await;
    assert_eq!(res.status, 200);
    let hsts = res.header("strict-transport-security").unwrap();
    assert!(hsts.starts_with("max-age=") && hsts.contains("includeSubDomains"));
    for (peer, proto) in [("10.0.0.1:443", "http"), ("10.0.0.2:443", "https")] {
        let res = app.send(through(peer, proto)).await;
        assert_eq!(res.status, 200);
        assert_eq!(
            res.header("strict-transport-security"),
            None,
            "{peer} {proto}"
        );
    }
}

#[actix_web::test]
async fn too_large_forms_get_a_413_page_with_the_headers() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let mut browser = app.browser("alpha.test");
    let big = "x".repeat(agoat::web::MAX_FORM_BYTES + 10);
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", &big), ("password", "secret")],
        )
        .await;
    assert_eq!(res.status, 413);
    assert!(res.body.contains("Too large"), "{}", res.body);
    assert_common(&res, true);
    // Without the session's token the body is refused before anything reads it as a form.
    let res = app
        .send(
            TestRequest::post()
                .uri("/admin/login")
                .insert_header(("Host", "alpha.test"))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(format!("email={big}")),
        )
        .await;
    assert_eq!(res.status, 403);
    assert_common(&res, true);
}
