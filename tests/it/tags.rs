//! Tag pages: `/tags/{tag}` lists a site's visible posts with one tag in keyset pages, any
//! spelling of a tag answers 301 to its address form, `/tags/{tag}/feed.xml` is the tag's Atom
//! feed, `/tags` lists the tags with their counts, posts link their tags, and nothing of another
//! customer, another site, a draft, a scheduled or a trashed post ever shows.

use actix_web::test::TestRequest;
use agoat::content::posts::{self, PostInput};
use agoat::tenancy::{CustomerId, SiteId};
use chrono::{DateTime, Utc};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use agoat::tenancy::users::Role;

use crate::common::{
    Response, STAFF_PASSWORD, TestApp, TwoTenants, actor, minutes_ago, post_input, signed_in,
    sql_count, two_tenants, walk_forward_and_back,
};

/// A post of `site` with these tags, published at `at` (`None`: a draft).
async fn tagged(
    app: &TestApp,
    customer: CustomerId,
    site: SiteId,
    slug: &str,
    tags: &[&str],
    at: Option<DateTime<Utc>>,
) -> posts::Post {
    let mut input = post_input(slug, at);
    input.tags = tags.iter().map(|t| t.to_string()).collect();
    app.save_post(customer, site, input).await
}

/// Saves new fields over a post, as the admin would.
async fn edit(app: &TestApp, customer: CustomerId, id: Uuid, change: fn(&mut PostInput)) {
    app.in_scope(customer, move |conn, scope| {
        async move {
            let post = posts::find(conn, scope, id).await?;
            let mut input = PostInput {
                byline: String::new(),
                title: post.title.clone(),
                slug: post.slug.clone(),
                body_markdown: post.body_markdown.clone(),
                description: post.description.clone(),
                tags: post.tags.clone(),
                status: if post.status == "published" {
                    posts::Status::Published
                } else {
                    posts::Status::Draft
                },
                published_at: post.published_at,
                featured_media_id: post.featured_media_id,
            };
            change(&mut input);
            let change = posts::Change::Fields {
                input: &input,
                action: "update",
            };
            let target = posts::Target::Existing {
                post: &post,
                expected_version: post.version,
            };
            posts::save(conn, scope, target, change, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
}

/// Moves a post to the trash through the write path.
async fn trash(app: &TestApp, customer: CustomerId, id: Uuid) {
    app.in_scope(customer, move |conn, scope| {
        async move {
            let post = posts::find(conn, scope, id).await?;
            let target = posts::Target::Existing {
                post: &post,
                expected_version: post.version,
            };
            posts::save(conn, scope, target, posts::Change::Trash, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
}

/// The titles of the post cards of a listing.
fn titles(res: &Response) -> Vec<String> {
    res.texts(".post-card h2")
}

/// A's posts tagged `Health Tips` in several spellings, and every kind of post that must not
/// show: a draft, a scheduled post, a trashed post, a post of A's other site
/// (`shop.alpha.test`), and B's.
async fn health_tips(app: &TestApp, t: &TwoTenants) {
    tagged(
        app,
        t.a,
        t.a_site,
        "older",
        &["Health Tips"],
        Some(minutes_ago(30)),
    )
    .await;
    tagged(
        app,
        t.a,
        t.a_site,
        "newer",
        &["health_tips", "Sleep"],
        Some(minutes_ago(10)),
    )
    .await;
    tagged(app, t.a, t.a_site, "hidden-draft", &["Health Tips"], None).await;
    tagged(
        app,
        t.a,
        t.a_site,
        "hidden-scheduled",
        &["HEALTH TIPS"],
        Some(minutes_ago(-60)),
    )
    .await;
    let trashed = tagged(
        app,
        t.a,
        t.a_site,
        "hidden-trashed",
        &["Health Tips"],
        Some(minutes_ago(20)),
    )
    .await;
    trash(app, t.a, trashed.id).await;
    let other_site = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    tagged(
        app,
        t.a,
        other_site,
        "hidden-other-site",
        &["Health Tips"],
        Some(minutes_ago(5)),
    )
    .await;
    tagged(
        app,
        t.b,
        t.b_site,
        "hidden-beta",
        &["Health Tips"],
        Some(minutes_ago(5)),
    )
    .await;
}

#[actix_web::test]
async fn a_tag_page_lists_the_visible_posts_of_the_site_with_the_tag_newest_first() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;

    let res = app.get("alpha.test", "/tags/health-tips").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(titles(&res), ["Title of newer", "Title of older"]);
    assert_eq!(res.texts("main h1"), ["Health Tips"]);
    assert_eq!(res.texts(".tag-count"), ["2"]);
    assert!(!res.body.contains("hidden"), "{}", res.body);
    assert_eq!(
        res.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/tags/health-tips")
    );
    assert_eq!(
        res.attr("link[rel=alternate][type='application/atom+xml']", "href")
            .as_deref(),
        Some("http://alpha.test/tags/health-tips/feed.xml")
    );
    assert_eq!(res.attr("meta[name=robots]", "content"), None);

    // The other site of the same customer has its own page of the tag.
    let shop = app.get("shop.alpha.test", "/tags/health-tips").await;
    assert_eq!(titles(&shop), ["Title of hidden-other-site"]);
    // B's domain shows only B's post.
    let beta = app.get("beta.test", "/tags/health-tips").await;
    assert_eq!(titles(&beta), ["Title of hidden-beta"]);

    let sleep = app.get("alpha.test", "/tags/sleep").await;
    assert_eq!(titles(&sleep), ["Title of newer"]);
}

#[actix_web::test]
async fn posts_link_each_tag_to_its_page() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    tagged(
        &app,
        t.a,
        t.a_site,
        "linked",
        &["Health Tips", "C++ & Rust", "a/b"],
        Some(minutes_ago(1)),
    )
    .await;
    let res = app.get("alpha.test", "/posts/linked").await;
    assert_eq!(
        res.texts(".tags .tag"),
        ["Health Tips", "C++ & Rust", "a/b"]
    );
    let html = res.html();
    let selector = scraper::Selector::parse(".tags .tag a[rel=tag]").unwrap();
    let hrefs: Vec<&str> = html
        .select(&selector)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(
        hrefs,
        ["/tags/health-tips", "/tags/c%2B%2B-%26-rust", "/tags/a%2Fb"]
    );
    for href in hrefs {
        let page = app.get("alpha.test", href).await;
        assert_eq!(page.status, 200, "{href}: {}", page.body);
        assert_eq!(titles(&page), ["Title of linked"], "{href}");
        let feed = app.get("alpha.test", &format!("{href}/feed.xml")).await;
        assert_eq!(feed.status, 200, "{href}/feed.xml");
        assert_eq!(feed.body.matches("<entry>").count(), 1, "{href}/feed.xml");
    }
}

#[actix_web::test]
async fn other_spellings_answer_301_to_the_address_form() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;
    for (path, location) in [
        ("/tags/Health%20Tips", "/tags/health-tips"),
        ("/tags/HEALTH_TIPS", "/tags/health-tips"),
        ("/tags/health--tips", "/tags/health-tips"),
        ("/tags/-health-tips-", "/tags/health-tips"),
        ("/tags/health%09tips", "/tags/health-tips"),
        // Full-width letters and an ideographic space (NFKC).
        ("/tags/%EF%BC%A8ealth%E3%80%80Tips", "/tags/health-tips"),
        (
            "/tags/Health%20Tips?before=1_x",
            "/tags/health-tips?before=1_x",
        ),
        ("/tags/Health%20Tips/feed.xml", "/tags/health-tips/feed.xml"),
        ("/tags/Caf%C3%A9", "/tags/caf%C3%A9"),
        ("/tags/Cafe%CC%81", "/tags/caf%C3%A9"),
        // Redirects do not look the tag up: an unknown one is a 404 at its address.
        ("/tags/No%20Such%20Tag", "/tags/no-such-tag"),
    ] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 301, "{path}: {}", res.body);
        assert_eq!(res.header("location"), Some(location), "{path}");
    }
    for path in ["/tags/health-tips", "/tags/health%2Dtips", "/tags/sleep"] {
        assert_eq!(app.get("alpha.test", path).await.status, 200, "{path}");
    }
}

#[actix_web::test]
async fn unknown_and_hostile_tags_are_refused_and_never_an_error() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;
    let long = "x".repeat(5_000);
    let not_found = [
        "/tags/nope".to_owned(),
        "/tags/nope/feed.xml".to_owned(),
        "/tags/-".to_owned(),
        "/tags/_".to_owned(),
        "/tags/%20".to_owned(),
        "/tags/%2E%2E".to_owned(),
        "/tags/...".to_owned(),
        format!("/tags/{long}"),
        format!("/tags/{long}/feed.xml"),
        "/tags/%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "/tags/'%20OR%201=1--".to_owned(),
        "/tags/%25".to_owned(),
        "/tags/%F0%9F%99%82".to_owned(),
        // B's tags, from A's domain.
        "/tags/hidden-beta".to_owned(),
        // Only on posts visitors cannot see.
        "/tags/draft-only".to_owned(),
    ];
    tagged(&app, t.a, t.a_site, "draft", &["Draft Only"], None).await;
    for path in &not_found {
        let res = app.get("alpha.test", path).await;
        assert!(
            res.status == 404 || res.status == 301,
            "{path}: {}",
            res.status
        );
        if res.status == 301 {
            let location = res.header("location").unwrap().to_owned();
            let res = app.get("alpha.test", &location).await;
            assert_eq!(res.status, 404, "{path} → {location}");
        }
        assert!(!res.body.contains("<script>alert"), "{path}");
    }
    for path in [
        "/tags/a%00b",
        "/tags/a%0Ab",
        "/tags/%1B%5B2J",
        "/tags/health-tips?after=%00",
        "/tags/health-tips?after=garbage",
        "/tags/health-tips?after=1_x&before=1_x",
        "/tags?after=a%07",
    ] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 400, "{path}: {}", res.body);
    }
    // Percent-encoding that is not UTF-8.
    let res = app.get("alpha.test", "/tags/%FF%FE").await;
    assert!((400..500).contains(&res.status), "{}", res.status);
    // A very long query.
    let res = app.get("alpha.test", &format!("/tags?after={long}")).await;
    assert_eq!(res.status, 200);
}

