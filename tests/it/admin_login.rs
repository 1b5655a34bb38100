//! Admin sign-in: sessions, CSRF, throttling, tenant separation, sign-out everywhere.

use agoat::tenancy::users::Role;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::common::{TestApp, assert_control_character_refused, database_digest, two_tenants};

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

#[actix_web::test]
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    for _ in 0..5 {
        let res = browser
            .post(
                "/admin/login",
                "/admin/login",
                &[
                    ("email", "editor@alpha.test"),
                    ("password", "wrong password!!"),
                ],
            )
            .await;
        assert_eq!(res.status, 401);
    }
    // From another address too: the account is locked.
    let mut elsewhere = app.browser("alpha.test");
    elsewhere.peer = "198.51.100.9:5000".parse().unwrap();
    let res = elsewhere
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "editor@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    assert!(
        res.body.contains("Too many failed sign-ins"),
        "{}",
        res.body
    );
    assert_eq!(elsewhere.get("/admin").await.status, 303);
    assert_eq!(sign_in_events(&app, "refused").await, 1);
}

#[actix_web::test]
async fn five_failures_from_one_address_lock_that_address() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut browser = app.browser("alpha.test");
    for n in 0..5 {
        let email = format!("guess{n}@alpha.test");
        browser
            .post(
                "/admin/login",
                "/admin/login",
                &[("email", &email), ("password", "wrong password!!")],
            )
            .await;
    }
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "editor@alpha.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    let mut elsewhere = app.browser("alpha.test");
    elsewhere.peer = "198.51.100.10:5000".parse().unwrap();
    elsewhere.sign_in("editor@alpha.test", PASSWORD).await;
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
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let res = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("https://alpha.test/admin/login")
                .insert_header(("Host", "alpha.test")),
        )
        .await;
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
