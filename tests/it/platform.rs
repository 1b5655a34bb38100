//! The operator console: only on the platform host, never on a customer's domain; its own
//! operators, sessions and CSRF; every page needs a signed-in operator; sign-in throttled with
//! `Retry-After`; customers created, renamed, (de)activated, given sites and domains, each change
//! in the customer's audit log with the operator as actor; bad inputs a 4xx that changes nothing;
//! an operator never sees a password or a session.

use std::path::Path;
use std::process::{Command, Stdio};

use agoat::platform;
use agoat::tenancy::users::{self, Role};
use scoped_futures::ScopedFutureExt;

use crate::common::{
    Browser, STAFF_PASSWORD, TestApp, TwoTenants, database_digest, sql_text, two_tenants,
};

const HOST: &str = "platform.test";
const OPERATOR: &str = "ops@platform.test";
const PASSWORD: &str = "operator password long";

async fn setup() -> (TestApp, TwoTenants) {
    let app = TestApp::with_platform_host(HOST).await;
    let t = two_tenants(&app).await;
    let hash = users::hash_password(PASSWORD).unwrap();
    app.pool
        .platform_tx(|conn| {
            let hash = &hash;
            async move { platform::create(conn, OPERATOR, hash).await.map(drop) }.scope_boxed()
        })
        .await
        .unwrap();
    (app, t)
}