#[actix_web::test]
async fn tag_pages_come_in_keyset_pages_both_ways() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    // 25 posts with the tag (5 of them at one time, to test ties) between posts without it.
    let tie = minutes_ago(500);
    for i in 0..25 {
        let at = if i < 5 { tie } else { minutes_ago(400 - i) };
        tagged(
            &app,
            t.a,
            t.a_site,
            &format!("in-{i:02}"),
            &["Paged"],
            Some(at),
        )
        .await;
        tagged(
            &app,
            t.a,
            t.a_site,
            &format!("out-{i:02}"),
            &["Other"],
            Some(minutes_ago(399 - i)),
        )
        .await;
    }
    let mut browser = app.browser("alpha.test");
    let pages = walk_forward_and_back(
        &mut browser,
        "/tags/paged",
        ".post-card h2",
        &["/tags/paged?"],
    )
    .await;
    assert!(pages.iter().flatten().all(|title| title.contains("in-")));
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 25);

    // The head links the neighbours too; later pages are not indexed.
    let first = app.get("alpha.test", "/tags/paged").await;
    let older = first.attr("a[rel=next]", "href").unwrap();
    assert_eq!(
        first.attr("link[rel=next]", "href"),
        Some(format!("http://alpha.test{older}"))
    );
    assert_eq!(first.attr("link[rel=prev]", "href"), None);
    let second = app.get("alpha.test", &older).await;
    assert_eq!(
        second.attr("link[rel=prev]", "href"),
        second
            .attr("a[rel=prev]", "href")
            .map(|href| format!("http://alpha.test{href}"))
    );
    assert_eq!(
        second.attr("link[rel=canonical]", "href"),
        Some(format!("http://alpha.test{older}"))
    );
    assert_eq!(
        second.attr("meta[name=robots]", "content").as_deref(),
        Some("noindex")
    );
}

