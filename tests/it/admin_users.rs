//! Tests of the users admin (`/admin/users`, owners only) and of changing one's own password
//! (`/admin/account/password`, any signed-in user).

use agoat::tenancy::UserId;
use agoat::tenancy::users::Role;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;

use crate::common::{Browser, TestApp, TwoTenants, assert_control_character_refused, two_tenants};

const PASSWORD: &str = "correct horse battery";
const OWNER: &str = "owner@alpha.test";
const EDITOR: &str = "editor@alpha.test";

/// A form's fields.
type Fields<'a> = &'a [(&'a str, &'a str)];

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    users: String,
    #[diesel(sql_type = BigInt)]
    events: i64,
}

/// Every user row (all customers, every column that matters) and the number of audit events.
async fn snapshot(app: &TestApp) -> (String, i64) {
    let mut conn = app.db.owner_conn().await;
    let s: Snapshot = diesel::sql_query(
        "SELECT coalesce((SELECT string_agg(concat_ws('|', customer_id, id, email, role, is_active, \
         version, session_generation, password_hash), E'\\n' ORDER BY customer_id, email) \
         FROM tenancy.users), '') AS users, (SELECT count(*) FROM audit.events) AS events",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    (s.users, s.events)
}

#[derive(QueryableByName)]
struct UserRow {
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_active: bool,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
}

async fn row(app: &TestApp, id: UserId) -> UserRow {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query("SELECT role, is_active, version FROM tenancy.users WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
        .get_result(&mut conn)
        .await
        .unwrap()
}

#[derive(QueryableByName, Debug)]
struct EventRow {
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    actor_label: String,
    #[diesel(sql_type = Text)]
    before: String,
    #[diesel(sql_type = Text)]
    after: String,
}

/// The audit events of one user, oldest first.
async fn user_events(app: &TestApp, id: UserId) -> Vec<EventRow> {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(
        "SELECT action, actor_label, coalesce(before::text, '') AS before, \
         coalesce(after::text, '') AS after FROM audit.events \
         WHERE entity = 'user' AND entity_id = $1 ORDER BY occurred_at, id",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
    .load(&mut conn)
    .await
    .unwrap()
}

struct World {
    t: TwoTenants,
    owner: UserId,
    editor: UserId,
    pricing: UserId,
    b_user: UserId,
}

async fn world(app: &TestApp) -> World {
    let t = two_tenants(app).await;
    let owner = app.user(t.a, OWNER, Role::Owner, PASSWORD).await;
    let editor = app.user(t.a, EDITOR, Role::Editor, PASSWORD).await;
    let pricing = app
        .user(t.a, "pricing@alpha.test", Role::Pricing, PASSWORD)
        .await;
    let b_user = app
        .user(t.b, "editor@beta.test", Role::Editor, PASSWORD)
        .await;
    World {
        t,
        owner,
        editor,
        pricing,
        b_user,
    }
}

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut browser = app.browser("alpha.test");
    browser.sign_in(email, PASSWORD).await;
    browser
}

fn user_paths(id: UserId) -> Vec<String> {
    vec![
        format!("/admin/users/{id}/role"),
        format!("/admin/users/{id}/disable"),
        format!("/admin/users/{id}/enable"),
        format!("/admin/users/{id}/password"),
    ]
}

#[actix_web::test]
async fn owners_see_the_users_of_their_customer_only() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let page = owner.get("/admin/users").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(
        page.texts("tr.user td.email a"),
        vec![EDITOR, OWNER, "pricing@alpha.test"]
    );
    assert_eq!(
        page.texts("tr.user td.role"),
        vec!["editor", "owner", "pricing"]
    );
    assert_eq!(page.texts("tr.user td.state"), vec!["active"; 3]);
    assert!(
        !page.body.contains("beta.test"),
        "no user of another customer"
    );
    let detail = owner.get(&format!("/admin/users/{}", w.editor)).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.texts("h1"), vec![EDITOR]);
    assert!(detail.attr("input[name=version]", "value").is_some());
    let form = owner.get("/admin/users/new").await;
    assert_eq!(form.status, 200);
    for field in ["email", "role", "password"] {
        assert_eq!(
            form.texts(&format!("label[for={field}]")).len(),
            1,
            "label of {field}"
        );
    }
}

