//! Pages (About, Contact …): served at their own address, nested or not, never a draft, a
//! scheduled or trashed page or another customer's; never in the post list, the feed or under
//! `/posts/`; in the sitemap and search; edited in `/admin/pages` with the posts' revisions,
//! preview links, audit, versions and trash; addresses the product uses refused with a clear
//! message, and a page never shadows a route.

use agoat::tenancy::users::Role;
use diesel_async::RunQueryDsl;

use crate::common::{
    Browser, STAFF_PASSWORD, TestApp, TwoTenants, database_digest, minutes_ago, post_input,
    signed_in, sql_text, two_tenants,
};

async fn setup() -> (TestApp, TwoTenants) {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    app.user(t.a, "pricing@alpha.test", Role::Pricing, STAFF_PASSWORD)
        .await;
    (app, t)
}

/// A published page of A's site at `address`, titled `Title of <address>`.
async fn page(app: &TestApp, t: &TwoTenants, address: &str) -> agoat::content::posts::Post {
    app.save_page(t.a, t.a_site, post_input(address, Some(minutes_ago(10))))
        .await
}

/// The fields of the page form.
fn form<'a>(
    title: &'a str,
    address: &'a str,
    version: &'a str,
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", address),
        ("body", "We are a **small** team."),
        ("description", "Who we are"),
        ("publish_at", ""),
        ("version", version),
        ("action", action),
    ]
}

#[actix_web::test]
async fn a_published_page_is_served_at_its_address_without_a_date() {
    let (app, t) = setup().await;
    page(&app, &t, "about").await;
    let res = app.get("alpha.test", "/about").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.texts("h1.post-title"), ["Title of about"]);
    assert!(res.body.contains("Body of <strong>about</strong>"));
    assert!(res.html().select(&sel("article time")).next().is_none());
    let canonical = res.attr("link[rel=canonical]", "href").unwrap();
    assert!(canonical.ends_with("alpha.test/about"), "{canonical}");
    // Not a post: not under /posts/, not in the list, not in the feed.
    assert_eq!(app.get("alpha.test", "/posts/about").await.status, 404);
    assert!(
        !app.get("alpha.test", "/")
            .await
            .body
            .contains("Title of about")
    );
    assert!(
        !app.get("alpha.test", "/feed.xml")
            .await
            .body
            .contains("Title of about")
    );
    // A trailing slash leads to the page's address.
    let res = app.get("alpha.test", "/about/").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("/about"));
    // And a post is not a page.
    assert_eq!(app.get("alpha.test", "/alpha-post").await.status, 404);
}

#[actix_web::test]
async fn a_nested_page_links_the_pages_above_it() {
    let (app, t) = setup().await;
    page(&app, &t, "about").await;
    page(&app, &t, "about/team").await;
    // A level without a page is left out of the trail.
    page(&app, &t, "company/legal/imprint").await;
    let res = app.get("alpha.test", "/about/team").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("nav.trail a"), ["Title of about"]);
    assert_eq!(res.attr("nav.trail a", "href").as_deref(), Some("/about"));
    let res = app.get("alpha.test", "/company/legal/imprint").await;
    assert_eq!(res.status, 200);
    assert!(res.texts("nav.trail a").is_empty());
    assert_eq!(app.get("alpha.test", "/company").await.status, 404);
}

#[actix_web::test]
async fn drafts_scheduled_trashed_and_foreign_pages_are_not_found() {
    let (app, t) = setup().await;
    app.save_page(t.a, t.a_site, post_input("draft-page", None))
        .await;
    app.save_page(t.a, t.a_site, post_input("later", Some(minutes_ago(-60))))
        .await;
    let trashed = page(&app, &t, "gone").await;
    app.in_scope(t.a, move |conn, scope| {
        use scoped_futures::ScopedFutureExt;
        let trashed = trashed.clone();
        async move {
            let target = agoat::content::posts::Target::Existing {
                post: &trashed,
                expected_version: trashed.version,
            };
            agoat::content::posts::save(
                conn,
                scope,
                target,
                agoat::content::posts::Change::Trash,
                &crate::common::actor(),
            )
            .await?
            .saved()
        }
        .scope_boxed()
    })
    .await;
    app.save_page(
        t.b,
        t.b_site,
        post_input("beta-only", Some(minutes_ago(10))),
    )
    .await;
    for path in ["/draft-page", "/later", "/gone", "/beta-only"] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(!res.body.contains("Title of"), "{path}");
    }
    assert_eq!(app.get("beta.test", "/beta-only").await.status, 200);
}

