//! Owners' own domains at `/admin/domains`: added pending, verified by a DNS TXT record at
//! `_agoat.<domain>` or by the HTTP token the product serves, served (and given certificates)
//! only once verified, checked again periodically — a domain whose record has gone stays served
//! for the grace period, then lapses, and its owner sees why — never taken from another customer,
//! and a site keeps its primary and its last domain. A real DNS server (dnsmasq) answers.

use std::time::Duration;

use agoat::tenancy::domain_checks::CheckSettings;
use agoat::tenancy::users::Role;
use agoat::tenancy::verification::ProbeSettings;

use crate::common::dns::{DnsServer, a, txt};
use crate::common::{
    Browser, STAFF_PASSWORD, TestApp, TwoTenants, catalog_staff, signed_in, two_tenants,
};

const PAGE: &str = "/admin/domains";

fn quick() -> CheckSettings {
    CheckSettings {
        recheck_every: Duration::from_secs(1),
        grace: Duration::from_secs(2),
    }
}

async fn app_with(dns: &DnsServer, http_port: Option<u16>) -> (TestApp, TwoTenants) {
    // The test's domains point at the loopback, where the test serves the product.
    let probes = ProbeSettings {
        dns_server: Some(dns.addr()),
        http_port,
        allow_private: true,
    };
    let app = TestApp::with_domain_checks(probes, quick()).await;
    let t = two_tenants(&app).await;
    catalog_staff(&app, &t).await;
    app.user(t.b, "owner@beta.test", Role::Owner, STAFF_PASSWORD)
        .await;
    (app, t)
}

/// Adds `domain` on the owner's domains page; answers its token.
async fn add(owner: &mut Browser<'_>, domain: &str) -> String {
    let res = owner.post(PAGE, PAGE, &[("domain", domain)]).await;
    assert_eq!(res.status, 303, "{domain}: {}", res.body);
    token_of(owner, &domain.to_lowercase()).await
}

async fn token_of(owner: &mut Browser<'_>, domain: &str) -> String {
    let page = owner.get(PAGE).await;
    let rows = page.html();
    let selector = scraper::Selector::parse("tr.domain-instructions").unwrap();
    let value = scraper::Selector::parse("code.txt-value").unwrap();
    rows.select(&selector)
        .find(|row| row.text().any(|t| t == domain))
        .and_then(|row| row.select(&value).next())
        .map(|code| code.text().collect::<String>())
        .unwrap_or_else(|| panic!("no token shown for {domain}: {}", page.body))
}

/// The state column of `domain`'s row, as the owner reads it.
async fn state_of(owner: &mut Browser<'_>, domain: &str) -> String {
    let page = owner.get(PAGE).await;
    assert_eq!(page.status, 200);
    let html = page.html();
    let row = scraper::Selector::parse("table.domains tr.domain-row").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    html.select(&row)
        .find(|r| {
            r.select(&cell)
                .next()
                .is_some_and(|c| c.text().collect::<String>() == domain)
        })
        .and_then(|r| r.select(&cell).nth(2))
        .map(|c| c.text().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| panic!("no row for {domain}: {}", page.body))
}

async fn check_now(owner: &mut Browser<'_>, domain: &str) -> String {
    let res = owner
        .post(PAGE, &format!("{PAGE}/{domain}/check"), &[])
        .await;
    assert_eq!(res.status, 303, "{domain}: {}", res.body);
    owner.get(PAGE).await.texts("p.flash").join(" ")
}

/// A loopback listener on a port of its own, bound before anything is told its port (a port
/// found free and bound later can be taken by a parallel test meanwhile).
fn platform_listener() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Serves the application on `listener`, as the platform the test's domains point at; the handle
/// stops it.
fn serve_on(app: &TestApp, listener: std::net::TcpListener) -> actix_web::dev::ServerHandle {
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || agoat::web::app(state.clone()))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    handle
}

async fn tls_allowed(app: &TestApp, domain: &str) -> u16 {
    app.state.served_hosts.refresh(&app.pool).await.unwrap();
    app.get(
        "proxy.internal",
        &format!("/.well-known/agoat/tls-allowed?domain={domain}"),
    )
    .await
    .status
}