#[actix_web::test]
async fn editors_and_pricing_are_forbidden_and_strangers_sent_to_sign_in() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let before = snapshot(&app).await;
    let gets = [
        "/admin/users".to_owned(),
        "/admin/users/new".to_owned(),
        format!("/admin/users/{}", w.owner),
    ];
    let mut posts = user_paths(w.owner);
    posts.push("/admin/users".to_owned());
    for email in [EDITOR, "pricing@alpha.test"] {
        let mut browser = signed_in(&app, email).await;
        for path in &gets {
            assert_eq!(browser.get(path).await.status, 403, "{email} GET {path}");
        }
        for path in &posts {
            let res = browser
                .post(
                    "/admin",
                    path,
                    &[
                        ("email", "new@alpha.test"),
                        ("role", "owner"),
                        ("password", "another long password"),
                        ("version", "1"),
                    ],
                )
                .await;
            assert_eq!(res.status, 403, "{email} POST {path}");
        }
    }
    let mut stranger = app.browser("alpha.test");
    for path in gets
        .iter()
        .chain(["/admin/account/password".to_owned()].iter())
    {
        let res = stranger.get(path).await;
        assert_eq!(res.status, 303, "GET {path}");
        assert!(res.header("location").unwrap().starts_with("/admin/login"));
    }
    stranger.get("/admin/login").await;
    for path in &posts {
        let res = stranger
            .post("/admin/login", path, &[("role", "owner"), ("version", "1")])
            .await;
        assert_eq!(res.status, 303, "POST {path}");
        assert!(res.header("location").unwrap().starts_with("/admin/login"));
    }
    // Sign-ins were recorded, but no user changed.
    assert_eq!(snapshot(&app).await.0, before.0);
    let _ = w.pricing;
}

