//! Public pages: what visitors see on a site's domain.

use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use agoat::config::PublicOrigin;
use agoat::db::schema::content::posts as post_rows;
use agoat::db::schema::thorne::products as product_rows;
use agoat::tenancy::CustomerId;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::common::{
    Response, TestApp, TwoTenants, assert_control_character_refused, database_digest, minutes_ago,
    two_tenants,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A request for `path` on `host` with `method`.
fn request(method: Method, host: &str, path: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("Host", host))
}

/// Puts a post in the trash, as the admin would.
async fn trash_post(app: &TestApp, customer: CustomerId, post: Uuid) {
    app.in_scope(customer, move |conn, _| {
        async move {
            diesel::update(post_rows::table.filter(post_rows::id.eq(post)))
                .set(post_rows::trashed_at.eq(Some(Utc::now())))
                .execute(conn)
                .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await;
}

/// Archives a product of the customer.
async fn archive_product(app: &TestApp, customer: CustomerId, sku: &'static str) {
    app.in_scope(customer, move |conn, _| {
        async move {
            let n = diesel::update(product_rows::table.filter(product_rows::sku.eq(sku)))
                .set(product_rows::archived_at.eq(Some(Utc::now())))
                .execute(conn)
                .await?;
            assert_eq!(n, 1);
            Ok(())
        }
        .scope_boxed()
    })
    .await;
}

/// Marks a product of the customer out of stock.
async fn out_of_stock(app: &TestApp, customer: CustomerId, sku: &'static str) {
    app.in_scope(customer, move |conn, _| {
        async move {
            let n = diesel::update(product_rows::table.filter(product_rows::sku.eq(sku)))
                .set(product_rows::in_stock.eq(false))
                .execute(conn)
                .await?;
            assert_eq!(n, 1);
            Ok(())
        }
        .scope_boxed()
    })
    .await;
}

/// Asserts the response is the site's own 404 page (in the layout of the site called `site`).
fn is_site_404(res: &Response, site: &str) {
    assert_eq!(res.status, 404, "{}", res.body);
    let titles = res.texts("title");
    assert_eq!(titles.len(), 1, "{titles:?}");
    assert!(
        titles[0].contains(site),
        "title {:?} names {site}",
        titles[0]
    );
    assert_eq!(res.texts("a.site-name"), vec![site.to_owned()]);
}

/// Asserts the head every HTML page carries, with the canonical URL `canonical`.
fn has_page_head(res: &Response, canonical: &str, og_type: &str) {
    let title = res.texts("title");
    assert_eq!(title.len(), 1, "one <title>: {title:?}");
    assert!(!title[0].is_empty());
    let description = res
        .attr("meta[name=description]", "content")
        .expect("meta description");
    assert!(!description.is_empty());
    assert_eq!(
        res.attr("link[rel=canonical]", "href").as_deref(),
        Some(canonical)
    );
    assert_eq!(
        res.attr("meta[property='og:title']", "content").as_deref(),
        Some(title[0].as_str())
    );
    assert_eq!(
        res.attr("meta[property='og:description']", "content")
            .as_deref(),
        Some(description.as_str())
    );
    assert_eq!(
        res.attr("meta[property='og:url']", "content").as_deref(),
        Some(canonical)
    );
    assert_eq!(
        res.attr("meta[property='og:type']", "content").as_deref(),
        Some(og_type)
    );
}

/// The `href` of the first element matching `selector`.
fn href(res: &Response, selector: &str) -> Option<String> {
    res.attr(selector, "href")
}

// ---------------------------------------------------------------------------------------------
// Home and pagination
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn home_lists_published_posts_of_the_site_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post(t.a, t.a_site, "a-draft", None).await;
    app.post(t.a, t.a_site, "a-scheduled", Some(minutes_ago(-60)))
        .await;

    let res = app.get("alpha.test", "/").await;
    assert_eq!(res.status, 200);
    let titles = res.texts(".post-card h2");
    assert_eq!(titles, vec!["Title of alpha-post"]);
    assert_eq!(
        res.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/")
    );
}

#[actix_web::test]
async fn home_shows_newest_first_ten_a_page() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for i in 1..=11 {
        app.post(
            t.a,
            t.a_site,
            &format!("p{i:02}"),
            Some(minutes_ago(30 - i)),
        )
        .await;
    }

    let res = app.get("alpha.test", "/").await;
    assert_eq!(res.status, 200);
    let expected: Vec<String> = (2..=11)
        .rev()
        .map(|i| format!("Title of p{i:02}"))
        .collect();
    assert_eq!(res.texts(".post-card h2"), expected);
    assert_eq!(
        res.attr(".post-card h2 a", "href").as_deref(),
        Some("/posts/p11")
    );
    assert!(href(&res, "a.newer").is_none());
    let older = href(&res, "a.older").expect("an older link on page 1");
    assert!(older.starts_with("/?before="), "{older}");

    let page2 = app.get("alpha.test", &older).await;
    assert_eq!(page2.status, 200);
    assert_eq!(
        page2.texts(".post-card h2"),
        vec!["Title of p01", "Title of alpha-post"]
    );
    assert!(href(&page2, "a.older").is_none());
    let newer = href(&page2, "a.newer").expect("a newer link on page 2");
    assert!(newer.starts_with("/?after="), "{newer}");

    let back = app.get("alpha.test", &newer).await;
    assert_eq!(back.status, 200);
    assert_eq!(back.texts(".post-card h2"), expected);
    assert!(href(&back, "a.newer").is_none());
    assert_eq!(href(&back, "a.older"), Some(older));
}

#[actix_web::test]
async fn home_pagination_walks_every_post_once_both_ways() {
    let app = TestApp::new().await;
    let c = app.customer("Alpha Health").await;
    let site = app.site(c, "Alpha Blog", "alpha.test").await;
    for i in 1..=25 {
        app.post(c, site, &format!("p{i:02}"), Some(minutes_ago(100 - i)))
            .await;
    }
    let expected: Vec<String> = (1..=25)
        .rev()
        .map(|i| format!("Title of p{i:02}"))
        .collect();

    // Forward, following the older links.
    let mut forward_pages: Vec<Vec<String>> = Vec::new();
    let mut path = "/".to_owned();
    let last = loop {
        let res = app.get("alpha.test", &path).await;
        assert_eq!(res.status, 200, "{path}");
        if forward_pages.is_empty() {
            assert!(href(&res, "a.newer").is_none(), "no newer link on page 1");
        } else {
            assert!(href(&res, "a.newer").is_some(), "a newer link on {path}");
        }
        forward_pages.push(res.texts(".post-card h2"));
        assert!(forward_pages.len() <= 3, "too many pages");
        match href(&res, "a.older") {
            Some(next) => path = next,
            None => break res,
        }
    };
    let sizes: Vec<usize> = forward_pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![10, 10, 5]);
    assert_eq!(forward_pages.concat(), expected);

    // Back, following the newer links from the last page.
    let mut backward_pages: Vec<Vec<String>> = vec![last.texts(".post-card h2")];
    let mut next = href(&last, "a.newer");
    while let Some(path) = next {
        let res = app.get("alpha.test", &path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(href(&res, "a.older").is_some(), "an older link on {path}");
        backward_pages.push(res.texts(".post-card h2"));
        assert!(backward_pages.len() <= 3, "too many pages");
        next = href(&res, "a.newer");
    }
    backward_pages.reverse();
    assert_eq!(backward_pages, forward_pages);
    assert_eq!(backward_pages.concat(), expected);
}

#[actix_web::test]
async fn home_pagination_breaks_ties_on_equal_publication_times() {
    let app = TestApp::new().await;
    let c = app.customer("Alpha Health").await;
    let site = app.site(c, "Alpha Blog", "alpha.test").await;
    let at = agoat::db::now() - chrono::Duration::minutes(5);
    let mut ids = Vec::new();
    for i in 1..=23 {
        let post = app.post(c, site, &format!("t{i:02}"), Some(at)).await;
        ids.push((post.id, post.title));
    }
    // Same time: newest first means the highest id first.
    ids.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let expected: Vec<String> = ids.into_iter().map(|(_, title)| title).collect();

    let mut pages = Vec::new();
    let mut path = "/".to_owned();
    let last = loop {
        let res = app.get("alpha.test", &path).await;
        assert_eq!(res.status, 200, "{path}");
        pages.push(res.texts(".post-card h2"));
        assert!(pages.len() <= 3, "too many pages");
        match href(&res, "a.older") {
            Some(next) => path = next,
            None => break res,
        }
    };
    assert_eq!(pages.concat(), expected);

    let mut back = vec![last.texts(".post-card h2")];
    let mut next = href(&last, "a.newer");
    while let Some(path) = next {
        let res = app.get("alpha.test", &path).await;
        back.push(res.texts(".post-card h2"));
        assert!(back.len() <= 3, "too many pages");
        next = href(&res, "a.newer");
    }
    back.reverse();
    assert_eq!(back, pages);
}

#[actix_web::test]
async fn home_refuses_bad_cursors() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for i in 1..=11 {
        app.post(
            t.a,
            t.a_site,
            &format!("p{i:02}"),
            Some(minutes_ago(30 - i)),
        )
        .await;
    }
    let older = href(&app.get("alpha.test", "/").await, "a.older").unwrap();
    let cursor = older.trim_start_matches("/?before=").to_owned();

    for path in [
        "/?before=garbage".to_owned(),
        "/?after=garbage".to_owned(),
        "/?before=123_not-a-uuid".to_owned(),
        format!("/?before={cursor}&after={cursor}"),
        "/?before=garbage&after=garbage".to_owned(),
    ] {
        let res = app.get("alpha.test", &path).await;
        assert_eq!(res.status, 400, "{path}");
        assert!(res.texts("title")[0].contains("Alpha Blog"), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn invisible_posts_are_the_site_404() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post(t.a, t.a_site, "a-draft", None).await;
    app.post(t.a, t.a_site, "a-scheduled", Some(minutes_ago(-60)))
        .await;
    let trashed = app
        .post(t.a, t.a_site, "a-trashed", Some(minutes_ago(30)))
        .await;
    assert_eq!(app.get("alpha.test", "/posts/a-trashed").await.status, 200);
    trash_post(&app, t.a, trashed.id).await;

    for slug in ["a-draft", "a-scheduled", "a-trashed", "beta-post", "nope"] {
        let res = app.get("alpha.test", &format!("/posts/{slug}")).await;
        is_site_404(&res, "Alpha Blog");
        assert!(!res.body.contains(&format!("Title of {slug}")), "{slug}");
    }
    let home = app.get("alpha.test", "/").await;
    assert_eq!(home.texts(".post-card h2"), vec!["Title of alpha-post"]);
}

#[actix_web::test]
async fn posts_of_another_site_of_the_same_customer_are_the_site_404() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let shop = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    app.post(t.a, shop, "shop-post", Some(minutes_ago(10)))
        .await;

    is_site_404(
        &app.get("alpha.test", "/posts/shop-post").await,
        "Alpha Blog",
    );
    is_site_404(
        &app.get("shop.alpha.test", "/posts/alpha-post").await,
        "Alpha Shop",
    );
    assert_eq!(
        app.get("shop.alpha.test", "/posts/shop-post").await.status,
        200
    );
    let home = app.get("shop.alpha.test", "/").await;
    assert_eq!(home.texts(".post-card h2"), vec!["Title of shop-post"]);
    let feed = app.get("shop.alpha.test", "/feed.xml").await;
    assert!(!feed.body.contains("alpha-post"));
    let sitemap = app.get("shop.alpha.test", "/sitemap.xml").await;
    assert!(!sitemap.body.contains("alpha-post"));
    assert!(
        sitemap
            .body
            .contains("<loc>http://shop.alpha.test/posts/shop-post</loc>")
    );
}

#[actix_web::test]
async fn a_scheduled_post_appears_when_its_time_comes() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let at = Utc::now() + chrono::Duration::milliseconds(1500);
    app.post(t.a, t.a_site, "soon", Some(at)).await;

    is_site_404(&app.get("alpha.test", "/posts/soon").await, "Alpha Blog");
    let home = app.get("alpha.test", "/").await;
    assert_eq!(home.texts(".post-card h2"), vec!["Title of alpha-post"]);

    let wait = (at - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(500);
    tokio::time::sleep(wait).await;

    let res = app.get("alpha.test", "/posts/soon").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("h1.post-title"), vec!["Title of soon"]);
    let home = app.get("alpha.test", "/").await;
    assert_eq!(
        home.texts(".post-card h2"),
        vec!["Title of soon", "Title of alpha-post"]
    );
    // A post published in the past from the start is visible too.
    app.post(t.a, t.a_site, "past", Some(minutes_ago(1))).await;
    assert_eq!(app.get("alpha.test", "/posts/past").await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Post page
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn post_page_shows_title_date_body_and_meta() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let post = app
        .post(t.a, t.a_site, "hello-world", Some(minutes_ago(90)))
        .await;
    let published: DateTime<Utc> = post.published_at.unwrap();

    let res = app.get("alpha.test", "/posts/hello-world").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(res.texts("h1.post-title"), vec!["Title of hello-world"]);

    let datetime = res
        .attr("article time", "datetime")
        .expect("<time datetime>");
    assert_eq!(
        datetime,
        published.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let parsed = DateTime::parse_from_rfc3339(&datetime).expect("RFC 3339");
    assert_eq!(parsed.timestamp(), published.timestamp());
    let shown = res.texts("article time");
    assert_eq!(
        shown,
        vec![published.format("%-d %B %Y, %H:%M UTC").to_string()]
    );
    assert!(shown[0].ends_with("UTC"));

    assert_eq!(res.texts(".post-body strong"), vec!["hello-world"]);
    assert_eq!(res.texts(".post-body h1"), vec!["Heading"]);
    assert!(!res.body.contains("**hello-world**"));
    assert_eq!(res.texts(".tags .tag"), vec!["test"]);

    assert_eq!(
        res.attr("meta[name=description]", "content").as_deref(),
        Some("Description of hello-world")
    );
    has_page_head(&res, "http://alpha.test/posts/hello-world", "article");
    assert_eq!(
        res.attr("meta[property='og:title']", "content").as_deref(),
        Some("Title of hello-world · Alpha Blog")
    );
}

// ---------------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------------

/// Customer A's catalogue: three categories, wholesale prices `7.77` everywhere.
async fn catalogue(app: &TestApp, t: &TwoTenants) {
    app.product(t.a, "VIT-1", "Vitamins", "7.77", "18.00").await;
    app.product(t.a, "VIT-2", "Vitamins", "7.77", "9.50").await;
    app.product(t.a, "MIN-1", "Minerals", "7.77", "25.00").await;
    app.product(t.a, "AMI-1", "Amino Acids", "7.77", "1234.50")
        .await;
}

#[actix_web::test]
async fn products_are_grouped_by_sorted_category() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;

    let res = app.get("alpha.test", "/products").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.texts("section.category h2"),
        vec!["Amino Acids", "Minerals", "Vitamins"]
    );
    assert_eq!(
        res.texts("section.category .product-card h3"),
        vec![
            "Product AMI-1",
            "Product MIN-1",
            "Product ALPHA-1",
            "Product VIT-1",
            "Product VIT-2"
        ]
    );
    assert_eq!(
        res.texts("section.category .product-card .price"),
        vec!["$1,234.50", "$25.00", "$18.00", "$18.00", "$9.50"]
    );
    assert_eq!(
        res.attr(".product-card h3 a", "href").as_deref(),
        Some("/products/AMI-1")
    );
    has_page_head(&res, "http://alpha.test/products", "website");
    assert!(!res.body.contains("BETA-1"));
}