#[actix_web::test]
async fn a_page_never_shadows_a_route() {
    let (app, t) = setup().await;
    let about = page(&app, &t, "about").await;
    // A page that somehow holds a reserved address (written around the write path).
    let sql = format!(
        "UPDATE content.posts SET slug = 'products' WHERE id = '{}'",
        about.id
    );
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    let res = app.get("alpha.test", "/products").await;
    assert_eq!(res.status, 200);
    assert!(!res.body.contains("Title of about"));
    assert!(res.body.contains("ALPHA-1"));
}

#[actix_web::test]
async fn pages_are_in_the_sitemap_and_in_search() {
    let (app, t) = setup().await;
    let mut team = post_input("about/team", Some(minutes_ago(10)));
    team.title = "Our wonderful team".into();
    app.save_page(t.a, t.a_site, team).await;
    let mut draft = post_input("hidden-draft", None);
    draft.title = "Hidden wonders".into();
    app.save_page(t.a, t.a_site, draft).await;
    let sitemap = app.get("alpha.test", "/sitemap.xml").await.body;
    assert!(sitemap.contains("alpha.test/about/team</loc>"), "{sitemap}");
    assert!(!sitemap.contains("hidden-draft"));
    let res = app.get("alpha.test", "/search?q=team").await;
    assert_eq!(res.status, 200);
    let hrefs: Vec<String> = res
        .html()
        .select(&sel(".search-result.page a"))
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert_eq!(hrefs, ["/about/team"]);
    let res = app.get("alpha.test", "/search?q=hidden").await;
    assert!(!res.body.contains("Hidden wonders"));
}

fn sel(css: &str) -> scraper::Selector {
    scraper::Selector::parse(css).unwrap()
}

/// `(id, version)` of A's page at `address`.
async fn page_of(app: &TestApp, address: &str) -> (String, String) {
    let row = sql_text(
        app,
        &format!(
            "SELECT id::text || ' ' || version::text AS s FROM content.posts \
             WHERE slug = '{address}' AND kind = 'page'"
        ),
    )
    .await;
    let (id, version) = row.split_once(' ').unwrap();
    (id.to_owned(), version.to_owned())
}

async fn editor(app: &TestApp) -> Browser<'_> {
    signed_in(app, "alpha.test", "editor@alpha.test").await
}

