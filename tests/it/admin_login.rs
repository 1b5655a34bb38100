//! Admin sign-in: sessions, CSRF, throttling, tenant separation, sign-out everywhere.

use agoat::tenancy::users::Role;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::common::{
    Browser, Response, TestApp, assert_control_character_refused, database_digest, sql_text,
    two_tenants,
};

const PASSWORD: &str = "correct horse battery";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn sign_in_events(app: &TestApp, action: &str) -> i64 {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(
        "SELECT count(*) AS n FROM audit.events WHERE entity = 'sign_in' AND action = $1",
    )
    .bind::<Text, _>(action)
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n
}

#[actix_web::test]
async fn signing_in_opens_the_admin() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");

    let res = browser.get("/admin").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/admin/login?next=%2Fadmin"));

    let form = browser.get("/admin/login").await;
    assert_eq!(form.status, 200);
    assert_eq!(form.header("cache-control"), Some("no-store"));
    let cookie = form.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http gets no Secure flag: {cookie}"
    );

    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "Editor@Alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin"));
    let page = browser.get("/admin").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.body.contains("editor@alpha.test"));
    assert_eq!(sign_in_events(&app, "success").await, 1);
}

#[actix_web::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    for (email, password) in [
        ("editor@alpha.test", "wrong password!!"),
        ("nobody@alpha.test", PASSWORD),
    ] {
        let res = browser
            .post(
                "/admin/login",
                "/admin/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(res.status, 401);
        assert_eq!(
            res.texts(".form-error"),
            vec!["The e-mail or the password is wrong."]
        );
        assert_eq!(browser.get("/admin").await.status, 303, "still signed out");
    }
    assert_eq!(sign_in_events(&app, "failure").await, 2);
}

#[actix_web::test]
async fn a_user_of_one_customer_gets_nothing_on_anothers_domain() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "owner@alpha.test", Role::Owner, PASSWORD)
        .await;

    let mut on_b = app.browser("beta.test");
    let res = on_b
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "owner@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401);

    // A's session cookie presented on B's domain is not a session there.
    let mut on_a = app.browser("alpha.test");
    on_a.sign_in("owner@alpha.test", PASSWORD).await;
    on_b.cookie = on_a.cookie.clone();
    let res = on_b.get("/admin").await;
    assert_eq!(res.status, 303);
    assert!(res.header("location").unwrap().starts_with("/admin/login"));
}

#[actix_web::test]
async fn state_changes_without_the_csrf_token_are_refused() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    browser.get("/admin/login").await;
    for token in [None, Some("forged")] {
        let mut fields = vec![("email", "editor@alpha.test"), ("password", PASSWORD)];
        if let Some(token) = token {
            fields.push(("csrf_token", token));
        }
        let res = browser.post_raw("/admin/login", &fields).await;
        assert_eq!(res.status, 403, "token {token:?}");
    }
    assert_eq!(browser.get("/admin").await.status, 303, "not signed in");
    assert_eq!(sign_in_events(&app, "success").await, 0);

    browser.sign_in("editor@alpha.test", PASSWORD).await;
    let res = browser.post_raw("/admin/logout", &[]).await;
    assert_eq!(res.status, 403);
    assert_eq!(browser.get("/admin").await.status, 200, "still signed in");
}

/// Signs in with a wrong password; asserts the plain refusal (401, not a throttle).
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

/// The `Retry-After` of a refusal, in seconds.
fn retry_after(res: &Response) -> u64 {
    res.header("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", res.headers))
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn five_failures_for_one_account_refuse_it_from_any_address() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    app.user(t.a, "owner@alpha.test", Role::Owner, PASSWORD)
        .await;
    // A session of the account, opened before: refusals leave it alone.
    let mut open = app.browser("alpha.test");
    open.sign_in("editor@alpha.test", PASSWORD).await;
    let mut browser = app.browser("alpha.test");
    for _ in 0..5 {
        typo(&mut browser, "editor@alpha.test").await;
    }
    let before = database_digest(&app, None).await;
    // From another address too, with the right password: the account is refused.
    let mut elsewhere = app.browser("alpha.test");
    elsewhere.peer = "198.51.100.9:5000".parse().unwrap();
    for email in ["editor@alpha.test", "Editor@Alpha.test "] {
        let res = elsewhere
            .post(
                "/admin/login",
                "/admin/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status, 429, "{email}");
        let wait = retry_after(&res);
        assert!((890..=900).contains(&wait), "{wait}");
        assert!(
            res.error_message().contains(
                "Too many failed password attempts for this account. Try again in 15 minutes."
            ),
            "{}",
            res.error_message()
        );
    }
    assert_eq!(elsewhere.get("/admin").await.status, 303, "not signed in");
    assert_eq!(sign_in_events(&app, "refused").await, 2);
    assert_eq!(sign_in_events(&app, "success").await, 1);
    // Nothing else changed: the open session goes on, other accounts sign in from either address.
    assert_eq!(database_digest(&app, None).await, before);
    assert_eq!(open.get("/admin").await.status, 200);
    browser.sign_in("owner@alpha.test", PASSWORD).await;
    elsewhere.sign_in("owner@alpha.test", PASSWORD).await;
}

