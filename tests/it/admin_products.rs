//! Tests of the products admin: the list (search, category, shelf, sort, keyset pages), creating
//! with exact prices and a clear 422 for every bad input, the negative-margin confirmation, edits
//! with price history and change sets, the conflict page, archive and restore, roles and tenant
//! separation. Every check looks at the page and at the database.

use agoat::tenancy::CustomerId;
use agoat::thorne::products::NewProduct;

use crate::common::{
    Browser, Response, TestApp, TwoTenants, assert_control_character_refused, catalog_staff,
    signed_in, two_tenants, walk_forward_and_back,
};
use crate::common::{catalog_and_audit_snapshot as snapshot, sql_count as count, sql_text as text};

/// How many audit events of this action the product has.
async fn audit_events(app: &TestApp, id: &str, action: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT count(*) FROM audit.events WHERE entity = 'product' \
             AND entity_id = '{id}' AND action = '{action}'"
        ),
    )
    .await
}

/// The state of one customer's product, by SKU.
async fn product_snapshot(app: &TestApp, customer: CustomerId, sku: &str) -> String {
    text(
        app,
        &format!(
            "SELECT concat_ws('|', id, name, wholesale_price, retail_price, in_stock, archived_at, \
             version, updated_at) AS s FROM thorne.products \
             WHERE customer_id = '{}' AND sku = '{sku}'",
            customer.as_uuid()
        ),
    )
    .await
}

/// `(id, version)` of the product with this SKU of this customer.
async fn product_of(app: &TestApp, customer: CustomerId, sku: &str) -> (String, String) {
    let row = text(
        app,
        &format!(
            "SELECT id::text || ' ' || version::text AS s FROM thorne.products \
             WHERE customer_id = '{}' AND sku = '{sku}'",
            customer.as_uuid()
        ),
    )
    .await;
    let (id, version) = row.split_once(' ').unwrap();
    (id.to_owned(), version.to_owned())
}

async fn field(app: &TestApp, id: &str, column: &str) -> String {
    text(
        app,
        &format!("SELECT coalesce({column}::text, '') AS s FROM thorne.products WHERE id = '{id}'"),
    )
    .await
}

struct Setup {
    app: TestApp,
    t: TwoTenants,
}

async fn setup() -> Setup {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalog_staff(&app, &t).await;
    Setup { app, t }
}

/// The fields of a product form.
fn form<'a>(sku: &'a str, wholesale: &'a str, retail: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("sku", sku),
        ("name", "Vitamin D3 5000 IU"),
        ("description", "Supports bone health."),
        ("category", "Vitamins"),
        ("wholesale_price", wholesale),
        ("retail_price", retail),
        ("in_stock", "on"),
    ]
}

/// The fields of a form.
type Fields<'a> = Vec<(&'a str, &'a str)>;

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

/// Adds many products to a customer in one go.
fn new_product(sku: &str, name: &str, category: &str, retail: &str) -> NewProduct {
    NewProduct {
        sku: sku.to_owned(),
        name: name.to_owned(),
        description: String::new(),
        category: category.to_owned(),
        wholesale_price: "1.00".parse().unwrap(),
        retail_price: retail.parse().unwrap(),
        in_stock: true,
    }
}

/// The SKUs of the rows of a list page.
fn skus(res: &Response) -> Vec<String> {
    res.texts("tr.product-row td.sku")
}

