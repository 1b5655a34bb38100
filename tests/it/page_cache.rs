//! The public page cache never shows a stale page to the next request on the same server: a
//! publish, edit, unpublish, price change or a schedule taking effect is visible at once, while
//! a change it cannot see (another process) shows within the cache's lifetime.

use std::time::Duration;

use agoat::content::posts;
use agoat::tenancy::users::Role;
use agoat::thorne::{change_sets, products};
use agoat::web::page_cache::PageCache;
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;

use crate::common::{TestApp, actor, post_input, two_tenants};

const PASSWORD: &str = "correct horse battery";

async fn title(app: &TestApp, path: &str) -> (u16, Vec<String>) {
    let res = app.get("alpha.test", path).await;
    (res.status, res.texts("h1.post-title"))
}

#[actix_web::test]
async fn pages_are_kept_and_a_change_this_server_cannot_see_shows_within_the_lifetime() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    assert_eq!(
        title(&app, "/posts/alpha-post").await.1,
        ["Title of alpha-post"]
    );
    assert!(!app.state.page_cache.is_empty(), "the page was kept");

    // A change made behind the application's back (as another server or the CLI would).
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query("UPDATE content.posts SET title = 'Changed elsewhere'")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        title(&app, "/posts/alpha-post").await.1,
        ["Title of alpha-post"],
        "served from the cache"
    );
    tokio::time::sleep(PageCache::TTL + Duration::from_millis(50)).await;
    assert_eq!(
        title(&app, "/posts/alpha-post").await.1,
        ["Changed elsewhere"],
        "never older than the cache's lifetime"
    );
}

#[actix_web::test]
async fn admin_changes_show_on_the_next_request() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let draft = app.post(t.a, t.a_site, "cached", None).await;
    let mut editor = app.browser("alpha.test");
    editor.sign_in("editor@alpha.test", PASSWORD).await;
    assert_eq!(title(&app, "/posts/cached").await.0, 404);
    let home = app.get("alpha.test", "/").await;
    assert!(!home.body.contains("/posts/cached"));

    let edit = format!("/admin/posts/{}/edit", draft.id);
    let save = format!("/admin/posts/{}", draft.id);
    let fields = |title: &'static str, version: &'static str, action: &'static str| {
        vec![
            ("title", title),
            ("slug", "cached"),
            ("body", "Body"),
            ("description", ""),
            ("tags", ""),
            ("publish_at", ""),
            ("version", version),
            ("action", action),
        ]
    };
    let res = editor
        .post(&edit, &save, &fields("Published now", "1", "publish"))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(title(&app, "/posts/cached").await.1, ["Published now"]);
    assert!(
        app.get("alpha.test", "/")
            .await
            .body
            .contains("/posts/cached")
    );

    let res = editor
        .post(&edit, &save, &fields("Edited", "2", "save"))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(title(&app, "/posts/cached").await.1, ["Edited"]);
    assert!(
        app.get("alpha.test", "/feed.xml")
            .await
            .body
            .contains("Edited")
    );

    let res = editor
        .post(&edit, &save, &fields("Edited", "3", "unpublish"))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(title(&app, "/posts/cached").await.0, 404);
    assert!(
        !app.get("alpha.test", "/")
            .await
            .body
            .contains("/posts/cached")
    );
}

