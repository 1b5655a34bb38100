//! Tests of the CSV export and import of the products admin: the exported file exactly, the
//! export → import round trip, the dry run that writes nothing, applying as one revertible change
//! set, every kind of bad file (a clear 4xx and nothing changed), upload limits, applying twice,
//! roles, CSRF, tenant separation, and `agoat import products --dry-run`.

use agoat::tenancy::CustomerId;
use agoat::thorne::change_sets::{self, RevertOutcome};
use agoat::thorne::products::{self, Edit, NewProduct};
use scoped_futures::ScopedFutureExt;

use crate::common::{
    Browser, Response, TestApp, TwoTenants, actor, assert_control_character_refused, catalog_staff,
    signed_in, two_tenants,
};
use crate::common::{catalog_snapshot as catalog, sql_count as count, sql_text as text};

const PRICING: &str = "pricing@alpha.test";
const HEADER: &str = "sku,name,description,category,wholesale_price,retail_price,in_stock";
/// The export's header: the import's columns and the gallery.
const EXPORT_HEADER: &str =
    "sku,name,description,category,wholesale_price,retail_price,in_stock,images";
const BOUNDARY: &str = "----agoat-test-boundary-7MA4YWxkTrZu0gW";

/// The catalog plus the uploads and the audit log: what a refused request must not change.
async fn everything(app: &TestApp) -> String {
    format!(
        "{}#{}#{}",
        catalog(app).await,
        text(
            app,
            "SELECT coalesce((SELECT string_agg(concat_ws('|', id, applied_at, change_set_id, \
             version), ',' ORDER BY id) FROM thorne.csv_uploads), '') AS s"
        )
        .await,
        count(
            app,
            "SELECT count(*) FROM audit.events WHERE entity <> 'sign_in'"
        )
        .await
    )
}

async fn uploads(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) FROM thorne.csv_uploads").await
}

async fn product_field(app: &TestApp, customer: CustomerId, sku: &str, column: &str) -> String {
    text(
        app,
        &format!(
            "SELECT coalesce({column}::text, '') AS s FROM thorne.products \
             WHERE customer_id = '{customer}' AND sku = '{sku}'"
        ),
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

/// Adds products with exactly these fields.
fn new_product(sku: &str, name: &str, description: &str, retail: &str) -> NewProduct {
    NewProduct {
        sku: sku.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        category: "Vitamins".to_owned(),
        wholesale_price: "5.00".parse().unwrap(),
        retail_price: retail.parse().unwrap(),
        in_stock: true,
    }
}

async fn archive(app: &TestApp, customer: CustomerId, sku: &'static str) {
    app.in_scope(customer, move |conn, scope| {
        async move {
            let current = products::by_skus(conn, scope, &[sku.to_owned()]).await?;
            products::set_archived(conn, scope, &current[0], true, &actor()).await
        }
        .scope_boxed()
    })
    .await;
}

/// A multipart body: the CSRF token (when given) and then the file part (when given).
fn multipart_body(token: Option<&str>, file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(token) = token {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, content)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The CSRF token of the upload form, as a browser would read it.
async fn import_token(browser: &mut Browser<'_>) -> String {
    let page = browser.get("/admin/products/import").await;
    page.attr("input[name=csrf_token]", "value")
        .unwrap_or_else(|| panic!("no CSRF token on the import page: {}", page.status))
}

/// Posts a multipart body to the upload address as `browser`.
async fn post_multipart(browser: &mut Browser<'_>, body: Vec<u8>) -> Response {
    browser
        .post_multipart("/admin/products/import", BOUNDARY, body)
        .await
}

/// Uploads a file through the form, with the session's CSRF token.
pub(crate) async fn upload(browser: &mut Browser<'_>, name: &str, content: &[u8]) -> Response {
    let token = import_token(browser).await;
    post_multipart(browser, multipart_body(Some(&token), Some((name, content)))).await
}

/// The upload id a report's apply form posts to.
pub(crate) fn apply_path(report: &Response) -> String {
    report
        .attr("form[action$='/apply']", "action")
        .unwrap_or_else(|| panic!("no apply form on the report: {}", report.body))
}

pub(crate) fn counts(report: &Response) -> (String, String, String, String) {
    let one = |id: &str| report.texts(&format!("#count-{id}")).concat();
    (
        one("create"),
        one("update"),
        one("unchanged"),
        one("errors"),
    )
}

pub(crate) fn errors(report: &Response) -> Vec<String> {
    report.texts("ul.import-errors li")
}

pub(crate) async fn apply(
    browser: &mut Browser<'_>,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    browser.post("/admin/products/import", path, fields).await
}

// ------------------------------------------------------------------------------------------------
// Export

#[actix_web::test]
async fn the_export_is_the_import_format_exactly() {
    let Setup { app, t } = setup().await;
    app.products(
        t.a,
        vec![
            new_product(
                "ALPHA-2",
                "Grüner Tee – 緑茶",
                "Quoted \"words\", commas\nand a second line",
                "7.5",
            ),
            new_product("ALPHA-0", "Archived one", "", "3.00"),
        ],
    )
    .await;
    archive(&app, t.a, "ALPHA-0").await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;

    let res = browser.get("/admin/products/export.csv").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert_eq!(
        res.header("content-disposition"),
        Some(format!("attachment; filename=\"products-{today}.csv\"").as_str())
    );
    assert_eq!(
        res.body,
        format!(
            "{EXPORT_HEADER}\n\
             ALPHA-1,Product ALPHA-1,Description of ALPHA-1,Vitamins,10.00,18.00,true,\n\
             ALPHA-2,Grüner Tee – 緑茶,\"Quoted \"\"words\"\", commas\nand a second line\",Vitamins,5.00,7.50,true,\n"
        ),
        "active products by SKU, no archived one, none of the other customer's"
    );

    let res = browser
        .get("/admin/products/export.csv?archived=true")
        .await;
    assert_eq!(res.status, 200);
    let skus: Vec<&str> = res
        .body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|s| s.starts_with("ALPHA") || s.starts_with("BETA"))
        .collect();
    assert_eq!(skus, ["ALPHA-0", "ALPHA-1", "ALPHA-2"]);
    assert!(!res.body.contains("BETA"), "{}", res.body);

    let res = browser
        .get("/admin/products/export.csv?archived=maybe")
        .await;
    assert_eq!(res.status, 400, "a bad flag is a bad request");

    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit.events WHERE customer_id = '{}' AND entity = 'catalog' \
                 AND action = 'export'",
                t.a
            )
        )
        .await,
        2,
        "each export is audited"
    );
}

