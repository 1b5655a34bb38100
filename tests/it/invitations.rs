//! Invitations and password resets by mail, end to end: the mail goes through a real SMTP server
//! (aiosmtpd, started by the test) or the file outbox; the test reads it, follows its link, sets
//! the password and signs in. Links are single use, expire, and work only on their customer's
//! domain; the forgot form answers alike for known and unknown addresses, and is rate-limited.

use agoat::tenancy::users::Role;
use scoped_futures::ScopedFutureExt;

use crate::common::mail::{SmtpServer, path_of, quick_settings};
use crate::common::{
    Browser, STAFF_PASSWORD, TestApp, TwoTenants, database_digest, signed_in, sql_count, sql_text,
    two_tenants,
};

const NEW_PASSWORD: &str = "a brand new password";

async fn world(app: &TestApp) -> TwoTenants {
    let t = two_tenants(app).await;
    app.user(t.a, "owner@alpha.test", Role::Owner, STAFF_PASSWORD)
        .await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    app.user(t.b, "owner@beta.test", Role::Owner, STAFF_PASSWORD)
        .await;
    t
}

/// Asks for a reset link for `email` on `browser`'s site.
async fn forgot(browser: &mut Browser<'_>, email: &str) -> crate::common::Response {
    browser
        .post(
            "/admin/password/forgot",
            "/admin/password/forgot",
            &[("email", email)],
        )
        .await
}

/// Chooses `password` on the page of `link` (an absolute address).
async fn choose(browser: &mut Browser<'_>, link: &str, password: &str) -> crate::common::Response {
    let path = path_of(link);
    browser
        .post(
            &path,
            &path,
            &[("new_password", password), ("confirm_password", password)],
        )
        .await
}

async fn outbox_rows(app: &TestApp) -> i64 {
    sql_count(app, "SELECT count(*) FROM tenancy.mail_outbox").await
}

#[actix_web::test]
async fn an_invitee_follows_the_mailed_link_chooses_a_password_and_is_signed_in() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::new().await;
    let t = world(&app).await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let res = owner
        .post(
            "/admin/users/invite",
            "/admin/users/invite",
            &[("email", "New.Person@Alpha.test"), ("role", "editor")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/users"));
    let list = owner.get("/admin/users").await;
    assert!(list.body.contains("new.person@alpha.test"));
    assert!(list.texts("td.state").iter().any(|s| s == "invited"));
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'invitation' AND action = 'send'"
        )
        .await,
        1
    );

    let report = app
        .mail_sender(smtp.transport(), quick_settings())
        .drain()
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let mail = &messages[0];
    assert_eq!(mail.header("To").as_deref(), Some("new.person@alpha.test"));
    assert!(mail.header("Subject").unwrap().contains("Alpha Blog"));
    assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
    let link = mail.link();
    assert!(
        link.starts_with("http://alpha.test/admin/invitation/"),
        "{link}"
    );

    // Not usable before: the invitee cannot sign in with any password.
    let mut invitee = app.browser("alpha.test");
    let res = invitee
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "new.person@alpha.test"), ("password", "!invited")],
        )
        .await;
    assert_eq!(res.status, 401);

    let page = invitee.get(&path_of(&link)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page.body.contains("new.person@alpha.test"));
    let res = choose(&mut invitee, &link, NEW_PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin"));
    let dashboard = invitee.get("/admin").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("new.person@alpha.test"));
    assert!(dashboard.body.contains("(editor)"));
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'user' AND action = 'accept_invitation'"
        )
        .await,
        1
    );

    // Single use.
    let mut again = app.browser("alpha.test");
    assert_eq!(again.get(&path_of(&link)).await.status, 404);
    // And the password works at the sign-in page.
    again.sign_in("new.person@alpha.test", NEW_PASSWORD).await;
    let list = owner.get("/admin/users").await;
    assert!(!list.texts("td.state").iter().any(|s| s == "invited"));
    let _ = t;
}