#[actix_web::test]
async fn products_filter_by_category() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;

    let res = app.get("alpha.test", "/products/category/vitamins").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("main h1"), vec!["Vitamins"]);
    assert_eq!(res.texts("section.category h2"), vec!["Vitamins"]);
    assert_eq!(
        res.texts(".product-card h3"),
        vec!["Product ALPHA-1", "Product VIT-1", "Product VIT-2"]
    );
    assert_eq!(res.texts(".category-filter a.active"), vec!["Vitamins"]);
    has_page_head(
        &res,
        "http://alpha.test/products/category/vitamins",
        "website",
    );

    let res = app
        .get("alpha.test", "/products/category/amino-acids")
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("section.category h2"), vec!["Amino Acids"]);
    assert_eq!(res.texts(".product-card h3"), vec!["Product AMI-1"]);

    for path in [
        "/products/category/nope",
        "/products/category/vitamin",
        "/products/category/amino",
    ] {
        is_site_404(&app.get("alpha.test", path).await, "Alpha Blog");
    }
}

#[actix_web::test]
async fn product_page_shows_retail_price_and_stock() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;
    out_of_stock(&app, t.a, "VIT-2").await;

    let res = app.get("alpha.test", "/products/VIT-1").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("article.product h1"), vec!["Product VIT-1"]);
    assert_eq!(res.texts(".product-category a"), vec!["Vitamins"]);
    assert_eq!(
        res.attr(".product-category a", "href").as_deref(),
        Some("/products/category/vitamins")
    );
    assert_eq!(res.texts("article.product .price"), vec!["$18.00"]);
    assert_eq!(res.texts("article.product .stock"), vec!["In stock"]);
    assert_eq!(
        res.texts(".product-description"),
        vec!["Description of VIT-1"]
    );
    has_page_head(&res, "http://alpha.test/products/VIT-1", "product");

    let res = app.get("alpha.test", "/products/VIT-2").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("article.product .price"), vec!["$9.50"]);
    assert_eq!(res.texts("article.product .stock"), vec!["Out of stock"]);
    let list = app.get("alpha.test", "/products/category/vitamins").await;
    assert_eq!(
        list.texts(".product-card .stock"),
        vec!["In stock", "In stock", "Out of stock"]
    );

    let res = app.get("alpha.test", "/products/AMI-1").await;
    assert_eq!(res.texts("article.product .price"), vec!["$1,234.50"]);

    is_site_404(
        &app.get("alpha.test", "/products/NOPE-1").await,
        "Alpha Blog",
    );
}