/// Follows the "next page" links from `start`, returning the SKUs of every page.
async fn all_pages(b: &mut Browser<'_>, start: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(start.to_owned());
    while let Some(path) = next {
        let res = b.get(&path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        pages.push(skus(&res));
        next = res.attr("a[rel=next]", "href");
        if pages.len() > 1 {
            assert!(
                res.attr(".pagination a:not([rel])", "href").is_some(),
                "{path}: a link to the first page"
            );
        }
        assert!(pages.len() < 10, "pagination does not end");
    }
    pages
}

#[actix_web::test]
async fn the_list_searches_filters_sorts_and_pages() {
    let Setup { app, t } = setup().await;
    // 55 supplements, the last eight by name and by price sharing a name and a price (so that
    // equal keys straddle the page boundary), 6 teas, one archived tea; ALPHA-1 is in Vitamins.
    let mut new: Vec<NewProduct> = (0..55)
        .map(|i| {
            let (name, retail) = if i < 8 {
                ("Supplement zz".to_owned(), "99.00".to_owned())
            } else {
                (format!("Supplement {i:02}"), format!("{}.{:02}", 20 + i, i))
            };
            new_product(&format!("SUP-{i:02}"), &name, "Supplements", &retail)
        })
        .collect();
    new.extend((0..6).map(|i| {
        new_product(
            &format!("TEA-{i}"),
            &format!("Green tea {i}"),
            "Teas",
            "5.00",
        )
    }));
    new.push(new_product("OLD-TEA", "Old green tea", "Teas", "4.00"));
    app.products(t.a, new).await;
    let (old_id, old_version) = product_of(&app, t.a, "OLD-TEA").await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{old_id}/archive"),
            &[("version", old_version.as_str())],
        )
        .await;
    assert_eq!(res.status, 303);

    // Search by name or SKU, any case; only active products by default.
    let res = b.get("/admin/products?q=GREEN%20TEA").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        skus(&res),
        ["TEA-0", "TEA-1", "TEA-2", "TEA-3", "TEA-4", "TEA-5"]
    );
    let res = b.get("/admin/products?q=alpha-").await;
    assert_eq!(skus(&res), ["ALPHA-1"]);
    assert_eq!(res.texts("td.wholesale"), ["$10.00"]);
    assert_eq!(res.texts("td.retail"), ["$18.00"]);
    assert_eq!(res.texts("td.margin"), ["$8.00 (44.4%)"]);
    assert_eq!(res.texts("td.stock"), ["In stock"]);
    assert_eq!(res.texts("td.category"), ["Vitamins"]);
    // A search for a LIKE wildcard finds it literally.
    assert!(skus(&b.get("/admin/products?q=%25").await).is_empty());

    // Shelves.
    let res = b.get("/admin/products?q=tea&shelf=archived").await;
    assert_eq!(skus(&res), ["OLD-TEA"]);
    assert!(res.body.contains("/admin/products/") && res.body.contains("/restore\""));
    assert_eq!(
        skus(&b.get("/admin/products?q=tea&shelf=all").await).len(),
        7
    );

    // The category select lists every category (archived products' too) and filters.
    let res = b.get("/admin/products?category=Teas").await;
    assert_eq!(
        res.texts("#category option"),
        ["All categories", "Supplements", "Teas", "Vitamins"]
    );
    assert_eq!(
        res.attr("#category option[selected]", "value").as_deref(),
        Some("Teas")
    );
    assert_eq!(skus(&res).len(), 6);
    assert!(skus(&b.get("/admin/products?category=Nope").await).is_empty());

    // Sorting by price: lowest first.
    let res = b
        .get("/admin/products?category=Teas&shelf=all&sort=price")
        .await;
    assert_eq!(skus(&res)[0], "OLD-TEA");

    // Pages of 50 in each order, filters kept, no row repeated or skipped.
    for (start, expected_total) in [
        ("/admin/products", 62),
        ("/admin/products?category=Supplements", 55),
        ("/admin/products?category=Supplements&sort=price", 55),
        ("/admin/products?sort=updated&shelf=all", 63),
    ] {
        let pages = all_pages(&mut b, start).await;
        assert_eq!(pages.len(), 2, "{start}");
        assert_eq!(pages[0].len(), 50, "{start}");
        let all: Vec<String> = pages.concat();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(all.len(), expected_total, "{start}: {all:?}");
        assert_eq!(unique.len(), expected_total, "{start}: a row repeats");
    }
    // The second page links back to the first with the same filters.
    let first = b
        .get("/admin/products?category=Supplements&sort=price")
        .await;
    let next = first.attr("a[rel=next]", "href").unwrap();
    assert!(next.contains("category=Supplements") && next.contains("sort=price"));
    let second = b.get(&next).await;
    assert_eq!(
        second.attr(".pagination a:not([rel])", "href").as_deref(),
        Some("/admin/products?category=Supplements&sort=price")
    );
    // Prices ascend across the page boundary.
    let retail = |res: &Response| -> Vec<f64> {
        res.texts("td.retail")
            .iter()
            .map(|p| p.trim_start_matches('$').parse().unwrap())
            .collect()
    };
    let prices: Vec<f64> = [retail(&first), retail(&second)].concat();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    // Names ascend across the page boundary.
    let first = b.get("/admin/products").await;
    let second = b.get(&first.attr("a[rel=next]", "href").unwrap()).await;
    let names: Vec<String> = [first.texts("td.name a"), second.texts("td.name a")].concat();
    assert_eq!(names.len(), 62);
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    // Bad list parameters are a clear 400.
    for path in [
        "/admin/products?shelf=trash",
        "/admin/products?sort=sku",
        "/admin/products?after=garbage",
        "/admin/products?sort=price&after=00000000000000000000000000000000.abc",
    ] {
        assert_eq!(b.get(path).await.status, 400, "{path}");
    }

    // Links to the other products pages.
    let res = b.get("/admin/products").await;
    for link in [
        "/admin/products/new",
        "/admin/products/bulk",
        "/admin/products/change-sets",
        "/admin/products/export.csv",
        "/admin/products/import",
    ] {
        assert!(
            res.body.contains(&format!("href=\"{link}\"")),
            "link to {link}"
        );
    }
}

