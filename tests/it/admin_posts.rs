//! Tests of the admin_posts area of the admin: listing, forms, saving, publishing and scheduling,
//! the trash, preview, conflicts, old-slug redirects, roles, CSRF and tenant separation. Every bad
//! input is checked to answer a clear 4xx and to change nothing.

use agoat::tenancy::users::Role;
use chrono::{Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

use crate::common::{
    Browser, TestApp, TwoTenants, assert_control_character_refused, minutes_ago, two_tenants,
    walk_forward_and_back,
};

const PASSWORD: &str = "correct horse battery";

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    s: String,
}

async fn text(app: &TestApp, sql: &str) -> String {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(sql)
        .get_result::<One>(&mut conn)
        .await
        .unwrap()
        .s
}

/// Everything the posts admin can change: posts, revision and audit counts, redirects.
async fn snapshot(app: &TestApp) -> String {
    text(
        app,
        "SELECT coalesce((SELECT string_agg(concat_ws('|', id, site_id, title, slug, body_markdown, \
         description, array_to_string(tags, ','), status, published_at, trashed_at, version, \
         updated_at), E'\\n' ORDER BY id) FROM content.posts), '') \
         || '#' || (SELECT count(*) FROM content.post_revisions) \
         || '#' || (SELECT count(*) FROM audit.events WHERE entity <> 'sign_in') \
         || '#' || coalesce((SELECT string_agg(old_slug || '>' || post_id, ',' ORDER BY old_slug) \
         FROM content.slug_redirects), '') AS s",
    )
    .await
}

/// `(id, version)` of the post with this slug.
async fn post_of(app: &TestApp, slug: &str) -> (String, String) {
    let row = text(
        app,
        &format!(
            "SELECT id::text || ' ' || version::text AS s FROM content.posts WHERE slug = '{slug}'"
        ),
    )
    .await;
    let (id, version) = row.split_once(' ').unwrap();
    (id.to_owned(), version.to_owned())
}

async fn field(app: &TestApp, id: &str, column: &str) -> String {
    text(
        app,
        &format!("SELECT coalesce({column}::text, '') AS s FROM content.posts WHERE id = '{id}'"),
    )
    .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    text(app, &format!("SELECT ({sql})::text AS s"))
        .await
        .parse()
        .unwrap()
}

struct Setup {
    app: TestApp,
    t: TwoTenants,
}

async fn setup() -> Setup {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    app.user(t.a, "editor2@alpha.test", Role::Editor, PASSWORD)
        .await;
    app.user(t.a, "owner@alpha.test", Role::Owner, PASSWORD)
        .await;
    app.user(t.a, "pricing@alpha.test", Role::Pricing, PASSWORD)
        .await;
    app.user(t.b, "owner@beta.test", Role::Owner, PASSWORD)
        .await;
    Setup { app, t }
}

async fn signed_in<'a>(app: &'a TestApp, host: &str, email: &str) -> Browser<'a> {
    let mut browser = app.browser(host);
    browser.sign_in(email, PASSWORD).await;
    browser
}

/// The fields of a post form.
fn form<'a>(
    title: &'a str,
    slug: &'a str,
    body: &'a str,
    version: &'a str,
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", slug),
        ("body", body),
        ("description", "A description"),
        ("tags", "one, two"),
        ("publish_at", ""),
        ("version", version),
        ("action", action),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| *n != name);
    fields.push((name, value));
    fields
}

fn without<'a>(mut fields: Vec<(&'a str, &'a str)>, name: &str) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| *n != name);
    fields
}