#[actix_web::test]
async fn wholesale_price_never_appears_publicly() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;

    for path in [
        "/",
        "/products",
        "/products/category/vitamins",
        "/products/VIT-1",
        "/products/AMI-1",
        "/feed.xml",
        "/sitemap.xml",
        "/tags",
        "/tags/test",
        "/tags/test/feed.xml",
        "/robots.txt",
        "/posts/alpha-post",
    ] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(!res.body.contains("7.77"), "{path} shows a wholesale price");
    }
    // The two_tenants wholesale prices (10.00, 11.00) are not shown either.
    let res = app.get("alpha.test", "/products/ALPHA-1").await;
    assert!(!res.body.contains("10.00"));
    let res = app.get("beta.test", "/products/BETA-1").await;
    assert_eq!(res.texts("article.product .price"), vec!["$19.50"]);
    assert!(!res.body.contains("11.00"));
}

#[actix_web::test]
async fn archived_product_is_404_and_not_listed() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;
    assert_eq!(app.get("alpha.test", "/products/MIN-1").await.status, 200);
    archive_product(&app, t.a, "MIN-1").await;
    archive_product(&app, t.a, "VIT-2").await;

    is_site_404(
        &app.get("alpha.test", "/products/MIN-1").await,
        "Alpha Blog",
    );
    is_site_404(
        &app.get("alpha.test", "/products/VIT-2").await,
        "Alpha Blog",
    );
    let res = app.get("alpha.test", "/products").await;
    assert_eq!(
        res.texts("section.category h2"),
        vec!["Amino Acids", "Vitamins"]
    );
    assert!(!res.body.contains("MIN-1"));
    assert!(!res.body.contains("VIT-2"));
    // Minerals only had the archived product.
    is_site_404(
        &app.get("alpha.test", "/products/category/minerals").await,
        "Alpha Blog",
    );
    let sitemap = app.get("alpha.test", "/sitemap.xml").await;
    assert!(!sitemap.body.contains("MIN-1"));
    assert!(!sitemap.body.contains("VIT-2"));
    assert!(
        sitemap
            .body
            .contains("<loc>http://alpha.test/products/VIT-1</loc>")
    );
}