#[actix_web::test]
async fn the_list_pages_back_as_well_as_forward_in_every_order_with_the_filters() {
    let Setup { app, t } = setup().await;
    // 120 supplements matching "caps" in two batches (equal change times within each), some
    // with equal names and prices; others that the filters leave out.
    for batch in [0..60, 60..120] {
        let products = batch
            .flat_map(|n| {
                let price = format!("{}.50", 10 + n % 7);
                [
                    new_product(
                        &format!("CAPS-{n:03}"),
                        &format!("Capsules {:02}", n % 40),
                        "Supplements",
                        &price,
                    ),
                    new_product(&format!("TAB-{n:03}"), "Tablets", "Supplements", &price),
                    new_product(&format!("TEA-{n:03}"), "Caps tea", "Teas", &price),
                ]
            })
            .collect();
        app.products(t.a, products).await;
    }
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    for sort in ["", "&sort=price", "&sort=updated"] {
        let start = format!("/admin/products?q=caps&category=Supplements{sort}");
        let kept = [
            "q=caps",
            "category=Supplements",
            sort.trim_start_matches('&'),
        ];
        let pages = walk_forward_and_back(&mut b, &start, "tr.product-row td.sku", &kept).await;
        assert_eq!(pages.each_ref().map(Vec::len), [50, 50, 20], "{sort}");
        assert!(
            pages.iter().flatten().all(|sku| sku.starts_with("CAPS-")),
            "{sort}: {pages:?}"
        );
    }
    // A bad position before a row is a 400, as after one.
    for path in [
        "/admin/products?before=garbage",
        "/admin/products?sort=price&before=00000000000000000000000000000000.abc",
        "/admin/products?sort=updated&before=00000000000000000000000000000000.soon",
    ] {
        assert_eq!(b.get(path).await.status, 400, "{path}");
    }
}

#[actix_web::test]
async fn bad_money_is_refused_next_to_its_field_and_nothing_is_created() {
    let Setup { app, t: _ } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let before = snapshot(&app).await;
    for bad in ["12,50", "-1", "1e3", "NaN", "12.345", "", "100000000"] {
        for (field, other) in [
            ("wholesale_price", "retail_price"),
            ("retail_price", "wholesale_price"),
        ] {
            let fields = with(form("NEW-1", "10.00", "20.00"), field, bad);
            let res = b
                .post("/admin/products/new", "/admin/products", &fields)
                .await;
            assert_eq!(res.status, 422, "{field}={bad:?}: {}", res.body);
            assert_eq!(
                res.texts(&format!("#{field}-error")).len(),
                1,
                "{field}={bad:?}: the error is next to the field"
            );
            assert!(res.texts(&format!("#{other}-error")).is_empty());
            assert_eq!(
                res.attr(&format!("input#{field}"), "value").as_deref(),
                Some(bad),
                "what was typed is kept"
            );
            assert_eq!(
                res.attr("input#name", "value").as_deref(),
                Some("Vitamin D3 5000 IU")
            );
            assert_eq!(
                snapshot(&app).await,
                before,
                "{field}={bad:?} changed something"
            );
        }
    }
}