/// The unescaped text of the `<title>` elements of a feed, in order.
fn entry_titles(feed: &str) -> Vec<String> {
    feed.split("<entry>")
        .skip(1)
        .map(|entry| {
            let title = entry.split("<title>").nth(1).unwrap();
            title.split("</title>").next().unwrap().to_owned()
        })
        .collect()
}

#[actix_web::test]
async fn a_tag_feed_is_the_site_feed_of_that_tag_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;

    let res = app.get("alpha.test", "/tags/health-tips/feed.xml").await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let body = &res.body;
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert!(body.contains(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://alpha.test/\" \
             xml:lang=\"en\">"
    ));
    assert!(
        body.contains("<title>Alpha Blog: Health Tips</title>"),
        "{body}"
    );
    assert!(body.contains("<id>http://alpha.test/tags/health-tips</id>"));
    assert!(body.contains(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"http://alpha.test/tags/health-tips/feed.xml\"/>"
    ));
    assert!(body.contains(
        "<link rel=\"alternate\" type=\"text/html\" href=\"http://alpha.test/tags/health-tips\"/>"
    ));
    assert_eq!(entry_titles(body), ["Title of newer", "Title of older"]);
    assert!(!body.contains("hidden"));
    assert_eq!(
        body.matches("<entry>").count(),
        body.matches("</entry>").count()
    );
    assert!(body.trim_end().ends_with("</feed>"));
    // Every element the feed opens, it closes (a well-formed document).
    let opened = body.matches("<entry>").count() + body.matches("<author>").count();
    let closed = body.matches("</entry>").count() + body.matches("</author>").count();
    assert_eq!(opened, closed);

    // The site's feed still has every post.
    let site = app.get("alpha.test", "/feed.xml").await;
    assert!(site.body.contains("<title>Alpha Blog</title>"));
    assert!(site.body.contains("<id>http://alpha.test/</id>"));
    assert_eq!(
        entry_titles(&site.body),
        ["Title of newer", "Title of older", "Title of alpha-post"]
    );
}