// ---------------------------------------------------------------------------------------------
// Cross-tenant
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn another_tenants_content_is_404_on_every_route() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.product(t.a, "VIT-1", "Vitamins", "7.77", "18.00").await;
    app.product(t.a, "AMI-1", "Amino Acids", "7.77", "1234.50")
        .await;

    for (host, site, path) in [
        ("beta.test", "Beta Blog", "/posts/alpha-post"),
        ("beta.test", "Beta Blog", "/products/ALPHA-1"),
        ("beta.test", "Beta Blog", "/products/VIT-1"),
        ("beta.test", "Beta Blog", "/products/category/vitamins"),
        ("beta.test", "Beta Blog", "/products/category/amino-acids"),
        ("alpha.test", "Alpha Blog", "/posts/beta-post"),
        ("alpha.test", "Alpha Blog", "/products/BETA-1"),
        ("alpha.test", "Alpha Blog", "/products/category/minerals"),
    ] {
        let res = app.get(host, path).await;
        is_site_404(&res, site);
        assert!(!res.body.contains("Title of"), "{host}{path}");
    }
    // The owner still sees its own.
    assert_eq!(app.get("alpha.test", "/products/VIT-1").await.status, 200);
    assert_eq!(
        app.get("beta.test", "/products/category/minerals")
            .await
            .status,
        200
    );

    for path in [
        "/",
        "/products",
        "/products/category/minerals",
        "/products/BETA-1",
        "/tags",
        "/tags/test",
        "/tags/test/feed.xml",
        "/posts/beta-post",
        "/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/nope",
    ] {
        let res = app.get("beta.test", path).await;
        let body = res.body.to_lowercase();
        for word in ["alpha", "vit-1", "ami-1", "vitamins", "amino"] {
            assert!(!body.contains(word), "beta.test{path} shows {word}");
        }
    }
    for path in [
        "/",
        "/products",
        "/feed.xml",
        "/sitemap.xml",
        "/tags",
        "/tags/test",
    ] {
        let body = app.get("alpha.test", path).await.body.to_lowercase();
        for word in ["beta", "minerals", "19.50"] {
            assert!(!body.contains(word), "alpha.test{path} shows {word}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Feed, sitemap, robots
// ---------------------------------------------------------------------------------------------

/// The text of every `<content type="html">` element of a feed, as an XML parser reads it (the
/// whole feed must be well-formed).
fn feed_contents(feed: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(feed).expect("a well-formed feed");
    doc.descendants()
        .filter(|node| node.has_tag_name("content"))
        .inspect(|node| assert_eq!(node.attribute("type"), Some("html")))
        .map(|node| node.children().filter_map(|text| text.text()).collect())
        .collect()
}

#[actix_web::test]
async fn feed_is_atom_with_one_entry_per_visible_post() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post(t.a, t.a_site, "second", Some(minutes_ago(10)))
        .await;
    app.post(t.a, t.a_site, "a-draft", None).await;
    app.post(t.a, t.a_site, "a-scheduled", Some(minutes_ago(-60)))
        .await;

    let res = app.get("alpha.test", "/feed.xml").await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/atom+xml"),
        "{:?}",
        res.header("content-type")
    );
    assert!(res.body.starts_with("<?xml"));
    assert!(res.body.contains(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://alpha.test/\" \
             xml:lang=\"en\">"
    ));
    assert!(res.body.trim_end().ends_with("</feed>"));
    assert_eq!(res.body.matches("<entry>").count(), 2);
    assert_eq!(res.body.matches("</entry>").count(), 2);
    let first = res.body.find("Title of second").unwrap();
    let second = res.body.find("Title of alpha-post").unwrap();
    assert!(first < second, "newest entry first");
    assert!(res.body.contains(
        "<link rel=\"alternate\" type=\"text/html\" href=\"http://alpha.test/posts/alpha-post\"/>"
    ));
    assert!(res.body.contains(
        "<link rel=\"alternate\" type=\"text/html\" href=\"http://alpha.test/posts/second\"/>"
    ));
    // The HTML bodies are text of the feed, never elements of it.
    let doc = roxmltree::Document::parse(&res.body).expect("a well-formed feed");
    assert!(
        !doc.descendants()
            .any(|node| node.has_tag_name("p") || node.has_tag_name("strong")),
        "{}",
        res.body
    );
    let contents = feed_contents(&res.body);
    assert_eq!(contents.len(), 2);
    assert!(
        contents[1].contains("<p>Body of <strong>alpha-post</strong>.</p>"),
        "{:?}",
        contents[1]
    );
    assert!(contents[0].contains("<strong>second</strong>"));
    assert!(!res.body.contains("a-draft"));
    assert!(!res.body.contains("a-scheduled"));
    assert!(!res.body.contains("beta"));
}

#[actix_web::test]
async fn a_feed_entry_reads_back_as_the_body_its_page_shows() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post_with_body(
        t.a,
        t.a_site,
        "brackets",
        "See [the spec](https://example.org/ \"a]]>b\") & `x]]>y` <3",
    )
    .await;

    let res = app.get("alpha.test", "/feed.xml").await;
    assert_eq!(res.status, 200);
    let contents = feed_contents(&res.body);
    let body = contents[0].trim();
    assert!(
        body.contains("title=\"a]]&gt;b\"") && body.contains("<code>x]]&gt;y</code>"),
        "{body}"
    );
    let page = app.get("alpha.test", "/posts/brackets").await;
    assert!(
        page.body.contains(body),
        "the feed's body is the page's: {body}"
    );
}

