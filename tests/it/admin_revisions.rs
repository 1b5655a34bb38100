//! Tests of the admin_revisions area of the admin: listing, comparing and restoring revisions of
//! a post, for each role, with bad inputs, across tenants and without a CSRF token.

use agoat::content::posts::{self, Post, PostInput, Status};
use agoat::content::revisions::{self, Revision};
use agoat::tenancy::users::Role;
use agoat::tenancy::{CustomerId, SiteId};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::common::{Browser, TestApp, TwoTenants, actor, two_tenants};

pub const PASSWORD: &str = "correct horse battery";

/// The editable fields of a post as they are now.
pub fn input_of(post: &Post) -> PostInput {
    PostInput {
        byline: post.byline.clone(),
        title: post.title.clone(),
        slug: post.slug.clone(),
        body_markdown: post.body_markdown.clone(),
        description: post.description.clone(),
        tags: post.tags.clone(),
        status: if post.status == "published" {
            Status::Published
        } else {
            Status::Draft
        },
        published_at: post.published_at,
        featured_media_id: post.featured_media_id,
    }
}

/// Saves a change to a post as an editor would (a new revision).
pub async fn edit(
    app: &TestApp,
    customer: CustomerId,
    id: Uuid,
    change: impl Fn(&mut PostInput) + Send + Sync + 'static,
) -> Post {
    let change = std::sync::Arc::new(change);
    app.in_scope(customer, move |conn, scope| {
        let change = change.clone();
        async move {
            let post = posts::find(conn, scope, id).await?;
            let mut input = input_of(&post);
            change(&mut input);
            let target = posts::Target::Existing {
                post: &post,
                expected_version: post.version,
            };
            let change = posts::Change::Fields {
                input: &input,
                action: "update",
            };
            posts::save(conn, scope, target, change, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await
}

/// The post as stored now.
pub async fn current(app: &TestApp, customer: CustomerId, id: Uuid) -> Post {
    app.in_scope(customer, move |conn, scope| {
        async move { posts::find(conn, scope, id).await }.scope_boxed()
    })
    .await
}

/// Every revision of a post, newest first.
pub async fn history(app: &TestApp, customer: CustomerId, id: Uuid) -> Vec<Revision> {
    app.in_scope(customer, move |conn, scope| {
        async move { revisions::for_post(conn, scope, id).await }.scope_boxed()
    })
    .await
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many audit events of an entity and action there are.
pub async fn audit_events(app: &TestApp, entity: &str, action: &str) -> i64 {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query("SELECT count(*) AS n FROM audit.events WHERE entity = $1 AND action = $2")
        .bind::<Text, _>(entity)
        .bind::<Text, _>(action)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
        .n
}

/// A browser on `host` signed in as a new user of `customer` with `role`.
pub async fn signed_in<'a>(
    app: &'a TestApp,
    customer: CustomerId,
    host: &str,
    role: Role,
) -> Browser<'a> {
    let email = format!("{}-{}@{host}", role.as_str(), Uuid::new_v4().simple());
    app.user(customer, &email, role, PASSWORD).await;
    let mut browser = app.browser(host);
    browser.sign_in(&email, PASSWORD).await;
    browser
}

/// Two tenants, and on A's site a draft with three revisions: the body's word "first" becomes
/// "second", then the title changes.
async fn with_history(app: &TestApp) -> (TwoTenants, Post) {
    let t = two_tenants(app).await;
    let post = app.post(t.a, t.a_site, "history", None).await;
    edit(app, t.a, post.id, |i| {
        i.body_markdown = "The first draft of the text.".into()
    })
    .await;
    edit(app, t.a, post.id, |i| {
        i.body_markdown = "The second draft of the text.".into();
    })
    .await;
    let post = edit(app, t.a, post.id, |i| i.title = "A better title".into()).await;
    (t, post)
}

fn list_path(post: &Post) -> String {
    format!("/admin/posts/{}/revisions", post.id)
}

fn compare_path(post: &Post, from: &str, to: &str) -> String {
    format!(
        "/admin/posts/{}/revisions/compare?from={from}&to={to}",
        post.id
    )
}

fn restore_path(post: &Post, number: i32) -> String {
    format!("/admin/posts/{}/revisions/{number}/restore", post.id)
}

#[actix_web::test]
async fn editors_and_owners_see_every_revision() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    for role in [Role::Editor, Role::Owner] {
        let mut browser = signed_in(&app, t.a, "alpha.test", role).await;
        let res = browser.get(&list_path(&post)).await;
        assert_eq!(res.status, 200, "{role:?}: {}", res.body);
        assert_eq!(res.header("cache-control"), Some("no-store"));
        let numbers: Vec<String> = res
            .texts("table.revisions tbody td:first-child")
            .into_iter()
            .map(|t| t.split_whitespace().next().unwrap().to_owned())
            .collect();
        assert_eq!(numbers, ["4", "3", "2", "1"]);
        let times = res.texts("table.revisions tbody td:nth-child(2)");
        assert!(times.iter().all(|t| t.ends_with(" UTC")), "{times:?}");
        let editors = res.texts("table.revisions tbody td:nth-child(3)");
        assert!(editors.iter().all(|e| e == "cli:test"), "{editors:?}");
        let titles = res.texts("table.revisions tbody td:nth-child(4)");
        assert_eq!(titles[0], "A better title");
        assert_eq!(titles[3], "Title of history");
        let statuses = res.texts("table.revisions tbody td:nth-child(5)");
        assert!(statuses.iter().all(|s| s == "draft"), "{statuses:?}");
        // Every revision but the current one can be restored, with the post's version.
        assert_eq!(
            res.html()
                .select(&scraper::Selector::parse("form[action$='/restore']").unwrap())
                .count(),
            3
        );
        assert_eq!(
            res.attr("form[action$='/restore'] input[name=version]", "value"),
            Some(post.version.to_string())
        );
        // The compare form has labelled fields.
        assert_eq!(res.texts("label[for=compare-from]").len(), 1);
        assert_eq!(res.texts("label[for=compare-to]").len(), 1);
    }
}

#[actix_web::test]
async fn pricing_is_refused_and_signed_out_users_are_sent_to_sign_in() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    let mut pricing = signed_in(&app, t.a, "alpha.test", Role::Pricing).await;
    assert_eq!(pricing.get(&list_path(&post)).await.status, 403);
    assert_eq!(
        pricing.get(&compare_path(&post, "1", "2")).await.status,
        403
    );
    let res = pricing
        .post("/admin", &restore_path(&post, 1), &[("version", "4")])
        .await;
    assert_eq!(res.status, 403);

    let mut anonymous = app.browser("alpha.test");
    for path in [list_path(&post), compare_path(&post, "1", "2")] {
        let res = anonymous.get(&path).await;
        assert_eq!(res.status, 303, "{path}");
        assert!(
            res.header("location")
                .unwrap()
                .starts_with("/admin/login?next="),
            "{path}"
        );
    }
    let res = anonymous
        .post("/admin/login", &restore_path(&post, 1), &[("version", "4")])
        .await;
    assert_eq!(res.status, 303);
    assert!(
        res.header("location")
            .unwrap()
            .starts_with("/admin/login?next=")
    );
    assert_eq!(
        history(&app, t.a, post.id).await.len(),
        4,
        "nothing restored"
    );
}

#[actix_web::test]
async fn compare_shows_changed_words_and_fields() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Editor).await;

    let res = browser.get(&compare_path(&post, "2", "3")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("<del>first</del>"), "{}", res.body);
    assert!(res.body.contains("<ins>second</ins>"), "{}", res.body);
    assert_eq!(
        res.texts(".diff").concat(),
        "The firstsecond draft of the text."
    );
    assert!(
        res.texts("tr.changed th").is_empty(),
        "only the body changed"
    );

    // Any two, in either order; the fields table marks what changed.
    let res = browser.get(&compare_path(&post, "4", "1")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("tr.changed th"), ["title"]);
    assert_eq!(
        res.texts("table.field-diff tbody th"),
        [
            "title",
            "slug",
            "description",
            "tags",
            "byline",
            "status",
            "published_at",
            "featured_image"
        ]
    );
    assert!(res.body.contains("<del>A better title</del>"));
    assert!(res.body.contains("<ins>Title of history</ins>"));
    assert!(res.body.contains("<del>"), "the body changed too");

    // The same revision twice: nothing changed.
    let res = browser.get(&compare_path(&post, "2", "2")).await;
    assert_eq!(res.status, 200);
    assert!(!res.body.contains("<ins>") && !res.body.contains("<del>"));
}

