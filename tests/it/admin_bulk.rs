//! Tests of bulk price changes and change sets through the admin: the preview writes nothing,
//! apply changes exactly what was previewed (exact decimals, one change set, price history, audit),
//! each selection kind and operation, bad inputs (4xx, nothing written), negative margins, revert
//! and its conflicts, a catalog changed between preview and apply, a concurrent single save, and
//! tenant separation and roles on every route.

use agoat::error::{AppError, AppResult};
use agoat::tenancy::CustomerId;
use agoat::thorne::bulk::{self, BulkChange, Operation, Rounding, Selection, Target};
use agoat::thorne::change_sets::{self, Kind};
use agoat::thorne::products::{self, NewProduct, Product};
use diesel_async::SimpleAsyncConnection;
use scoped_futures::ScopedFutureExt;

use crate::common::{
    Browser, Response, TestApp, TwoTenants, actor, assert_control_character_refused, catalog_staff,
    signed_in, two_tenants, walk_forward_and_back,
};
use crate::common::{catalog_and_audit_snapshot as snapshot, sql_count as count, sql_text as text};

const FORM: &str = "/admin/products/bulk";
const PREVIEW: &str = "/admin/products/bulk/preview";
const APPLY: &str = "/admin/products/bulk/apply";

/// `wholesale retail` of the product with this SKU.
async fn prices(app: &TestApp, sku: &str) -> String {
    text(
        app,
        &format!(
            "SELECT wholesale_price::text || ' ' || retail_price::text AS s \
             FROM thorne.products WHERE sku = '{sku}'"
        ),
    )
    .await
}

struct Setup {
    app: TestApp,
    t: TwoTenants,
}

/// Two tenants; A has ALPHA-1 (Vitamins 10.00/18.00), VIT-2 (Vitamins 5.00/9.99) and MIN-1
/// (Minerals 4.00/8.00); B has BETA-1 (Minerals 11.00/19.50) and BETA-2 (Vitamins 3.00/6.00).
async fn setup() -> Setup {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.product(t.a, "VIT-2", "Vitamins", "5.00", "9.99").await;
    app.product(t.a, "MIN-1", "Minerals", "4.00", "8.00").await;
    app.product(t.b, "BETA-2", "Vitamins", "3.00", "6.00").await;
    catalog_staff(&app, &t).await;
    Setup { app, t }
}

/// The fields of a bulk change; `value` goes to the field of the selection kind.
fn fields<'a>(
    selection: &'a str,
    value: &'a str,
    operation: &'a str,
    amount: &'a str,
    target: &'a str,
    rounding: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let value_field = match selection {
        "search" => "search",
        "skus" => "skus",
        _ => "category",
    };
    vec![
        ("selection", selection),
        (value_field, value),
        ("operation", operation),
        ("amount", amount),
        ("target", target),
        ("rounding", rounding),
        ("name", "Spring prices"),
        ("reason", "supplier update"),
    ]
}

async fn preview(browser: &mut Browser<'_>, fields: &[(&str, &str)]) -> Response {
    browser.post(FORM, PREVIEW, fields).await
}