#[actix_web::test]
async fn sitemap_lists_posts_and_products_but_no_drafts() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post(t.a, t.a_site, "a-draft", None).await;
    app.post(t.a, t.a_site, "a-scheduled", Some(minutes_ago(-60)))
        .await;

    let res = app.get("alpha.test", "/sitemap.xml").await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/xml"),
        "{:?}",
        res.header("content-type")
    );
    assert!(res.body.starts_with("<?xml"));
    assert!(
        res.body
            .contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
    );
    assert!(res.body.contains("<loc>http://alpha.test/</loc>"));
    assert!(
        res.body
            .contains("<loc>http://alpha.test/posts/alpha-post</loc>")
    );
    assert!(
        res.body
            .contains("<loc>http://alpha.test/products/ALPHA-1</loc>")
    );
    for loc in [
        "/products",
        "/tags",
        "/products/category/vitamins",
        "/tags/test",
    ] {
        assert!(
            res.body
                .contains(&format!("<loc>http://alpha.test{loc}</loc>")),
            "{loc}"
        );
    }
    assert_eq!(res.body.matches("<url>").count(), 7);
    assert!(!res.body.contains("a-draft"));
    assert!(!res.body.contains("a-scheduled"));
    assert!(!res.body.contains("beta"));
    assert!(!res.body.contains("BETA"));
}

