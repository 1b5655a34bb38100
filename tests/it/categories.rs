//! Category pages: `/products/category/{category}` lists the customer's active products of one
//! category in pages, any spelling of the category answers 301 to its address form, the old
//! `/products?category=` filter answers 301 to the category's page, product pages and the catalog
//! link there, and another customer's category is the site's 404.

use agoat::thorne::products::{self, NewProduct};
use scoped_futures::ScopedFutureExt;

use crate::common::{TestApp, actor, two_tenants, walk_forward_and_back};

fn new_product(sku: &str, category: &str) -> NewProduct {
    NewProduct {
        sku: sku.to_owned(),
        name: format!("Product {sku}"),
        description: format!("Description of {sku}"),
        category: category.to_owned(),
        wholesale_price: "7.77".parse().unwrap(),
        retail_price: "18.00".parse().unwrap(),
        in_stock: true,
    }
}

/// Customer A's catalogue beside two_tenants' `ALPHA-1` (Vitamins): one category in two spellings,
/// and one with a space in its name.
async fn catalogue(app: &TestApp, t: &crate::common::TwoTenants) {
    app.products(
        t.a,
        vec![
            new_product("VIT-1", "Vitamins"),
            new_product("AMI-1", "Amino Acids"),
            new_product("SLP-1", "Sleep Aids"),
            new_product("SLP-2", "sleep_aids"),
        ],
    )
    .await;
}

#[actix_web::test]
async fn a_category_page_lists_the_active_products_of_the_category() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;

    let res = app.get("alpha.test", "/products/category/vitamins").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.texts("main h1"), ["Vitamins"]);
    assert_eq!(
        res.texts(".product-card h3"),
        ["Product ALPHA-1", "Product VIT-1"]
    );
    assert_eq!(res.texts(".category-filter a.active"), ["Vitamins"]);
    assert_eq!(
        res.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/products/category/vitamins")
    );
    assert!(!res.body.contains("7.77"), "never the wholesale price");
    assert!(!res.body.contains("BETA"));

    // Spellings with one address form are one category.
    let sleep = app.get("alpha.test", "/products/category/sleep-aids").await;
    assert_eq!(
        sleep.texts(".product-card h3"),
        ["Product SLP-1", "Product SLP-2"]
    );
    assert_eq!(sleep.texts("main h1"), ["Sleep Aids"]);

    // The catalog's filter links every category's page once.
    let all = app.get("alpha.test", "/products").await;
    let html = all.html();
    let selector = scraper::Selector::parse(".category-filter a").unwrap();
    let links: Vec<(String, String)> = html
        .select(&selector)
        .map(|a| {
            (
                a.text().collect::<String>(),
                a.value().attr("href").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            ("All".to_owned(), "/products".to_owned()),
            (
                "Amino Acids".to_owned(),
                "/products/category/amino-acids".to_owned()
            ),
            (
                "Sleep Aids".to_owned(),
                "/products/category/sleep-aids".to_owned()
            ),
            (
                "Vitamins".to_owned(),
                "/products/category/vitamins".to_owned()
            ),
        ]
    );
}

#[actix_web::test]
async fn product_pages_link_their_category_page() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;
    for (sku, href) in [
        ("AMI-1", "/products/category/amino-acids"),
        ("SLP-2", "/products/category/sleep-aids"),
        ("ALPHA-1", "/products/category/vitamins"),
    ] {
        let res = app.get("alpha.test", &format!("/products/{sku}")).await;
        assert_eq!(
            res.attr(".product-category a", "href").as_deref(),
            Some(href),
            "{sku}"
        );
        assert_eq!(app.get("alpha.test", href).await.status, 200, "{href}");
    }
}

#[actix_web::test]
async fn other_spellings_and_the_old_filter_answer_301() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;
    for (path, location) in [
        ("/products/category/Vitamins", "/products/category/vitamins"),
        (
            "/products/category/Amino%20Acids",
            "/products/category/amino-acids",
        ),
        (
            "/products/category/AMINO_ACIDS?after=AMI-1",
            "/products/category/amino-acids?after=AMI-1",
        ),
        ("/products?category=Vitamins", "/products/category/vitamins"),
        (
            "/products?category=Amino%20Acids",
            "/products/category/amino-acids",
        ),
        (
            "/products?category=Vitamins&after=ALPHA-1",
            "/products/category/vitamins?after=ALPHA-1",
        ),
        (
            "/products?category=Vitamins&before=VIT-1",
            "/products/category/vitamins?before=VIT-1",
        ),
        // Not looked up: an unknown category is a 404 at its address.
        ("/products?category=Nope", "/products/category/nope"),
    ] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 301, "{path}: {}", res.body);
        assert_eq!(res.header("location"), Some(location), "{path}");
    }
    // A blank filter is no filter.
    assert_eq!(
        app.get("alpha.test", "/products?category=").await.status,
        200
    );
}