#[actix_web::test]
async fn good_prices_are_stored_exactly() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    for (sku, typed, stored) in [
        ("P-12", "12", "12.00"),
        ("P-125", "12.5", "12.50"),
        ("P-1250", " 12.50 ", "12.50"),
    ] {
        let res = b
            .post(
                "/admin/products/new",
                "/admin/products",
                &form(sku, typed, typed),
            )
            .await;
        assert_eq!(res.status, 303, "{typed:?}: {}", res.body);
        let (id, version) = product_of(&app, t.a, sku).await;
        assert_eq!(
            res.header("location"),
            Some(&*format!("/admin/products/{id}"))
        );
        assert_eq!(version, "1");
        assert_eq!(field(&app, &id, "wholesale_price").await, stored);
        assert_eq!(field(&app, &id, "retail_price").await, stored);
        assert_eq!(field(&app, &id, "name").await, "Vitamin D3 5000 IU");
        assert_eq!(field(&app, &id, "category").await, "Vitamins");
        assert_eq!(field(&app, &id, "in_stock").await, "true");
        assert_eq!(audit_events(&app, &id, "create").await, 1);
        let page = b.get(&format!("/admin/products/{id}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            page.attr("input#retail_price", "value").as_deref(),
            Some(stored)
        );
    }
    // Out of stock when the box is not ticked; shown on the public page.
    let res = b
        .post(
            "/admin/products/new",
            "/admin/products",
            &without(form("P-OUT", "1", "2"), "in_stock"),
        )
        .await;
    assert_eq!(res.status, 303);
    let (id, _) = product_of(&app, t.a, "P-OUT").await;
    assert_eq!(field(&app, &id, "in_stock").await, "false");
    let public = app.get("alpha.test", "/products/P-OUT").await;
    assert_eq!(public.status, 200);
    assert_eq!(public.texts("article.product .price"), ["$2.00"]);
}