#[actix_web::test]
async fn robots_points_to_the_sitemap() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    let res = app.get("alpha.test", "/robots.txt").await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let lines: Vec<&str> = res.body.lines().collect();
    assert!(lines.contains(&"Disallow: /admin/"), "{lines:?}");
    assert!(
        lines.contains(&"Sitemap: http://alpha.test/sitemap.xml"),
        "{lines:?}"
    );
    let res = app.get("beta.test", "/robots.txt").await;
    assert!(res.body.contains("Sitemap: http://beta.test/sitemap.xml"));
}

// ---------------------------------------------------------------------------------------------
// Page heads
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn every_html_page_has_title_description_canonical_and_open_graph() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;

    for (path, canonical, og_type) in [
        ("/", "http://alpha.test/", "website"),
        (
            "/posts/alpha-post",
            "http://alpha.test/posts/alpha-post",
            "article",
        ),
        ("/products", "http://alpha.test/products", "website"),
        (
            "/products/category/amino-acids",
            "http://alpha.test/products/category/amino-acids",
            "website",
        ),
        ("/tags", "http://alpha.test/tags", "website"),
        ("/tags/test", "http://alpha.test/tags/test", "website"),
        (
            "/products/ALPHA-1",
            "http://alpha.test/products/ALPHA-1",
            "product",
        ),
        ("/nope", "http://alpha.test/nope", "website"),
    ] {
        let res = app.get("alpha.test", path).await;
        assert!(
            res.header("content-type").unwrap().starts_with("text/html"),
            "{path}"
        );
        has_page_head(&res, canonical, og_type);
        assert_eq!(
            res.attr("meta[property='og:site_name']", "content")
                .as_deref(),
            Some("Alpha Blog")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP behaviour: methods, ETags, compression, static assets, 404
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn head_answers_like_get() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;

    for path in [
        "/",
        "/posts/alpha-post",
        "/products",
        "/products/VIT-1",
        "/feed.xml",
    ] {
        let get = app.get("alpha.test", path).await;
        let head = app.send(request(Method::HEAD, "alpha.test", path)).await;
        assert_eq!(get.status, 200, "{path}");
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(get.header("etag").is_some(), "{path}");
        assert_eq!(head.header("etag"), get.header("etag"), "{path}");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
        // The body (if the harness keeps one) is the GET body; on the wire HEAD sends none.
        assert!(head.body.is_empty() || head.body == get.body, "{path}");
    }
    let head = app
        .send(request(Method::HEAD, "alpha.test", "/posts/nope"))
        .await;
    assert_eq!(head.status, 404);
}

#[actix_web::test]
async fn other_methods_are_405() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    for (method, path) in [
        (Method::POST, "/"),
        (Method::POST, "/posts/alpha-post"),
        (Method::PUT, "/products"),
        (Method::DELETE, "/feed.xml"),
    ] {
        let res = app.send(request(method.clone(), "alpha.test", path)).await;
        assert_eq!(res.status, 405, "{method} {path}");
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert_eq!(res.header("allow"), Some("GET, HEAD"), "{method} {path}");
        assert!(res.texts("title")[0].contains("Alpha Blog"));
    }
}