#[actix_web::test]
async fn an_owner_verifies_a_domain_by_dns_and_makes_it_primary() {
    let Some(mut dns) = DnsServer::start(&[]) else {
        return;
    };
    let (app, _t) = app_with(&dns, None).await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;

    let token = add(&mut owner, "Alpha.Example").await;
    assert!(
        state_of(&mut owner, "alpha.example")
            .await
            .contains("Pending verification")
    );
    let page = owner.get(PAGE).await;
    assert_eq!(page.texts("code.txt-name"), ["_agoat.alpha.example"]);
    // Pending: not served, no certificate.
    assert_eq!(tls_allowed(&app, "alpha.example").await, 404);
    assert_eq!(app.get("alpha.example", "/").await.status, 404);

    // Without the record, a check says why.
    let said = check_now(&mut owner, "alpha.example").await;
    assert!(
        said.contains("no TXT record at _agoat.alpha.example"),
        "{said}"
    );
    assert!(
        state_of(&mut owner, "alpha.example")
            .await
            .contains("no TXT record")
    );

    // A record holding something else is not enough.
    dns.set(&[txt("_agoat.alpha.example", "not-the-token")]);
    let said = check_now(&mut owner, "alpha.example").await;
    assert!(said.contains("does not hold this domain's token"), "{said}");

    dns.set(&[txt("_agoat.alpha.example", &token)]);
    let said = check_now(&mut owner, "alpha.example").await;
    assert_eq!(said, "alpha.example is verified.");
    let state = state_of(&mut owner, "alpha.example").await;
    assert!(
        state.contains("Verified") && state.contains("By DNS record"),
        "{state}"
    );
    assert_eq!(tls_allowed(&app, "alpha.example").await, 200);
    // An alias: a redirect to the primary domain.
    let res = app.get("alpha.example", "/posts/alpha-post").await;
    assert_eq!(res.status, 301);
    assert_eq!(
        res.header("location"),
        Some("http://alpha.test/posts/alpha-post")
    );

    let res = owner
        .post(PAGE, &format!("{PAGE}/alpha.example/primary"), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = app.get("alpha.example", "/posts/alpha-post").await;
    assert_eq!(res.status, 200);
    let res = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(res.status, 301);
    assert_eq!(
        res.header("location"),
        Some("http://alpha.example/posts/alpha-post")
    );

    // Every step is in the audit log: the owner's claim and choice, the verification's result.
    let mut owner = signed_in(&app, "alpha.example", "owner@alpha.test").await;
    let audit = owner.get("/admin/audit").await;
    assert_eq!(audit.status, 200);
    for action in ["claim", "verify", "make_primary"] {
        assert!(audit.body.contains(action), "{action} not audited");
    }
    assert!(audit.body.contains("verification"));
}

#[actix_web::test]
async fn a_domain_whose_record_goes_fails_then_lapses_and_its_owner_sees_why() {
    let Some(mut dns) = DnsServer::start(&[]) else {
        return;
    };
    let (app, _t) = app_with(&dns, None).await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let token = add(&mut owner, "alpha.example").await;
    dns.set(&[txt("_agoat.alpha.example", &token)]);
    // The background checks find it due (it was due at once) and verify it.
    app.state.domain_checks.run_due(&app.pool).await.unwrap();
    assert!(
        state_of(&mut owner, "alpha.example")
            .await
            .contains("Verified")
    );
    assert_eq!(tls_allowed(&app, "alpha.example").await, 200);

    dns.set(&[]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.state.domain_checks.run_due(&app.pool).await.unwrap();
    let state = state_of(&mut owner, "alpha.example").await;
    assert!(state.contains("Verification failing"), "{state}");
    assert!(
        state.contains("no TXT record at _agoat.alpha.example"),
        "{state}"
    );
    assert!(state.contains("Served until"), "{state}");
    // The dashboard says so too, to owners only.
    let dashboard = owner.get("/admin").await;
    let alerts = dashboard.texts(".domain-alerts li").join(" ");
    assert!(
        alerts.contains("alpha.example failed its verification check"),
        "{alerts}"
    );
    assert!(alerts.contains("no TXT record"), "{alerts}");
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    assert!(
        editor
            .get("/admin")
            .await
            .texts(".domain-alerts li")
            .is_empty()
    );
    assert_eq!(
        tls_allowed(&app, "alpha.example").await,
        200,
        "served within the grace period"
    );
    assert_eq!(app.get("alpha.example", "/").await.status, 301);

    // Past the grace period: no longer served, nor given a certificate.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    app.state.domain_checks.run_due(&app.pool).await.unwrap();
    let state = state_of(&mut owner, "alpha.example").await;
    assert!(state.contains("Lapsed: not served"), "{state}");
    assert!(state.contains("no TXT record"), "{state}");
    assert_eq!(tls_allowed(&app, "alpha.example").await, 404);
    app.state.directory.invalidate();
    assert_eq!(app.get("alpha.example", "/").await.status, 404);
    // The owner is shown the record to publish again.
    assert_eq!(token_of(&mut owner, "alpha.example").await, token);

    // The record is back: served again at the next check.
    dns.set(&[txt("_agoat.alpha.example", &token)]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.state.domain_checks.run_due(&app.pool).await.unwrap();
    assert!(
        state_of(&mut owner, "alpha.example")
            .await
            .contains("Verified")
    );
    assert_eq!(tls_allowed(&app, "alpha.example").await, 200);
    let audit = owner.get("/admin/audit").await.body;
    for action in ["check_failed", "lapse", "reinstate"] {
        assert!(audit.contains(action), "{action} not audited");
    }
}

#[actix_web::test]
async fn the_http_token_verifies_a_domain_pointed_at_the_platform() {
    let (listener, port) = platform_listener();
    let Some(mut dns) = DnsServer::start(&[]) else {
        return;
    };
    let (app, _t) = app_with(&dns, Some(port)).await;
    let handle = serve_on(&app, listener);

    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let token = add(&mut owner, "shop.alpha.example").await;
    let path = format!("/.well-known/agoat-verification/{token}");
    // The product answers the token on the claimed name only.
    let res = app.get("shop.alpha.example", &path).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (200, format!("{token}\n").as_str())
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(app.get("other.example", &path).await.status, 404);
    assert_eq!(app.get("alpha.test", &path).await.status, 404);
    let forged = "/.well-known/agoat-verification/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(app.get("shop.alpha.example", forged).await.status, 404);
    assert_eq!(
        app.get("shop.alpha.example", "/.well-known/agoat-verification/x")
            .await
            .status,
        404
    );

    // Not pointed anywhere yet.
    let said = check_now(&mut owner, "shop.alpha.example").await;
    assert!(
        said.contains("HTTP: shop.alpha.example has no address record"),
        "{said}"
    );
    // Pointed at the platform: the product fetches its own answer.
    dns.set(&[a("shop.alpha.example", "127.0.0.1")]);
    let said = check_now(&mut owner, "shop.alpha.example").await;
    assert_eq!(said, "shop.alpha.example is verified.");
    let state = state_of(&mut owner, "shop.alpha.example").await;
    assert!(state.contains("By HTTP token"), "{state}");
    assert_eq!(tls_allowed(&app, "shop.alpha.example").await, 200);
    handle.stop(false).await;
}

#[actix_web::test]
async fn nobody_takes_or_blocks_another_customers_domain() {
    let (listener, port) = platform_listener();
    let Some(mut dns) = DnsServer::start(&[]) else {
        return;
    };
    let (app, t) = app_with(&dns, Some(port)).await;
    let handle = serve_on(&app, listener);
    let mut alpha = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let mut beta = signed_in(&app, "beta.test", "owner@beta.test").await;

    // A domain another customer's site serves: refused, without naming them.
    let res = beta.post(PAGE, PAGE, &[("domain", "alpha.test")]).await;
    assert_eq!(res.status, 409);
    assert!(res.texts("#domain-error")[0].contains("already in use by another site"));
    assert!(
        !res.body.contains("Alpha"),
        "the other customer is not named"
    );

    // A name under it may be claimed, but the product's own HTTP answer cannot verify it (the
    // platform already answers for such names): only a DNS record for that very name can.
    let token = add(&mut beta, "www.alpha.test").await;
    dns.set(&[a("www.alpha.test", "127.0.0.1")]);
    let path = format!("/.well-known/agoat-verification/{token}");
    assert_eq!(app.get("www.alpha.test", &path).await.status, 404);
    let said = check_now(&mut beta, "www.alpha.test").await;
    assert!(said.contains("only a DNS record can verify it"), "{said}");
    assert!(!said.contains("Alpha"));
    assert_eq!(tls_allowed(&app, "www.alpha.test").await, 404);
    let page = beta.get(PAGE).await;
    assert!(page.body.contains("only the DNS record can verify it"));
    assert!(page.texts("code.http-url").is_empty());

    // A claim that is never verified blocks nobody: the name's real owner adds and verifies it.
    let squat = add(&mut beta, "gamma.example").await;
    let real = add(&mut alpha, "gamma.example").await;
    assert_ne!(squat, real);
    dns.set(&[txt("_agoat.gamma.example", &real)]);
    assert_eq!(
        check_now(&mut alpha, "gamma.example").await,
        "gamma.example is verified."
    );
    let said = check_now(&mut beta, "gamma.example").await;
    assert!(said.contains("gamma.example is not verified"), "{said}");
    // Even with its own record in place, the other customer cannot take it while it is served.
    dns.set(&[
        txt("_agoat.gamma.example", &real),
        txt("_agoat.gamma.example", &squat),
    ]);
    let said = check_now(&mut beta, "gamma.example").await;
    assert!(said.contains("Another site uses this domain"), "{said}");
    assert_eq!(app.get("gamma.example", "/").await.status, 301);
    assert_eq!(
        app.get("gamma.example", "/").await.header("location"),
        Some("http://alpha.test/")
    );

    // One owner cannot act on another's domains, whatever the address says.
    for action in ["check", "primary", "remove"] {
        let res = beta
            .post(PAGE, &format!("{PAGE}/alpha.test/{action}"), &[])
            .await;
        assert_eq!(res.status, 404, "{action} of another customer's domain");
    }
    assert!(
        state_of(&mut alpha, "alpha.test")
            .await
            .contains("Verified")
    );
    assert!(
        state_of(&mut alpha, "gamma.example")
            .await
            .contains("Verified")
    );
    let b_hosts = beta
        .get(PAGE)
        .await
        .texts("table.domains tr.domain-row td:first-child");
    assert_eq!(b_hosts, ["beta.test", "gamma.example", "www.alpha.test"]);
    let _ = t;
    handle.stop(false).await;
}

#[actix_web::test]
async fn a_site_keeps_its_primary_and_its_last_domain_and_bad_input_changes_nothing() {
    let Some(mut dns) = DnsServer::start(&[]) else {
        return;
    };
    let (app, _t) = app_with(&dns, None).await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    // The only domain: the last one, never removed.
    let res = owner
        .post(PAGE, &format!("{PAGE}/alpha.test/remove"), &[])
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("last domain of its site"), "{}", res.body);

    let token = add(&mut owner, "alpha.example").await;
    // A pending domain cannot be made primary.
    let res = owner
        .post(PAGE, &format!("{PAGE}/alpha.example/primary"), &[])
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("only a verified domain can be primary"));
    dns.set(&[txt("_agoat.alpha.example", &token)]);
    check_now(&mut owner, "alpha.example").await;
    // The primary goes only once another domain is primary.
    let res = owner
        .post(PAGE, &format!("{PAGE}/alpha.test/remove"), &[])
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("make another domain primary first"));
    let res = owner
        .post(PAGE, &format!("{PAGE}/alpha.example/primary"), &[])
        .await;
    assert_eq!(res.status, 303);
    // The admin is now on the new primary domain.
    assert_eq!(owner.get(PAGE).await.status, 301);
    let mut owner = signed_in(&app, "alpha.example", "owner@alpha.test").await;
    let res = owner
        .post(PAGE, &format!("{PAGE}/alpha.test/remove"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        owner
            .get(PAGE)
            .await
            .texts("table.domains tr.domain-row td:first-child"),
        ["alpha.example"]
    );

    // A pending domain can be removed at any time.
    add(&mut owner, "pending.example").await;
    let res = owner
        .post(PAGE, &format!("{PAGE}/pending.example/remove"), &[])
        .await;
    assert_eq!(res.status, 303);

    let before = owner
        .get(PAGE)
        .await
        .texts("table.domains tr.domain-row td:first-child");
    for (typed, status, says) in [
        ("", 400, "Give the domain"),
        ("not a domain", 400, "not a valid domain"),
        ("example", 400, "full domain name"),
        ("10.0.0.1", 400, "not an IP address"),
        ("printer.localhost", 400, "public domain name"),
        ("alpha.example:8080", 400, "not a valid domain"),
        ("alpha.example", 409, "already one of your domains"),
        ("beta.test", 409, "already in use by another site"),
    ] {
        let res = owner.post(PAGE, PAGE, &[("domain", typed)]).await;
        assert_eq!(res.status, status, "{typed:?}: {}", res.body);
        let error = res.texts("#domain-error").join(" ");
        assert!(error.contains(says), "{typed:?}: {error}");
        assert_eq!(
            owner
                .get(PAGE)
                .await
                .texts("table.domains tr.domain-row td:first-child"),
            before,
            "{typed:?} changed nothing"
        );
    }
    // Without the CSRF token, nothing happens.
    let res = owner.post_raw(PAGE, &[("domain", "sneaky.example")]).await;
    assert_eq!(res.status, 403);
    assert_eq!(
        owner
            .get(PAGE)
            .await
            .texts("table.domains tr.domain-row td:first-child"),
        before
    );

    // Owners only.
    for email in ["editor@alpha.test", "pricing@alpha.test"] {
        let mut other = signed_in(&app, "alpha.example", email).await;
        let res = other
            .post("/admin/account/password", PAGE, &[("domain", "x.example")])
            .await;
        assert_eq!(res.status, 403, "{email}");
        let res = other
            .post(
                "/admin/account/password",
                &format!("{PAGE}/alpha.example/check"),
                &[],
            )
            .await;
        assert_eq!(res.status, 403, "{email}");
    }
}

/// Asks a running server whether it would let a TLS proxy get a certificate for `domain`, until
/// it answers `status` (at most `within`).
fn eventually_allowed(server: &crate::cli::Server, domain: &str, status: u16, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let path = format!("/.well-known/agoat/tls-allowed?domain={domain}");
        let reply = crate::common::http::get(server.addr(), "proxy.internal", &path).unwrap();
        if reply.status == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{domain}: still {} instead of {status}",
            reply.status
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[actix_web::test]
async fn a_running_server_verifies_and_lapses_domains_on_its_own() {
    use scoped_futures::ScopedFutureExt;
    let Some(mut dns) = DnsServer::start(&[]) else {
        return;
    };
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let site = app.site(customer, "Alpha Blog", "alpha.test").await;
    let token = app
        .in_scope(customer, move |conn, scope| {
            async move {
                agoat::tenancy::domains::claim(
                    conn,
                    scope,
                    site,
                    "alpha.example",
                    &crate::common::actor(),
                )
                .await
            }
            .scope_boxed()
        })
        .await
        .token
        .unwrap();
    let dns_addr = dns.addr().to_string();
    let server = crate::cli::Server::start_with(
        &app.db,
        &[
            ("AGOAT_DNS_SERVER", dns_addr.as_str()),
            ("AGOAT_DOMAIN_RECHECK_SECS", "1"),
            ("AGOAT_DOMAIN_GRACE_SECS", "2"),
        ],
    );
    eventually_allowed(&server, "alpha.example", 404, Duration::from_secs(5));
    // The record appears: the server's own checks verify the domain, and it is served.
    dns.set(&[txt("_agoat.alpha.example", &token)]);
    eventually_allowed(&server, "alpha.example", 200, Duration::from_secs(15));
    let res = crate::common::http::get(server.addr(), "alpha.example", "/").unwrap();
    assert_eq!(res.status, 301, "an alias of the site");
    // The record goes: served for the grace period, then no longer.
    dns.set(&[]);
    eventually_allowed(&server, "alpha.example", 404, Duration::from_secs(20));
}