#[actix_web::test]
async fn roles_decide_who_may_use_the_posts_admin() {
    let Setup { app, t: _ } = setup().await;
    let (id, version) = post_of(&app, "alpha-post").await;
    for email in ["editor@alpha.test", "owner@alpha.test"] {
        let mut b = signed_in(&app, "alpha.test", email).await;
        for path in [
            "/admin/posts",
            "/admin/posts/new",
            &format!("/admin/posts/{id}/edit"),
        ] {
            let res = b.get(path).await;
            assert_eq!(res.status, 200, "{email} {path}");
            assert_eq!(res.header("cache-control"), Some("no-store"));
        }
    }
    let before = snapshot(&app).await;
    let mut pricing = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    for path in [
        "/admin/posts",
        "/admin/posts/new",
        &format!("/admin/posts/{id}/edit"),
    ] {
        assert_eq!(pricing.get(path).await.status, 403, "{path}");
    }
    let save = form("Changed", "alpha-post", "x", &version, "save");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/posts".into(), form("New", "", "x", "", "draft")),
        (format!("/admin/posts/{id}"), save.clone()),
        ("/admin/posts/preview".into(), save.clone()),
        (format!("/admin/posts/{id}/preview"), save.clone()),
        (
            format!("/admin/posts/{id}/trash"),
            vec![("version", version.as_str())],
        ),
        (
            format!("/admin/posts/{id}/restore"),
            vec![("version", version.as_str())],
        ),
        (
            format!("/admin/posts/{id}/delete"),
            vec![("version", version.as_str())],
        ),
    ];
    for (path, fields) in &posts {
        let res = pricing.post("/admin", path, fields).await;
        assert_eq!(res.status, 403, "pricing {path}");
    }
    assert_eq!(snapshot(&app).await, before);

    let mut anonymous = app.browser("alpha.test");
    let res = anonymous.get("/admin/posts").await;
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some("/admin/login?next=%2Fadmin%2Fposts")
    );
    let res = anonymous.get(&format!("/admin/posts/{id}/edit")).await;
    assert_eq!(res.status, 303);
    assert!(res.header("location").unwrap().starts_with("/admin/login"));
    // A signed-out form (with a token of an anonymous session) is sent to sign in too.
    for (path, fields) in &posts {
        let res = anonymous.post("/admin/login", path, fields).await;
        assert_eq!(res.status, 303, "signed out {path}");
    }
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn the_list_filters_searches_and_pages() {
    let Setup { app, t } = setup().await;
    for n in 0..23 {
        app.post(t.a, t.a_site, &format!("draft-{n:02}"), None)
            .await;
    }
    app.post(t.a, t.a_site, "future-one", Some(minutes_ago(-60)))
        .await;
    let trashed = app.post(t.a, t.a_site, "binned", None).await;
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(format!(
        "UPDATE content.posts SET trashed_at = now() WHERE id = '{}'",
        trashed.id
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    // Another customer's post never shows.
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;

    let rows = |res: &crate::common::Response| res.texts("tbody tr td:first-child");
    let first = b.get("/admin/posts").await;
    assert_eq!(first.status, 200);
    let page1 = rows(&first);
    assert_eq!(page1.len(), 20);
    let next = first.attr("a[rel=next]", "href").expect("a next page");
    let second = b.get(&next).await;
    assert_eq!(second.status, 200);
    let page2 = rows(&second);
    // 23 drafts, the seeded published post, the scheduled one: 25 outside the trash.
    assert_eq!(page2.len(), 5);
    assert!(page1.iter().all(|t| !page2.contains(t)), "pages overlap");
    assert!(second.attr("a[rel=next]", "href").is_none());
    let all: Vec<_> = page1.iter().chain(&page2).collect();
    assert!(
        !all.iter()
            .any(|t| t.contains("beta") || t.contains("binned"))
    );

    let drafts = b.get("/admin/posts?status=draft").await;
    assert_eq!(rows(&drafts).len(), 20);
    let scheduled = b.get("/admin/posts?status=scheduled").await;
    assert_eq!(rows(&scheduled), vec!["Title of future-one"]);
    assert!(scheduled.body.contains("status scheduled"));
    let published = b.get("/admin/posts?status=published").await;
    assert_eq!(rows(&published), vec!["Title of alpha-post"]);
    let trash = b.get("/admin/posts?status=trash").await;
    assert_eq!(rows(&trash), vec!["Title of binned"]);

    let search = b.get("/admin/posts?q=DRAFT-1").await;
    assert_eq!(rows(&search).len(), 10, "draft-10 … draft-19");
    let search = b.get("/admin/posts?q=title%20of%20ALPHA").await;
    assert_eq!(rows(&search), vec!["Title of alpha-post"]);
    let search = b.get("/admin/posts?q=%25").await;
    assert_eq!(rows(&search).len(), 0, "% is matched literally");

    assert_eq!(b.get("/admin/posts?status=bogus").await.status, 400);
    assert_eq!(b.get("/admin/posts?after=garbage").await.status, 400);
}

#[actix_web::test]
async fn the_list_pages_back_as_well_as_forward_with_the_filter_and_search() {
    let Setup { app, t } = setup().await;
    for n in 0..45 {
        app.post(t.a, t.a_site, &format!("draft-{n:02}"), None)
            .await;
        // Neither a draft nor matching the search: never listed below.
        if n % 9 == 0 {
            app.post(t.a, t.a_site, &format!("note-{n:02}"), None).await;
            app.post(
                t.a,
                t.a_site,
                &format!("draft-live-{n:02}"),
                Some(minutes_ago(5)),
            )
            .await;
        }
    }
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let pages = walk_forward_and_back(
        &mut b,
        "/admin/posts?status=draft&q=draft",
        "tbody tr td:first-child",
        &["status=draft", "q=draft"],
    )
    .await;
    assert_eq!(pages.each_ref().map(Vec::len), [20, 20, 5]);
    let titles: Vec<&String> = pages.iter().flatten().collect();
    assert!(
        titles
            .iter()
            .all(|t| t.starts_with("Title of draft-") && !t.contains("live")),
        "{titles:?}"
    );
    // Most recently changed first across every page.
    let expected: Vec<String> = (0..45)
        .rev()
        .map(|n| format!("Title of draft-{n:02}"))
        .collect();
    assert_eq!(titles, expected.iter().collect::<Vec<_>>());

    // A page reached by "next" links to the page before it; bad positions are a 400.
    let first = b.get("/admin/posts").await;
    assert!(first.attr("a[rel=prev]", "href").is_none());
    let position = "1764000000000000_00000000000000000000000000000000";
    for path in [
        "/admin/posts?before=garbage",
        "/admin/posts?before=1_2",
        &format!("/admin/posts?after={position}&before={position}"),
    ] {
        assert_eq!(b.get(path).await.status, 400, "{path}");
    }
}

#[actix_web::test]
async fn a_new_draft_gets_a_slug_from_its_title() {
    let Setup { app, t: _ } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let res = b
        .post(
            "/admin/posts/new",
            "/admin/posts",
            &form("My First Post", "", "Hello *world*", "", "draft"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (id, version) = post_of(&app, "my-first-post").await;
    assert_eq!(
        res.header("location"),
        Some(format!("/admin/posts/{id}/edit").as_str())
    );
    assert_eq!(version, "1");
    assert_eq!(field(&app, &id, "status").await, "draft");
    assert_eq!(field(&app, &id, "tags").await, "{one,two}");
    let page = b.get(&format!("/admin/posts/{id}/edit")).await;
    assert!(page.body.contains("Draft saved."), "{}", page.body);
    assert_eq!(
        page.attr("input[name=version]", "value").as_deref(),
        Some("1")
    );
    assert_eq!(
        page.attr("#slug", "value").as_deref(),
        Some("my-first-post")
    );
    assert!(page.body.contains("UTC"));
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM content.post_revisions WHERE post_id = '{id}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit.events WHERE entity_id = '{id}' AND action = 'create'"
            )
        )
        .await,
        1
    );
    // Not visible to visitors.
    assert_eq!(
        app.get("alpha.test", "/posts/my-first-post").await.status,
        404
    );
}

#[actix_web::test]
async fn a_taken_slug_is_refused_with_a_free_suggestion() {
    let Setup { app, t } = setup().await;
    app.post(t.a, t.a_site, "alpha-post-2", None).await;
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let before = snapshot(&app).await;
    let res = b
        .post(
            "/admin/posts/new",
            "/admin/posts",
            &form("Another", "alpha-post", "typed text", "", "draft"),
        )
        .await;
    assert_eq!(res.status, 400);
    let error = res.texts("#slug-error").join(" ");
    assert!(error.contains("already used"), "{error}");
    assert_eq!(res.texts(".slug-suggestion"), vec!["alpha-post-3"]);
    assert!(res.body.contains("typed text"), "what was typed is kept");
    assert_eq!(snapshot(&app).await, before);

    // The same on edit.
    let (id, version) = post_of(&app, "alpha-post-2").await;
    let res = b
        .post(
            "/admin",
            &format!("/admin/posts/{id}"),
            &form("Another", "alpha-post", "x", &version, "draft"),
        )
        .await;
    assert_eq!(res.status, 400);
    // The post's own slug is free for it.
    assert_eq!(res.texts(".slug-suggestion"), vec!["alpha-post-2"]);
    assert_eq!(snapshot(&app).await, before);
    // The slug of another customer's site is no obstacle.
    let res = b
        .post(
            "/admin",
            "/admin/posts",
            &form("Beta name", "beta-post", "x", "", "draft"),
        )
        .await;
    assert_eq!(res.status, 303);
}

/// A bad input: its name, the fields, the status and where the error is shown.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);

#[actix_web::test]
async fn bad_inputs_are_refused_and_change_nothing() {
    let Setup { app, t } = setup().await;
    let draft = app.post(t.a, t.a_site, "a-draft", None).await;
    let id = draft.id.to_string();
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let long = "x".repeat(501);
    let past = (Utc::now() - Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let base = form("Fine title", "a-draft", "body", "1", "draft");
    let cases: Vec<Case> = vec![
        (
            "empty title",
            with(base.clone(), "title", "  "),
            400,
            "#title-error",
        ),
        (
            "long title",
            with(base.clone(), "title", &long),
            400,
            "#title-error",
        ),
        (
            "two-line title",
            with(base.clone(), "title", "Fine\ntitle"),
            400,
            "#title-error",
        ),
        (
            "bad slug",
            with(base.clone(), "slug", "Bad Slug!"),
            400,
            "#slug-error",
        ),
        (
            "past schedule",
            with(
                with(base.clone(), "action", "schedule"),
                "publish_at",
                &past,
            ),
            400,
            "#publish_at-error",
        ),
        (
            "schedule without time",
            with(base.clone(), "action", "schedule"),
            400,
            "#publish_at-error",
        ),
        (
            "malformed date",
            with(
                with(base.clone(), "action", "schedule"),
                "publish_at",
                "31/12/2099 25:00",
            ),
            400,
            "#publish_at-error",
        ),
        (
            "unknown action",
            with(base.clone(), "action", "explode"),
            400,
            "",
        ),
        ("no action", without(base.clone(), "action"), 400, ""),
        ("missing version", without(base.clone(), "version"), 400, ""),
        (
            "garbage version",
            with(base.clone(), "version", "abc"),
            400,
            "",
        ),
    ];
    let before = snapshot(&app).await;
    for (name, fields, status, error) in &cases {
        let res = b
            .post("/admin", &format!("/admin/posts/{id}"), fields)
            .await;
        assert_eq!(res.status, *status, "{name}: {}", res.body);
        if !error.is_empty() {
            assert_eq!(res.texts(error).len(), 1, "{name}: error next to the field");
        }
        assert_eq!(snapshot(&app).await, before, "{name} changed something");
        // And when creating (version is not used there).
        if !name.contains("version") {
            let res = b.post("/admin", "/admin/posts", fields).await;
            assert_eq!(res.status, *status, "new {name}");
            assert_eq!(snapshot(&app).await, before, "new {name} changed something");
        }
    }
    // A version that is not the current one is a conflict, not a save.
    let res = b
        .post(
            "/admin",
            &format!("/admin/posts/{id}"),
            &with(base.clone(), "version", "7"),
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(snapshot(&app).await, before);
    // Actions need a version too.
    for action in ["trash", "restore", "delete"] {
        let res = b
            .post("/admin", &format!("/admin/posts/{id}/{action}"), &[])
            .await;
        assert!(matches!(res.status, 400 | 403), "{action}: {}", res.status);
        let res = b
            .post(
                "/admin",
                &format!("/admin/posts/{id}/{action}"),
                &[("version", "x")],
            )
            .await;
        assert!(matches!(res.status, 400 | 403), "{action}: {}", res.status);
    }
    assert_eq!(snapshot(&app).await, before);
    // Unknown ids are 404.
    let unknown = uuid::Uuid::new_v4().to_string();
    for path in [
        format!("/admin/posts/{unknown}/edit"),
        "/admin/posts/not-a-uuid/edit".to_owned(),
    ] {
        assert_eq!(b.get(&path).await.status, 404, "{path}");
    }
    let res = b
        .post("/admin", &format!("/admin/posts/{unknown}"), &base)
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn publishing_scheduling_and_unpublishing() {
    let Setup { app, t } = setup().await;
    let draft = app.post(t.a, t.a_site, "news", None).await;
    let id = draft.id.to_string();
    let path = format!("/admin/posts/{id}");
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;

    let res = b
        .post(
            "/admin",
            &path,
            &form("News", "news", "**Big** news", "1", "publish"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(&format!("{path}/edit")).await;
    assert!(page.body.contains("Published."));
    assert_eq!(field(&app, &id, "version").await, "2");
    let public = app.get("alpha.test", "/posts/news").await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("<strong>Big</strong> news"));

    let res = b
        .post(
            "/admin",
            &path,
            &form("News", "news", "**Big** news", "2", "unpublish"),
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(field(&app, &id, "status").await, "draft");
    assert_eq!(app.get("alpha.test", "/posts/news").await.status, 404);

    let soon = (Utc::now() + Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = b
        .post(
            "/admin",
            &path,
            &with(
                form("News", "news", "later", "3", "schedule"),
                "publish_at",
                &soon,
            ),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(&format!("{path}/edit")).await;
    assert!(page.body.contains("Scheduled for"), "{}", page.body);
    assert!(page.texts(".status.scheduled").len() == 1);
    assert_eq!(
        page.attr("#publish_at", "value").as_deref(),
        Some(soon.as_str()),
        "shown back in UTC"
    );
    assert_eq!(
        field(
            &app,
            &id,
            "to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI')"
        )
        .await,
        soon,
        "entered as UTC"
    );
    // Not visible before its time…
    assert_eq!(app.get("alpha.test", "/posts/news").await.status, 404);
    // …and visible once the time has come, with no job runner.
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(format!(
        "UPDATE content.posts SET published_at = now() - interval '1 minute' WHERE id = '{id}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(app.get("alpha.test", "/posts/news").await.status, 200);

    let actions = text(
        &app,
        &format!(
            "SELECT string_agg(action, ',' ORDER BY occurred_at) AS s FROM audit.events \
             WHERE entity_id = '{id}'"
        ),
    )
    .await;
    assert_eq!(actions, "create,publish,unpublish,schedule");
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM content.post_revisions WHERE post_id = '{id}'")
        )
        .await,
        4
    );
}

#[actix_web::test]
async fn trash_restore_and_delete() {
    let Setup { app, t: _ } = setup().await;
    let (id, version) = post_of(&app, "alpha-post").await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;

    // Only trashed posts can be deleted.
    let before = snapshot(&app).await;
    let res = owner
        .post(
            "/admin",
            &format!("/admin/posts/{id}/delete"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(snapshot(&app).await, before);

    let res = editor
        .post(
            "/admin",
            &format!("/admin/posts/{id}/trash"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(
        editor
            .get("/admin/posts")
            .await
            .body
            .contains("Moved to trash.")
    );
    assert_ne!(field(&app, &id, "trashed_at").await, "");
    assert_eq!(app.get("alpha.test", "/posts/alpha-post").await.status, 404);
    let version = field(&app, &id, "version").await;
    assert_eq!(version, "2");
    // A trashed post cannot be saved.
    let before = snapshot(&app).await;
    let res = editor
        .post(
            "/admin",
            &format!("/admin/posts/{id}"),
            &form("X", "alpha-post", "x", &version, "save"),
        )
        .await;
    assert_eq!(res.status, 409);

    // Editors cannot delete.
    let res = editor
        .post(
            "/admin",
            &format!("/admin/posts/{id}/delete"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(snapshot(&app).await, before);

    let res = editor
        .post(
            "/admin",
            &format!("/admin/posts/{id}/restore"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(
        editor
            .get(&format!("/admin/posts/{id}/edit"))
            .await
            .body
            .contains("Restored from trash.")
    );
    assert_eq!(app.get("alpha.test", "/posts/alpha-post").await.status, 200);

    let res = owner
        .post(
            "/admin",
            &format!("/admin/posts/{id}/trash"),
            &[("version", "3")],
        )
        .await;
    assert_eq!(res.status, 303);
    // A stale version changes nothing.
    let before = snapshot(&app).await;
    let res = owner
        .post(
            "/admin",
            &format!("/admin/posts/{id}/delete"),
            &[("version", "3")],
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(snapshot(&app).await, before);
    let res = owner
        .post(
            "/admin",
            &format!("/admin/posts/{id}/delete"),
            &[("version", "4")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM content.posts WHERE id = '{id}'")
        )
        .await,
        0
    );
    let actions = text(
        &app,
        &format!(
            "SELECT string_agg(action, ',' ORDER BY occurred_at) AS s FROM audit.events \
             WHERE entity_id = '{id}'"
        ),
    )
    .await;
    assert_eq!(actions, "create,trash,restore,trash,delete");
}

#[actix_web::test]
async fn a_stale_save_shows_both_texts_and_offers_choices() {
    let Setup { app, t: _ } = setup().await;
    let (id, _) = post_of(&app, "alpha-post").await;
    let edit = format!("/admin/posts/{id}/edit");
    let path = format!("/admin/posts/{id}");
    let mut first = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let mut second = signed_in(&app, "alpha.test", "editor2@alpha.test").await;
    let v1 = first
        .get(&edit)
        .await
        .attr("input[name=version]", "value")
        .unwrap();
    let v2 = second
        .get(&edit)
        .await
        .attr("input[name=version]", "value")
        .unwrap();
    assert_eq!(v1, v2);

    let res = first
        .post(
            "/admin",
            &path,
            &form(
                "Title",
                "alpha-post",
                "Text of the FIRST editor",
                &v1,
                "save",
            ),
        )
        .await;
    assert_eq!(res.status, 303);
    let saved = snapshot(&app).await;

    let res = second
        .post(
            "/admin",
            &path,
            &form(
                "Title",
                "alpha-post",
                "Text of the SECOND editor",
                &v2,
                "save",
            ),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(
        snapshot(&app).await,
        saved,
        "the stale save changed nothing"
    );
    let sides = res.texts(".side-by-side pre");
    assert_eq!(
        sides,
        vec!["Text of the SECOND editor", "Text of the FIRST editor"]
    );
    assert_eq!(res.texts("#my-body"), vec!["Text of the SECOND editor"]);
    assert!(res.attr("#my-body", "readonly").is_some());
    assert_eq!(
        res.attr(&format!("a[href=\"{edit}\"]"), "href").as_deref(),
        Some(edit.as_str()),
        "reload choice"
    );
    // Overwrite: the form resubmits my text with the current version.
    let version = res
        .attr("form.overwrite input[name=version]", "value")
        .unwrap();
    assert_eq!(version, "2");
    let mut fields: Vec<(String, String)> = Vec::new();
    for name in [
        "title",
        "slug",
        "body",
        "description",
        "tags",
        "publish_at",
        "action",
    ] {
        let value = res
            .attr(&format!("form.overwrite input[name={name}]"), "value")
            .unwrap();
        fields.push((name.to_owned(), value));
    }
    fields.push(("version".into(), version));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let res = second.post("/admin", &path, &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        field(&app, &id, "body_markdown").await,
        "Text of the SECOND editor"
    );
    assert_eq!(field(&app, &id, "version").await, "3");

    // Two tabs of the same user: the same result.
    let mut tab1 = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let mut tab2 = Browser {
        app: &app,
        host: tab1.host.clone(),
        cookie: tab1.cookie.clone(),
        peer: tab1.peer,
        headers: Vec::new(),
    };
    let v = tab1
        .get(&edit)
        .await
        .attr("input[name=version]", "value")
        .unwrap();
    let res = tab1
        .post(
            "/admin",
            &path,
            &form("Title", "alpha-post", "tab one", &v, "save"),
        )
        .await;
    assert_eq!(res.status, 303);
    let res = tab2
        .post(
            "/admin",
            &path,
            &form("Title", "alpha-post", "tab two", &v, "save"),
        )
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("tab one") && res.body.contains("tab two"));
    assert_eq!(field(&app, &id, "body_markdown").await, "tab one");
}

#[actix_web::test]
async fn renaming_a_published_post_leaves_a_permanent_redirect() {
    let Setup { app, t } = setup().await;
    let (id, _) = post_of(&app, "alpha-post").await;
    let path = format!("/admin/posts/{id}");
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;

    let res = b
        .post(
            "/admin",
            &path,
            &form("Renamed", "renamed", "body", "1", "save"),
        )
        .await;
    assert_eq!(res.status, 303);
    let old = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), Some("/posts/renamed"));
    assert_eq!(app.get("alpha.test", "/posts/renamed").await.status, 200);

    // A chain collapses: both old slugs lead to the current one.
    let res = b
        .post(
            "/admin",
            &path,
            &form("Renamed", "third", "body", "2", "save"),
        )
        .await;
    assert_eq!(res.status, 303);
    for old in ["/posts/alpha-post", "/posts/renamed"] {
        let res = app.get("alpha.test", old).await;
        assert_eq!(res.status, 301, "{old}");
        assert_eq!(res.header("location"), Some("/posts/third"), "{old}");
    }
    // Not on another customer's site.
    assert_eq!(app.get("beta.test", "/posts/alpha-post").await.status, 404);

    // A new post taking an old slug removes its redirect.
    let res = b
        .post(
            "/admin",
            "/admin/posts",
            &form("Fresh", "renamed", "fresh", "", "publish"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = app.get("alpha.test", "/posts/renamed").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("Fresh"));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM content.slug_redirects WHERE old_slug = 'renamed'"
        )
        .await,
        0
    );
    // Unpublished or trashed targets do not redirect.
    let res = b
        .post(
            "/admin",
            &path,
            &form("Renamed", "third", "body", "3", "unpublish"),
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.get("alpha.test", "/posts/alpha-post").await.status, 404);

    // Renaming a draft leaves no redirect.
    let draft = app.post(t.a, t.a_site, "draft-slug", None).await;
    let before = count(&app, "SELECT count(*) FROM content.slug_redirects").await;
    let res = b
        .post(
            "/admin",
            &format!("/admin/posts/{}", draft.id),
            &form("Draft", "draft-slug-new", "x", "1", "draft"),
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        count(&app, "SELECT count(*) FROM content.slug_redirects").await,
        before
    );
}

#[actix_web::test]
async fn preview_uses_the_public_template_and_saves_nothing() {
    let Setup { app, t: _ } = setup().await;
    let (id, version) = post_of(&app, "alpha-post").await;
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let before = snapshot(&app).await;
    let body = "# Preview heading\n\nSome **bold** text.<script>alert(1)</script>";
    for path in [
        "/admin/posts/preview".to_owned(),
        format!("/admin/posts/{id}/preview"),
    ] {
        let res = b
            .post(
                "/admin",
                &path,
                &form("Unsaved title", "", body, &version, "preview"),
            )
            .await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert_eq!(
            res.attr("meta[name=robots]", "content").as_deref(),
            Some("noindex")
        );
        assert_eq!(res.texts("h1.post-title"), vec!["Unsaved title"]);
        assert!(res.body.contains("<strong>bold</strong>"));
        assert!(!res.body.contains("<script>alert"));
        assert_eq!(res.texts(".post-body h1"), vec!["Preview heading"]);
        assert_eq!(res.texts(".tag"), vec!["one", "two"]);
        assert!(
            res.body.contains("class=\"site-header\""),
            "the public layout"
        );
    }
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn other_customers_and_other_sites_posts_are_not_found() {
    let Setup { app, t } = setup().await;
    let (beta_id, beta_version) = post_of(&app, "beta-post").await;
    // Another site of the same customer.
    let other_site = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    let other = app.post(t.a, other_site, "shop-post", None).await;
    let other_id = other.id.to_string();
    // A trashed post of the other customer, for restore and delete.
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(format!(
        "UPDATE content.posts SET trashed_at = now() WHERE id = '{other_id}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let before = snapshot(&app).await;

    let mut b = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    for id in [beta_id.as_str(), other_id.as_str()] {
        let version = if id == beta_id {
            beta_version.as_str()
        } else {
            "1"
        };
        for path in [
            format!("/admin/posts/{id}/edit"),
            format!("/admin/posts/{id}"),
        ] {
            assert_eq!(b.get(&path).await.status, 404, "GET {path}");
        }
        let fields = form("Hijack", "hijack", "x", version, "save");
        for path in [
            format!("/admin/posts/{id}"),
            format!("/admin/posts/{id}/preview"),
        ] {
            let res = b.post("/admin", &path, &fields).await;
            assert_eq!(res.status, 404, "POST {path}");
        }
        for action in ["trash", "restore", "delete"] {
            let path = format!("/admin/posts/{id}/{action}");
            let res = b.post("/admin", &path, &[("version", version)]).await;
            assert_eq!(res.status, 404, "POST {path}");
        }
    }
    assert_eq!(snapshot(&app).await, before);
    // The list never shows them.
    let list = b.get("/admin/posts?status=trash").await;
    assert!(!list.body.contains("shop-post"));
    let list = b.get("/admin/posts").await;
    assert!(!list.body.contains("beta-post"));
    // A user of customer A is not signed in on customer B's site.
    let res = b.get("/admin/posts").await;
    assert_eq!(res.status, 200);
    let mut on_beta = app.browser("beta.test");
    on_beta.cookie = b.cookie.clone();
    let res = on_beta.get(&format!("/admin/posts/{beta_id}/edit")).await;
    assert_eq!(res.status, 303);
}

#[actix_web::test]
async fn every_post_route_refuses_a_missing_csrf_token() {
    let Setup { app, t: _ } = setup().await;
    let (id, version) = post_of(&app, "alpha-post").await;
    let mut b = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let before = snapshot(&app).await;
    let fields = form("No token", "alpha-post", "x", &version, "save");
    for path in [
        "/admin/posts".to_owned(),
        "/admin/posts/preview".to_owned(),
        format!("/admin/posts/{id}"),
        format!("/admin/posts/{id}/preview"),
        format!("/admin/posts/{id}/trash"),
        format!("/admin/posts/{id}/restore"),
        format!("/admin/posts/{id}/delete"),
    ] {
        let res = b.post_raw(&path, &fields).await;
        assert_eq!(res.status, 403, "{path}");
        let mut wrong = fields.clone();
        wrong.push(("csrf_token", "forged"));
        assert_eq!(b.post_raw(&path, &wrong).await.status, 403, "{path}");
    }
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn control_characters_in_the_search_or_a_field_are_a_400_naming_it() {
    let Setup { app, t } = setup().await;
    let draft = app.post(t.a, t.a_site, "a-draft", None).await;
    let id = draft.id.to_string();
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let before = snapshot(&app).await;
    for (path, parameter) in [
        ("/admin/posts?q=alpha%00", "q"),
        ("/admin/posts?q=%1B%5B2J", "q"),
        ("/admin/posts?status=draft%00", "status"),
    ] {
        let res = b.get(path).await;
        assert_control_character_refused(
            &res,
            &format!("The address parameter \"{parameter}\""),
            path,
        );
    }
    let res = b.get(&format!("/admin/posts/{id}%00/edit")).await;
    assert_control_character_refused(&res, "The address contains", "an id");
    let base = form("Fine title", "a-draft", "body", "1", "draft");
    let cases = [
        ("title", "Fine\0title"),
        ("body", "A body\0with a NUL"),
        ("body", "A bell \u{7} rings"),
        ("description", "\u{1b}[31mred"),
        ("tags", "one, t\0wo"),
    ];
    for (field, value) in cases {
        let fields = with(base.clone(), field, value);
        for path in [
            format!("/admin/posts/{id}"),
            "/admin/posts".to_owned(),
            "/admin/posts/preview".to_owned(),
            format!("/admin/posts/{id}/preview"),
        ] {
            let res = b.post("/admin", &path, &fields).await;
            assert_control_character_refused(
                &res,
                &format!("The form field \"{field}\""),
                &format!("{path} {field}={value:?}"),
            );
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    // Tabs and line breaks are a body's own.
    let fields = with(base.clone(), "body", "Line one\r\n\tcode\nline three");
    let res = b
        .post("/admin", &format!("/admin/posts/{id}"), &fields)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        field(&app, &id, "body_markdown").await,
        "Line one\n\tcode\nline three"
    );
}

#[actix_web::test]
async fn a_byline_is_saved_shown_kept_in_revisions_and_checked() {
    let Setup { app, t: _ } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let fields = with(
        form("Signed Post", "", "Body", "", "publish"),
        "byline",
        "  Dr. Mira Šimić  ",
    );
    let res = b.post("/admin/posts/new", "/admin/posts", &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (id, _) = post_of(&app, "signed-post").await;
    assert_eq!(field(&app, &id, "byline").await, "Dr. Mira Šimić");
    let public = app.get("alpha.test", "/posts/signed-post").await;
    assert_eq!(public.texts(".post-meta .byline"), ["Dr. Mira Šimić"]);
    assert!(
        public
            .body
            .contains(r#""author":{"@type":"Person","name":"Dr. Mira Šimić"}"#),
        "the structured data names the author: {}",
        public.body
    );
    let edit = b.get(&format!("/admin/posts/{id}/edit")).await;
    assert_eq!(
        edit.attr("#byline", "value").as_deref(),
        Some("Dr. Mira Šimić")
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT byline AS s FROM content.post_revisions WHERE post_id = '{id}'")
        )
        .await,
        "Dr. Mira Šimić"
    );

    // Too long, or with a line break: refused next to the field, nothing saved.
    let before = snapshot(&app).await;
    let long = "x".repeat(201);
    for bad in [long.as_str(), "Two\nlines"] {
        let fields = with(form("Other Post", "", "Body", "", "draft"), "byline", bad);
        let res = b.post("/admin/posts/new", "/admin/posts", &fields).await;
        assert!((400..500).contains(&res.status), "{bad:?}: {}", res.status);
        assert_eq!(snapshot(&app).await, before, "{bad:?} changed nothing");
    }
    // A post without a byline shows none.
    let res = b
        .post(
            "/admin/posts/new",
            "/admin/posts",
            &form("Plain Post", "", "Body", "", "publish"),
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(
        app.get("alpha.test", "/posts/plain-post")
            .await
            .texts(".byline")
            .is_empty()
    );
}