async fn operator(app: &TestApp) -> Browser<'_> {
    let mut b = app.browser(HOST);
    let res = b
        .post(
            "/login",
            "/login",
            &[("email", OPERATOR), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    b
}

/// `METHOD path` of every console route, read from its registration.
fn console_routes() -> Vec<(String, String)> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/platform/mod.rs");
    let text = std::fs::read_to_string(source).unwrap();
    let route = regex_lite::Regex::new(r#"\.route\(\s*"([^"]*)",\s*web::(get|post)\(\)"#).unwrap();
    route
        .captures_iter(&text)
        .map(|c| (c[2].to_uppercase(), c[1].to_owned()))
        .collect()
}

#[actix_web::test]
async fn the_console_answers_only_on_the_platform_host() {
    let (app, t) = setup().await;
    let routes = console_routes();
    assert!(routes.len() >= 9, "{routes:?}");
    let customer = t.a.to_string();
    for (method, path) in &routes {
        let path = path.replace("{id}", &customer);
        // On a customer's domain no console route answers as the console.
        let mut visitor = app.browser("alpha.test");
        let res = match method.as_str() {
            "GET" => visitor.get(&path).await,
            _ => visitor.post_raw(&path, &[("name", "x")]).await,
        };
        assert!(
            !res.body.contains("Operator sign-in")
                && !res.body.contains("<span class=\"muted\">platform</span>"),
            "{method} {path} on a customer's domain: {}",
            res.status
        );
        if path != "/" {
            assert!(
                (403..=405).contains(&res.status),
                "{method} {path}: {}",
                res.status
            );
        }
        // On the platform host every route but the sign-in needs an operator.
        let mut anonymous = app.browser(HOST);
        let res = match method.as_str() {
            "GET" => anonymous.get(&path).await,
            _ => anonymous.post("/login", &path, &[("name", "x")]).await,
        };
        if path == "/login" {
            assert!(
                matches!(res.status, 200 | 401),
                "{method} {path}: {}",
                res.status
            );
        } else {
            assert_eq!(res.status, 303, "{method} {path}");
            assert!(res.header("location").unwrap().starts_with("/login"));
        }
        assert_eq!(
            res.header("cache-control"),
            Some("no-store"),
            "{method} {path}"
        );
    }
    // A customer's public site does not answer on the platform host either.
    assert_eq!(app.get(HOST, "/posts/alpha-post").await.status, 404);
    // Without a platform host there is no console anywhere.
    let plain = TestApp::new().await;
    assert_eq!(plain.get(HOST, "/login").await.status, 404);
}

#[actix_web::test]
async fn operators_sign_in_with_their_own_accounts_and_are_throttled() {
    let (app, t) = setup().await;
    // A customer's owner is not an operator.
    app.user(t.a, "owner@alpha.test", Role::Owner, STAFF_PASSWORD)
        .await;
    let mut b = app.browser(HOST);
    let res = b
        .post(
            "/login",
            "/login",
            &[("email", "owner@alpha.test"), ("password", STAFF_PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401);
    // Nor does an operator's password work on a customer's admin.
    let mut admin = app.browser("alpha.test");
    let res = admin
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", OPERATOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401);

    // Five failures of one address lock it, with the wait said and sent.
    for _ in 0..5 {
        let res = b
            .post(
                "/login",
                "/login",
                &[("email", OPERATOR), ("password", "wrong")],
            )
            .await;
        assert_eq!(res.status, 401);
    }
    let res = b
        .post(
            "/login",
            "/login",
            &[("email", OPERATOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    let wait: i64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((800..=900).contains(&wait), "{wait}");
    assert!(res.body.contains("try again in 15 minutes"), "{}", res.body);
    let outcomes = sql_text(
        &app,
        &format!(
            "SELECT string_agg(outcome, ',' ORDER BY occurred_at) AS s \
             FROM platform.operator_sign_ins WHERE email = '{OPERATOR}'"
        ),
    )
    .await;
    assert_eq!(outcomes, "failure,failure,failure,failure,failure,refused");
}

#[actix_web::test]
async fn signing_out_ends_every_session_of_the_operator() {
    let (app, _t) = setup().await;
    let mut first = operator(&app).await;
    let mut second = operator(&app).await;
    assert_eq!(second.get("/").await.status, 200);
    let res = first.post("/", "/logout", &[]).await;
    assert_eq!(res.status, 303);
    let res = second.get("/").await;
    assert_eq!(res.status, 303);
    assert!(res.header("location").unwrap().starts_with("/login"));
}

/// The audit events of a customer made by the operator: `entity:action` in order.
async fn operator_events(app: &TestApp, customer: &str) -> String {
    sql_text(
        app,
        &format!(
            "SELECT coalesce(string_agg(entity || ':' || action, ',' ORDER BY occurred_at), '') AS s \
             FROM audit.events WHERE customer_id = '{customer}' AND actor_label = 'operator:{OPERATOR}'"
        ),
    )
    .await
}

#[actix_web::test]
async fn an_operator_runs_a_customer_from_creation_to_deactivation() {
    let (app, t) = setup().await;
    let mut b = operator(&app).await;
    let list = b.get("/").await;
    assert!(list.body.contains("Alpha Health") && list.body.contains("Beta Labs"));

    let res = b.post("/", "/customers", &[("name", "Gamma Foods")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = res.header("location").unwrap().to_owned();
    let id = page.trim_start_matches("/customers/").to_owned();
    let res = b
        .post(
            &page,
            &format!("{page}/sites"),
            &[("name", "Gamma Blog"), ("domain", "Gamma.Test")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.get("gamma.test", "/").await.status, 200);

    let site = sql_text(
        &app,
        &format!("SELECT id::text AS s FROM tenancy.sites WHERE customer_id = '{id}'"),
    )
    .await;
    let res = b
        .post(
            &page,
            &format!("{page}/domains"),
            &[("site", site.as_str()), ("domain", "www.gamma.test")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.get("www.gamma.test", "/").await.status, 301);
    let res = b
        .post(
            &page,
            &format!("{page}/domains/remove"),
            &[("domain", "www.gamma.test")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.get("www.gamma.test", "/").await.status, 404);

    let res = b
        .post(
            &page,
            &page,
            &[("name", "Gamma Foods Ltd"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let detail = b.get(&page).await;
    assert_eq!(detail.texts("h1"), ["Gamma Foods Ltd"]);
    assert_eq!(detail.texts("#usage-sites"), ["1"]);

    let res = b
        .post(&page, &format!("{page}/active"), &[("active", "false")])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.get("gamma.test", "/").await.status, 404);
    let res = b
        .post(&page, &format!("{page}/active"), &[("active", "true")])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.get("gamma.test", "/").await.status, 200);

    assert_eq!(
        operator_events(&app, &id).await,
        "customer:create,site:create,domain:add_primary,domain:add_alias,domain:remove,\
         customer:rename,customer:deactivate,customer:activate"
    );
    // The usage of a customer with content.
    let alpha = b.get(&format!("/customers/{}", t.a)).await;
    assert_eq!(alpha.texts("#usage-posts"), ["1"]);
    assert_eq!(alpha.texts("#usage-products"), ["1"]);
    // Nothing of a password or a session on any console page.
    for body in [&list.body, &detail.body, &alpha.body] {
        assert!(!body.contains("argon2") && !body.contains("password_hash"));
    }
}

#[actix_web::test]
async fn bad_inputs_are_refused_with_the_reason_and_change_nothing() {
    let (app, t) = setup().await;
    let mut b = operator(&app).await;
    let a_page = format!("/customers/{}", t.a);
    let b_site = t.b_site.to_string();
    let before = database_digest(&app, None).await;
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "/customers".into(),
            vec![("name", "  ")],
            422,
            "must not be empty",
        ),
        (
            format!("{a_page}/sites"),
            vec![("name", "X"), ("domain", "not a domain")],
            422,
            "not a domain name",
        ),
        (
            format!("{a_page}/sites"),
            vec![("name", "X"), ("domain", "beta.test")],
            409,
            "already in use",
        ),
        (
            format!("{a_page}/domains"),
            vec![("site", b_site.as_str()), ("domain", "evil.test")],
            404,
            "",
        ),
        (
            format!("{a_page}/domains"),
            vec![("site", "nope"), ("domain", "evil.test")],
            422,
            "Choose one",
        ),
        (
            format!("{a_page}/domains/remove"),
            vec![("domain", "alpha.test")],
            409,
            "primary domain",
        ),
        (
            format!("{a_page}/domains/remove"),
            vec![("domain", "beta.test")],
            404,
            "",
        ),
        (
            a_page.clone(),
            vec![("name", "Renamed"), ("version", "9")],
            409,
            "changed by someone else",
        ),
        (
            format!("{a_page}/active"),
            vec![("active", "maybe")],
            400,
            "",
        ),
        (
            "/customers/00000000-0000-0000-0000-000000000000/sites".into(),
            vec![("name", "X"), ("domain", "x.test")],
            404,
            "",
        ),
        (
            "/customers/garbage".into(),
            vec![("name", "X"), ("version", "1")],
            404,
            "",
        ),
    ];
    for (path, fields, status, reason) in cases {
        let res = b.post("/", &path, &fields).await;
        assert_eq!(res.status, status, "{path} {fields:?}: {}", res.body);
        assert!(res.body.contains(reason), "{path}: {}", res.body);
    }
    // Without the CSRF token nothing is done.
    let res = b.post_raw("/customers", &[("name", "No token")]).await;
    assert_eq!(res.status, 403);
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn a_domain_under_another_customers_domain_is_refused_without_naming_them() {
    let (app, t) = setup().await;
    let mut b = operator(&app).await;
    let a_page = format!("/customers/{}", t.a);
    let a_site = t.a_site.to_string();
    let before = database_digest(&app, None).await;
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("{a_page}/sites"),
            vec![("name", "Shop"), ("domain", "shop.beta.test")],
            "shop.beta.test is under a domain another customer uses",
        ),
        (
            format!("{a_page}/domains"),
            vec![("site", a_site.as_str()), ("domain", "WWW.Beta.Test")],
            "www.beta.test is under a domain another customer uses",
        ),
        (
            format!("{a_page}/domains"),
            vec![
                ("site", a_site.as_str()),
                ("domain", "x.beta.test"),
                ("primary", "on"),
            ],
            "x.beta.test is under a domain another customer uses",
        ),
    ];
    for (path, fields, reason) in cases {
        let res = b.post(&a_page, &path, &fields).await;
        assert_eq!(res.status, 409, "{path} {fields:?}: {}", res.body);
        assert!(res.body.contains(reason), "{path}: {}", res.body);
        assert!(!res.body.contains("Beta Labs"), "{path}: {}", res.body);
    }
    assert_eq!(database_digest(&app, None).await, before);
    // A subdomain of the customer's own domain is fine.
    let res = b
        .post(
            &a_page,
            &format!("{a_page}/domains"),
            &[("site", a_site.as_str()), ("domain", "shop.alpha.test")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
}

#[actix_web::test]
async fn operator_create_makes_an_operator_who_can_sign_in() {
    let app = TestApp::with_platform_host(HOST).await;
    let run = |email: &str, password: &str| {
        Command::new(env!("CARGO_BIN_EXE_agoat"))
            .env("DATABASE_URL", &app.db.url)
            .env("AGOAT_PASSWORD", password)
            .env_remove("RUST_LOG")
            .args(["operator", "create", "--email", email])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("agoat runs")
    };
    let out = run("New.Ops@Platform.Test", "a long operator password");
    assert!(out.status.success(), "{out:?}");
    let again = run("new.ops@platform.test", "a long operator password");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    let short = run("other@platform.test", "short");
    assert!(!short.status.success());
    let mut b = app.browser(HOST);
    let res = b
        .post(
            "/login",
            "/login",
            &[
                ("email", "new.ops@platform.test"),
                ("password", "a long operator password"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(b.get("/").await.status, 200);
}

#[actix_web::test]
async fn a_customer_transaction_sees_no_operator() {
    let (app, t) = setup().await;
    let seen = app
        .in_scope(t.a, |conn, _| {
            async move { platform::by_email(conn, OPERATOR).await }.scope_boxed()
        })
        .await;
    assert!(seen.is_none());
    let forced = sql_text(
        &app,
        "SELECT string_agg(relname || ':' || relforcerowsecurity, ',' ORDER BY relname) AS s \
         FROM pg_class WHERE relnamespace = 'platform'::regnamespace AND relkind = 'r'",
    )
    .await;
    assert_eq!(forced, "operator_sign_ins:true,operators:true");
}

#[actix_web::test]
async fn an_operator_invites_a_customers_first_owner_by_mail() {
    let (app, t) = setup().await;
    let mut b = operator(&app).await;
    let page = format!("/customers/{}", t.a);
    let site = t.a_site.to_string();
    // Another customer's site, or none, is refused and nothing is queued.
    let b_site = t.b_site.to_string();
    let res = b
        .post(
            &page,
            &format!("{page}/invite"),
            &[("site", b_site.as_str()), ("email", "boss@alpha.test")],
        )
        .await;
    assert_eq!(res.status, 404);
    let res = b
        .post(
            &page,
            &format!("{page}/invite"),
            &[("site", "nope"), ("email", "boss@alpha.test")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(
        crate::common::sql_count(&app, "SELECT count(*) FROM tenancy.mail_outbox").await,
        0
    );

    let res = b
        .post(
            &page,
            &format!("{page}/invite"),
            &[("site", site.as_str()), ("email", "boss@alpha.test")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // The operator's page shows no link; the mail holds it.
    let after = b.get(&page).await;
    assert!(!after.body.contains("/admin/invitation/"));
    let text = sql_text(
        &app,
        &format!(
            "SELECT text_body AS s FROM tenancy.mail_outbox WHERE customer_id = '{}'",
            t.a
        ),
    )
    .await;
    let link = regex_lite::Regex::new(r"http://alpha\.test(/admin/invitation/[A-Za-z0-9_-]+)")
        .unwrap()
        .captures(&text)
        .unwrap_or_else(|| panic!("no link in {text}"))[1]
        .to_owned();
    let mut invitee = app.browser("alpha.test");
    let password = "the first owner's password";
    let res = invitee
        .post(
            &link,
            &link,
            &[("new_password", password), ("confirm_password", password)],
        )
        .await;
    assert!(res.status == 303, "{}", res.body);
    let role = sql_text(
        &app,
        "SELECT role AS s FROM tenancy.users WHERE email = 'boss@alpha.test'",
    )
    .await;
    assert_eq!(role, "owner");
    assert!(
        operator_events(&app, &t.a.to_string())
            .await
            .contains("invitation:send")
    );
    let mut owner = app.browser("alpha.test");
    owner.sign_in("boss@alpha.test", password).await;
    assert_eq!(owner.get("/admin/users").await.status, 200);
}