#[actix_web::test]
async fn a_reset_link_from_a_real_smtp_server_sets_the_password_and_ends_every_session() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::new().await;
    let _t = world(&app).await;
    let mut elsewhere = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    assert_eq!(elsewhere.get("/admin").await.status, 200);

    let mut visitor = app.browser("alpha.test");
    let login = visitor.get("/admin/login").await;
    assert_eq!(
        login
            .attr("a[href='/admin/password/forgot']", "href")
            .as_deref(),
        Some("/admin/password/forgot"),
        "the sign-in page links the form"
    );
    let res = forgot(&mut visitor, "Editor@Alpha.test").await;
    assert_eq!(res.status, 200, "{}", res.body);
    app.mail_sender(smtp.transport(), quick_settings())
        .drain()
        .await
        .unwrap();
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].header("To").as_deref(),
        Some("editor@alpha.test")
    );
    let link = messages[0].link();
    assert!(
        link.starts_with("http://alpha.test/admin/password/reset/"),
        "{link}"
    );

    let page = visitor.get(&path_of(&link)).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let res = choose(&mut visitor, &link, NEW_PASSWORD).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/login"));
    let login = visitor.get("/admin/login").await;
    assert!(login.body.contains("Your password has been changed"));

    let stale = elsewhere.get("/admin").await;
    assert_eq!(stale.status, 303, "every session of the user ended");
    let mut old = app.browser("alpha.test");
    let res = old
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", "editor@alpha.test"), ("password", STAFF_PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401, "the old password is gone");
    visitor.sign_in("editor@alpha.test", NEW_PASSWORD).await;
    assert_eq!(visitor.get("/admin").await.status, 200);

    let mut again = app.browser("alpha.test");
    assert_eq!(again.get(&path_of(&link)).await.status, 404, "used once");
    let res = again
        .post(
            "/admin/login",
            &path_of(&link),
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'user' AND action = 'reset_password_by_link'"
        )
        .await,
        1
    );
}

#[actix_web::test]
async fn the_forgot_form_answers_alike_for_known_and_unknown_addresses() {
    let app = TestApp::new().await;
    let _t = world(&app).await;
    let mut visitor = app.browser("alpha.test");
    let known = forgot(&mut visitor, "editor@alpha.test").await;
    assert_eq!(outbox_rows(&app).await, 1);
    let unknown = forgot(&mut visitor, "nobody@alpha.test").await;
    assert_eq!(
        outbox_rows(&app).await,
        1,
        "nothing queued for an unknown address"
    );
    assert_eq!(known.status, 200);
    assert_eq!(unknown.status, known.status);
    let strip = |body: &str, email: &str| {
        let body = body.replace(email, "ADDRESS");
        // The CSRF token of the page differs between any two pages.
        regex_lite::Regex::new(r#"value="[^"]*""#)
            .unwrap()
            .replace_all(&body, "")
            .into_owned()
    };
    assert_eq!(
        strip(&known.body, "editor@alpha.test"),
        strip(&unknown.body, "nobody@alpha.test")
    );
    let headers = |r: &crate::common::Response| {
        let mut names: Vec<String> = r
            .headers
            .keys()
            .map(|k| k.as_str().to_owned())
            .filter(|k| k != "x-request-id" && k != "content-security-policy" && k != "set-cookie")
            .collect();
        names.sort();
        names
    };
    assert_eq!(headers(&known), headers(&unknown));
    // A disabled user and another customer's user get the same answer and no mail.
    let beta = forgot(&mut visitor, "owner@beta.test").await;
    assert_eq!(
        strip(&beta.body, "owner@beta.test"),
        strip(&known.body, "editor@alpha.test")
    );
    assert_eq!(
        outbox_rows(&app).await,
        1,
        "B's user asked on A's domain: no mail"
    );
    let files = app.deliver_to_files().await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].header("To").as_deref(), Some("editor@alpha.test"));
    // A malformed address is a 400 that changes nothing.
    let before = database_digest(&app, None).await;
    let res = forgot(&mut visitor, "not an address").await;
    assert_eq!(res.status, 400);
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn reset_requests_are_limited_per_address_and_per_client() {
    let app = TestApp::new().await;
    let _t = world(&app).await;
    let mut visitor = app.browser("alpha.test");
    for _ in 0..3 {
        assert_eq!(forgot(&mut visitor, "editor@alpha.test").await.status, 200);
    }
    let res = forgot(&mut visitor, "editor@alpha.test").await;
    assert_eq!(res.status, 429, "{}", res.body);
    // An unknown address is limited alike, so the limit tells nothing either.
    for _ in 0..3 {
        assert_eq!(forgot(&mut visitor, "ghost@alpha.test").await.status, 200);
    }
    assert_eq!(forgot(&mut visitor, "ghost@alpha.test").await.status, 429);
    // From another client the address is still limited.
    let mut other = app.browser("alpha.test");
    other.peer = "198.51.100.77:4000".parse().unwrap();
    assert_eq!(forgot(&mut other, "editor@alpha.test").await.status, 429);
    assert_eq!(outbox_rows(&app).await, 3, "three links, then none");
    // Per client: ten requests in the hour, whatever the addresses.
    for i in 0..4 {
        assert_eq!(
            forgot(&mut visitor, &format!("someone{i}@alpha.test"))
                .await
                .status,
            200
        );
    }
    assert_eq!(
        forgot(&mut visitor, "someone9@alpha.test").await.status,
        429
    );
    assert_eq!(forgot(&mut other, "someone9@alpha.test").await.status, 200);
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'password_reset' AND action = 'refused'"
        )
        .await,
        4
    );
}