#[actix_web::test]
async fn compare_escapes_what_editors_typed() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    edit(&app, t.a, post.id, |i| {
        i.body_markdown = "<script>alert(1)</script> & <b>bold</b>".into();
        i.title = "<img src=x onerror=alert(1)>".into();
    })
    .await;
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let res = browser.get(&compare_path(&post, "4", "5")).await;
    assert_eq!(res.status, 200);
    assert!(!res.body.contains("<script>alert"), "{}", res.body);
    assert!(!res.body.contains("<img src=x"), "{}", res.body);
    assert!(!res.body.contains("<b>bold"), "{}", res.body);
    // Shown as the text that was typed.
    let diff = res.texts(".diff").concat();
    assert!(diff.contains("<script>alert(1)</script>"), "{diff}");
    assert!(diff.contains("<b>bold</b>"), "{diff}");
}

#[actix_web::test]
async fn compare_refuses_bad_numbers() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    for query in [
        "from=abc&to=2",
        "from=1&to=",
        "from=1",
        "to=1",
        "",
        "from=0&to=1",
        "from=-1&to=1",
        "from=1.5&to=2",
        "from=99999999999&to=1",
    ] {
        let path = format!("/admin/posts/{}/revisions/compare?{query}", post.id);
        let res = browser.get(&path).await;
        assert_eq!(res.status, 400, "{query}: {}", res.body);
    }
    // Numbers of revisions that do not exist, and posts that do not exist.
    assert_eq!(
        browser.get(&compare_path(&post, "1", "9")).await.status,
        404
    );
    assert_eq!(
        browser.get(&compare_path(&post, "9", "1")).await.status,
        404
    );
    for path in [
        "/admin/posts/not-a-uuid/revisions".to_owned(),
        "/admin/posts/not-a-uuid/revisions/compare?from=1&to=2".to_owned(),
        format!("/admin/posts/{}/revisions", Uuid::new_v4()),
        format!(
            "/admin/posts/{}/revisions/compare?from=1&to=2",
            Uuid::new_v4()
        ),
    ] {
        assert_eq!(browser.get(&path).await.status, 404, "{path}");
    }
}