#[actix_web::test]
async fn the_export_defuses_formulas_and_importing_it_back_changes_nothing() {
    let Setup { app, t } = setup().await;
    app.products(
        t.a,
        vec![
            new_product("-LEAD", "=HYPERLINK(\"http://x\")", "+1 vitamins", "1.00"),
            new_product("F-2", "@home kit", "-5% off, \"today\"\r\nonly", "2.00"),
            new_product("F-3", "'=already quoted", "'plain quote", "3.00"),
            new_product("F-4", "\tTabbed", "Ünïcödé ✓ 緑茶", "4.00"),
        ],
    )
    .await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let export = browser.get("/admin/products/export.csv").await;
    assert_eq!(export.status, 200);
    for defused in [
        "'-LEAD,",
        "\"'=HYPERLINK(\"\"http://x\"\")\"",
        "'+1 vitamins",
        "'@home kit",
        "'-5% off",
        "''=already quoted",
        ",'plain quote,",
        "'\tTabbed",
    ] {
        assert!(
            export.body.contains(defused),
            "{defused:?} missing from {}",
            export.body
        );
    }

    let before = catalog(&app).await;
    let report = upload(&mut browser, "export.csv", export.body.as_bytes()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        counts(&report),
        ("0".into(), "0".into(), "5".into(), "0".into()),
        "the round trip is exact: {}",
        report.body
    );
    assert!(
        report.attr("form[action$='/apply']", "action").is_none(),
        "nothing to apply"
    );
    assert_eq!(catalog(&app).await, before);
}

// ------------------------------------------------------------------------------------------------
// Dry run and apply