#[actix_web::test]
async fn bad_fields_and_a_taken_sku_are_refused_next_to_the_field() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let long_name = "n".repeat(301);
    let long_category = "c".repeat(101);
    let before = snapshot(&app).await;
    let cases: Vec<(&str, Fields, &str)> = vec![
        (
            "no name",
            with(form("NEW-1", "1", "2"), "name", "  "),
            "#name-error",
        ),
        (
            "long name",
            with(form("NEW-1", "1", "2"), "name", &long_name),
            "#name-error",
        ),
        (
            "two-line name",
            with(form("NEW-1", "1", "2"), "name", "A\nB"),
            "#name-error",
        ),
        (
            "no category",
            without(form("NEW-1", "1", "2"), "category"),
            "#category-error",
        ),
        (
            "long category",
            with(form("NEW-1", "1", "2"), "category", &long_category),
            "#category-error",
        ),
        ("no sku", form("", "1", "2"), "#sku-error"),
        ("bad sku", form("NEW 1", "1", "2"), "#sku-error"),
        ("taken sku", form("ALPHA-1", "1", "2"), "#sku-error"),
    ];
    for (name, fields, error) in &cases {
        let res = b
            .post("/admin/products/new", "/admin/products", fields)
            .await;
        assert_eq!(res.status, 422, "{name}: {}", res.body);
        assert_eq!(res.texts(error).len(), 1, "{name}: error next to the field");
        assert_eq!(res.texts("p.form-error").len(), 1, "{name}");
        assert_eq!(snapshot(&app).await, before, "{name} changed something");
    }
    let res = b
        .post(
            "/admin/products/new",
            "/admin/products",
            &form("ALPHA-1", "1", "2"),
        )
        .await;
    assert!(res.texts("#sku-error")[0].contains("already used"));
    // Another customer's SKU is free for this one.
    let res = b
        .post(
            "/admin/products/new",
            "/admin/products",
            &form("BETA-1", "1", "2"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(product_of(&app, t.a, "BETA-1").await.1, "1");
    assert_eq!(
        product_snapshot(&app, t.b, "BETA-1")
            .await
            .split('|')
            .nth(1),
        Some("Product BETA-1")
    );

    // A SKU taken on edit is refused the same way.
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    let before = snapshot(&app).await;
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{id}"),
            &with(form("BETA-1", "10.00", "18.00"), "version", &version),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.texts("#sku-error").len(), 1);
    assert_eq!(res.attr("input#sku", "value").as_deref(), Some("BETA-1"));
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn a_negative_margin_needs_confirmation() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let before = snapshot(&app).await;
    let res = b
        .post(
            "/admin/products/new",
            "/admin/products",
            &form("LOSS-1", "20", "15"),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    let warning = res.texts("#negative-margin");
    assert_eq!(warning.len(), 1);
    assert!(
        warning[0].contains("$15.00") && warning[0].contains("$20.00"),
        "{warning:?}"
    );
    assert!(
        res.attr("input[name=confirm_negative_margin]", "type")
            .is_some()
    );
    assert_eq!(snapshot(&app).await, before, "nothing created");

    let res = b
        .post(
            "/admin/products/new",
            "/admin/products",
            &with(form("LOSS-1", "20", "15"), "confirm_negative_margin", "on"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (id, version) = product_of(&app, t.a, "LOSS-1").await;
    assert_eq!(field(&app, &id, "retail_price").await, "15.00");

    // The edit page warns about the stored negative margin, and the list marks it.
    let page = b.get(&format!("/admin/products/{id}")).await;
    assert_eq!(page.texts("#stored-negative-margin").len(), 1);
    assert!(
        page.attr("input[name=confirm_negative_margin]", "type")
            .is_some()
    );
    let list = b.get("/admin/products?q=LOSS").await;
    assert_eq!(list.texts("td.margin.negative"), ["-$5.00 (-33.3%)"]);

    // Saving it again without the confirmation is refused; with it, it goes through.
    let before = snapshot(&app).await;
    let edit = with(form("LOSS-1", "20", "14"), "version", &version);
    let res = b
        .post("/admin", &format!("/admin/products/{id}"), &edit)
        .await;
    assert_eq!(res.status, 422);
    assert_eq!(res.texts("#negative-margin").len(), 1);
    assert_eq!(snapshot(&app).await, before);
    let res = b
        .post(
            "/admin",
            &format!("/admin/products/{id}"),
            &with(edit, "confirm_negative_margin", "on"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(field(&app, &id, "retail_price").await, "14.00");
}

#[actix_web::test]
async fn an_edit_of_prices_is_recorded_with_its_reason_in_a_change_set() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    let page = b.get(&format!("/admin/products/{id}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.attr("input[name=version]", "value"),
        Some(version.clone())
    );
    assert_eq!(page.texts("table.price-history tbody tr").len(), 0);
    assert!(page.texts(".lowest-30-days")[0].contains("$18.00"));

    let fields = with(
        with(form("ALPHA-1", "11.00", "16.50"), "version", &version),
        "reason",
        "  Spring promotion ",
    );
    let res = b
        .post("/admin", &format!("/admin/products/{id}"), &fields)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.header("location"),
        Some(&*format!("/admin/products/{id}"))
    );
    assert_eq!(field(&app, &id, "retail_price").await, "16.50");
    assert_eq!(field(&app, &id, "wholesale_price").await, "11.00");
    assert_eq!(field(&app, &id, "name").await, "Vitamin D3 5000 IU");
    assert_eq!(field(&app, &id, "version").await, "2");
    let history = text(
        &app,
        &format!(
            "SELECT concat_ws('|', c.old_wholesale_price, c.new_wholesale_price, \
             c.old_retail_price, c.new_retail_price, c.reason, c.changed_by_label, s.kind, s.name, \
             s.id) AS s FROM thorne.price_changes c JOIN thorne.change_sets s \
             ON s.customer_id = c.customer_id AND s.id = c.change_set_id \
             WHERE c.product_id = '{id}'"
        ),
    )
    .await;
    let parts: Vec<&str> = history.split('|').collect();
    assert_eq!(
        parts[..8],
        [
            "10.00",
            "11.00",
            "18.00",
            "16.50",
            "Spring promotion",
            "pricing@alpha.test",
            "edit",
            "Edit of ALPHA-1"
        ]
    );
    let set_id = parts[8];
    assert_eq!(audit_events(&app, &id, "update").await, 1);

    // The edit page shows the history and the lowest retail price of 30 days.
    let page = b.get(&format!("/admin/products/{id}")).await;
    assert!(page.texts("p.flash")[0].contains("Edit of ALPHA-1"));
    assert_eq!(page.texts("table.price-history tbody tr").len(), 1);
    assert_eq!(page.texts("td.reason"), ["Spring promotion"]);
    assert_eq!(page.texts("td.who"), ["pricing@alpha.test"]);
    assert_eq!(page.texts("td.retail"), ["$18.00 → $16.50"]);
    assert_eq!(page.texts("td.wholesale"), ["$10.00 → $11.00"]);
    assert!(page.texts("td.when")[0].ends_with("UTC"));
    assert_eq!(
        page.attr("td.change-set a", "href"),
        Some(format!("/admin/products/change-sets/{set_id}"))
    );
    assert!(page.texts(".lowest-30-days")[0].contains("$16.50"));

    // Raising the price again: the lowest of 30 days stays the lower one.
    let fields = with(form("ALPHA-1", "11.00", "25.00"), "version", "2");
    assert_eq!(
        b.post("/admin", &format!("/admin/products/{id}"), &fields)
            .await
            .status,
        303
    );
    let page = b.get(&format!("/admin/products/{id}")).await;
    assert_eq!(page.texts("table.price-history tbody tr").len(), 2);
    assert_eq!(page.texts("td.reason"), ["", "Spring promotion"]);
    assert!(page.texts(".lowest-30-days")[0].contains("$16.50"));
    assert_eq!(
        count(&app, "SELECT count(*) FROM thorne.change_sets").await,
        2
    );
}

#[actix_web::test]
async fn an_edit_without_a_price_change_writes_no_history() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    // Same prices, typed differently: no price change.
    let fields = with(
        with(
            without(form("ALPHA-1B", "10", "18.0"), "in_stock"),
            "version",
            &version,
        ),
        "reason",
        "typo",
    );
    let res = b
        .post("/admin", &format!("/admin/products/{id}"), &fields)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(field(&app, &id, "sku").await, "ALPHA-1B");
    assert_eq!(field(&app, &id, "name").await, "Vitamin D3 5000 IU");
    assert_eq!(
        field(&app, &id, "description").await,
        "Supports bone health."
    );
    assert_eq!(field(&app, &id, "in_stock").await, "false");
    assert_eq!(field(&app, &id, "version").await, "2");
    assert_eq!(
        count(&app, "SELECT count(*) FROM thorne.price_changes").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM thorne.change_sets").await,
        0
    );
    assert_eq!(audit_events(&app, &id, "update").await, 1);
    let page = b.get(&format!("/admin/products/{id}")).await;
    assert_eq!(page.texts("p.flash"), ["Saved."]);
    assert_eq!(page.texts("table.price-history tbody tr").len(), 0);
    // The public page follows the new SKU.
    assert_eq!(
        app.get("alpha.test", "/products/ALPHA-1B").await.status,
        200
    );
    assert_eq!(app.get("alpha.test", "/products/ALPHA-1").await.status, 404);
}

#[actix_web::test]
async fn bad_edits_are_refused_and_change_nothing() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    let path = format!("/admin/products/{id}");
    let before = snapshot(&app).await;
    let base = with(form("ALPHA-1", "10.00", "18.00"), "version", &version);
    let long_reason = "r".repeat(501);
    let cases: Vec<(&str, Fields, u16, &str)> = vec![
        (
            "bad retail",
            with(base.clone(), "retail_price", "12,50"),
            422,
            "#retail_price-error",
        ),
        (
            "bad wholesale",
            with(base.clone(), "wholesale_price", "NaN"),
            422,
            "#wholesale_price-error",
        ),
        (
            "no name",
            with(base.clone(), "name", ""),
            422,
            "#name-error",
        ),
        (
            "long reason",
            with(base.clone(), "reason", &long_reason),
            422,
            "#reason-error",
        ),
        ("no version", without(base.clone(), "version"), 400, ""),
        ("bad version", with(base.clone(), "version", "x"), 400, ""),
    ];
    for (name, fields, status, error) in &cases {
        let res = b.post("/admin", &path, fields).await;
        assert_eq!(res.status, *status, "{name}: {}", res.body);
        if !error.is_empty() {
            assert_eq!(res.texts(error).len(), 1, "{name}: error next to the field");
            assert_eq!(
                res.attr("input[name=version]", "value"),
                Some(version.clone())
            );
        }
        assert_eq!(snapshot(&app).await, before, "{name} changed something");
    }
}

#[actix_web::test]
async fn a_stale_save_shows_both_versions_and_can_overwrite() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let mut other = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    let path = format!("/admin/products/{id}");
    // Someone else saves first.
    let theirs = with(
        with(form("ALPHA-1", "10.00", "19.00"), "version", &version),
        "name",
        "Their name",
    );
    assert_eq!(other.post("/admin", &path, &theirs).await.status, 303);
    let before = snapshot(&app).await;

    let mine = with(
        with(
            with(form("ALPHA-1", "10.00", "21.00"), "version", &version),
            "name",
            "My name",
        ),
        "reason",
        "My reason",
    );
    let res = b.post("/admin", &path, &mine).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert!(res.texts("td.mine").contains(&"My name".to_owned()));
    assert!(res.texts("td.mine").contains(&"21.00".to_owned()));
    assert!(res.texts("td.mine").contains(&"My reason".to_owned()));
    assert!(res.texts("td.current").contains(&"Their name".to_owned()));
    assert!(res.texts("td.current").contains(&"19.00".to_owned()));
    assert!(
        res.body.contains(&format!("href=\"/admin/products/{id}\"")),
        "reload link"
    );
    assert_eq!(
        res.attr("form.overwrite input[name=version]", "value")
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        res.attr("form.overwrite input[name=retail_price]", "value")
            .as_deref(),
        Some("21.00")
    );

    // Overwrite: resubmit what was typed over the current version.
    let selector = scraper::Selector::parse("form.overwrite input").unwrap();
    let html = res.html();
    let fields: Vec<(String, String)> = html
        .select(&selector)
        .filter_map(|e| {
            let name = e.value().attr("name")?;
            (name != "csrf_token").then(|| {
                (
                    name.to_owned(),
                    e.value().attr("value").unwrap_or_default().to_owned(),
                )
            })
        })
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let res = b.post("/admin", &path, &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(field(&app, &id, "name").await, "My name");
    assert_eq!(field(&app, &id, "retail_price").await, "21.00");
    assert_eq!(field(&app, &id, "in_stock").await, "true");
    assert_eq!(field(&app, &id, "version").await, "3");
    assert_eq!(
        text(
            &app,
            &format!(
                "SELECT string_agg(reason, ',' ORDER BY changed_at) AS s \
                 FROM thorne.price_changes WHERE product_id = '{id}'"
            )
        )
        .await,
        ",My reason"
    );
}

#[actix_web::test]
async fn archive_hides_a_product_and_restore_brings_it_back() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    assert_eq!(app.get("alpha.test", "/products/ALPHA-1").await.status, 200);
    assert!(
        app.get("alpha.test", "/products")
            .await
            .body
            .contains("Product ALPHA-1")
    );

    // A stale version is a 409 and changes nothing.
    let before = snapshot(&app).await;
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{id}/archive"),
            &[("version", "7")],
        )
        .await;
    assert_eq!(res.status, 409);
    // No version is a 400.
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{id}/archive"),
            &[],
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(snapshot(&app).await, before);

    // From the list, back to the list with its filters.
    let list = b.get("/admin/products?q=alpha&sort=price").await;
    let back = list
        .attr("tr.product-row input[name=back]", "value")
        .unwrap();
    assert_eq!(back, "/admin/products?q=alpha&sort=price");
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{id}/archive"),
            &[("version", &version), ("back", &back)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some(back.as_str()));
    assert_ne!(field(&app, &id, "archived_at").await, "");
    assert_eq!(field(&app, &id, "version").await, "2");
    assert_eq!(app.get("alpha.test", "/products/ALPHA-1").await.status, 404);
    assert!(
        !app.get("alpha.test", "/products")
            .await
            .body
            .contains("Product ALPHA-1")
    );
    let list = b.get("/admin/products?q=alpha&sort=price").await;
    assert!(list.texts("p.flash")[0].contains("archived"));
    assert!(skus(&list).is_empty());
    // Archiving it again is a conflict.
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{id}/archive"),
            &[("version", "2")],
        )
        .await;
    assert_eq!(res.status, 409);

    // The edit page offers the restore; a foreign `back` is not followed.
    let page = b.get(&format!("/admin/products/{id}")).await;
    assert!(
        page.body
            .contains(&format!("action=\"/admin/products/{id}/restore\""))
    );
    let res = b
        .post(
            "/admin/products",
            &format!("/admin/products/{id}/restore"),
            &[("version", "2"), ("back", "https://evil.test/")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(&*format!("/admin/products/{id}"))
    );
    assert_eq!(field(&app, &id, "archived_at").await, "");
    assert_eq!(app.get("alpha.test", "/products/ALPHA-1").await.status, 200);
    assert!(
        app.get("alpha.test", "/products")
            .await
            .body
            .contains("Product ALPHA-1")
    );
    assert_eq!(
        audit_events(&app, &id, "archive").await + audit_events(&app, &id, "restore").await,
        2
    );
}

