//! Two app servers on one database, as behind a load balancer: a sign-in on one is valid on the
//! other, and a publish, an edit, an unpublish, a settings change, a branding change, a menu
//! change, a price change, a new tag or a new category made through one is served by the other
//! within 1 s (on the post, product, tag and category pages, the tag's feed and the list of
//! tags), as is a domain added or removed with the command line. Meanwhile a page nothing changed
//! stays in the cache well past the short lifetime, even across a refused sign-in, and a scheduled
//! post appears on both servers on time.

use std::time::Duration;

use agoat::db::changes::ChangeFeed;
use agoat::tenancy::directory::Directory;
use agoat::tenancy::users::Role;
use agoat::web::page_cache::PageCache;

use crate::cli::{Server, agoat};
use crate::common::http::{Reply, free_port, metric, send};
use crate::common::{TestApp, sql_text, two_tenants};

pub const PASSWORD: &str = "correct horse battery";
pub const OWNER: &str = "owner@alpha.test";
const WITHIN: Duration = Duration::from_secs(1);

fn html(reply: &Reply) -> scraper::Html {
    scraper::Html::parse_document(&reply.body)
}

/// The value of a form field of a page.
pub fn input(reply: &Reply, name: &str) -> String {
    let selector = scraper::Selector::parse(&format!("[name={name}]")).unwrap();
    let document = html(reply);
    let element = document
        .select(&selector)
        .next()
        .unwrap_or_else(|| panic!("no field {name} in {}", reply.body));
    element
        .value()
        .attr("value")
        .map(str::to_owned)
        .unwrap_or_else(|| element.text().collect())
}

/// A signed-in admin session against one server.
pub struct Session<'a> {
    pub server: &'a Server,
    pub cookie: String,
}

impl Session<'_> {
    pub fn get(&mut self, path: &str) -> Reply {
        let reply = send(
            self.server.addr(),
            "GET",
            "alpha.test",
            path,
            Some(&self.cookie),
            None,
        )
        .unwrap();
        self.keep_cookie(&reply);
        reply
    }

    fn keep_cookie(&mut self, reply: &Reply) {
        if let Some(cookie) = &reply.cookie {
            self.cookie = cookie.clone();
        }
    }

    /// Posts `fields` with the CSRF token (and the version, if it has one) of the form at
    /// `form_page`.
    pub fn post(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        let page = self.get(form_page);
        assert_eq!(page.status, 200, "{form_page}: {}", page.body);
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.extend_pairs(fields)
            .append_pair("csrf_token", &input(&page, "csrf_token"));
        if page.body.contains("name=\"version\"") {
            body.append_pair("version", &input(&page, "version"));
        }
        let body = body.finish();
        let reply = send(
            self.server.addr(),
            "POST",
            "alpha.test",
            path,
            Some(&self.cookie),
            Some(&body),
        )
        .unwrap();
        self.keep_cookie(&reply);
        reply
    }
}

/// Signs in as the owner of alpha.test.
pub fn sign_in(server: &Server) -> Session<'_> {
    let form = send(
        server.addr(),
        "GET",
        "alpha.test",
        "/admin/login",
        None,
        None,
    )
    .unwrap();
    let cookie = form
        .cookie
        .clone()
        .expect("the sign-in form starts a session");
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", OWNER)
        .append_pair("password", PASSWORD)
        .append_pair("csrf_token", &input(&form, "csrf_token"))
        .finish();
    let reply = send(
        server.addr(),
        "POST",
        "alpha.test",
        "/admin/login",
        Some(&cookie),
        Some(&body),
    )
    .unwrap();
    assert_eq!(reply.status, 303, "{}", reply.body);
    Session {
        server,
        cookie: reply.cookie.expect("signing in renews the session cookie"),
    }
}

/// The fields of the post form for the post `two-servers`.
fn post_fields<'a>(title: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", "two-servers"),
        ("body", "Served by either server."),
        ("description", "Two servers"),
        ("tags", ""),
        ("publish_at", ""),
        ("action", action),
    ]
}