/// A new link of `purpose` for the user `email` of `customer`, straight from the domain function
/// (it retires the user's earlier links of that purpose).
async fn issue(
    app: &TestApp,
    customer: agoat::tenancy::CustomerId,
    email: &'static str,
    purpose: agoat::tenancy::account_tokens::Purpose,
) -> String {
    use agoat::tenancy::{account_tokens, users};
    app.in_scope(customer, move |conn, scope| {
        async move {
            let user = users::by_email(conn, scope, email).await?.unwrap();
            let id = agoat::tenancy::UserId::from_uuid(user.id);
            account_tokens::issue(conn, scope, id, purpose, None).await
        }
        .scope_boxed()
    })
    .await
}

#[actix_web::test]
async fn expired_used_foreign_and_garbage_links_are_404s_that_change_nothing() {
    let app = TestApp::new().await;
    let t = world(&app).await;
    use agoat::tenancy::account_tokens::Purpose;
    let retired = issue(&app, t.a, "editor@alpha.test", Purpose::PasswordReset).await;
    let a_invitation = issue(&app, t.a, "editor@alpha.test", Purpose::Invitation).await;
    let b_reset = issue(&app, t.b, "owner@beta.test", Purpose::PasswordReset).await;
    let expired = {
        // The newer reset link retires the first one.
        let reset = issue(&app, t.a, "editor@alpha.test", Purpose::PasswordReset).await;
        let hash = agoat::token::hash(&reset);
        let mut conn = app.db.owner_conn().await;
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "UPDATE tenancy.account_tokens SET expires_at = now() - interval '1 minute' \
                 WHERE token_hash = '{hash}'"
            )),
            &mut conn,
        )
        .await
        .unwrap();
        reset
    };
    let before = database_digest(&app, None).await;
    let mut visitor = app.browser("alpha.test");
    let cases = [
        ("/admin/password/reset/garbage".to_owned(), "garbage"),
        (
            format!("/admin/password/reset/{}", "A".repeat(43)),
            "well-formed, never issued",
        ),
        (
            format!("/admin/password/reset/{b_reset}"),
            "B's token on A's domain",
        ),
        (
            format!("/admin/password/reset/{a_invitation}"),
            "an invitation token as a reset",
        ),
        (
            format!("/admin/invitation/{retired}"),
            "a reset token as an invitation",
        ),
        (
            format!("/admin/password/reset/{retired}"),
            "a link a newer one retired",
        ),
        (
            format!("/admin/password/reset/{expired}"),
            "an expired link",
        ),
    ];
    for (path, case) in &cases {
        let res = visitor.get(path).await;
        assert_eq!(res.status, 404, "GET {case}");
        let res = visitor
            .post(
                "/admin/login",
                path,
                &[
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status, 404, "POST {case}");
    }
    assert_eq!(database_digest(&app, None).await, before);
    // B's own token still works on B's domain.
    let mut b = app.browser("beta.test");
    assert_eq!(
        b.get(&format!("/admin/password/reset/{b_reset}"))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn a_bad_password_on_a_link_page_changes_nothing_and_keeps_the_link() {
    let app = TestApp::new().await;
    let t = world(&app).await;
    let invitation = issue(
        &app,
        t.a,
        "editor@alpha.test",
        agoat::tenancy::account_tokens::Purpose::Invitation,
    )
    .await;
    let path = format!("/admin/invitation/{invitation}");
    let before = database_digest(&app, None).await;
    let mut visitor = app.browser("alpha.test");
    for (new, confirm, why) in [
        ("short", "short", "too short"),
        (NEW_PASSWORD, "something else entirely", "not confirmed"),
    ] {
        let res = visitor
            .post(
                &path,
                &path,
                &[("new_password", new), ("confirm_password", confirm)],
            )
            .await;
        assert_eq!(res.status, 400, "{why}");
        assert!(!res.texts(".field-error").is_empty(), "{why}");
    }
    let res = visitor
        .post_raw(&path, &[("new_password", NEW_PASSWORD)])
        .await;
    assert_eq!(res.status, 403, "no CSRF token");
    assert_eq!(database_digest(&app, None).await, before);
    let res = visitor
        .post(
            &path,
            &path,
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
}

#[actix_web::test]
async fn inviting_takes_an_owner_and_a_free_address() {
    let app = TestApp::new().await;
    let _t = world(&app).await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    assert_eq!(editor.get("/admin/users/invite").await.status, 403);
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let page = owner.get("/admin/users/invite").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let token = page.attr("input[name=csrf_token]", "value").unwrap();
    let res = editor
        .post_raw(
            "/admin/users/invite",
            &[
                ("email", "x@alpha.test"),
                ("role", "editor"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status, 403, "another session's token");

    let before = database_digest(&app, None).await;
    for (email, role, status) in [
        ("not an address", "editor", 400),
        ("x@alpha.test", "emperor", 400),
        ("editor@alpha.test", "editor", 409),
    ] {
        let res = owner
            .post(
                "/admin/users/invite",
                "/admin/users/invite",
                &[("email", email), ("role", role)],
            )
            .await;
        assert_eq!(res.status, status, "{email} {role}");
    }
    assert_eq!(database_digest(&app, None).await, before);

    // Inviting again renews the link and the role; the first link stops working.
    for role in ["editor", "pricing"] {
        let res = owner
            .post(
                "/admin/users/invite",
                "/admin/users/invite",
                &[("email", "x@alpha.test"), ("role", role)],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
    }
    let files = app.deliver_to_files().await;
    assert_eq!(files.len(), 2);
    let (first, second) = (files[0].link(), files[1].link());
    let (first, second) = if sql_text(
        &app,
        &format!(
            "SELECT (used_at IS NULL)::text AS s FROM tenancy.account_tokens WHERE token_hash = '{}'",
            agoat::token::hash(first.rsplit('/').next().unwrap())
        ),
    )
    .await
        == "true"
    {
        (second, first)
    } else {
        (first, second)
    };
    let mut invitee = app.browser("alpha.test");
    assert_eq!(invitee.get(&path_of(&first)).await.status, 404);
    let page = invitee.get(&path_of(&second)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("pricing"));
}

#[actix_web::test]
async fn an_owner_still_invited_does_not_count_as_an_owner() {
    let app = TestApp::new().await;
    let _t = world(&app).await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let res = owner
        .post(
            "/admin/users/invite",
            "/admin/users/invite",
            &[("email", "second@alpha.test"), ("role", "owner")],
        )
        .await;
    assert_eq!(res.status, 303);
    let me = sql_text(
        &app,
        "SELECT id::text AS s FROM tenancy.users WHERE email = 'owner@alpha.test'",
    )
    .await;
    let page = format!("/admin/users/{me}");
    let version = owner
        .get(&page)
        .await
        .attr("input[name=version]", "value")
        .unwrap();
    let res = owner
        .post(
            &page,
            &format!("{page}/role"),
            &[("role", "editor"), ("version", &version)],
        )
        .await;
    assert!(
        res.body.contains("last active owner"),
        "the only owner who can sign in stays one: {} {}",
        res.status,
        res.body
    );
}