#[actix_web::test]
async fn restoring_makes_a_new_revision_equal_to_the_old_one() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    for (role, number) in [(Role::Editor, 1), (Role::Owner, 3)] {
        let mut browser = signed_in(&app, t.a, "alpha.test", role).await;
        let before = current(&app, t.a, post.id).await;
        let count = history(&app, t.a, post.id).await.len() as i32;
        let res = browser
            .post(
                &list_path(&post),
                &restore_path(&post, number),
                &[("version", &before.version.to_string())],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert_eq!(res.header("location"), Some(list_path(&post).as_str()));
        let page = browser.get(&list_path(&post)).await;
        assert_eq!(
            page.texts(".flash"),
            [format!(
                "Revision {number} was restored as revision {}.",
                count + 1
            )]
        );

        let all = history(&app, t.a, post.id).await;
        assert_eq!(
            all.len() as i32,
            count + 1,
            "one new revision, none removed"
        );
        let (new, old) = (
            &all[0],
            all.iter().find(|r| r.revision_number == number).unwrap(),
        );
        assert_eq!(new.revision_number, count + 1);
        assert_eq!(new.title, old.title);
        assert_eq!(new.slug, old.slug);
        assert_eq!(new.body_markdown, old.body_markdown);
        assert_eq!(new.description, old.description);
        assert_eq!(new.tags, old.tags);
        assert_eq!(new.status, old.status);
        assert_eq!(new.published_at, old.published_at);
        assert!(new.editor_label.starts_with(role.as_str()), "{new:?}");
        let after = current(&app, t.a, post.id).await;
        assert_eq!(after.version, before.version + 1);
        assert_eq!(after.title, old.title);
        assert_eq!(after.body_markdown, old.body_markdown);
    }
    let after = current(&app, t.a, post.id).await;
    assert_eq!(after.title, "Title of history");
    assert_eq!(after.body_markdown, "The second draft of the text.");
    assert_eq!(audit_events(&app, "post", "update").await, 3 + 2);
}

#[actix_web::test]
async fn restoring_an_old_slug_of_a_published_post_keeps_every_address() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let post = app
        .post(
            t.a,
            t.a_site,
            "first-slug",
            Some(crate::common::minutes_ago(5)),
        )
        .await;
    let post = edit(&app, t.a, post.id, |i| i.slug = "second-slug".into()).await;
    let res = app.get("alpha.test", "/posts/first-slug").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("/posts/second-slug"));

    // Revision 1 has the first slug: restoring it renames the post back.
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let res = browser
        .post(
            &list_path(&post),
            &restore_path(&post, 1),
            &[("version", &post.version.to_string())],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(current(&app, t.a, post.id).await.slug, "first-slug");
    let res = app.get("alpha.test", "/posts/second-slug").await;
    assert_eq!(
        res.status, 301,
        "the slug given up by the restore redirects"
    );
    assert_eq!(res.header("location"), Some("/posts/first-slug"));
    let res = app.get("alpha.test", "/posts/first-slug").await;
    assert_eq!(res.status, 200, "the restored slug serves the post itself");
    assert!(res.body.contains("Title of first-slug"));

    // Restoring revision 2 (the second slug) turns the redirect around again.
    let now = current(&app, t.a, post.id).await;
    let res = browser
        .post(
            &list_path(&post),
            &restore_path(&post, 2),
            &[("version", &now.version.to_string())],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = app.get("alpha.test", "/posts/first-slug").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("/posts/second-slug"));
    assert_eq!(
        app.get("alpha.test", "/posts/second-slug").await.status,
        200
    );
    // Another customer's site knows none of these addresses.
    for old in ["/posts/first-slug", "/posts/second-slug"] {
        assert_eq!(app.get("beta.test", old).await.status, 404, "{old}");
    }
}