/// Polls the other server until `done` holds; fails if that takes longer than [`WITHIN`].
fn seen_on(server: &Server, path: &str, what: &str, done: impl Fn(&Reply) -> bool) {
    let (reply, took) = server.poll("alpha.test", path, WITHIN, &done);
    assert!(
        done(&reply),
        "{what}: not served by the other server within {WITHIN:?} (last: {} {})",
        reply.status,
        reply.body.chars().take(300).collect::<String>()
    );
    assert!(took <= WITHIN, "{what} took {took:?}");
}

#[actix_web::test]
async fn two_servers_share_sessions_and_serve_each_others_changes() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, PASSWORD).await;
    let post = app.post(t.a, t.a_site, "two-servers", None).await;
    let key = "k".repeat(64);
    let env = [("AGOAT_SESSION_KEY", key.as_str())];
    let (one, two) = (
        Server::start_with(&app.db, &env),
        Server::start_with(&app.db, &env),
    );

    // A sign-in on one server is valid on the other.
    let mut admin = sign_in(&one);
    let mut on_two = Session {
        server: &two,
        cookie: admin.cookie.clone(),
    };
    let dashboard = on_two.get("/admin");
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(dashboard.body.contains(OWNER));

    let edit = format!("/admin/posts/{}/edit", post.id);
    let save = format!("/admin/posts/{}", post.id);
    assert_eq!(two.get("alpha.test", "/posts/two-servers").status, 404);

    let reply = admin.post(&edit, &save, &post_fields("First title", "publish"));
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/posts/two-servers", "a publish", |r| {
        r.status == 200 && r.body.contains("First title")
    });

    let reply = admin.post(&edit, &save, &post_fields("Second title", "save"));
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/posts/two-servers", "an edit", |r| {
        r.status == 200 && r.body.contains("Second title")
    });

    let reply = admin.post(&edit, &save, &post_fields("Second title", "unpublish"));
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/posts/two-servers", "an unpublish", |r| {
        r.status == 404
    });

    let reply = admin.post(
        "/admin/settings",
        "/admin/settings",
        &[("currency", "EUR"), ("show_lowest_30_day_price", "1")],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/products/ALPHA-1", "a currency change", |r| {
        r.body.contains("€18.00")
    });

    let reply = admin.post(
        "/admin/settings/branding",
        "/admin/settings/branding",
        &[
            ("title", "Alpha Home"),
            ("tagline", "Branded on one server"),
            ("accent", "#0b5cad"),
            ("language", "de-CH"),
            ("time_zone", "Europe/Zurich"),
            ("search_language", "english"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/", "a branding change", |r| {
        r.body.contains("Branded on one server") && r.body.contains("lang=\"de-CH\"")
    });
    // The header menu's form comes first on the page: its version is the one sent.
    let reply = admin.post(
        "/admin/menus",
        "/admin/menus/header",
        &[
            ("label_0", "Shop on one server"),
            ("target_0", "products"),
            ("order_0", "1"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/", "a menu change", |r| {
        r.body.contains("Shop on one server")
    });
}

#[actix_web::test]
async fn a_price_change_and_a_domain_change_show_on_the_other_server_within_a_second() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, PASSWORD).await;
    let key = "k".repeat(64);
    let env = [("AGOAT_SESSION_KEY", key.as_str())];
    let (one, two) = (
        Server::start_with(&app.db, &env),
        Server::start_with(&app.db, &env),
    );
    // Both servers have the pages and the host lookups in their caches.
    for server in [&one, &two] {
        assert!(
            server
                .get("alpha.test", "/products/ALPHA-1")
                .body
                .contains("$18.00")
        );
        assert_eq!(server.get("alias.alpha.test", "/").status, 404);
    }

    let product = sql_text(
        &app,
        "SELECT id::text AS s FROM thorne.products WHERE sku = 'ALPHA-1'",
    )
    .await;
    let edit = format!("/admin/products/{product}");
    let mut admin = sign_in(&one);
    let reply = admin.post(
        &edit,
        &edit,
        &[
            ("sku", "ALPHA-1"),
            ("name", "Product ALPHA-1"),
            ("description", "Description of ALPHA-1"),
            ("category", "Vitamins"),
            ("wholesale_price", "10.00"),
            ("retail_price", "24.50"),
            ("in_stock", "on"),
            ("reason", "new list price"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(
        one.get("alpha.test", "/products/ALPHA-1")
            .body
            .contains("$24.50")
    );
    seen_on(&two, "/products/ALPHA-1", "a price change", |r| {
        r.body.contains("$24.50")
    });

    let site = t.a_site.to_string();
    let added = agoat(
        &app.db,
        &[
            "domain",
            "add",
            "--site",
            &site,
            "--domain",
            "alias.alpha.test",
        ],
    );
    assert!(added.status.success(), "{added:?}");
    for server in [&one, &two] {
        let (reply, took) = server.poll("alias.alpha.test", "/", WITHIN, |r| r.status == 301);
        assert_eq!(reply.status, 301, "an added domain after {took:?}");
    }
    let removed = agoat(&app.db, &["domain", "remove", "alias.alpha.test"]);
    assert!(removed.status.success(), "{removed:?}");
    for server in [&one, &two] {
        let (reply, took) = server.poll("alias.alpha.test", "/", WITHIN, |r| r.status == 404);
        assert_eq!(reply.status, 404, "a removed domain after {took:?}");
    }
}

#[actix_web::test]
async fn tag_and_category_pages_show_the_other_servers_changes_within_a_second() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, PASSWORD).await;
    let key = "k".repeat(64);
    let env = [("AGOAT_SESSION_KEY", key.as_str())];
    let (one, two) = (
        Server::start_with(&app.db, &env),
        Server::start_with(&app.db, &env),
    );
    // Both servers have the pages in their caches.
    for server in [&one, &two] {
        assert_eq!(server.get("alpha.test", "/tags/fresh-news").status, 404);
        assert!(
            !server
                .get("alpha.test", "/tags")
                .body
                .contains("Fresh News")
        );
        assert!(
            server
                .get("alpha.test", "/products/category/vitamins")
                .body
                .contains("Product ALPHA-1")
        );
    }

    let mut admin = sign_in(&one);
    let reply = admin.post(
        "/admin/posts/new",
        "/admin/posts",
        &[
            ("title", "Fresh news"),
            ("slug", "fresh-news"),
            ("body", "Tagged on one server."),
            ("description", ""),
            ("tags", "Fresh News"),
            ("publish_at", ""),
            ("action", "publish"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/tags/fresh-news", "a tagged post", |r| {
        r.status == 200 && r.body.contains("Fresh news")
    });
    seen_on(&two, "/tags/fresh-news/feed.xml", "a tag's feed", |r| {
        r.status == 200 && r.body.contains("Fresh news")
    });
    seen_on(&two, "/tags", "the list of tags", |r| {
        r.body.contains("Fresh News")
    });

    let product = sql_text(
        &app,
        "SELECT id::text AS s FROM thorne.products WHERE sku = 'ALPHA-1'",
    )
    .await;
    let edit = format!("/admin/products/{product}");
    let reply = admin.post(
        &edit,
        &edit,
        &[
            ("sku", "ALPHA-1"),
            ("name", "Product ALPHA-1"),
            ("description", "Description of ALPHA-1"),
            ("category", "Herbs"),
            ("wholesale_price", "10.00"),
            ("retail_price", "18.00"),
            ("in_stock", "on"),
            ("reason", "recategorised"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/products/category/herbs", "a new category", |r| {
        r.status == 200 && r.body.contains("Product ALPHA-1")
    });
    seen_on(
        &two,
        "/products/category/vitamins",
        "an emptied category",
        |r| r.status == 404,
    );
}

#[actix_web::test]
async fn pages_are_kept_until_their_customer_changes() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, PASSWORD).await;
    let published = chrono::Utc::now() - chrono::Duration::hours(1);
    let post = app
        .post(t.a, t.a_site, "two-servers", Some(published))
        .await;
    let key = "k".repeat(64);
    let metrics = format!("127.0.0.1:{}", free_port());
    let one = Server::start_with(&app.db, &[("AGOAT_SESSION_KEY", key.as_str())]);
    let two = Server::start_with(
        &app.db,
        &[
            ("AGOAT_SESSION_KEY", key.as_str()),
            ("AGOAT_METRICS_BIND", metrics.as_str()),
        ],
    );
    let misses = |what: &str| {
        let reply = two.get("alpha.test", "/posts/two-servers");
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
        metric(&metrics, "agoat_page_cache_misses_total")
    };
    let first = misses("the first visit");
    assert!(first >= 1.0);
    let loads = || metric(&metrics, "agoat_site_directory_loads_total");
    let loaded = loads();
    assert!(loaded >= 1.0);

    // Nothing changed: the page is served from the cache past its short lifetime, and host
    // routing reads the site's entry no more.
    std::thread::sleep(PageCache::TTL.max(Directory::TTL) * 3);
    assert_eq!(misses("kept"), first, "kept past {:?}", PageCache::TTL);
    assert_eq!(
        loads(),
        loaded,
        "the directory entry is kept past {:?}",
        Directory::TTL
    );

    // A refused sign-in on the other server changes nothing visitors see.
    let form = send(one.addr(), "GET", "alpha.test", "/admin/login", None, None).unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", OWNER)
        .append_pair("password", "not the password")
        .append_pair("csrf_token", &input(&form, "csrf_token"))
        .finish();
    let refused = send(
        one.addr(),
        "POST",
        "alpha.test",
        "/admin/login",
        form.cookie.as_deref(),
        Some(&body),
    )
    .unwrap();
    assert_ne!(refused.status, 303, "the sign-in is refused");
    std::thread::sleep(ChangeFeed::POLL_EVERY * 3);
    assert_eq!(misses("after a refused sign-in"), first);

    // An edit on the other server shows within a second, and the new page is kept in turn.
    let mut admin = sign_in(&one);
    let edit = format!("/admin/posts/{}/edit", post.id);
    let save = format!("/admin/posts/{}", post.id);
    let reply = admin.post(&edit, &save, &post_fields("Kept until changed", "save"));
    assert_eq!(reply.status, 303, "{}", reply.body);
    seen_on(&two, "/posts/two-servers", "an edit", |r| {
        r.status == 200 && r.body.contains("Kept until changed")
    });
    let rendered = misses("the edited page");
    assert!(loads() > loaded, "the change ended the directory entry");
    std::thread::sleep(PageCache::TTL * 3);
    assert_eq!(misses("the edited page, kept"), rendered);
}

#[actix_web::test]
async fn a_scheduled_post_appears_on_both_servers_on_time() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let due = chrono::Utc::now() + chrono::Duration::seconds(6);
    app.post(t.a, t.a_site, "two-servers", Some(due)).await;
    let (one, two) = (
        Server::start_with(&app.db, &[]),
        Server::start_with(&app.db, &[]),
    );
    // Both servers keep the pages without the post (until it is due).
    for server in [&one, &two] {
        assert_eq!(server.get("alpha.test", "/posts/two-servers").status, 404);
        assert!(
            !server
                .get("alpha.test", "/")
                .body
                .contains("Title of two-servers")
        );
    }
    assert!(
        chrono::Utc::now() < due,
        "the servers took too long to start"
    );
    std::thread::sleep((due - chrono::Utc::now()).to_std().unwrap_or_default());
    for server in [&one, &two] {
        seen_on(server, "/", "a schedule coming due (home)", |r| {
            r.body.contains("Title of two-servers")
        });
        seen_on(server, "/posts/two-servers", "a schedule coming due", |r| {
            r.status == 200
        });
    }
}