#[actix_web::test]
async fn editors_may_not_use_the_products_admin() {
    let Setup { app, t } = setup().await;
    let (id, version) = product_of(&app, t.a, "ALPHA-1").await;
    for email in ["pricing@alpha.test", "owner@alpha.test"] {
        let mut b = signed_in(&app, "alpha.test", email).await;
        for path in [
            "/admin/products",
            "/admin/products/new",
            &format!("/admin/products/{id}"),
        ] {
            let res = b.get(path).await;
            assert_eq!(res.status, 200, "{email} {path}");
            assert_eq!(res.header("cache-control"), Some("no-store"));
        }
    }
    let before = snapshot(&app).await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    for path in [
        "/admin/products",
        "/admin/products/new",
        &format!("/admin/products/{id}"),
    ] {
        assert_eq!(editor.get(path).await.status, 403, "{path}");
    }
    let edit = with(form("ALPHA-1", "1", "2"), "version", &version);
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/products".into(), form("NEW-1", "1", "2")),
        (format!("/admin/products/{id}"), edit),
        (
            format!("/admin/products/{id}/archive"),
            vec![("version", version.as_str())],
        ),
        (
            format!("/admin/products/{id}/restore"),
            vec![("version", version.as_str())],
        ),
    ];
    for (path, fields) in &posts {
        let res = editor.post("/admin", path, fields).await;
        assert_eq!(res.status, 403, "editor {path}");
    }
    // Without the CSRF token nothing happens either.
    for (path, fields) in &posts {
        let res = editor.post_raw(path, fields).await;
        assert!(matches!(res.status, 400 | 403), "no token {path}");
    }
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn another_customers_products_are_not_found() {
    let Setup { app, t } = setup().await;
    let (b_id, b_version) = product_of(&app, t.b, "BETA-1").await;
    let before = snapshot(&app).await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    assert_eq!(b.get(&format!("/admin/products/{b_id}")).await.status, 404);
    let edit = with(form("BETA-1", "1", "2"), "version", &b_version);
    for (path, fields) in [
        (format!("/admin/products/{b_id}"), edit),
        (
            format!("/admin/products/{b_id}/archive"),
            vec![("version", b_version.as_str())],
        ),
        (
            format!("/admin/products/{b_id}/restore"),
            vec![("version", b_version.as_str())],
        ),
    ] {
        let res = b.post("/admin", &path, &fields).await;
        assert_eq!(res.status, 404, "{path}");
    }
    // B's products are not listed or searchable on A's admin.
    let res = b.get("/admin/products?q=BETA&shelf=all").await;
    assert!(skus(&res).is_empty());
    assert!(!res.body.contains("Minerals"));
    assert_eq!(snapshot(&app).await, before, "B's product is unchanged");

    // Non-UUID ids and unknown ids are 404 too.
    for id in ["not-a-uuid", "123", &uuid::Uuid::new_v4().to_string()] {
        assert_eq!(
            b.get(&format!("/admin/products/{id}")).await.status,
            404,
            "{id}"
        );
        for path in [
            format!("/admin/products/{id}"),
            format!("/admin/products/{id}/archive"),
            format!("/admin/products/{id}/restore"),
        ] {
            let res = b
                .post(
                    "/admin",
                    &path,
                    &with(form("X-1", "1", "2"), "version", "1"),
                )
                .await;
            assert_eq!(res.status, 404, "{path}");
        }
    }
    assert_eq!(snapshot(&app).await, before);

    // B's own pricing staff see it on B's site, and not on A's.
    let mut beta = signed_in(&app, "beta.test", "pricing@beta.test").await;
    assert_eq!(
        beta.get(&format!("/admin/products/{b_id}")).await.status,
        200
    );
    let (a_id, _) = product_of(&app, t.a, "ALPHA-1").await;
    assert_eq!(
        beta.get(&format!("/admin/products/{a_id}")).await.status,
        404
    );
}