#[actix_web::test]
async fn the_tags_page_counts_visible_posts_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;

    let res = app.get("alpha.test", "/tags").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts(".tag-line a"), ["Health Tips", "Sleep", "test"]);
    assert_eq!(res.texts(".tag-line .tag-count"), ["2", "1", "1"]);
    assert_eq!(
        res.attr(".tag-line a", "href").as_deref(),
        Some("/tags/health-tips")
    );
    assert_eq!(
        res.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/tags")
    );
    assert!(!res.body.contains("hidden"));

    let beta = app.get("beta.test", "/tags").await;
    assert_eq!(beta.texts(".tag-line a"), ["Health Tips", "test"]);
    assert_eq!(beta.texts(".tag-line .tag-count"), ["1", "1"]);

    app.site(t.a, "Empty", "empty.alpha.test").await;
    let res = app.get("empty.alpha.test", "/tags").await;
    assert_eq!(res.status, 200);
    assert!(res.texts(".tag-line").is_empty());
}

#[actix_web::test]
async fn the_tags_page_comes_in_pages() {
    use agoat::web::pages::tags::PAGE_SIZE;
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let many: Vec<String> = (0..PAGE_SIZE * 2 + 5)
        .map(|i| format!("tag {i:03}"))
        .collect();
    let mut input = post_input("many-tags", Some(minutes_ago(1)));
    input.tags = many.clone();
    app.save_post(t.a, t.a_site, input).await;

    let mut browser = app.browser("alpha.test");
    let pages = walk_forward_and_back(&mut browser, "/tags", ".tag-line a", &["/tags?"]).await;
    let mut expected: Vec<String> = many.clone();
    expected.push("test".into());
    expected.sort_by_key(|name| name.replace(' ', "-"));
    assert_eq!(pages.concat(), expected);
}