/// The fields of the apply form of a preview page (the confirmation box ticked when `confirm`).
fn apply_fields(page: &Response, confirm: bool) -> Vec<(String, String)> {
    let selector = scraper::Selector::parse("form.apply input").unwrap();
    page.html()
        .select(&selector)
        .filter(|e| confirm || e.value().attr("type") != Some("checkbox"))
        .filter_map(|e| {
            Some((
                e.value().attr("name")?.to_owned(),
                e.value().attr("value").unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Submits the apply form of a preview page.
async fn apply_from(browser: &mut Browser<'_>, page: &Response, confirm: bool) -> Response {
    let fields = apply_fields(page, confirm);
    assert!(
        !fields.is_empty(),
        "the page has an apply form: {}",
        page.body
    );
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post_raw(APPLY, &pairs).await
}

/// Previews and applies; returns the change set id from the redirect.
async fn preview_and_apply(browser: &mut Browser<'_>, fields: &[(&str, &str)]) -> String {
    let page = preview(browser, fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let applied = apply_from(browser, &page, false).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let location = applied.header("location").unwrap().to_owned();
    location
        .strip_prefix("/admin/products/change-sets/")
        .unwrap_or_else(|| panic!("redirect to a change set: {location}"))
        .to_owned()
}

/// The SKUs listed as changing in a preview.
fn previewed_skus(page: &Response) -> Vec<String> {
    page.texts("table.bulk-changes td.sku")
}

/// A product of `customer` as stored now.
async fn product(app: &TestApp, customer: CustomerId, sku: &str) -> Product {
    let sku = sku.to_owned();
    app.in_scope(customer, move |conn, scope| {
        let sku = sku.clone();
        async move { Ok(products::by_skus(conn, scope, &[sku]).await?.remove(0)) }.scope_boxed()
    })
    .await
}

/// Saves a new retail price over `current` (the version it was read at), as a single edit.
async fn save_retail(
    app: &TestApp,
    customer: CustomerId,
    current: Product,
    retail: &str,
) -> AppResult<Product> {
    let retail: bigdecimal::BigDecimal = retail.parse().unwrap();
    app.try_in_scope(customer, move |conn, scope| {
        let (current, retail) = (current.clone(), retail.clone());
        async move {
            let set = change_sets::open(conn, scope, Kind::Edit, "price edit", &actor()).await?;
            let mut changed = current.clone();
            changed.retail_price = retail;
            let edit = products::Edit {
                action: "update",
                change_set: Some(set.id),
                reason: "single edit",
            };
            products::save(conn, scope, &current, &changed, edit, &actor()).await
        }
        .scope_boxed()
    })
    .await
}

#[actix_web::test]
async fn the_preview_writes_nothing_and_apply_changes_exactly_what_it_showed() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let form = browser.get(FORM).await;
    assert_eq!(form.status, 200);
    assert_eq!(
        form.texts("#category option"),
        vec!["—", "Minerals", "Vitamins"],
        "only this customer's categories"
    );
    let before = snapshot(&app).await;
    let page = preview(
        &mut browser,
        &fields("category", "Vitamins", "raise", "10", "retail", "cent"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(previewed_skus(&page), vec!["ALPHA-1", "VIT-2"]);
    assert_eq!(page.texts("td.new-retail"), vec!["$19.80", "$10.99"]);
    assert_eq!(page.texts("td.old-retail"), vec!["$18.00", "$9.99"]);
    assert_eq!(page.texts("td.new-wholesale"), vec!["$10.00", "$5.00"]);
    assert_eq!(page.texts("td.margin")[0], "$9.80 (49.5%)");
    assert_eq!(page.texts(".changed-count"), vec!["2"]);
    assert_eq!(snapshot(&app).await, before, "the preview wrote nothing");

    let applied = apply_from(&mut browser, &page, false).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let location = applied.header("location").unwrap().to_owned();
    let set = location
        .strip_prefix("/admin/products/change-sets/")
        .unwrap()
        .to_owned();
    assert_eq!(prices(&app, "ALPHA-1").await, "10.00 19.80");
    assert_eq!(prices(&app, "VIT-2").await, "5.00 10.99");
    assert_eq!(prices(&app, "MIN-1").await, "4.00 8.00", "not selected");
    assert_eq!(
        prices(&app, "BETA-2").await,
        "3.00 6.00",
        "another customer"
    );

    assert_eq!(
        text(
            &app,
            &format!("SELECT name || '|' || kind AS s FROM thorne.change_sets WHERE id = '{set}'")
        )
        .await,
        "Spring prices|bulk"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM thorne.change_sets").await,
        1
    );
    assert_eq!(
        text(
            &app,
            "SELECT string_agg(concat_ws('|', p.sku, c.old_retail_price, c.new_retail_price, \
             c.old_wholesale_price, c.new_wholesale_price, c.reason, c.change_set_id, \
             c.changed_by_label), ',' ORDER BY p.sku) AS s \
             FROM thorne.price_changes c JOIN thorne.products p ON (p.customer_id, p.id) = (c.customer_id, c.product_id)",
        )
        .await,
        format!(
            "ALPHA-1|18.00|19.80|10.00|10.00|supplier update|{set}|pricing@alpha.test,\
             VIT-2|9.99|10.99|5.00|5.00|supplier update|{set}|pricing@alpha.test"
        )
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'product' \
             AND action = 'bulk_price_change'"
        )
        .await,
        2
    );
    assert_eq!(
        text(
            &app,
            &format!(
                "SELECT concat_ws('|', after->>'name', after->>'products', after->>'operation', \
                 after->>'value', after->>'rounding', after->'selection'->>'category') AS s \
                 FROM audit.events WHERE entity = 'change_set' AND entity_id = '{set}'"
            )
        )
        .await,
        "Spring prices|2|raise|10|cent|Vitamins"
    );

    let shown = browser.get(&location).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.contains("Prices changed"),
        "flash: {}",
        shown.body
    );
    assert_eq!(shown.texts("td.sku"), vec!["ALPHA-1", "VIT-2"]);
    assert_eq!(
        shown.texts("td.retail"),
        vec!["$18.00 → $19.80", "$9.99 → $10.99"]
    );
    assert_eq!(shown.texts("td.reason")[0], "supplier update");
    let alpha = product(&app, t.a, "ALPHA-1").await;
    assert!(
        shown
            .body
            .contains(&format!("href=\"/admin/products/{}\"", alpha.id)),
        "links to the product"
    );
    let list = browser.get("/admin/products/change-sets").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.texts("td.products"), vec!["2"]);
    assert_eq!(list.texts("td.kind"), vec!["Bulk change"]);
    assert_eq!(list.texts("td.reverted"), vec!["no"]);
}

#[actix_web::test]
async fn each_selection_kind_selects_active_products_of_the_customer_only() {
    let Setup { app, t } = setup().await;
    app.product(t.a, "OLD-1", "Vitamins", "1.00", "2.00").await;
    let old = product(&app, t.a, "OLD-1").await;
    app.in_scope(t.a, move |conn, scope| {
        let old = old.clone();
        async move { products::set_archived(conn, scope, &old, true, &actor()).await }.scope_boxed()
    })
    .await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;

    let by_category = preview(
        &mut browser,
        &fields("category", "Vitamins", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert_eq!(previewed_skus(&by_category), vec!["ALPHA-1", "VIT-2"]);

    let by_search = preview(
        &mut browser,
        &fields("search", "vit", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert_eq!(previewed_skus(&by_search), vec!["VIT-2"], "SKU, any case");
    let by_name = preview(
        &mut browser,
        &fields("search", "PRODUCT MIN", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert_eq!(previewed_skus(&by_name), vec!["MIN-1"], "name, any case");
    let wildcard = preview(
        &mut browser,
        &fields("search", "%", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert!(previewed_skus(&wildcard).is_empty(), "% is literal");

    let by_list = preview(
        &mut browser,
        &fields(
            "skus",
            "MIN-1, NOPE-9\nOLD-1 BETA-1;ALPHA-1",
            "add",
            "1.00",
            "retail",
            "cent",
        ),
    )
    .await;
    assert_eq!(by_list.status, 200, "{}", by_list.body);
    assert_eq!(previewed_skus(&by_list), vec!["ALPHA-1", "MIN-1"]);
    assert_eq!(
        by_list.texts(".not-found code"),
        vec!["NOPE-9", "OLD-1", "BETA-1"],
        "archived and other customers' SKUs are not found"
    );
    let set = preview_and_apply(
        &mut browser,
        &fields(
            "skus",
            "MIN-1 BETA-1 OLD-1",
            "add",
            "1.00",
            "retail",
            "cent",
        ),
    )
    .await;
    assert!(!set.is_empty());
    assert_eq!(prices(&app, "MIN-1").await, "4.00 9.00");
    assert_eq!(
        prices(&app, "OLD-1").await,
        "1.00 2.00",
        "archived: unchanged"
    );
    assert_eq!(prices(&app, "BETA-1").await, "11.00 19.50", "B unchanged");
}

#[actix_web::test]
async fn each_operation_and_rounding_is_stored_exactly() {
    let Setup { app, t } = setup().await;
    for (sku, w, r) in [
        ("OP-LOWER", "10.00", "20.00"),
        ("OP-ADD", "10.00", "20.00"),
        ("OP-SUB", "10.00", "20.00"),
        ("OP-SET", "10.00", "20.00"),
        ("OP-MARKUP", "10.00", "20.00"),
        ("OP-RAISE", "10.00", "20.05"),
    ] {
        app.product(t.a, sku, "Ops", w, r).await;
    }
    let mut browser = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let cases = [
        (
            "OP-LOWER",
            "lower",
            "2.5",
            "wholesale",
            "cent",
            "9.75 20.00",
        ),
        ("OP-ADD", "add", "1.50", "both", "cent", "11.50 21.50"),
        ("OP-SUB", "subtract", "0.5", "retail", "95", "10.00 19.95"),
        ("OP-SET", "set", "12", "retail", "99", "10.00 11.99"),
        ("OP-MARKUP", "markup", "1.8", "retail", "95", "10.00 17.95"),
        // 20.05 × 1.1 = 22.055: half up to 22.06.
        ("OP-RAISE", "raise", "10%", "retail", "cent", "10.00 22.06"),
    ];
    for (sku, operation, amount, target, rounding, expected) in cases {
        preview_and_apply(
            &mut browser,
            &fields("skus", sku, operation, amount, target, rounding),
        )
        .await;
        assert_eq!(prices(&app, sku).await, expected, "{operation} {amount}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM thorne.change_sets WHERE kind = 'bulk'"
        )
        .await,
        6
    );
}

#[actix_web::test]
async fn bad_inputs_answer_4xx_and_write_nothing() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let before = snapshot(&app).await;

    let mut no_name = fields("category", "Vitamins", "raise", "10", "retail", "cent");
    no_name.retain(|(k, _)| *k != "name");
    no_name.push(("name", "  "));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (no_name, "#name-error"),
        (
            fields("category", "Vitamins", "raise", "1e3", "retail", "cent"),
            "#amount-error",
        ),
        (
            fields("category", "Vitamins", "raise", "NaN", "retail", "cent"),
            "#amount-error",
        ),
        (
            fields("category", "Vitamins", "lower", "-5", "retail", "cent"),
            "#amount-error",
        ),
        (
            fields("category", "Vitamins", "add", "1.005", "retail", "cent"),
            "#amount-error",
        ),
        (
            fields("category", "Vitamins", "markup", "-5", "retail", "cent"),
            "#amount-error",
        ),
        (
            fields("category", "Vitamins", "double", "10", "retail", "cent"),
            "#operation-error",
        ),
        (
            fields("skus", " ,\n ", "raise", "10", "retail", "cent"),
            "#selection-error",
        ),
        (
            fields("category", "", "raise", "10", "retail", "cent"),
            "#selection-error",
        ),
        (
            fields("anything", "x", "raise", "10", "retail", "cent"),
            "#selection-error",
        ),
        (
            fields("category", "Vitamins", "markup", "1.8", "both", "cent"),
            "#target-error",
        ),
        (
            fields("category", "Vitamins", "raise", "10", "retail", "90"),
            "#rounding-error",
        ),
    ];
    for (form, error) in &cases {
        for path in [PREVIEW, APPLY] {
            let mut with_fingerprint = form.clone();
            let fingerprint = "0".repeat(64);
            with_fingerprint.push(("fingerprint", &fingerprint));
            let res = browser.post(FORM, path, &with_fingerprint).await;
            assert_eq!(res.status, 422, "{path} {form:?}: {}", res.body);
            assert_eq!(res.texts(error).len(), 1, "{error} shown for {form:?}");
            assert!(res.texts("form.apply").is_empty(), "no apply form");
        }
    }

    let negative = preview(
        &mut browser,
        &fields(
            "category", "Vitamins", "subtract", "10.00", "retail", "cent",
        ),
    )
    .await;
    assert_eq!(negative.status, 422, "{}", negative.body);
    assert_eq!(negative.texts(".price-errors code"), vec!["VIT-2"]);
    assert!(negative.texts("form.apply").is_empty(), "no apply form");
    // Applying it anyway, with the fingerprint of what the catalog gives: refused all the same.
    let change = BulkChange {
        selection: Selection::Category("Vitamins".into()),
        operation: Operation::Subtract("10.00".parse().unwrap()),
        target: Target::Retail,
        rounding: Rounding::Cent,
    };
    let plan = app
        .in_scope(t.a, move |conn, scope| {
            let change = change.clone();
            async move { bulk::plan(conn, scope, &change).await }.scope_boxed()
        })
        .await;
    assert_eq!(plan.errors.len(), 1);
    let mut forced = fields(
        "category", "Vitamins", "subtract", "10.00", "retail", "cent",
    );
    forced.push(("fingerprint", plan.fingerprint.as_str()));
    let refused = browser.post(FORM, APPLY, &forced).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.texts(".price-errors code"), vec!["VIT-2"]);

    let ok_preview = preview(
        &mut browser,
        &fields("skus", "ALPHA-1", "subtract", "10.00", "retail", "cent"),
    )
    .await;
    assert_eq!(ok_preview.status, 200);
    let mut bad_fingerprint = apply_fields(&ok_preview, false);
    for (name, value) in bad_fingerprint.iter_mut() {
        if name == "fingerprint" {
            *value = "not-a-fingerprint".into();
        }
    }
    let pairs: Vec<(&str, &str)> = bad_fingerprint
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(browser.post_raw(APPLY, &pairs).await.status, 400);
    let no_csrf = browser
        .post_raw(
            APPLY,
            &fields("skus", "ALPHA-1", "raise", "10", "retail", "cent"),
        )
        .await;
    assert_eq!(no_csrf.status, 403);

    assert_eq!(snapshot(&app).await, before, "nothing was written");
}

#[actix_web::test]
async fn a_negative_margin_needs_confirmation() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let page = preview(
        &mut browser,
        &fields("skus", "ALPHA-1 MIN-1", "set", "5", "retail", "cent"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.texts("tr.negative-margin td.sku"), vec!["ALPHA-1"]);
    assert_eq!(page.texts(".negative-margins").len(), 1);
    assert!(
        page.attr("form.apply input[name=confirm_negative]", "required")
            .is_some()
    );
    let before = snapshot(&app).await;
    let unconfirmed = apply_from(&mut browser, &page, false).await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
    assert!(unconfirmed.body.contains("below their wholesale price"));
    assert_eq!(snapshot(&app).await, before, "nothing changed");

    let confirmed = apply_from(&mut browser, &page, true).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert_eq!(prices(&app, "ALPHA-1").await, "10.00 5.00");
    assert_eq!(prices(&app, "MIN-1").await, "4.00 5.00");
}

#[actix_web::test]
async fn revert_restores_every_price_once() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let set = preview_and_apply(
        &mut browser,
        &fields("category", "Vitamins", "add", "1.25", "both", "99"),
    )
    .await;
    assert_eq!(prices(&app, "ALPHA-1").await, "10.99 18.99");
    assert_eq!(prices(&app, "VIT-2").await, "5.99 10.99");

    let show = format!("/admin/products/change-sets/{set}");
    let revert = format!("{show}/revert");
    let res = browser.post(&show, &revert, &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    assert_ne!(location, show, "to the new revert set");
    assert_eq!(prices(&app, "ALPHA-1").await, "10.00 18.00");
    assert_eq!(prices(&app, "VIT-2").await, "5.00 9.99");
    let revert_page = browser.get(&location).await;
    assert_eq!(revert_page.status, 200);
    assert_eq!(revert_page.texts("span.kind"), vec!["Revert"]);
    assert_eq!(
        revert_page.texts("td.retail"),
        vec!["$18.99 → $18.00", "$10.99 → $9.99"]
    );
    let list = browser.get("/admin/products/change-sets").await;
    assert_eq!(list.texts("td.kind"), vec!["Revert", "Bulk change"]);
    assert!(list.texts("td.reverted")[1].starts_with("reverted"));

    let before = snapshot(&app).await;
    let again = browser.post(&show, &revert, &[]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("already reverted"), "{}", again.body);
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[actix_web::test]
async fn revert_after_a_later_edit_lists_the_product_and_changes_nothing() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let set = preview_and_apply(
        &mut browser,
        &fields("category", "Vitamins", "raise", "10", "retail", "cent"),
    )
    .await;
    let vit = product(&app, t.a, "VIT-2").await;
    save_retail(&app, t.a, vit.clone(), "12.00").await.unwrap();
    let before = snapshot(&app).await;
    let show = format!("/admin/products/change-sets/{set}");
    let res = browser.post(&show, &format!("{show}/revert"), &[]).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(res.texts(".revert-conflicts code"), vec!["VIT-2"]);
    assert!(
        res.body
            .contains(&format!("href=\"/admin/products/{}\"", vit.id))
    );
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert_eq!(prices(&app, "ALPHA-1").await, "10.00 19.80");
}

#[actix_web::test]
async fn a_catalog_changed_since_the_preview_is_a_conflict_with_the_fresh_preview() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let page = preview(
        &mut browser,
        &fields("category", "Vitamins", "raise", "10", "retail", "cent"),
    )
    .await;
    assert_eq!(page.status, 200);
    let vit = product(&app, t.a, "VIT-2").await;
    save_retail(&app, t.a, vit, "20.00").await.unwrap();
    let before = snapshot(&app).await;
    let res = apply_from(&mut browser, &page, false).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("the catalog changed since the preview"));
    assert_eq!(res.texts("td.new-retail"), vec!["$19.80", "$22.00"]);
    assert_eq!(snapshot(&app).await, before, "nothing applied");
    assert_ne!(
        res.attr("form.apply input[name=fingerprint]", "value"),
        page.attr("form.apply input[name=fingerprint]", "value")
    );

    // A product added to the selection also changes the plan.
    let fresh = res;
    app.product(t.a, "VIT-3", "Vitamins", "1.00", "2.00").await;
    let res = apply_from(&mut browser, &fresh, false).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(previewed_skus(&res), vec!["ALPHA-1", "VIT-2", "VIT-3"]);

    let applied = apply_from(&mut browser, &res, false).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    assert_eq!(prices(&app, "VIT-2").await, "5.00 22.00");
    assert_eq!(prices(&app, "VIT-3").await, "1.00 2.20");
}

/// The two serial outcomes for ALPHA-1 (10.00/18.00): the bulk raise by 10% (19.80), or the
/// single save (25.00).
const BULK_ONLY: &str = "10.00 19.80";
const SAVE_ONLY: &str = "10.00 25.00";

#[actix_web::test]
async fn a_bulk_apply_and_a_concurrent_single_save_never_lose_an_update() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let page = preview(
        &mut browser,
        &fields("skus", "ALPHA-1", "raise", "10", "retail", "cent"),
    )
    .await;
    let read_before = product(&app, t.a, "ALPHA-1").await;
    let (bulk, single) = tokio::join!(
        apply_from(&mut browser, &page, false),
        save_retail(&app, t.a, read_before, "25.00")
    );
    let final_prices = prices(&app, "ALPHA-1").await;
    let history = text(
        &app,
        "SELECT string_agg(c.new_retail_price::text, ',' ORDER BY c.changed_at) AS s \
         FROM thorne.price_changes c JOIN thorne.products p ON (p.customer_id, p.id) = (c.customer_id, c.product_id) \
         WHERE p.sku = 'ALPHA-1'",
    )
    .await;
    match (bulk.status, &single) {
        (303, Err(AppError::Conflict(_))) => {
            assert_eq!(final_prices, BULK_ONLY);
            assert_eq!(history, "19.80");
        }
        (409, Ok(_)) => {
            assert_eq!(final_prices, SAVE_ONLY);
            assert_eq!(history, "25.00");
        }
        other => panic!("exactly one succeeds: {:?} {:?}", other.0, other.1),
    }
}

#[actix_web::test]
async fn a_bulk_apply_then_a_stale_single_save_conflicts() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let read_before = product(&app, t.a, "ALPHA-1").await;
    preview_and_apply(
        &mut browser,
        &fields("skus", "ALPHA-1", "raise", "10", "retail", "cent"),
    )
    .await;
    let single = save_retail(&app, t.a, read_before, "25.00").await;
    assert!(matches!(single, Err(AppError::Conflict(_))), "{single:?}");
    assert_eq!(prices(&app, "ALPHA-1").await, BULK_ONLY);
}

#[actix_web::test]
async fn a_single_save_then_the_bulk_apply_conflicts() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let page = preview(
        &mut browser,
        &fields("skus", "ALPHA-1", "raise", "10", "retail", "cent"),
    )
    .await;
    let read_before = product(&app, t.a, "ALPHA-1").await;
    save_retail(&app, t.a, read_before, "25.00").await.unwrap();
    let bulk = apply_from(&mut browser, &page, false).await;
    assert_eq!(bulk.status, 409, "{}", bulk.body);
    assert_eq!(prices(&app, "ALPHA-1").await, SAVE_ONLY);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM thorne.change_sets WHERE kind = 'bulk'"
        )
        .await,
        0
    );
}

#[actix_web::test]
async fn a_large_preview_lists_the_first_500_rows() {
    let Setup { app, t } = setup().await;
    let new: Vec<NewProduct> = (0..10_000)
        .map(|i| NewProduct {
            sku: format!("BULK-{i:05}"),
            name: format!("Bulk product {i}"),
            description: String::new(),
            category: "Bulk".into(),
            wholesale_price: "1.00".parse().unwrap(),
            retail_price: "2.00".parse().unwrap(),
            in_stock: true,
        })
        .collect();
    app.products(t.a, new).await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let started = std::time::Instant::now();
    let page = preview(
        &mut browser,
        &fields("category", "Bulk", "raise", "10", "retail", "cent"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(page.texts(".changed-count"), vec!["10000"]);
    assert_eq!(previewed_skus(&page).len(), 500);
    assert!(page.texts(".more-rows")[0].contains("9500 more"));
    let applied = apply_from(&mut browser, &page, false).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM thorne.products WHERE sku LIKE 'BULK-%' AND retail_price = 2.20"
        )
        .await,
        10_000
    );
}

#[actix_web::test]
async fn pricing_staff_of_a_never_reach_b() {
    let Setup { app, t } = setup().await;
    let mut beta = signed_in(&app, "beta.test", "pricing@beta.test").await;
    let b_set = preview_and_apply(
        &mut beta,
        &fields("category", "Minerals", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert_eq!(prices(&app, "BETA-1").await, "11.00 20.50");
    let mut alpha = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let before = snapshot(&app).await;

    let minerals = preview(
        &mut alpha,
        &fields("category", "Minerals", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert_eq!(previewed_skus(&minerals), vec!["MIN-1"]);
    let search = preview(
        &mut alpha,
        &fields("search", "beta", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert!(previewed_skus(&search).is_empty());
    let b_category = preview(
        &mut alpha,
        &fields("category", "Vitamins", "add", "1.00", "retail", "cent"),
    )
    .await;
    assert_eq!(previewed_skus(&b_category), vec!["ALPHA-1", "VIT-2"]);
    assert_eq!(snapshot(&app).await, before);

    let show = format!("/admin/products/change-sets/{b_set}");
    assert_eq!(alpha.get(&show).await.status, 404);
    let revert = alpha.post(FORM, &format!("{show}/revert"), &[]).await;
    assert_eq!(revert.status, 404);
    assert_eq!(
        alpha
            .get("/admin/products/change-sets/not-a-uuid")
            .await
            .status,
        404
    );
    assert_eq!(
        alpha
            .post(FORM, "/admin/products/change-sets/not-a-uuid/revert", &[])
            .await
            .status,
        404
    );
    let list = alpha.get("/admin/products/change-sets").await;
    assert!(list.texts("td a").is_empty(), "B's sets are not listed");
    assert_eq!(snapshot(&app).await, before, "B unchanged");

    preview_and_apply(
        &mut alpha,
        &fields("skus", "BETA-1 BETA-2 MIN-1", "add", "1.00", "both", "cent"),
    )
    .await;
    assert_eq!(prices(&app, "BETA-1").await, "11.00 20.50");
    assert_eq!(prices(&app, "BETA-2").await, "3.00 6.00");
    assert_eq!(prices(&app, "MIN-1").await, "5.00 9.00");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM thorne.price_changes WHERE customer_id = '{}'",
                t.b.as_uuid()
            )
        )
        .await,
        1
    );
}

#[actix_web::test]
async fn editors_are_refused_on_every_route() {
    let Setup { app, .. } = setup().await;
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let set = preview_and_apply(
        &mut owner,
        &fields("skus", "ALPHA-1", "add", "1.00", "retail", "cent"),
    )
    .await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let before = snapshot(&app).await;
    let show = format!("/admin/products/change-sets/{set}");
    for path in [FORM, "/admin/products/change-sets", show.as_str()] {
        assert_eq!(editor.get(path).await.status, 403, "{path}");
    }
    let form = fields("skus", "ALPHA-1", "add", "1.00", "retail", "cent");
    for path in [PREVIEW, APPLY] {
        assert_eq!(
            editor.post("/admin", path, &form).await.status,
            403,
            "{path}"
        );
    }
    let revert = editor.post("/admin", &format!("{show}/revert"), &[]).await;
    assert_eq!(revert.status, 403);
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[actix_web::test]
async fn the_change_sets_list_pages_back_as_well_as_forward() {
    let Setup { app, t } = setup().await;
    // 120 sets of customer A, two at each minute (a page boundary falls between equal times),
    // and some of customer B that never show.
    let mut conn = app.db.owner_conn().await;
    for (customer, count) in [(t.a, 120), (t.b, 30)] {
        conn.batch_execute(&format!(
            "INSERT INTO thorne.change_sets (customer_id, id, name, kind, created_by_label, \
             created_at) SELECT '{customer}', gen_random_uuid(), 'set-' || lpad(n::text, 3, '0'), \
             'bulk', 'pricing@alpha.test', timestamptz '2024-03-01 00:00:00+00' \
             + (n / 2) * interval '1 minute' FROM generate_series(1, {count}) AS n"
        ))
        .await
        .unwrap();
    }
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let pages = walk_forward_and_back(
        &mut browser,
        "/admin/products/change-sets",
        "tbody tr td:first-child",
        &["/admin/products/change-sets?"],
    )
    .await;
    assert_eq!(pages.each_ref().map(Vec::len), [50, 50, 20]);
    // Newest first across the pages (sets of the same minute in either order), each set once.
    let names: Vec<String> = pages.concat();
    let minutes: Vec<u32> = names
        .iter()
        .map(|n| n[4..].parse::<u32>().unwrap() / 2)
        .collect();
    assert!(minutes.windows(2).all(|w| w[0] >= w[1]), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    let expected: Vec<String> = (1..=120).map(|n| format!("set-{n:03}")).collect();
    assert_eq!(sorted, expected);

    for path in [
        "/admin/products/change-sets?after=garbage",
        "/admin/products/change-sets?before=garbage",
    ] {
        assert_eq!(browser.get(path).await.status, 400, "{path}");
    }
}

#[actix_web::test]
async fn control_characters_are_refused_before_any_preview() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let before = snapshot(&app).await;
    let fingerprint = "0".repeat(64);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            fields("skus", "ALPHA-1\nVIT-2\0", "raise", "10", "retail", "cent"),
            "skus",
        ),
        (
            fields("search", "ALPHA\0", "raise", "10", "retail", "cent"),
            "search",
        ),
        (
            fields("category", "Vitamins\0", "raise", "10", "retail", "cent"),
            "category",
        ),
        (
            fields("category", "Vitamins", "raise", "10\u{7}", "retail", "cent"),
            "amount",
        ),
        (
            {
                let mut form = fields("category", "Vitamins", "raise", "10", "retail", "cent");
                form.retain(|(k, _)| *k != "name");
                form.push(("name", "Spring\0prices"));
                form
            },
            "name",
        ),
        (
            {
                let mut form = fields("category", "Vitamins", "raise", "10", "retail", "cent");
                form.retain(|(k, _)| *k != "reason");
                form.push(("reason", "\u{1b}[2J"));
                form
            },
            "reason",
        ),
    ];
    for (form, field) in &cases {
        for path in [PREVIEW, APPLY] {
            let mut form = form.clone();
            form.push(("fingerprint", &fingerprint));
            form.push(("confirm_negative", "yes"));
            let res = browser.post(FORM, path, &form).await;
            assert_control_character_refused(
                &res,
                &format!("The form field \"{field}\""),
                &format!("{path} {field}"),
            );
            assert!(res.texts("form.apply").is_empty(), "no apply form");
        }
    }
    // A name is one line: a line break is refused next to the field.
    let mut two_lines = fields("category", "Vitamins", "raise", "10", "retail", "cent");
    two_lines.retain(|(k, _)| *k != "name");
    two_lines.push(("name", "Spring\nprices"));
    let res = preview(&mut browser, &two_lines).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.texts("#name-error").len(), 1, "{}", res.body);
    assert_eq!(snapshot(&app).await, before, "nothing was written");
}