#[actix_web::test]
async fn etag_revalidation_answers_304_until_the_page_changes() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;

    let first = app.get("alpha.test", "/").await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert_eq!(first.header("cache-control"), Some("public, no-cache"));

    let again = app
        .send(
            request(Method::GET, "alpha.test", "/").insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, "");
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    // The same for a post, the feed and the sitemap.
    for path in [
        "/posts/alpha-post",
        "/feed.xml",
        "/sitemap.xml",
        "/products",
    ] {
        let res = app.get("alpha.test", path).await;
        let tag = res.header("etag").expect("an ETag").to_owned();
        let res = app
            .send(
                request(Method::GET, "alpha.test", path)
                    .insert_header(("If-None-Match", tag.as_str())),
            )
            .await;
        assert_eq!(res.status, 304, "{path}");
        assert_eq!(res.body, "", "{path}");
    }

    app.post(t.a, t.a_site, "fresh", Some(minutes_ago(1))).await;
    let changed = app
        .send(
            request(Method::GET, "alpha.test", "/").insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(
        changed.texts(".post-card h2"),
        vec!["Title of fresh", "Title of alpha-post"]
    );
}

#[actix_web::test]
async fn responses_are_compressed_on_request() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    for (accept, expected) in [("gzip", "gzip"), ("br", "br")] {
        for path in ["/", "/feed.xml"] {
            let res = app
                .send(
                    request(Method::GET, "alpha.test", path)
                        .insert_header(("Accept-Encoding", accept)),
                )
                .await;
            assert_eq!(res.status, 200);
            assert_eq!(
                res.header("content-encoding"),
                Some(expected),
                "{accept} {path}"
            );
            assert!(!res.body.contains("Alpha Blog"), "the body is compressed");
        }
    }
    let res = app
        .send(request(Method::GET, "alpha.test", "/").insert_header(("Accept-Encoding", "gzip")))
        .await;
    assert!(
        res.header("vary")
            .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    );
    let plain = app.get("alpha.test", "/").await;
    assert_eq!(plain.header("content-encoding"), None);
}

#[actix_web::test]
async fn stylesheet_is_fingerprinted_and_cached_for_a_year() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    let page = app.get("alpha.test", "/").await;
    let href = page
        .attr("link[rel=stylesheet]", "href")
        .expect("a stylesheet");
    let hash = href
        .strip_prefix("/static/app.")
        .and_then(|rest| rest.strip_suffix(".css"))
        .unwrap_or_else(|| panic!("not fingerprinted: {href}"));
    assert!(
        hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{href}"
    );

    let res = app.get("alpha.test", &href).await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/css"));
    let cache = res.header("cache-control").unwrap();
    assert!(cache.contains("immutable"), "{cache}");
    assert!(cache.contains("max-age=31536000"), "{cache}");
    assert!(!res.body.is_empty());

    // Served whatever the host, since assets are not per site.
    let res = app.send(TestRequest::default().uri(&href)).await;
    assert_eq!(res.status, 200);

    for path in ["/static/nope.css", "/static/app.0000000000.css"] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 404, "{path}");
    }
}

#[actix_web::test]
async fn unknown_path_is_the_site_404_page() {
    let app = TestApp::new().await;
    two_tenants(&app).await;

    for path in ["/nope", "/posts", "/posts/", "/products/"] {
        let res = app.get("alpha.test", path).await;
        is_site_404(&res, "Alpha Blog");
        assert_eq!(
            res.attr("meta[name=robots]", "content").as_deref(),
            Some("noindex"),
            "{path}"
        );
        assert_eq!(res.header("cache-control"), Some("no-store"), "{path}");
        assert!(res.body.contains("Alpha Blog"));
        assert!(!res.body.contains("Alpha Health"), "{path}");
    }
}