#[actix_web::test]
async fn control_characters_in_the_search_the_filter_or_a_field_are_a_400_naming_it() {
    let Setup { app, t } = setup().await;
    let mut b = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let before = snapshot(&app).await;
    for (path, parameter) in [
        ("/admin/products?q=ALPHA%00", "q"),
        ("/admin/products?category=Vitamins%00", "category"),
        ("/admin/products?q=a&category=%07", "category"),
        ("/admin/products?sort=name%0A", "sort"),
        ("/admin/products/export.csv?q=%00", "q"),
    ] {
        let res = b.get(path).await;
        assert_control_character_refused(
            &res,
            &format!("The address parameter \"{parameter}\""),
            path,
        );
    }
    let (id, _) = product_of(&app, t.a, "ALPHA-1").await;
    for field in [
        "sku",
        "name",
        "description",
        "category",
        "retail_price",
        "reason",
    ] {
        let value = format!("x\0{field}");
        let fields = with(form("NEW-1", "1.00", "2.00"), field, &value);
        let res = b
            .post("/admin/products/new", "/admin/products", &fields)
            .await;
        assert_control_character_refused(&res, &format!("The form field \"{field}\""), field);
        let fields = with(
            with(form("ALPHA-1", "10.00", "18.00"), "version", "1"),
            field,
            &value,
        );
        let res = b
            .post("/admin/products", &format!("/admin/products/{id}"), &fields)
            .await;
        assert_control_character_refused(&res, &format!("The form field \"{field}\""), field);
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}