#[actix_web::test]
async fn the_wait_is_counted_from_the_failures_in_the_window() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    for _ in 0..5 {
        typo(&mut browser, "editor@alpha.test").await;
    }
    // The five failures happened ten minutes ago: five minutes are left. (A time bound as a
    // literal: Citus refuses `occurred_at - interval …`, a stable function of a column, in an
    // UPDATE.)
    let ten_minutes_ago = (chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339();
    let mut conn = app.db.owner_conn().await;
    conn.batch_execute(&format!(
        "UPDATE audit.events SET occurred_at = '{ten_minutes_ago}' WHERE entity = 'sign_in'"
    ))
    .await
    .unwrap();
    let try_again = [("email", "editor@alpha.test"), ("password", PASSWORD)];
    let res = browser
        .post("/admin/login", "/admin/login", &try_again)
        .await;
    assert_eq!(res.status, 429);
    let wait = retry_after(&res);
    assert!((290..=300).contains(&wait), "{wait}");
    assert!(
        res.error_message().contains("Try again in 5 minutes."),
        "{}",
        res.error_message()
    );
    // The oldest leaves the window: one try is free again.
    let oldest = sql_text(
        &app,
        "SELECT id::text AS s FROM audit.events WHERE action = 'failure' \
         ORDER BY occurred_at LIMIT 1",
    )
    .await;
    let minutes_ago = |n| (chrono::Utc::now() - chrono::Duration::minutes(n)).to_rfc3339();
    conn.batch_execute(&format!(
        "UPDATE audit.events SET occurred_at = '{}' WHERE id = '{oldest}'",
        minutes_ago(16)
    ))
    .await
    .unwrap();
    conn.batch_execute(&format!(
        "UPDATE audit.events SET occurred_at = '{}' \
         WHERE action = 'failure' AND id <> '{oldest}'",
        minutes_ago(14)
    ))
    .await
    .unwrap();
    // Now one failure is 16 minutes old (outside the window) and four are 14 minutes old.
    typo(&mut browser, "editor@alpha.test").await;
    let res = browser
        .post("/admin/login", "/admin/login", &try_again)
        .await;
    assert_eq!(res.status, 429, "five in the window again");
    let wait = retry_after(&res);
    assert!(
        (50..=60).contains(&wait),
        "the oldest of the five leaves first: {wait}"
    );
    assert!(
        res.error_message().contains("Try again in 1 minute."),
        "{}",
        res.error_message()
    );
}

#[actix_web::test]
async fn colleagues_behind_one_address_each_with_a_typo_are_not_locked_out() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let colleagues: Vec<String> = (1..=6)
        .map(|n| format!("colleague{n}@alpha.test"))
        .collect();
    for email in &colleagues {
        app.user(t.a, email, Role::Editor, PASSWORD).await;
    }
    for email in &colleagues {
        // Every one of them from the same office address.
        let mut browser = app.browser("alpha.test");
        typo(&mut browser, email).await;
        browser.sign_in(email, PASSWORD).await;
        assert_eq!(browser.get("/admin").await.status, 200, "{email}");
    }
    assert_eq!(sign_in_events(&app, "failure").await, 6);
    assert_eq!(sign_in_events(&app, "refused").await, 0);
}

#[actix_web::test]
async fn a_hundred_failures_from_one_address_refuse_that_address_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    app.user(t.b, "editor@beta.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    let form = browser.get("/admin/login").await;
    let token = form.attr("input[name=csrf_token]", "value").unwrap();
    let started = std::time::Instant::now();
    for n in 0..100 {
        let email = format!("guess{}@alpha.test", n % 20);
        let res = browser
            .post_raw(
                "/admin/login",
                &[
                    ("email", email.as_str()),
                    ("password", "wrong password!!"),
                    ("csrf_token", token.as_str()),
                ],
            )
            .await;
        // Twenty accounts, five tries each: no account limit is passed before the address's.
        assert_eq!(res.status, 401, "try {n}");
    }
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "editor@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    // Until the first of the hundred leaves the window.
    let earliest = 900 - started.elapsed().as_secs() - 2;
    let wait = retry_after(&res);
    assert!((earliest..=900).contains(&wait), "{wait}");
    let said = format!(
        "Too many failed password attempts from your network address. Try again in {} minutes.",
        wait.div_ceil(60)
    );
    assert!(
        res.error_message().contains(&said),
        "{}",
        res.error_message()
    );
    assert_eq!(browser.get("/admin").await.status, 303);
    // Another address signs in to the same account; the other customer's site is not affected.
    let mut elsewhere = app.browser("alpha.test");
    elsewhere.peer = "198.51.100.10:5000".parse().unwrap();
    elsewhere.sign_in("editor@alpha.test", PASSWORD).await;
    let mut on_b = app.browser("beta.test");
    on_b.sign_in("editor@beta.test", PASSWORD).await;
}