#[actix_web::test]
async fn creating_a_user_with_a_typed_password() {
    let app = TestApp::new().await;
    world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let res = owner
        .post(
            "/admin/users/new",
            "/admin/users",
            &[
                ("email", " New.Writer@Alpha.test "),
                ("role", "editor"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/users"));
    let list = owner.get("/admin/users").await;
    assert_eq!(
        list.texts(".flash"),
        vec!["Created new.writer@alpha.test (editor)."]
    );
    assert!(
        list.texts("tr.user td.email a")
            .contains(&"new.writer@alpha.test".to_owned())
    );
    app.browser("alpha.test")
        .sign_in("new.writer@alpha.test", "a long enough password")
        .await;
    let mut conn = app.db.owner_conn().await;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let id: Id =
        diesel::sql_query("SELECT id FROM tenancy.users WHERE email = 'new.writer@alpha.test'")
            .get_result(&mut conn)
            .await
            .unwrap();
    let events = user_events(&app, UserId::from_uuid(id.id)).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "create");
    assert_eq!(events[0].actor_label, OWNER);
    assert!(events[0].after.contains("new.writer@alpha.test"));
    assert!(
        !events[0].after.contains("argon2"),
        "no password hash in the log"
    );
}

#[actix_web::test]
async fn an_empty_password_is_generated_and_shown_once() {
    let app = TestApp::new().await;
    world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let res = owner
        .post(
            "/admin/users/new",
            "/admin/users",
            &[
                ("email", "gen@alpha.test"),
                ("role", "pricing"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let list = owner.get("/admin/users").await;
    let flash = list.texts(".flash").pop().expect("a flash");
    let password = flash
        .rsplit("shown only this once: ")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert!(password.len() >= 12, "{flash}");
    app.browser("alpha.test")
        .sign_in("gen@alpha.test", &password)
        .await;
    let again = owner.get("/admin/users").await;
    assert!(again.texts(".flash").is_empty(), "shown only once");
    assert!(!again.body.contains(&password));
}

#[actix_web::test]
async fn bad_new_users_are_refused_with_the_error_next_to_the_field() {
    let app = TestApp::new().await;
    world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let before = snapshot(&app).await;
    let cases: [(Fields, u16, &str, &str); 4] = [
        (
            &[
                ("email", "not-an-email"),
                ("role", "editor"),
                ("password", "long enough password"),
            ],
            400,
            "#email-error",
            "is not an e-mail address",
        ),
        (
            &[
                ("email", "short@alpha.test"),
                ("role", "editor"),
                ("password", "short"),
            ],
            400,
            "#password-error",
            "at least 12 characters",
        ),
        (
            &[
                ("email", "role@alpha.test"),
                ("role", "admin"),
                ("password", "long enough password"),
            ],
            400,
            "#role-error",
            "unknown role",
        ),
        (
            &[
                ("email", "EDITOR@alpha.test"),
                ("role", "owner"),
                ("password", "long enough password"),
            ],
            409,
            "#email-error",
            "already exists",
        ),
    ];
    for (fields, status, selector, text) in cases {
        let res = owner.post("/admin/users/new", "/admin/users", fields).await;
        assert_eq!(res.status, status, "{fields:?}: {}", res.body);
        let errors = res.texts(selector);
        assert_eq!(errors.len(), 1, "{fields:?}: {}", res.body);
        assert!(errors[0].contains(text), "{errors:?}");
        assert!(
            res.attr("input[name=csrf_token]", "value").is_some(),
            "the form again"
        );
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[actix_web::test]
async fn changing_a_role_bumps_the_version_and_is_audited() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let page = format!("/admin/users/{}", w.editor);
    let path = format!("/admin/users/{}/role", w.editor);
    let res = owner
        .post(&page, &path, &[("role", "pricing"), ("version", "1")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some(page.as_str()));
    let shown = owner.get(&page).await;
    assert_eq!(
        shown.texts(".flash"),
        vec![format!("{EDITOR} is now pricing.")]
    );
    assert_eq!(shown.texts("strong.role"), vec!["pricing"]);
    let stored = row(&app, w.editor).await;
    assert_eq!((stored.role.as_str(), stored.version), ("pricing", 2));
    let events = user_events(&app, w.editor).await;
    let last = events.last().unwrap();
    assert_eq!(last.action, "change_role");
    assert!(last.before.contains("\"role\": \"editor\""), "{last:?}");
    assert!(last.after.contains("\"role\": \"pricing\""), "{last:?}");
    assert!(last.after.contains("\"version\": 2"), "{last:?}");

    // A form based on the old version is refused; so are an unknown role and a missing version.
    let before = snapshot(&app).await;
    for (fields, status) in [
        (vec![("role", "owner"), ("version", "1")], 409),
        (vec![("role", "boss"), ("version", "2")], 400),
        (vec![("role", "owner")], 400),
        (vec![("role", "owner"), ("version", "two")], 400),
    ] {
        let res = owner.post(&page, &path, &fields).await;
        assert_eq!(res.status, status, "{fields:?}: {}", res.body);
        assert_eq!(res.texts("#role-error").len(), 1, "{}", res.body);
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[actix_web::test]
async fn the_last_active_owner_cannot_demote_or_disable_themself() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let page = format!("/admin/users/{}", w.owner);
    let before = snapshot(&app).await;
    let res = owner
        .post(
            &page,
            &format!("{page}/role"),
            &[("role", "editor"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(
        res.texts("#role-error")[0].contains("last active owner"),
        "{}",
        res.body
    );
    let res = owner
        .post(&page, &format!("{page}/disable"), &[("version", "1")])
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.texts("#active-error")[0].contains("last active owner"));
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert_eq!(
        owner.get("/admin/users").await.status,
        200,
        "still an owner"
    );

    // With a second owner, the first may step down.
    let second = app
        .user(w.t.a, "second@alpha.test", Role::Owner, PASSWORD)
        .await;
    let res = owner
        .post(
            &page,
            &format!("{page}/role"),
            &[("role", "editor"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(owner.get("/admin/users").await.status, 403, "now an editor");
    // The second owner is now the last one.
    let mut other = signed_in(&app, "second@alpha.test").await;
    let res = other
        .post(
            &format!("/admin/users/{second}"),
            &format!("/admin/users/{second}/disable"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(res.status, 400);
}

#[actix_web::test]
async fn disabling_ends_the_users_sessions_and_enabling_lets_them_back() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let mut editor = signed_in(&app, EDITOR).await;
    assert_eq!(editor.get("/admin").await.status, 200);
    let page = format!("/admin/users/{}", w.editor);
    let res = owner
        .post(&page, &format!("{page}/disable"), &[("version", "1")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let shown = owner.get(&page).await;
    assert_eq!(
        shown.texts(".flash"),
        vec![format!(
            "{EDITOR} is disabled and all their sessions have ended."
        )]
    );
    assert_eq!(shown.texts("strong.state"), vec!["disabled"]);
    assert_eq!(editor.get("/admin").await.status, 303, "the session ended");
    let res = app
        .browser("alpha.test")
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401, "a disabled user cannot sign in");
    let stored = row(&app, w.editor).await;
    assert!(!stored.is_active);
    assert_eq!(stored.version, 2);
    let last = user_events(&app, w.editor).await.pop().unwrap();
    assert_eq!(last.action, "disable");
    assert!(last.after.contains("\"is_active\": false"), "{last:?}");

    let res = owner
        .post(&page, &format!("{page}/enable"), &[("version", "2")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(row(&app, w.editor).await.is_active);
    editor.sign_in(EDITOR, PASSWORD).await;
    assert_eq!(
        user_events(&app, w.editor).await.pop().unwrap().action,
        "enable"
    );
}

#[actix_web::test]
async fn resetting_a_password_ends_the_users_sessions() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let mut editor = signed_in(&app, EDITOR).await;
    let page = format!("/admin/users/{}", w.editor);
    let path = format!("{page}/password");

    let before = snapshot(&app).await;
    let res = owner
        .post(&page, &path, &[("password", "too short"), ("version", "1")])
        .await;
    assert_eq!(res.status, 400);
    assert!(res.texts("#password-error")[0].contains("at least 12 characters"));
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert_eq!(editor.get("/admin").await.status, 200);

    let res = owner
        .post(
            &page,
            &path,
            &[("password", "the brand new password"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(editor.get("/admin").await.status, 303, "the session ended");
    let res = app
        .browser("alpha.test")
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401, "the old password no longer works");
    editor.sign_in(EDITOR, "the brand new password").await;
    let last = user_events(&app, w.editor).await.pop().unwrap();
    assert_eq!(last.action, "reset_password");
    assert!(!last.before.contains("argon2") && !last.after.contains("argon2"));

    // Empty: generated and shown once.
    let res = owner
        .post(&page, &path, &[("password", ""), ("version", "2")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let flash = owner.get(&page).await.texts(".flash").pop().unwrap();
    let generated = flash
        .rsplit("shown only this once: ")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(editor.get("/admin").await.status, 303);
    editor.sign_in(EDITOR, &generated).await;
    assert!(owner.get(&page).await.texts(".flash").is_empty());
}

#[actix_web::test]
async fn another_customers_user_is_not_found_on_every_route() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let before = snapshot(&app).await;
    for id in [w.b_user.to_string(), "not-a-uuid".to_owned()] {
        assert_eq!(
            owner.get(&format!("/admin/users/{id}")).await.status,
            404,
            "{id}"
        );
        for action in ["role", "disable", "enable", "password"] {
            let res = owner
                .post(
                    "/admin/users",
                    &format!("/admin/users/{id}/{action}"),
                    &[
                        ("role", "owner"),
                        ("password", "a long enough password"),
                        ("version", "1"),
                    ],
                )
                .await;
            assert_eq!(res.status, 404, "{action} of {id}");
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    // B's user can still sign in on B's domain.
    let mut on_b = app.browser("beta.test");
    on_b.sign_in("editor@beta.test", PASSWORD).await;
}

#[actix_web::test]
async fn every_post_without_the_csrf_token_is_refused() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let before = snapshot(&app).await;
    let mut paths = user_paths(w.editor);
    paths.push("/admin/users".to_owned());
    paths.push("/admin/account/password".to_owned());
    for path in &paths {
        let res = owner
            .post_raw(
                path,
                &[
                    ("email", "csrf@alpha.test"),
                    ("role", "owner"),
                    ("password", "a long enough password"),
                    ("version", "1"),
                    ("current_password", PASSWORD),
                    ("new_password", "a long enough password"),
                    ("confirm_password", "a long enough password"),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "{path}");
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[actix_web::test]
async fn changing_ones_own_password_ends_every_session() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut editor = signed_in(&app, EDITOR).await;
    let mut elsewhere = signed_in(&app, EDITOR).await;
    let form = editor.get("/admin/account/password").await;
    assert_eq!(form.status, 200);
    for field in ["current_password", "new_password", "confirm_password"] {
        assert_eq!(form.texts(&format!("label[for={field}]")).len(), 1);
    }
    let before = snapshot(&app).await;
    let new = "my new long password";
    for (fields, selector) in [
        (
            [
                ("current_password", "wrong password!!"),
                ("new_password", new),
                ("confirm_password", new),
            ],
            "#current-error",
        ),
        (
            [
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
            "#new-error",
        ),
        (
            [
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", "something else"),
            ],
            "#confirm-error",
        ),
    ] {
        let res = editor
            .post(
                "/admin/account/password",
                "/admin/account/password",
                &fields,
            )
            .await;
        assert_eq!(res.status, 400, "{fields:?}");
        assert_eq!(res.texts(selector).len(), 1, "{fields:?}: {}", res.body);
    }
    let after = snapshot(&app).await;
    assert_eq!(after.0, before.0, "no user changed");
    assert_eq!(
        after.1,
        before.1 + 1,
        "the wrong current password is recorded, nothing else"
    );
    let wrong = user_events(&app, w.editor).await.pop().unwrap();
    assert_eq!(wrong.action, "wrong_current_password");
    assert_eq!(wrong.actor_label, EDITOR);

    let res = editor
        .post(
            "/admin/account/password",
            "/admin/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/login"));
    let login = editor.get("/admin/login").await;
    assert_eq!(login.status, 200);
    assert!(login.texts(".flash")[0].contains("Your password has been changed"));
    assert_eq!(editor.get("/admin").await.status, 303, "this session ended");
    assert_eq!(
        elsewhere.get("/admin").await.status,
        303,
        "the other one too"
    );
    let res = app
        .browser("alpha.test")
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401);
    editor.sign_in(EDITOR, new).await;
    let last = user_events(&app, w.editor).await.pop().unwrap();
    assert_eq!(last.action, "change_password");
    assert_eq!(last.actor_label, EDITOR);
}

/// Posts the own-password form with this current password and a valid new one.
async fn change_own_password(browser: &mut Browser<'_>, current: &str) -> crate::common::Response {
    let new = "my new long password";
    browser
        .post(
            "/admin/account/password",
            "/admin/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await
}

#[actix_web::test]
async fn the_own_password_form_is_throttled_with_sign_ins() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let mut editor = signed_in(&app, EDITOR).await;
    let mut elsewhere = app.browser("alpha.test");
    elsewhere.peer = "198.51.100.9:5000".parse().unwrap();
    elsewhere.sign_in(EDITOR, PASSWORD).await;
    for n in 0..5 {
        let res = change_own_password(&mut editor, "wrong password!!").await;
        assert_eq!(res.status, 400, "try {n}: {}", res.body);
        assert_eq!(res.texts("#current-error").len(), 1);
    }
    let wrong = user_events(&app, w.editor).await;
    assert_eq!(
        wrong
            .iter()
            .filter(|e| e.action == "wrong_current_password")
            .count(),
        5
    );
    let before = snapshot(&app).await;
    // Even the right current password is refused now, from any session, and nothing changes.
    for browser in [&mut editor, &mut elsewhere] {
        let res = change_own_password(browser, PASSWORD).await;
        assert_eq!(res.status, 429, "{}", res.body);
        let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!((890..=900).contains(&wait), "{wait}");
        assert!(
            res.error_message().contains(
                "Too many failed password attempts for this account. Try again in 15 minutes."
            ),
            "{}",
            res.error_message()
        );
    }
    let after = snapshot(&app).await;
    assert_eq!(
        after.0, before.0,
        "the password and the sessions are unchanged"
    );
    assert_eq!(after.1, before.1 + 2, "two refusals recorded");
    assert_eq!(editor.get("/admin").await.status, 200, "still signed in");
    assert_eq!(elsewhere.get("/admin").await.status, 200, "here too");
    // The failures count for the account's sign-ins too; other accounts are not affected.
    let res = app
        .browser("alpha.test")
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    let mut owner = signed_in(&app, OWNER).await;
    let res = change_own_password(&mut owner, PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

#[actix_web::test]
async fn failed_sign_ins_refuse_the_own_password_form_of_that_account() {
    let app = TestApp::new().await;
    world(&app).await;
    let mut editor = signed_in(&app, EDITOR).await;
    let mut guesser = app.browser("alpha.test");
    guesser.peer = "198.51.100.66:5000".parse().unwrap();
    for _ in 0..5 {
        let res = guesser
            .post(
                "/admin/login",
                "/admin/login",
                &[("email", EDITOR), ("password", "wrong password!!")],
            )
            .await;
        assert_eq!(res.status, 401);
    }
    let res = change_own_password(&mut editor, PASSWORD).await;
    assert_eq!(res.status, 429, "{}", res.body);
    assert!(res.header("retry-after").is_some());
    assert_eq!(editor.get("/admin").await.status, 200, "still signed in");
}

#[actix_web::test]
async fn a_control_character_in_a_new_users_email_is_a_400_and_creates_nobody() {
    let app = TestApp::new().await;
    world(&app).await;
    let mut owner = signed_in(&app, OWNER).await;
    let before = snapshot(&app).await;
    for email in [
        "new\0@alpha.test",
        "new@alpha.test\u{7}",
        "new@alpha\u{1b}.test",
    ] {
        let res = owner
            .post(
                "/admin/users/new",
                "/admin/users",
                &[
                    ("email", email),
                    ("role", "editor"),
                    ("password", "long enough password"),
                ],
            )
            .await;
        assert_control_character_refused(&res, "The form field \"email\"", &format!("{email:?}"));
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    // A line break, which no e-mail input sends, is refused next to the field.
    let res = owner
        .post(
            "/admin/users/new",
            "/admin/users",
            &[
                ("email", "new@alpha.test\nbcc@evil.test"),
                ("role", "editor"),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.texts("#email-error").len(), 1, "{}", res.body);
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}