#[actix_web::test]
async fn tags_without_an_address_or_too_long_are_refused_when_saving() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for bad in ["___", " - ", "..", &"x".repeat(101)] {
        let mut input = post_input("bad-tag", Some(minutes_ago(1)));
        input.tags = vec!["fine".into(), bad.to_string()];
        let site = t.a_site;
        let saved = app
            .try_in_scope(t.a, move |conn, scope| {
                let input = input.clone();
                async move {
                    let change = posts::Change::Fields {
                        input: &input,
                        action: "create",
                    };
                    posts::save(conn, scope, posts::Target::New(site), change, &actor()).await
                }
                .scope_boxed()
            })
            .await;
        assert!(
            matches!(saved, Err(agoat::error::AppError::Invalid(_))),
            "{bad:?}: {saved:?}"
        );
    }
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM content.posts WHERE slug = 'bad-tag'"
        )
        .await,
        0
    );
}

#[actix_web::test]
async fn the_post_form_names_a_tag_it_refuses_next_to_the_field() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let fields = |tags: &'static str| {
        vec![
            ("title", "Tagged in the form"),
            ("slug", "tagged-in-the-form"),
            ("body", "Body"),
            ("description", ""),
            ("tags", tags),
            ("publish_at", ""),
            ("action", "publish"),
        ]
    };
    let res = editor
        .post("/admin/posts/new", "/admin/posts", &fields("fine, __"))
        .await;
    assert!((400..500).contains(&res.status), "{}", res.status);
    let error = res.texts("#tags-error");
    assert_eq!(error.len(), 1, "{}", res.body);
    assert!(
        error[0].starts_with("The tag \u{201c}__\u{201d} needs a letter"),
        "{error:?}"
    );
    assert_eq!(res.attr("#tags", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(res.attr("#tags", "value").as_deref(), Some("fine, __"));

    let res = editor
        .post(
            "/admin/posts/new",
            "/admin/posts",
            &fields("Fine, Form Tag"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = app.get("alpha.test", "/tags/form-tag").await;
    assert_eq!(titles(&page), ["Tagged in the form"]);
}

#[actix_web::test]
async fn a_change_of_tags_shows_on_the_next_request() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    // Every page is in the cache before the changes.
    for path in [
        "/tags/fresh",
        "/tags/fresh/feed.xml",
        "/tags",
        "/sitemap.xml",
    ] {
        let res = app.get("alpha.test", path).await;
        assert!(!res.body.contains("Title of fresh"), "{path}");
    }
    let tags_before = app.get("alpha.test", "/tags").await;
    assert!(!tags_before.body.contains("/tags/fresh"));
    let stored = app.state.page_cache.stored();

    let post = tagged(
        &app,
        t.a,
        t.a_site,
        "fresh",
        &["Fresh"],
        Some(minutes_ago(1)),
    )
    .await;
    let res = app.get("alpha.test", "/tags/fresh").await;
    assert_eq!(titles(&res), ["Title of fresh"]);
    let feed = app.get("alpha.test", "/tags/fresh/feed.xml").await;
    assert_eq!(entry_titles(&feed.body), ["Title of fresh"]);
    assert!(
        app.get("alpha.test", "/tags")
            .await
            .body
            .contains("/tags/fresh")
    );
    assert!(
        app.get("alpha.test", "/sitemap.xml")
            .await
            .body
            .contains("<loc>http://alpha.test/tags/fresh</loc>")
    );
    assert!(app.state.page_cache.stored() > stored, "pages were kept");

    // Another tag instead: the old page goes, the new one comes.
    edit(&app, t.a, post.id, |input| {
        input.tags = vec!["Renamed Tag".into()]
    })
    .await;
    assert_eq!(app.get("alpha.test", "/tags/fresh").await.status, 404);
    assert_eq!(
        app.get("alpha.test", "/tags/fresh/feed.xml").await.status,
        404
    );
    assert_eq!(
        titles(&app.get("alpha.test", "/tags/renamed-tag").await),
        ["Title of fresh"]
    );
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM content.post_tags WHERE slug = 'fresh'"
        )
        .await,
        0
    );

    // Unpublished, then trashed: gone from the tag's pages and counts.
    edit(&app, t.a, post.id, |input| {
        input.status = posts::Status::Draft;
    })
    .await;
    assert_eq!(app.get("alpha.test", "/tags/renamed-tag").await.status, 404);
    assert!(
        !app.get("alpha.test", "/tags")
            .await
            .body
            .contains("Renamed")
    );
    edit(&app, t.a, post.id, |input| {
        input.status = posts::Status::Published;
    })
    .await;
    assert_eq!(app.get("alpha.test", "/tags/renamed-tag").await.status, 200);
    trash(&app, t.a, post.id).await;
    assert_eq!(app.get("alpha.test", "/tags/renamed-tag").await.status, 404);
}