#[actix_web::test]
async fn signing_out_ends_every_session_of_the_user() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut first = app.browser("alpha.test");
    let mut second = app.browser("alpha.test");
    first.sign_in("editor@alpha.test", PASSWORD).await;
    second.sign_in("editor@alpha.test", PASSWORD).await;
    let stolen = first.cookie.clone();

    let res = first.post("/admin", "/admin/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/admin/login?signed_out=1"));
    assert_eq!(first.get("/admin").await.status, 303);
    assert_eq!(
        second.get("/admin").await.status,
        303,
        "the other browser is signed out too"
    );
    first.cookie = stolen;
    assert_eq!(
        first.get("/admin").await.status,
        303,
        "an old cookie replayed is no session"
    );
}

#[actix_web::test]
async fn a_disabled_user_loses_the_session_and_cannot_sign_in() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    browser.sign_in("editor@alpha.test", PASSWORD).await;
    app.db
        .owner_conn()
        .await
        .batch_execute("UPDATE tenancy.users SET is_active = false")
        .await
        .unwrap();
    assert_eq!(browser.get("/admin").await.status, 303);
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "editor@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401);
}

#[actix_web::test]
async fn a_weaker_hash_is_redone_at_sign_in() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let weak = {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let params = argon2::Params::new(4096, 1, 1, None).unwrap();
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
    };
    let mut conn = app.db.owner_conn().await;
    conn.batch_execute(&format!(
        "UPDATE tenancy.users SET password_hash = '{weak}'"
    ))
    .await
    .unwrap();
    app.browser("alpha.test")
        .sign_in("editor@alpha.test", PASSWORD)
        .await;
    #[derive(QueryableByName)]
    struct Hash {
        #[diesel(sql_type = Text)]
        password_hash: String,
    }
    let stored: Hash = diesel::sql_query("SELECT password_hash FROM tenancy.users")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert!(
        stored
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        stored.password_hash
    );
}

#[actix_web::test]
async fn cookies_are_secure_over_https() {
    let app = TestApp::with_trusted_proxies("10.0.0.0/8").await;
    two_tenants(&app).await;
    let mut browser = app.browser("alpha.test");
    browser.peer = "10.0.0.1:40000".parse().unwrap();
    browser.headers = vec![("X-Forwarded-Proto".into(), "https".into())];
    let res = browser.get("/admin/login").await;
    assert_eq!(res.status, 200);
    let cookie = res.header("set-cookie").unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[actix_web::test]
async fn an_oversized_form_is_refused_with_413() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    let huge = "x".repeat(2 * 1024 * 1024);
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "editor@alpha.test"), ("password", &huge)],
        )
        .await;
    assert_eq!(res.status, 413);
    assert!(res.body.contains("Too large"), "{}", res.body);
    assert_eq!(
        sign_in_events(&app, "failure").await + sign_in_events(&app, "success").await,
        0
    );
}

#[actix_web::test]
async fn a_control_character_in_the_sign_in_form_is_a_400_and_records_nothing() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let before = database_digest(&app, None).await;
    let mut browser = app.browser("alpha.test");
    for (email, password, field) in [
        ("editor@alpha.test\0", PASSWORD, "email"),
        ("\u{1b}editor@alpha.test", PASSWORD, "email"),
        ("editor@alpha.test", "correct horse\0battery", "password"),
    ] {
        let res = browser
            .post(
                "/admin/login",
                "/admin/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_control_character_refused(
            &res,
            &format!("The form field \"{field}\""),
            &format!("{email:?}"),
        );
    }
    let res = browser.get("/admin/login?next=/admin%00").await;
    assert_control_character_refused(&res, "The address parameter \"next\"", "next");
    assert_eq!(database_digest(&app, None).await, before);
    assert_eq!(
        sign_in_events(&app, "failure").await + sign_in_events(&app, "success").await,
        0,
        "a refused form is no sign-in attempt"
    );
    browser.sign_in("editor@alpha.test", PASSWORD).await;
}