#[actix_web::test]
async fn the_product_list_comes_in_pages_that_follow_one_another() {
    use agoat::thorne::products::NewProduct;
    use agoat::web::pages::products::PAGE_SIZE;
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let new: Vec<NewProduct> = (0..120)
        .map(|i| NewProduct {
            sku: format!("P-{i:03}"),
            name: format!("Item {i:03}"),
            description: String::new(),
            category: if i % 2 == 0 { "Minerals" } else { "Vitamins" }.to_owned(),
            wholesale_price: "1.00".parse().unwrap(),
            retail_price: "2.00".parse().unwrap(),
            in_stock: true,
        })
        .collect();
    app.products(t.a, new).await;
    // Listing order: category, then name.
    let mut expected: Vec<(String, String)> = (0..120)
        .map(|i| {
            let category = if i % 2 == 0 { "Minerals" } else { "Vitamins" };
            (category.to_owned(), format!("Item {i:03}"))
        })
        .chain([("Vitamins".to_owned(), "Product ALPHA-1".to_owned())])
        .collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, name)| name).collect();

    let pages = follow_product_pages(&app, "/products").await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [PAGE_SIZE, PAGE_SIZE, 121 - 2 * PAGE_SIZE]
    );
    assert_eq!(pages.concat(), expected, "every product once, in order");

    let vitamins = follow_product_pages(&app, "/products/category/vitamins").await;
    assert_eq!(
        vitamins.iter().map(Vec::len).collect::<Vec<_>>(),
        [PAGE_SIZE, 61 - PAGE_SIZE]
    );
    assert!(vitamins.concat().iter().all(|n| {
        let number: usize = n.trim_start_matches("Item ").parse().unwrap_or(1);
        n == "Product ALPHA-1" || number % 2 == 1
    }));

    // A page after a product that was archived since still leads on.
    let first_page = app.get("alpha.test", "/products").await;
    let next = first_page.attr("a.next", "href").unwrap();
    let sku = next.rsplit("after=").next().unwrap().to_owned();
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(format!(
        "UPDATE thorne.products SET archived_at = now() WHERE sku = '{sku}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    tokio::time::sleep(agoat::web::page_cache::PageCache::TTL).await;
    assert_eq!(app.get("alpha.test", &next).await.status, 200);

    // A SKU the customer does not have, or another customer's, names no place.
    for path in ["/products?after=NOPE", "/products?after=BETA-1"] {
        assert_eq!(app.get("alpha.test", path).await.status, 404, "{path}");
    }
}

/// The product names of each page, following the "more" links from `first`; checks that later
/// pages link back to the first.
async fn follow_product_pages(app: &TestApp, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut path = first.to_owned();
    loop {
        let res = app.get("alpha.test", &path).await;
        assert_eq!(res.status, 200, "{path}");
        if !pages.is_empty() {
            assert_eq!(res.attr("a.first", "href").as_deref(), Some(first));
        }
        pages.push(res.texts(".product-card h3"));
        match res.attr("a.next", "href") {
            Some(next) => path = next,
            None => return pages,
        }
        assert!(pages.len() < 10, "the pages end");
    }
}

#[actix_web::test]
async fn control_characters_in_the_address_are_a_400_that_says_where() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let before = database_digest(&app, None).await;
    for path in [
        "/posts/alpha-post%00",
        "/products/ALPHA-1%00",
        "/posts/%1B%5B2J",
        "/products/ALPHA%0A1",
        "/static/app.css%00",
        "/healthz/%00",
    ] {
        let res = app.get("alpha.test", path).await;
        assert_control_character_refused(&res, "The address contains", path);
    }
    for (path, parameter) in [
        ("/?after=x%00", "after"),
        ("/products?category=Vitamins%00", "category"),
        ("/tags/test?after=%00", "after"),
        ("/products?after=ALPHA-1%07", "after"),
        ("/feed.xml?x=%0D%0A", "x"),
    ] {
        let res = app.get("alpha.test", path).await;
        assert_control_character_refused(
            &res,
            &format!("The address parameter \"{parameter}\""),
            path,
        );
    }
    // Nothing reached the database, and the pages themselves still answer.
    assert_eq!(database_digest(&app, None).await, before);
    assert_eq!(app.get("alpha.test", "/posts/alpha-post").await.status, 200);
    assert_eq!(app.get("alpha.test", "/products/ALPHA-1").await.status, 200);
}

/// Requests for `path` on A's site naming a port, a scheme or a host of their own: in `Host`
/// and in the forwarding headers a proxy would set.
fn requests_naming_another_origin(path: &str) -> Vec<(&'static str, TestRequest)> {
    let on = |host: &str| request(Method::GET, host, path);
    vec![
        ("Host with port 99999", on("alpha.test:99999")),
        ("Host with port 8080", on("alpha.test:8080")),
        ("Host with port 1", on("ALPHA.test.:1")),
        (
            "forwarded scheme and host",
            on("alpha.test")
                .insert_header(("X-Forwarded-Proto", "http"))
                .insert_header(("X-Forwarded-Host", "evil.test:666"))
                .insert_header(("Forwarded", "proto=http;host=evil.test")),
        ),
    ]
}

#[actix_web::test]
async fn absolute_addresses_use_the_public_origin_whatever_the_request_names() {
    let app = TestApp::with_origin(PublicOrigin::new("https", Some(8443)).unwrap()).await;
    two_tenants(&app).await;
    let origin = "https://alpha.test:8443";
    for path in [
        "/",
        "/posts/alpha-post",
        "/products",
        "/products/ALPHA-1",
        "/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/nope",
    ] {
        let plain = app.get("alpha.test", path).await;
        assert!(
            plain.body.contains(&format!("{origin}/")),
            "{path}: {}",
            plain.body
        );
        for (what, request) in requests_naming_another_origin(path) {
            let res = app.send(request).await;
            assert_eq!(res.status, plain.status, "{path} with {what}");
            for foreign in [
                "99999",
                ":8080",
                "alpha.test:1",
                "evil.test",
                "http://alpha.test",
            ] {
                assert!(
                    !res.body.contains(foreign),
                    "{path} with {what} shows {foreign:?}: {}",
                    res.body
                );
            }
            assert!(
                res.body.contains(&format!("{origin}/")),
                "{path} with {what}: {}",
                res.body
            );
        }
    }
    let res = app
        .send(request(
            Method::GET,
            "alpha.test:99999",
            "/posts/alpha-post",
        ))
        .await;
    has_page_head(&res, &format!("{origin}/posts/alpha-post"), "article");
    let robots = app.get("alpha.test:99999", "/robots.txt").await;
    assert!(
        robots
            .body
            .contains(&format!("Sitemap: {origin}/sitemap.xml")),
        "{}",
        robots.body
    );
}