#[actix_web::test]
async fn a_stale_restore_is_refused_with_a_conflict_page() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let stale = (post.version - 1).to_string();
    let res = browser
        .post(
            &list_path(&post),
            &restore_path(&post, 1),
            &[("version", &stale)],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(
        res.texts("h1")[0].contains("was not restored"),
        "{}",
        res.body
    );
    assert!(res.texts(".warning")[0].contains("changed by someone else"));
    assert_eq!(res.texts("tr.changed th"), ["title"]);
    // The page offers the restore again with the post's version as it is now.
    assert_eq!(
        res.attr("form[action$='/restore'] input[name=version]", "value"),
        Some(post.version.to_string())
    );
    assert_eq!(history(&app, t.a, post.id).await.len(), 4);
    let after = current(&app, t.a, post.id).await;
    assert_eq!(after.version, post.version);
    assert_eq!(after.title, "A better title");

    // Bad inputs change nothing either.
    let version = post.version.to_string();
    for (path, fields, status) in [
        (
            restore_path(&post, 9),
            vec![("version", version.as_str())],
            404,
        ),
        (
            restore_path(&post, 0),
            vec![("version", version.as_str())],
            404,
        ),
        (
            format!("/admin/posts/{}/revisions/x/restore", post.id),
            vec![("version", version.as_str())],
            404,
        ),
        (
            format!("/admin/posts/{}/revisions/1/restore", Uuid::new_v4()),
            vec![("version", version.as_str())],
            404,
        ),
        (restore_path(&post, 1), vec![("version", "abc")], 400),
        (restore_path(&post, 1), vec![], 400),
    ] {
        let res = browser.post(&list_path(&post), &path, &fields).await;
        assert_eq!(res.status, status, "{path} {fields:?}: {}", res.body);
    }
    assert_eq!(history(&app, t.a, post.id).await.len(), 4);
}

#[actix_web::test]
async fn restore_needs_the_csrf_token() {
    let app = TestApp::new().await;
    let (t, post) = with_history(&app).await;
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let version = post.version.to_string();
    let res = browser
        .post_raw(&restore_path(&post, 1), &[("version", &version)])
        .await;
    assert_eq!(res.status, 403);
    let res = browser
        .post_raw(
            &restore_path(&post, 1),
            &[("version", &version), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(history(&app, t.a, post.id).await.len(), 4);
}

/// A second site of customer A, with a post of its own.
async fn other_site_post(app: &TestApp, t: &TwoTenants) -> (SiteId, Post) {
    let site = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    let post = app.post(t.a, site, "shop-news", None).await;
    (site, post)
}

#[actix_web::test]
async fn other_customers_posts_are_not_found() {
    let app = TestApp::new().await;
    let (t, _) = with_history(&app).await;
    let theirs = app.post(t.b, t.b_site, "beta-draft", None).await;
    edit(&app, t.b, theirs.id, |i| i.title = "Beta edited".into()).await;
    let (_, other_site) = other_site_post(&app, &t).await;
    let mut browser = signed_in(&app, t.a, "alpha.test", Role::Owner).await;
    for post in [&theirs, &other_site] {
        assert_eq!(browser.get(&list_path(post)).await.status, 404);
        assert_eq!(browser.get(&compare_path(post, "1", "1")).await.status, 404);
        let res = browser
            .post(
                "/admin",
                &restore_path(post, 1),
                &[("version", &post.version.to_string())],
            )
            .await;
        assert_eq!(res.status, 404);
    }
    let res = browser
        .post("/admin", &restore_path(&theirs, 1), &[("version", "2")])
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(history(&app, t.b, theirs.id).await.len(), 2);
    assert_eq!(current(&app, t.b, theirs.id).await.title, "Beta edited");
}
