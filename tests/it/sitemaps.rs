//! Sitemaps: `/sitemap.xml` names every address search engines should know — the fixed pages,
//! category pages, tag pages, visible posts and active products of the site — and becomes a
//! sitemap index of parts of at most 50,000 addresses (a lower limit here) when a site has more.

use agoat::thorne::products::NewProduct;
use agoat::web::pages::sitemap::MAX_URLS;

use crate::common::{TestApp, TwoTenants, minutes_ago, post_input, two_tenants};

/// The `<loc>` values of a sitemap or sitemap index, in order.
fn locs(body: &str) -> Vec<String> {
    body.split("<loc>")
        .skip(1)
        .map(|part| part.split("</loc>").next().unwrap().replace("&amp;", "&"))
        .collect()
}

/// A's site with two tags, three categories, a draft and a scheduled post.
async fn site_with_everything(app: &TestApp, t: &TwoTenants) {
    let mut tagged = post_input("tagged", Some(minutes_ago(10)));
    tagged.tags = vec!["Health Tips".into(), "test".into()];
    app.save_post(t.a, t.a_site, tagged).await;
    let mut draft = post_input("a-draft", None);
    draft.tags = vec!["Draft Only".into()];
    app.save_post(t.a, t.a_site, draft).await;
    app.post(t.a, t.a_site, "a-scheduled", Some(minutes_ago(-60)))
        .await;
    app.product(t.a, "AMI-1", "Amino Acids", "7.77", "9.00")
        .await;
    app.product(t.a, "HRB-1", "Herbs", "7.77", "9.00").await;
}

/// Every address of A's site, in sitemap order.
fn every_address() -> Vec<String> {
    [
        "/",
        "/products",
        "/tags",
        "/products/category/amino-acids",
        "/products/category/herbs",
        "/products/category/vitamins",
        "/tags/health-tips",
        "/tags/test",
        "/posts/tagged",
        "/posts/alpha-post",
        "/products/ALPHA-1",
        "/products/AMI-1",
        "/products/HRB-1",
    ]
    .iter()
    .map(|path| format!("http://alpha.test{path}"))
    .collect()
}

#[actix_web::test]
async fn the_sitemap_names_pages_tags_categories_posts_and_products() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    site_with_everything(&app, &t).await;

    let res = app.get("alpha.test", "/sitemap.xml").await;
    assert_eq!(res.status, 200);
    assert!(res.body.starts_with("<?xml"));
    assert!(
        res.body
            .contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
    );
    assert_eq!(locs(&res.body), every_address());
    assert_eq!(res.body.matches("<url>").count(), every_address().len());
    assert_eq!(
        res.body.matches("<lastmod>").count(),
        5,
        "posts and products"
    );
    for hidden in [
        "a-draft",
        "draft-only",
        "a-scheduled",
        "beta",
        "BETA",
        "minerals",
    ] {
        assert!(!res.body.contains(hidden), "{hidden}");
    }
    // Every address it names answers 200.
    for loc in locs(&res.body) {
        let path = loc.trim_start_matches("http://alpha.test");
        assert_eq!(app.get("alpha.test", path).await.status, 200, "{path}");
    }
    // A part is asked for only of an index.
    for path in ["/sitemap.xml?page=1", "/sitemap.xml?page=0"] {
        assert_eq!(app.get("alpha.test", path).await.status, 404, "{path}");
    }
    assert_eq!(
        app.get("alpha.test", "/sitemap.xml?page=x").await.status,
        400
    );
}

#[actix_web::test]
async fn a_site_past_the_limit_gets_a_sitemap_index_of_parts() {
    let app = TestApp::with_sitemap_max_urls(4).await;
    let t = two_tenants(&app).await;
    site_with_everything(&app, &t).await;

    let index = app.get("alpha.test", "/sitemap.xml").await;
    assert_eq!(index.status, 200);
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert!(
        index
            .body
            .contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
    );
    assert!(index.body.trim_end().ends_with("</sitemapindex>"));
    assert!(!index.body.contains("<urlset"));
    let parts = locs(&index.body);
    assert_eq!(
        parts,
        (1..=4)
            .map(|n| format!("http://alpha.test/sitemap.xml?page={n}"))
            .collect::<Vec<_>>()
    );
    let mut all = Vec::new();
    for part in &parts {
        let path = part.trim_start_matches("http://alpha.test");
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(res.body.contains("<urlset"), "{path}");
        let urls = locs(&res.body);
        assert!(!urls.is_empty() && urls.len() <= 4, "{path}: {urls:?}");
        all.extend(urls);
    }
    assert_eq!(all, every_address(), "the parts hold every address once");
    for path in [
        "/sitemap.xml?page=0",
        "/sitemap.xml?page=5",
        "/sitemap.xml?page=99999999999",
    ] {
        assert_eq!(app.get("alpha.test", path).await.status, 404, "{path}");
    }
    // B's site has 7 addresses: an index of its own two parts.
    let beta = app.get("beta.test", "/sitemap.xml").await;
    assert_eq!(
        locs(&beta.body),
        [
            "http://beta.test/sitemap.xml?page=1",
            "http://beta.test/sitemap.xml?page=2"
        ]
    );
    for n in 1..=2 {
        let part = app
            .get("beta.test", &format!("/sitemap.xml?page={n}"))
            .await;
        assert!(!part.body.contains("alpha"), "{}", part.body);
    }
}

#[actix_web::test]
async fn parts_split_long_runs_of_posts_and_products() {
    let app = TestApp::with_sitemap_max_urls(7).await;
    let t = two_tenants(&app).await;
    for i in 0..9 {
        app.post(
            t.a,
            t.a_site,
            &format!("post-{i}"),
            Some(minutes_ago(100 - i)),
        )
        .await;
    }
    let new: Vec<NewProduct> = (0..8)
        .map(|i| NewProduct {
            sku: format!("P-{i}"),
            name: format!("P {i}"),
            description: String::new(),
            category: "Vitamins".into(),
            wholesale_price: "1.00".parse().unwrap(),
            retail_price: "2.00".parse().unwrap(),
            in_stock: true,
        })
        .collect();
    app.products(t.a, new).await;
    // 3 fixed + 1 category + 1 tag + 10 posts + 9 products = 24: four parts.
    let parts = locs(&app.get("alpha.test", "/sitemap.xml").await.body);
    assert_eq!(parts.len(), 4);
    let mut all = Vec::new();
    for n in 1..=4 {
        let res = app
            .get("alpha.test", &format!("/sitemap.xml?page={n}"))
            .await;
        all.extend(locs(&res.body));
    }
    assert_eq!(all.len(), 24);
    let unique: std::collections::HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), 24, "no address twice");
    assert!(all[5..15].iter().all(|l| l.contains("/posts/")), "{all:?}");
    assert!(
        all[15..].iter().all(|l| l.contains("/products/")),
        "{all:?}"
    );
}

#[test]
fn the_limit_is_the_protocols() {
    assert_eq!(MAX_URLS, 50_000);
}

#[actix_web::test]
async fn servers_use_the_protocols_limit() {
    let app = TestApp::new().await;
    assert_eq!(app.state.sitemap_max_urls, 50_000);
}