#[actix_web::test]
async fn a_scheduled_post_appears_on_time() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1_500);
    let mut input = post_input("scheduled", Some(at));
    input.title = "Right on time".into();
    app.in_scope(t.a, move |conn, scope| {
        let input = input.clone();
        async move {
            let change = posts::Change::Fields {
                input: &input,
                action: "create",
            };
            posts::save(conn, scope, posts::Target::New(t.a_site), change, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
    // Keep the pages warm until just before the publication time.
    while chrono::Utc::now() + chrono::Duration::milliseconds(150) < at {
        assert_eq!(title(&app, "/posts/scheduled").await.0, 404);
        assert!(
            !app.get("alpha.test", "/")
                .await
                .body
                .contains("Right on time")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    assert_eq!(title(&app, "/posts/scheduled").await.1, ["Right on time"]);
    assert!(
        app.get("alpha.test", "/")
            .await
            .body
            .contains("Right on time")
    );
}

#[actix_web::test]
async fn a_price_change_shows_on_the_next_request() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let price = || async {
        app.get("alpha.test", "/products/ALPHA-1")
            .await
            .texts("article.product .price")
    };
    assert_eq!(price().await, ["$18.00"]);
    assert!(
        app.get("alpha.test", "/products")
            .await
            .body
            .contains("$18.00")
    );
    app.in_scope(t.a, |conn, scope| {
        async move {
            let current = products::by_skus(conn, scope, &["ALPHA-1".to_owned()])
                .await?
                .remove(0);
            let mut changed = current.clone();
            changed.retail_price = "17.25".parse().unwrap();
            let set =
                change_sets::open(conn, scope, change_sets::Kind::Edit, "cut", &actor()).await?;
            let edit = products::Edit {
                action: "update",
                change_set: Some(set.id),
                reason: "cut",
            };
            products::save(conn, scope, &current, &changed, edit, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    assert_eq!(price().await, ["$17.25"]);
    assert!(
        app.get("alpha.test", "/products")
            .await
            .body
            .contains("$17.25")
    );
    // The other customer's pages were not affected either way.
    let other = app.get("beta.test", "/products/BETA-1").await;
    assert_eq!(other.texts("article.product .price"), ["$19.50"]);
}

#[actix_web::test]
async fn conditional_requests_are_answered_from_the_cache() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let first = app.get("alpha.test", "/posts/alpha-post").await;
    let etag = first.header("etag").unwrap().to_owned();
    let again = app
        .send(
            actix_web::test::TestRequest::get()
                .uri("/posts/alpha-post")
                .insert_header(("Host", "alpha.test"))
                .insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert!(again.body.is_empty());
    let other_host = app.get("beta.test", "/posts/alpha-post").await;
    assert_eq!(other_host.status, 404, "the key includes the site");
}

#[actix_web::test]
async fn a_crowd_asking_for_the_same_page_makes_one_render() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let crowd = (0..20).map(|_| app.get("alpha.test", "/posts/alpha-post"));
    let answers = futures_util::future::join_all(crowd).await;
    assert!(answers.iter().all(|res| res.status == 200));
    let bodies: std::collections::BTreeSet<&str> =
        answers.iter().map(|res| res.body.as_str()).collect();
    assert_eq!(bodies.len(), 1, "every request got the same page");
    assert_eq!(app.state.page_cache.stored(), 1, "one render for the crowd");
    assert_eq!(
        app.state.directory.lookups(),
        1,
        "one host lookup for the crowd"
    );

    // Once the page has ended, the next crowd again makes one render.
    tokio::time::sleep(PageCache::TTL).await;
    let crowd = (0..20).map(|_| app.get("alpha.test", "/posts/alpha-post"));
    let answers = futures_util::future::join_all(crowd).await;
    assert!(answers.iter().all(|res| res.status == 200));
    assert_eq!(app.state.page_cache.stored(), 2);

    // A page that is not kept (a 404): every request still gets its answer.
    let crowd = (0..5).map(|_| app.get("alpha.test", "/posts/no-such-post"));
    let answers = futures_util::future::join_all(crowd).await;
    assert!(answers.iter().all(|res| res.status == 404));
}

#[actix_web::test]
async fn a_busy_page_is_renewed_before_it_ends_and_never_outlives_its_lifetime() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let path = "/posts/alpha-post";
    let mut conn = app.db.owner_conn().await;
    // The first render happens between these two instants, however long it takes on a busy
    // machine: the page may be renewed no sooner than its last stretch counted from the first,
    // and may be answered no later than its lifetime counted from the second.
    let before_render = std::time::Instant::now();
    assert_eq!(title(&app, path).await.1, ["Title of alpha-post"]);
    let after_render = std::time::Instant::now();
    diesel::sql_query("UPDATE content.posts SET title = 'Changed elsewhere'")
        .execute(&mut conn)
        .await
        .unwrap();
    // Requests all through the page's life: the first one in its last stretch renders the
    // successor (which sees the change); no answer is older than the lifetime.
    let mut renewed_at = None;
    while after_render.elapsed() < PageCache::TTL + Duration::from_millis(100) {
        let asked = std::time::Instant::now();
        let titles = title(&app, path).await.1;
        if titles == ["Changed elsewhere"] {
            renewed_at.get_or_insert(asked - before_render);
        } else {
            let age = asked - after_render;
            assert!(
                age < PageCache::TTL,
                "an answer from the first render {age:?} after it"
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let renewed_at = renewed_at.expect("the page was renewed");
    assert!(
        renewed_at >= PageCache::TTL - PageCache::REFRESH_AHEAD - Duration::from_millis(100),
        "renewed {renewed_at:?} after the first render began, not in its last stretch"
    );
    assert_eq!(app.state.page_cache.stored(), 2);
}

/// `GET path` on alpha.test with this `Accept-Encoding`.
async fn get_encoded(app: &TestApp, path: &str, accept: &str) -> crate::common::Response {
    app.send(
        actix_web::test::TestRequest::get()
            .uri(path)
            .insert_header(("Host", "alpha.test"))
            .insert_header(("Accept-Encoding", accept)),
    )
    .await
}

#[actix_web::test]
async fn a_kept_page_is_sent_in_the_compressed_copy_the_client_prefers() {
    use std::io::Read;
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let path = "/posts/alpha-post";
    let plain = app.get("alpha.test", path).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);

    for accept in ["gzip, deflate, br, zstd", "br", "gzip"] {
        let res = get_encoded(&app, path, accept).await;
        assert_eq!(res.status, 200);
        let encoding = res
            .header("content-encoding")
            .unwrap_or_default()
            .to_owned();
        let mut decoded = Vec::new();
        match encoding.as_str() {
            "br" => brotli::Decompressor::new(&res.bytes[..], 4096)
                .read_to_end(&mut decoded)
                .unwrap(),
            "gzip" => flate2::read::GzDecoder::new(&res.bytes[..])
                .read_to_end(&mut decoded)
                .unwrap(),
            other => panic!("{accept}: sent as {other:?}"),
        };
        assert_eq!(
            encoding,
            if accept == "gzip" { "gzip" } else { "br" },
            "{accept}"
        );
        assert_eq!(decoded, plain.bytes, "{accept}: decodes to the page, once");
        assert!(
            res.header("vary")
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
        );
        assert_eq!(res.header("etag"), plain.header("etag"));
    }
    assert_eq!(
        app.state.page_cache.stored(),
        1,
        "one render for all of them"
    );

    // A change shows in the compressed copies at once, too.
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query("UPDATE content.posts SET title = 'Changed elsewhere'")
        .execute(&mut conn)
        .await
        .unwrap();
    tokio::time::sleep(PageCache::TTL).await;
    let res = get_encoded(&app, path, "gzip").await;
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&res.bytes[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert!(decoded.contains("Changed elsewhere"));
}

#[actix_web::test]
async fn a_page_rendered_for_a_request_naming_another_port_is_the_page_everyone_gets() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    for path in ["/posts/alpha-post", "/feed.xml", "/sitemap.xml", "/"] {
        // The first request names a port of its own, and its render is kept.
        let hostile = app.get("alpha.test:99999", path).await;
        assert_eq!(hostile.status, 200, "{path}");
        let stored = app.state.page_cache.stored();
        // The next visitor is answered from the cache, with the addresses of the public origin.
        let next = app.get("alpha.test", path).await;
        assert_eq!(next.status, 200, "{path}");
        assert_eq!(next.body, hostile.body, "{path}: the same page");
        assert_eq!(
            app.state.page_cache.stored(),
            stored,
            "{path}: served from the cache"
        );
        assert!(!next.body.contains("99999"), "{path}: {}", next.body);
        assert!(next.body.contains("http://alpha.test/"), "{path}");
    }
    let page = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(
        page.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/posts/alpha-post")
    );
    assert_eq!(
        page.attr("meta[property='og:url']", "content").as_deref(),
        Some("http://alpha.test/posts/alpha-post")
    );
}

/// A response's headers but the request id and the date, by name, each with its values.
fn lasting_headers(res: &crate::common::Response) -> Vec<(String, Vec<String>)> {
    let mut names: Vec<String> = res.headers.keys().map(|n| n.to_string()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| !["x-request-id", "date", "content-length"].contains(&name.as_str()))
        .map(|name| {
            let values = res
                .headers
                .get_all(&name)
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            (name, values)
        })
        .collect()
}

#[actix_web::test]
async fn a_page_from_the_cache_goes_out_with_the_headers_it_was_rendered_with() {
    // Hits are answered before the security-header, compression, cookie and session layers:
    // what they add must be the same as when the page went through them.
    let app = TestApp::with_trusted_proxies("10.0.0.0/8").await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    let mut editor = app.browser("alpha.test");
    editor.sign_in("editor@alpha.test", PASSWORD).await;
    let cases = [
        (false, None),
        (true, None),
        (false, Some("gzip")),
        (true, Some("br;q=1, gzip;q=0.5")),
        // Encodings the cache keeps no copy in go through the compression layer, as a miss did.
        (false, Some("deflate")),
        (false, Some("identity")),
    ];
    for (n, (https, accept)) in cases.into_iter().enumerate() {
        let path = format!("/posts/alpha-post?case={n}");
        editor.peer = if https {
            "10.0.0.1:40000".parse().unwrap()
        } else {
            "192.0.2.7:40000".parse().unwrap()
        };
        editor.headers = [
            https.then(|| ("X-Forwarded-Proto".to_owned(), "https".to_owned())),
            accept.map(|a| ("Accept-Encoding".to_owned(), a.to_owned())),
        ]
        .into_iter()
        .flatten()
        .collect();
        let stored = app.state.page_cache.stored();
        let rendered = editor.get(&path).await;
        assert_eq!(rendered.status, 200, "{path}");
        assert_eq!(app.state.page_cache.stored(), stored + 1, "{path}: kept");
        let replayed = editor.get(&path).await;
        assert_eq!(replayed.status, 200, "{path}");
        assert_eq!(
            app.state.page_cache.stored(),
            stored + 1,
            "{path}: from the cache"
        );
        assert_eq!(
            lasting_headers(&replayed),
            lasting_headers(&rendered),
            "{path}, https {https}, accepting {accept:?}"
        );
        assert!(replayed.header("x-request-id").is_some());
        assert!(replayed.header("content-security-policy").is_some());
        assert!(replayed.header("set-cookie").is_none(), "{path}");
        assert_eq!(
            replayed.header("strict-transport-security").is_some(),
            https,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn answering_from_the_cache_never_reads_the_host_directory() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    // Health checks name any host, often none a site has: the fast path takes only a site host
    // routing already holds, and leaves every other host to routing (which health checks skip).
    let before = app.state.directory.lookups();
    for host in ["10.0.0.5:8080", "lb.internal", "alpha.test"] {
        assert_eq!(app.get(host, "/healthz").await.status, 200, "{host}");
    }
    assert_eq!(app.state.directory.lookups(), before, "no directory read");

    let first = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(first.status, 200);
    let loaded = app.state.directory.lookups();
    assert_eq!(loaded, before + 1, "the first page routes the host once");
    let again = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);
    assert_eq!(
        app.state.directory.lookups(),
        loaded,
        "a hit reads no directory"
    );
    assert_eq!(app.state.page_cache.stored(), 1);
}