#[actix_web::test]
async fn editors_write_publish_and_move_pages_in_the_admin() {
    let (app, _t) = setup().await;
    let mut b = editor(&app).await;
    let res = b
        .post(
            "/admin/pages/new",
            "/admin/pages",
            &form("Our team", "/about/team/", "", "publish"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (id, version) = page_of(&app, "about/team").await;
    assert_eq!(
        res.header("location"),
        Some(format!("/admin/pages/{id}/edit").as_str())
    );
    let public = app.get("alpha.test", "/about/team").await;
    assert_eq!(public.texts("h1.post-title"), ["Our team"]);
    // Listed with the pages, not with the posts.
    let list = b.get("/admin/pages").await;
    assert!(list.body.contains("Our team"));
    assert!(!list.body.contains("Title of alpha-post"));
    assert!(!b.get("/admin/posts").await.body.contains("Our team"));
    // The form has an address and no tags.
    let edit = b.get(&format!("/admin/pages/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(edit.html().select(&sel("input#tags")).next().is_none());
    assert_eq!(
        edit.attr("input#slug", "value").as_deref(),
        Some("about/team")
    );
    // A page is not a post in the admin either.
    assert_eq!(b.get(&format!("/admin/posts/{id}/edit")).await.status, 404);

    // Moving a published page keeps its old address working.
    let moved = form("Our team", "people", &version, "save");
    let res = b
        .post(
            &format!("/admin/pages/{id}/edit"),
            &format!("/admin/pages/{id}"),
            &moved,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = app.get("alpha.test", "/about/team").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), Some("/people"));
    assert_eq!(app.get("alpha.test", "/people").await.status, 200);
    // …but not under /posts/.
    assert_eq!(app.get("alpha.test", "/posts/about/team").await.status, 404);

    // Revisions, versions and the audit log name it a page.
    let revisions = b.get(&format!("/admin/pages/{id}/revisions")).await;
    assert_eq!(revisions.status, 200);
    assert_eq!(revisions.html().select(&sel("tbody tr")).count(), 2);
    let events = sql_text(
        &app,
        &format!(
            "SELECT string_agg(entity || ':' || action, ',' ORDER BY occurred_at) AS s \
             FROM audit.events WHERE entity_id = '{id}'"
        ),
    )
    .await;
    assert_eq!(events, "page:create,page:update");

    // Trash, restore, delete.
    let (_, version) = page_of(&app, "people").await;
    let res = b
        .post(
            &format!("/admin/pages/{id}/edit"),
            &format!("/admin/pages/{id}/trash"),
            &[("version", version.as_str())],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/admin/pages"));
    assert_eq!(app.get("alpha.test", "/people").await.status, 404);
    let trash = b.get("/admin/pages?status=trash").await;
    assert!(trash.body.contains("Our team"));
}

#[actix_web::test]
async fn bad_addresses_are_refused_with_the_reason_and_change_nothing() {
    let (app, t) = setup().await;
    page(&app, &t, "about").await;
    let mut b = editor(&app).await;
    let before = database_digest(&app, None).await;
    let cases: [(&str, &str); 9] = [
        ("admin", "used by the site itself"),
        ("products/vitamins", "used by the site itself"),
        ("tags", "used by the site itself"),
        ("search", "used by the site itself"),
        ("feed", "used by the site itself"),
        ("About Us", "not valid"),
        ("a//b", "not valid"),
        ("a/b/c/d/e/f", "at most 5 levels"),
        ("about", "already used"),
    ];
    for (address, reason) in cases {
        let res = b
            .post(
                "/admin/pages/new",
                "/admin/pages",
                &form("A page", address, "", "publish"),
            )
            .await;
        assert_eq!(res.status, 400, "{address}");
        let error = res.texts("#slug-error").join(" ");
        assert!(error.contains(reason), "{address}: {error}");
    }
    // Pages have no tags.
    let mut tagged = form("Tagged", "tagged", "", "publish");
    tagged.push(("tags", "news"));
    let res = b.post("/admin/pages/new", "/admin/pages", &tagged).await;
    assert_eq!(res.status, 400);
    assert!(res.texts("#tags-error").join(" ").contains("no tags"));
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn a_preview_link_of_a_draft_page_shows_it_as_a_page() {
    let (app, t) = setup().await;
    let draft = app
        .save_page(t.a, t.a_site, post_input("contact", None))
        .await;
    let mut b = editor(&app).await;
    let links = format!("/admin/pages/{}/preview-links", draft.id);
    let res = b.post(&links, &links, &[("lifetime_hours", "2")]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let url = res
        .attr("input#new-link-url", "value")
        .expect("the new link is shown");
    let path = &url[url.find("/preview/").unwrap()..];
    let preview = app.get("alpha.test", path).await;
    assert_eq!(preview.status, 200);
    assert_eq!(preview.texts("h1.post-title"), ["Title of contact"]);
    assert!(preview.html().select(&sel("article time")).next().is_none());
    assert_eq!(preview.header("cache-control"), Some("no-store"));
    assert_eq!(app.get("alpha.test", "/contact").await.status, 404);
}

#[actix_web::test]
async fn only_editors_and_owners_use_the_pages_admin() {
    let (app, t) = setup().await;
    let about = page(&app, &t, "about").await;
    let mut pricing = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    for path in [
        "/admin/pages".to_owned(),
        "/admin/pages/new".to_owned(),
        format!("/admin/pages/{}/edit", about.id),
    ] {
        assert_eq!(pricing.get(&path).await.status, 403, "{path}");
    }
    let before = database_digest(&app, None).await;
    let res = pricing
        .post(
            "/admin",
            "/admin/pages",
            &form("Mine", "mine", "", "publish"),
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn a_change_to_a_page_shows_on_the_next_request() {
    let (app, t) = setup().await;
    let about = page(&app, &t, "about").await;
    assert_eq!(app.get("alpha.test", "/about").await.status, 200);
    // Served again from the page cache…
    assert_eq!(app.get("alpha.test", "/about").await.status, 200);
    let mut b = editor(&app).await;
    let id = about.id.to_string();
    let version = about.version.to_string();
    let fields = form("Title of about", "about", &version, "unpublish");
    let res = b
        .post(
            &format!("/admin/pages/{id}/edit"),
            &format!("/admin/pages/{id}"),
            &fields,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // …and gone on the next request after the change.
    assert_eq!(app.get("alpha.test", "/about").await.status, 404);
}