#[actix_web::test]
async fn a_scheduled_post_joins_its_tag_page_on_time() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let at = Utc::now() + chrono::Duration::milliseconds(1_500);
    tagged(&app, t.a, t.a_site, "soon", &["Soon"], Some(at)).await;
    tagged(&app, t.a, t.a_site, "now", &["Soon"], Some(minutes_ago(1))).await;
    assert_eq!(
        titles(&app.get("alpha.test", "/tags/soon").await),
        ["Title of now"]
    );
    let wait = (at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(50)).await;
    assert_eq!(
        titles(&app.get("alpha.test", "/tags/soon").await),
        ["Title of soon", "Title of now"]
    );
}

#[actix_web::test]
async fn deleting_a_post_for_good_removes_its_tags() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let post = tagged(&app, t.a, t.a_site, "gone", &["Gone"], Some(minutes_ago(1))).await;
    trash(&app, t.a, post.id).await;
    let id = post.id;
    app.in_scope(t.a, move |conn, scope| {
        async move {
            let post = posts::find(conn, scope, id).await?;
            posts::delete(conn, scope, &post, post.version, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
    assert_eq!(
        sql_count(
            &app,
            &format!("SELECT count(*) FROM content.post_tags WHERE post_id = '{id}'")
        )
        .await,
        0
    );
}

#[actix_web::test]
async fn tag_pages_answer_head_and_refuse_other_methods() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;
    for path in ["/tags", "/tags/health-tips", "/tags/health-tips/feed.xml"] {
        let head = app
            .send(
                TestRequest::default()
                    .method(actix_web::http::Method::HEAD)
                    .uri(path)
                    .insert_header(("Host", "alpha.test")),
            )
            .await;
        assert_eq!(head.status, 200, "HEAD {path}");
        let post = app
            .send(
                TestRequest::post()
                    .uri(path)
                    .insert_header(("Host", "alpha.test")),
            )
            .await;
        assert_eq!(post.status, 405, "POST {path}");
    }
}

/// The migration that filled the tag rows of posts saved before tag pages existed gives the same
/// rows as the write path, for tags in plain letters.
#[actix_web::test]
async fn the_fill_migration_matches_the_write_path_for_plain_tags() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    health_tips(&app, &t).await;
    tagged(
        &app,
        t.a,
        t.a_site,
        "plain",
        &[
            "  Spaced   Out ",
            "under_score",
            "--dashes--",
            "MiXeD-Case",
            "c#",
            "a.b",
        ],
        Some(minutes_ago(1)),
    )
    .await;
    let rows = "SELECT string_agg(customer_id || ' ' || post_id || ' ' || site_id || ' ' || slug \
                || ' ' || name, E'\\n' ORDER BY post_id, slug) AS s FROM content.post_tags";
    let written = crate::common::sql_text(&app, rows).await;
    let mut conn = app.db.owner_conn().await;
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute("DELETE FROM content.post_tags")
        .await
        .unwrap();
    conn.batch_execute(include_str!(
        "../../migrations/2026-12-13-000002_post_tags_of_existing_posts/up.sql"
    ))
    .await
    .unwrap();
    assert_eq!(crate::common::sql_text(&app, rows).await, written);
}