#[actix_web::test]
async fn unknown_foreign_and_hostile_categories_are_404_never_an_error() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;
    let long = "x".repeat(5_000);
    for path in [
        "/products/category/nope".to_owned(),
        // B's category, on A's domain.
        "/products/category/minerals".to_owned(),
        "/products/category/-".to_owned(),
        "/products/category/%2E%2E".to_owned(),
        format!("/products/category/{long}"),
        "/products/category/%3Cscript%3E".to_owned(),
        "/products/category/vitamins?after=NOPE".to_owned(),
        "/products/category/vitamins?after=BETA-1".to_owned(),
        "/products?category=..".to_owned(),
    ] {
        let res = app.get("alpha.test", &path).await;
        assert_eq!(res.status, 404, "{path}: {}", res.body);
        assert!(!res.body.contains("BETA"), "{path}");
        assert!(!res.body.contains("<script>"), "{path}");
    }
    for path in [
        "/products/category/a%00b",
        "/products/category/vitamins?after=%1B",
        "/products/category/vitamins?after=A&before=B",
    ] {
        assert_eq!(app.get("alpha.test", path).await.status, 400, "{path}");
    }
    // B sees its own category.
    let beta = app.get("beta.test", "/products/category/minerals").await;
    assert_eq!(beta.texts(".product-card h3"), ["Product BETA-1"]);
}

#[actix_web::test]
async fn category_pages_come_in_pages_both_ways() {
    use agoat::web::pages::products::PAGE_SIZE;
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let new: Vec<NewProduct> = (0..PAGE_SIZE * 3 + 10)
        .map(|i| {
            let category = if i % 3 == 0 { "Herbs" } else { "Minerals" };
            new_product(&format!("P-{i:03}"), category)
        })
        .collect();
    app.products(t.a, new).await;
    let mut browser = app.browser("alpha.test");
    let pages = walk_forward_and_back(
        &mut browser,
        "/products/category/minerals",
        ".product-card h3",
        &["/products/category/minerals?"],
    )
    .await;
    let minerals = (0..PAGE_SIZE * 3 + 10).filter(|i| i % 3 != 0).count();
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), minerals);
    // The whole catalog walks the same way, across categories.
    let pages = walk_forward_and_back(&mut browser, "/products", ".product-card h3", &[]).await;
    assert_eq!(pages[0].len(), PAGE_SIZE);
    let first = app.get("alpha.test", "/products").await;
    let next = first.attr("a[rel=next]", "href").unwrap();
    assert_eq!(
        first.attr("link[rel=next]", "href"),
        Some(format!("http://alpha.test{next}"))
    );
}

#[actix_web::test]
async fn a_change_of_category_shows_on_the_next_request() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalogue(&app, &t).await;
    assert_eq!(
        app.get("alpha.test", "/products/category/vitamins")
            .await
            .texts(".product-card h3"),
        ["Product ALPHA-1", "Product VIT-1"]
    );
    assert_eq!(
        app.get("alpha.test", "/products/category/herbs")
            .await
            .status,
        404
    );
    app.in_scope(t.a, |conn, scope| {
        async move {
            let current = products::by_skus(conn, scope, &["VIT-1".to_owned()])
                .await?
                .remove(0);
            let mut changed = current.clone();
            changed.category = "Herbs".into();
            let edit = products::Edit {
                action: "update",
                change_set: None,
                reason: "",
            };
            products::save(conn, scope, &current, &changed, edit, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    assert_eq!(
        app.get("alpha.test", "/products/category/vitamins")
            .await
            .texts(".product-card h3"),
        ["Product ALPHA-1"]
    );
    assert_eq!(
        app.get("alpha.test", "/products/category/herbs")
            .await
            .texts(".product-card h3"),
        ["Product VIT-1"]
    );
    assert!(
        app.get("alpha.test", "/sitemap.xml")
            .await
            .body
            .contains("<loc>http://alpha.test/products/category/herbs</loc>")
    );
}