#[actix_web::test]
async fn the_dry_run_reports_and_writes_nothing_then_apply_makes_one_revertible_change_set() {
    let Setup { app, t } = setup().await;
    app.products(t.a, vec![new_product("ALPHA-2", "Two", "Keep me", "9.00")])
        .await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let file = "sku,name,category,wholesale_price,retail_price\n\
                ALPHA-1,Product ALPHA-1,Vitamins,10.00,21.50\n\
                ALPHA-2,Two renamed,Vitamins,5.00,9.00\n\
                NEW-1,Brand new,Minerals,3.00,6.25\n";
    let before = catalog(&app).await;
    let audit_before = count(&app, "SELECT count(*) FROM audit.events").await;

    let report = upload(&mut browser, "prices.csv", file.as_bytes()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        counts(&report),
        ("1".into(), "2".into(), "0".into(), "0".into())
    );
    let changes = report.texts("table.import-updates tbody tr");
    assert!(
        changes[0].contains("ALPHA-1") && changes[0].contains("retail_price: 18.00 → 21.50"),
        "{changes:?}"
    );
    assert!(
        changes[1].contains("ALPHA-2") && changes[1].contains("name: Two → Two renamed"),
        "{changes:?}"
    );
    assert!(
        !changes[1].contains("description"),
        "a column not in the file is not changed: {changes:?}"
    );
    let creates = report.texts("table.import-creates tbody tr");
    assert!(
        creates[0].contains("NEW-1") && creates[0].contains("6.25"),
        "{creates:?}"
    );
    assert_eq!(
        report.attr("input[name=name]", "value").as_deref(),
        Some("Import of prices.csv")
    );
    assert_eq!(catalog(&app).await, before, "the dry run writes nothing");
    assert_eq!(uploads(&app).await, 1, "the upload is kept");
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit.events").await,
        audit_before + 1,
        "the upload is audited"
    );

    let path = apply_path(&report);
    let res = apply(
        &mut browser,
        &path,
        &[("name", "November prices"), ("reason", "Supplier list")],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    let set_id = location
        .strip_prefix("/admin/products/change-sets/")
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned();
    let flash = browser.get("/admin/products/import").await.texts(".flash");
    assert_eq!(
        flash,
        ["Imported “prices.csv”: 1 created, 2 updated, 0 unchanged."]
    );

    assert_eq!(
        product_field(&app, t.a, "ALPHA-1", "retail_price").await,
        "21.50"
    );
    assert_eq!(
        product_field(&app, t.a, "ALPHA-2", "description").await,
        "Keep me",
        "only the columns present are updated"
    );
    assert_eq!(
        product_field(&app, t.a, "ALPHA-2", "name").await,
        "Two renamed"
    );
    assert_eq!(
        product_field(&app, t.a, "ALPHA-1", "description").await,
        "Description of ALPHA-1"
    );
    assert_eq!(
        product_field(&app, t.a, "NEW-1", "category").await,
        "Minerals"
    );
    assert_eq!(product_field(&app, t.a, "NEW-1", "in_stock").await, "true");
    assert_eq!(
        text(
            &app,
            "SELECT string_agg(concat_ws('|', id, name, kind), ',') AS s FROM thorne.change_sets"
        )
        .await,
        format!("{set_id}|November prices|import"),
        "one change set"
    );
    assert_eq!(
        text(
            &app,
            "SELECT string_agg(reason || '|' || change_set_id, ',') AS s FROM thorne.price_changes"
        )
        .await,
        format!("Supplier list|{set_id}"),
        "one price change, in the set"
    );
    assert_eq!(
        text(
            &app,
            "SELECT concat_ws('|', applied_at IS NOT NULL, change_set_id, file_name) AS s \
             FROM thorne.csv_uploads"
        )
        .await,
        format!("t|{set_id}|prices.csv")
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'csv_upload' AND action = 'apply'"
        )
        .await,
        1
    );

    let set = uuid::Uuid::parse_str(&set_id).unwrap();
    let outcome = app
        .in_scope(t.a, move |conn, scope| {
            async move { change_sets::revert(conn, scope, set, &actor()).await }.scope_boxed()
        })
        .await;
    assert!(matches!(
        outcome,
        RevertOutcome::Reverted { products: 1, .. }
    ));
    assert_eq!(
        product_field(&app, t.a, "ALPHA-1", "retail_price").await,
        "18.00"
    );
}

#[actix_web::test]
async fn applying_twice_is_a_conflict_and_changes_nothing() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let report = upload(&mut browser, "p.csv", b"sku,retail_price\nALPHA-1,19.00\n").await;
    let path = apply_path(&report);
    let before = everything(&app).await;
    let long = "n".repeat(201);
    let res = apply(&mut browser, &path, &[("name", &long)]).await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        res.texts("#name-error"),
        ["The name is too long: at most 200 characters."]
    );
    assert_eq!(
        res.attr("input[name=name]", "value").as_deref(),
        Some(long.as_str()),
        "what was typed is kept"
    );
    assert_eq!(everything(&app).await, before);

    let res = apply(&mut browser, &path, &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let after_first = everything(&app).await;
    assert_eq!(
        product_field(&app, t.a, "ALPHA-1", "retail_price").await,
        "19.00"
    );

    let res = apply(&mut browser, &path, &[]).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("already applied"), "{}", res.body);
    assert_eq!(everything(&app).await, after_first);
}

#[actix_web::test]
async fn a_product_changed_after_the_dry_run_is_planned_again_and_the_flash_says_so() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let report = upload(&mut browser, "p.csv", b"sku,retail_price\nALPHA-1,25.00\n").await;
    assert_eq!(counts(&report).1, "1");
    // Someone sets the same price meanwhile: the import now changes nothing for that product.
    app.in_scope(t.a, |conn, scope| {
        async move {
            let current = products::by_skus(conn, scope, &["ALPHA-1".to_owned()]).await?;
            let mut changed = current[0].clone();
            changed.retail_price = "25.00".parse().unwrap();
            let set =
                change_sets::open(conn, scope, change_sets::Kind::Edit, "edit", &actor()).await?;
            let edit = Edit {
                action: "update",
                change_set: Some(set.id),
                reason: "edit",
            };
            products::save(conn, scope, &current[0], &changed, edit, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    // The form sends what the dry run counted, as a browser would.
    let planned_created = report.attr("input[name=planned_created]", "value").unwrap();
    let planned_updated = report.attr("input[name=planned_updated]", "value").unwrap();
    let res = apply(
        &mut browser,
        &apply_path(&report),
        &[
            ("planned_created", &planned_created),
            ("planned_updated", &planned_updated),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/products"));
    let flash = browser.get("/admin/products/import").await.texts(".flash");
    assert_eq!(flash.len(), 1);
    assert!(flash[0].starts_with("Nothing to change"), "{flash:?}");
    assert!(
        flash[0].contains("changed since the dry run, which counted 0 to create and 1 to update"),
        "{flash:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM thorne.csv_uploads WHERE applied_at IS NOT NULL"
        )
        .await,
        1
    );
}

// ------------------------------------------------------------------------------------------------
// Bad files

#[actix_web::test]
async fn bad_rows_are_reported_by_line_and_column_and_nothing_is_applied() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let file = format!(
        "{HEADER}\n\
         OK-1,Fine,,Vitamins,1.00,2.00,true\n\
         OK-2,Bad price,,Vitamins,1.00,12,50,true\n\
         BAD SKU,Bad SKU,,Vitamins,1.00,2.00,true\n\
         OK-3,Bad stock,,Vitamins,1.00,2.00,maybe\n\
         OK-4,Bad money,,Vitamins,1e3,2.00,true\n\
         OK-1,Duplicate,,Vitamins,1.00,2.00,true\n"
    );
    let before = catalog(&app).await;
    let report = upload(&mut browser, "bad.csv", file.as_bytes()).await;
    assert_eq!(report.status, 422, "{}", report.body);
    assert_eq!(
        errors(&report),
        [
            "line 3, column 8: expected 7 fields, found 8",
            "line 4, column sku: use letters, digits, '-', '_' and '.' only",
            "line 5, column in_stock: use true or false",
            "line 6, column wholesale_price: use digits with an optional dot and at most two decimals, e.g. 12.50",
            "line 7, column sku: SKU OK-1 is already on line 2",
        ]
    );
    assert!(
        report.attr("form[action$='/apply']", "action").is_none(),
        "no apply button with errors"
    );
    assert_eq!(catalog(&app).await, before);

    // Posting the apply anyway is refused with the report, and changes nothing.
    let id = text(&app, "SELECT id::text AS s FROM thorne.csv_uploads").await;
    let snapshot = everything(&app).await;
    let res = apply(
        &mut browser,
        &format!("/admin/products/import/{id}/apply"),
        &[],
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(errors(&res).len(), 5);
    assert_eq!(everything(&app).await, snapshot);
}

#[actix_web::test]
async fn every_kind_of_bad_file_gets_its_own_clear_error() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let cases: [(&str, &str); 4] = [
        (
            "name,retail_price\nX,1.00\n",
            "line 1, column sku: the sku column is required",
        ),
        (
            "sku,colour\nALPHA-1,red\n",
            "line 1, column 2: unknown column \"colour\" (expected sku,name,description,category,wholesale_price,retail_price,in_stock,images)",
        ),
        (
            "sku,retail_price\nNEW-9,3.00\n",
            "line 2, column name: required for a new product",
        ),
        (
            "sku,retail_price,retail_price\nALPHA-1,3.00,4.00\n",
            "line 1, column retail_price: the column appears twice",
        ),
    ];
    for (file, expected) in cases {
        let before = catalog(&app).await;
        let report = upload(&mut browser, "bad.csv", file.as_bytes()).await;
        assert_eq!(report.status, 422, "{file:?}: {}", report.body);
        assert!(
            errors(&report).iter().any(|e| e == expected),
            "{file:?}: {:?}",
            errors(&report)
        );
        assert!(report.attr("form[action$='/apply']", "action").is_none());
        assert_eq!(catalog(&app).await, before);
    }
    // A new SKU lacks every required column it does not have.
    let report = upload(&mut browser, "new.csv", b"sku,retail_price\nNEW-9,3.00\n").await;
    assert_eq!(
        errors(&report),
        [
            "line 2, column name: required for a new product",
            "line 2, column category: required for a new product",
            "line 2, column wholesale_price: required for a new product",
        ]
    );
}

#[actix_web::test]
async fn control_characters_in_a_cell_are_reported_by_the_dry_run_and_nothing_is_applied() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let file = format!(
        "{HEADER}\n\
         NEW-1,Na\0me,,Vitamins,1.00,2.00,true\n\
         ALPHA-1,Product ALPHA-1,\"Tabs\tand\r\nline breaks are fine\",Vitamins,10.00,18.00,true\n\
         NEW-2,Name,Bell\u{7},Vita\u{1b}[2Jmins,1.00,2.00,true\n\
         NEW-3,\"Two\nlines\",,Vitamins,1.00,2.00,true\n"
    );
    let before = catalog(&app).await;
    let report = upload(&mut browser, "control.csv", file.as_bytes()).await;
    assert_eq!(report.status, 422, "{}", report.body);
    assert_eq!(
        errors(&report),
        [
            "line 2, column name: contains a control character (U+0000)",
            "line 5, column description: contains a control character (U+0007)",
            "line 5, column category: contains a control character (U+001B)",
            "line 6, column name: contains a control character (U+000A)",
        ]
    );
    assert!(
        report.attr("form[action$='/apply']", "action").is_none(),
        "no apply button with errors"
    );
    assert_eq!(catalog(&app).await, before, "the dry run writes nothing");

    // Applying it anyway is refused with the report (422), and changes nothing.
    let id = text(&app, "SELECT id::text AS s FROM thorne.csv_uploads").await;
    let path = format!("/admin/products/import/{id}/apply");
    let snapshot = everything(&app).await;
    let res = apply(&mut browser, &path, &[]).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(errors(&res).len(), 4);
    assert_eq!(everything(&app).await, snapshot);

    // A good file whose apply form names the change set with a NUL: refused, naming the field.
    let good = format!("{HEADER}\nNEW-9,Fine,,Vitamins,1.00,2.00,true\n");
    let report = upload(&mut browser, "good.csv", good.as_bytes()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let snapshot = everything(&app).await;
    for (field, value) in [("name", "Spring\0prices"), ("reason", "\u{1b}[2J")] {
        let res = apply(&mut browser, &apply_path(&report), &[(field, value)]).await;
        assert_control_character_refused(&res, &format!("The form field \"{field}\""), field);
    }
    let res = apply(
        &mut browser,
        &apply_path(&report),
        &[("name", "Two\nlines")],
    )
    .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.body.contains("line breaks"), "{}", res.body);
    assert_eq!(everything(&app).await, snapshot);

    // Nor may the file's name hold one: it is stored and shown.
    for (name, message) in [
        ("bad\u{1b}[2J.csv", "could not be read"),
        (
            "bad\u{85}.csv",
            "The file name contains a control character (U+0085)",
        ),
    ] {
        let res = upload(&mut browser, name, good.as_bytes()).await;
        assert_eq!(res.status, 400, "{}", res.body);
        let error = res.texts(".form-error").concat();
        assert!(error.contains(message), "{name:?}: {error}");
    }
    assert_eq!(everything(&app).await, snapshot, "nothing stored");
}

#[actix_web::test]
async fn a_byte_order_mark_and_crlf_lines_are_fine() {
    let Setup { app, t } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let file = format!("\u{feff}{HEADER}\r\nBOM-1,Named,,Vitamins,1.00,2.00,false\r\n");
    let report = upload(&mut browser, "bom.csv", file.as_bytes()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(counts(&report).0, "1");
    let res = apply(&mut browser, &apply_path(&report), &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(product_field(&app, t.a, "BOM-1", "in_stock").await, "false");
}

#[actix_web::test]
async fn empty_files_other_encodings_and_missing_files_are_refused_before_anything_is_stored() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let before = everything(&app).await;
    let latin1: &[u8] = b"sku,name\nX-1,Caf\xe9\n";
    let cases: [(&[u8], &str); 4] = [
        (b"", "The file is empty"),
        (b"\xEF\xBB\xBF\r\n", "The file is empty"),
        (latin1, "not UTF-8"),
        (b"\xff\xfes\x00k\x00u\x00", "not UTF-8"),
    ];
    for (content, message) in cases {
        let res = upload(&mut browser, "x.csv", content).await;
        assert_eq!(res.status, 400, "{content:?}: {}", res.body);
        assert!(
            res.texts(".form-error").concat().contains(message),
            "{content:?}: {}",
            res.body
        );
        assert!(
            res.attr("input[type=file]", "name").is_some(),
            "the form again"
        );
    }
    let token = import_token(&mut browser).await;
    let res = post_multipart(&mut browser, multipart_body(Some(&token), None)).await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("Choose a CSV file"), "{}", res.body);
    assert_eq!(everything(&app).await, before);
}

#[actix_web::test]
async fn a_file_over_the_limit_is_a_413_and_nothing_is_stored() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let limit = agoat::config::DEFAULT_MAX_UPLOAD_BYTES;
    assert_eq!(app.state.max_upload_bytes, limit);
    let mut content = format!("{HEADER}\n").into_bytes();
    content.resize(limit + 1, b'\n');
    let before = everything(&app).await;
    let res = upload(&mut browser, "huge.csv", &content).await;
    assert_eq!(res.status, 413, "{}", &res.body[..res.body.len().min(500)]);
    assert!(
        res.texts(".form-error")
            .concat()
            .contains("too large: at most 10.0 MiB"),
        "{}",
        res.body
    );
    assert_eq!(uploads(&app).await, 0);
    assert_eq!(everything(&app).await, before);

    // Exactly at the limit is accepted.
    content.truncate(limit);
    let res = upload(&mut browser, "big.csv", &content).await;
    assert_eq!(res.status, 200, "{}", &res.body[..res.body.len().min(500)]);
    assert_eq!(uploads(&app).await, 1);
}

// ------------------------------------------------------------------------------------------------
// Roles, CSRF and tenants

#[actix_web::test]
async fn editors_are_refused_on_every_route_and_owners_may_import() {
    let Setup { app, .. } = setup().await;
    let mut pricing = signed_in(&app, "alpha.test", PRICING).await;
    let report = upload(&mut pricing, "p.csv", b"sku,retail_price\nALPHA-1,19.00\n").await;
    let path = apply_path(&report);
    let before = everything(&app).await;

    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    assert_eq!(editor.get("/admin/products/export.csv").await.status, 403);
    assert_eq!(editor.get("/admin/products/import").await.status, 403);
    let token = {
        let page = editor.get("/admin/posts").await;
        page.attr("input[name=csrf_token]", "value").unwrap()
    };
    let res = post_multipart(
        &mut editor,
        multipart_body(
            Some(&token),
            Some(("p.csv", b"sku,retail_price\nALPHA-1,1.00\n")),
        ),
    )
    .await;
    assert_eq!(res.status, 403);
    let res = editor.post("/admin/posts", &path, &[]).await;
    assert_eq!(res.status, 403);
    assert_eq!(everything(&app).await, before);

    let mut anonymous = app.browser("alpha.test");
    let res = anonymous.get("/admin/products/export.csv").await;
    assert_eq!(res.status, 303, "to the sign-in page");

    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    assert_eq!(owner.get("/admin/products/export.csv").await.status, 200);
    let res = apply(&mut owner, &path, &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

#[actix_web::test]
async fn an_upload_without_the_csrf_token_is_refused() {
    let Setup { app, .. } = setup().await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let before = everything(&app).await;
    let res = post_multipart(
        &mut browser,
        multipart_body(None, Some(("p.csv", b"sku,retail_price\nALPHA-1,1.00\n"))),
    )
    .await;
    assert_eq!(res.status, 403);
    let res = post_multipart(
        &mut browser,
        multipart_body(
            Some("forged"),
            Some(("p.csv", b"sku,retail_price\nALPHA-1,1.00\n")),
        ),
    )
    .await;
    assert_eq!(res.status, 403);
    assert_eq!(everything(&app).await, before);
}

#[actix_web::test]
async fn uploads_and_skus_of_another_customer_are_out_of_reach() {
    let Setup { app, t } = setup().await;
    let mut beta = signed_in(&app, "beta.test", "pricing@beta.test").await;
    let report = upload(&mut beta, "b.csv", b"sku,retail_price\nBETA-1,99.00\n").await;
    let beta_path = apply_path(&report);

    let mut alpha = signed_in(&app, "alpha.test", PRICING).await;
    let before = everything(&app).await;
    for path in [
        beta_path.as_str(),
        "/admin/products/import/not-an-id/apply",
        "/admin/products/import/00000000-0000-0000-0000-000000000000/apply",
    ] {
        let res = apply(&mut alpha, path, &[]).await;
        assert_eq!(res.status, 404, "{path}: {}", res.body);
    }
    assert_eq!(everything(&app).await, before, "B's upload is untouched");
    assert_eq!(
        product_field(&app, t.b, "BETA-1", "retail_price").await,
        "19.50"
    );

    // A SKU that only B has is a new product for A; B's product stays as it is.
    let b_before = product_field(
        &app,
        t.b,
        "BETA-1",
        "concat_ws('|', name, retail_price, version)",
    )
    .await;
    let file = format!("{HEADER}\nBETA-1,Alpha's own,,Vitamins,1.00,2.00,true\n");
    let report = upload(&mut alpha, "a.csv", file.as_bytes()).await;
    assert_eq!(
        counts(&report),
        ("1".into(), "0".into(), "0".into(), "0".into())
    );
    let res = apply(&mut alpha, &apply_path(&report), &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        product_field(&app, t.a, "BETA-1", "name").await,
        "Alpha's own"
    );
    assert_eq!(
        product_field(
            &app,
            t.b,
            "BETA-1",
            "concat_ws('|', name, retail_price, version)"
        )
        .await,
        b_before
    );

    // B's export has its own BETA-1 only.
    let export = beta.get("/admin/products/export.csv").await;
    assert_eq!(
        export.body,
        format!(
            "{EXPORT_HEADER}\nBETA-1,Product BETA-1,Description of BETA-1,Minerals,11.00,19.50,true,\n"
        )
    );
}

// ------------------------------------------------------------------------------------------------
// The command line

#[actix_web::test]
async fn the_cli_dry_run_prints_the_report_and_writes_nothing() {
    let Setup { app, t } = setup().await;
    let file = std::env::temp_dir().join(format!("agoat-dry-run-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(
        &file,
        "sku,name,category,wholesale_price,retail_price\n\
         ALPHA-1,Product ALPHA-1,Vitamins,10.00,21.50\n\
         NEW-1,Brand new,Minerals,3.00,6.25\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_agoat"));
        command
            .env("DATABASE_URL", &app.db.url)
            .env_remove("RUST_LOG")
            .args(["import", "products", "--customer", &t.a.to_string()])
            .args(extra)
            .arg(&file)
            .stdin(std::process::Stdio::null());
        command.output().expect("agoat runs")
    };
    let before = catalog(&app).await;
    let output = run(&["--dry-run"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "line 3: create NEW-1 (Brand new)",
            "line 2: update ALPHA-1: retail_price 18.00 → 21.50",
            "dry run: 1 products to create, 1 to update, 0 unchanged; nothing was written",
        ]
    );
    assert_eq!(catalog(&app).await, before);

    let output = run(&[]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("1 products created, 1 updated, 0 unchanged")
    );
    assert_eq!(
        product_field(&app, t.a, "ALPHA-1", "retail_price").await,
        "21.50"
    );
    let _ = std::fs::remove_file(&file);
}
