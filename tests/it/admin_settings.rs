//! Tests of the customer settings (`/admin/settings`, owners only): the currency and the public
//! lowest-price line, both visible on the next request; bad input and stale forms change nothing.

use agoat::tenancy::users::Role;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;

use crate::common::{Browser, TestApp, TwoTenants, actor, two_tenants};

const PASSWORD: &str = "correct horse battery";

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    customers: String,
    #[diesel(sql_type = BigInt)]
    events: i64,
}

/// Every customer's settings and the number of audit events.
async fn snapshot(app: &TestApp) -> (String, i64) {
    let mut conn = app.db.owner_conn().await;
    let s: Snapshot = diesel::sql_query(
        "SELECT string_agg(concat_ws('|', id, currency, show_lowest_30_day_price, version), \
         E'\\n' ORDER BY id) AS customers, (SELECT count(*) FROM audit.events) AS events \
         FROM tenancy.customers",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    (s.customers, s.events)
}

async fn signed_in(app: &TestApp, role: Role) -> (TwoTenants, Browser<'_>) {
    let t = two_tenants(app).await;
    let email = format!("{}@alpha.test", role.as_str());
    app.user(t.a, &email, role, PASSWORD).await;
    let mut browser = app.browser("alpha.test");
    browser.sign_in(&email, PASSWORD).await;
    (t, browser)
}

fn form_version(page: &crate::common::Response) -> String {
    page.attr("input[name=version]", "value")
        .expect("the settings form carries its version")
}

/// Raises ALPHA-1's retail price from 18.00 to 21.50 as one change set.
async fn raise_alpha_price(app: &TestApp, t: &TwoTenants) {
    use agoat::thorne::{csv_import, products};
    app.in_scope(t.a, |conn, scope| {
        async move {
            let rows = csv_import::parse(b"sku,retail_price\nALPHA-1,21.50\n")
                .map_err(|e| agoat::error::AppError::Invalid(e.join("; ")))?;
            csv_import::apply(conn, scope, &rows, &actor()).await?;
            products::active_by_sku(conn, scope, "ALPHA-1").await
        }
        .scope_boxed()
    })
    .await;
}

#[actix_web::test]
async fn currency_and_lowest_price_show_on_the_next_public_request() {
    let app = TestApp::new().await;
    let (t, mut owner) = signed_in(&app, Role::Owner).await;
    raise_alpha_price(&app, &t).await;
    let public = app.get("alpha.test", "/products/ALPHA-1").await;
    assert_eq!(public.texts("article.product .price"), ["$21.50"]);
    assert!(public.texts(".lowest-price").is_empty(), "off by default");

    let page = owner.get("/admin/settings").await;
    assert_eq!(page.status, 200);
    let version = form_version(&page);
    let res = owner
        .post(
            "/admin/settings",
            "/admin/settings",
            &[
                ("currency", "EUR"),
                ("show_lowest_30_day_price", "1"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    let public = app.get("alpha.test", "/products/ALPHA-1").await;
    assert_eq!(public.texts("article.product .price"), ["€21.50"]);
    assert_eq!(public.texts(".lowest-price .amount"), ["€18.00"]);
    let list = app.get("alpha.test", "/products").await;
    assert!(
        list.body.contains("€21.50"),
        "the list uses the currency too"
    );

    // The other customer is untouched.
    let other = app.get("beta.test", "/products/BETA-1").await;
    assert_eq!(other.texts("article.product .price"), ["$19.50"]);
    assert!(other.texts(".lowest-price").is_empty());

    let events = app
        .in_scope(t.a, |conn, scope| {
            async move {
                let filter = agoat::audit::query::Filter {
                    entity: Some("customer".into()),
                    ..Default::default()
                };
                agoat::audit::query::page(conn, scope, &filter, None, 50).await
            }
            .scope_boxed()
        })
        .await;
    let changes: Vec<_> = events
        .iter()
        .filter(|e| e.action == "update_settings")
        .collect();
    assert_eq!(changes.len(), 1, "the change is audited");
    assert_eq!(changes[0].before.as_ref().unwrap()["currency"], "USD");
    assert_eq!(changes[0].after.as_ref().unwrap()["currency"], "EUR");
}

#[actix_web::test]
async fn turning_the_lowest_price_off_hides_it_again() {
    let app = TestApp::new().await;
    let (t, mut owner) = signed_in(&app, Role::Owner).await;
    raise_alpha_price(&app, &t).await;
    for (show, expected) in [(true, 1), (false, 0)] {
        let version = form_version(&owner.get("/admin/settings").await);
        let mut fields = vec![("currency", "USD"), ("version", version.as_str())];
        if show {
            fields.push(("show_lowest_30_day_price", "1"));
        }
        let res = owner
            .post("/admin/settings", "/admin/settings", &fields)
            .await;
        assert_eq!(res.status, 303);
        let public = app.get("alpha.test", "/products/ALPHA-1").await;
        assert_eq!(public.texts(".lowest-price").len(), expected);
    }
}

#[actix_web::test]
async fn bad_input_and_stale_forms_change_nothing() {
    let app = TestApp::new().await;
    let (_t, mut owner) = signed_in(&app, Role::Owner).await;
    let version = form_version(&owner.get("/admin/settings").await);
    let before = snapshot(&app).await;

    for currency in ["XYZ", "", "usd", "JPY", "EUR;DROP"] {
        let res = owner
            .post(
                "/admin/settings",
                "/admin/settings",
                &[("currency", currency), ("version", &version)],
            )
            .await;
        assert_eq!(res.status, 422, "{currency:?}");
        assert!(
            res.texts("#settings-error")[0].contains("currency must be one of"),
            "{currency:?}"
        );
    }
    for version in ["", "abc", "-1"] {
        let res = owner
            .post(
                "/admin/settings",
                "/admin/settings",
                &[("currency", "EUR"), ("version", version)],
            )
            .await;
        assert_eq!(res.status, 400, "version {version:?}");
    }
    let res = owner
        .post(
            "/admin/settings",
            "/admin/settings",
            &[("currency", "EUR"), ("version", "999")],
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(
        res.attr("select[name=currency] option[selected]", "value")
            .as_deref(),
        Some("EUR"),
        "the choice is kept on the conflict page"
    );
    let res = owner
        .post_raw(
            "/admin/settings",
            &[("currency", "EUR"), ("version", &version)],
        )
        .await;
    assert_eq!(res.status, 403, "no CSRF token");
    assert_eq!(snapshot(&app).await, before);
}

#[actix_web::test]
async fn only_owners_reach_the_settings() {
    for role in [Role::Editor, Role::Pricing] {
        let app = TestApp::new().await;
        let (_t, mut user) = signed_in(&app, role).await;
        let before = snapshot(&app).await;
        assert_eq!(user.get("/admin/settings").await.status, 403, "{role:?}");
        let token_page = user.get("/admin").await;
        let token = token_page.attr("input[name=csrf_token]", "value").unwrap();
        let res = user
            .post_raw(
                "/admin/settings",
                &[
                    ("currency", "EUR"),
                    ("version", "1"),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "{role:?}");
        assert_eq!(snapshot(&app).await, before);
    }
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let res = app.get("alpha.test", "/admin/settings").await;
    assert_eq!(res.status, 303, "anonymous visitors are sent to sign in");
}

#[actix_web::test]
async fn an_owner_of_one_customer_cannot_change_another() {
    let app = TestApp::new().await;
    let (t, mut owner) = signed_in(&app, Role::Owner).await;
    app.user(t.b, "owner@beta.test", Role::Owner, PASSWORD)
        .await;
    let before = snapshot(&app).await;
    // The session of alpha.test is worthless on beta.test.
    let mut elsewhere = app.browser("beta.test");
    elsewhere.cookie = owner.cookie.clone();
    assert_eq!(elsewhere.get("/admin/settings").await.status, 303);
    let token = owner
        .get("/admin/settings")
        .await
        .attr("input[name=csrf_token]", "value")
        .unwrap();
    let res = elsewhere
        .post_raw(
            "/admin/settings",
            &[
                ("currency", "EUR"),
                ("version", "1"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert!(matches!(res.status, 303 | 403), "{}", res.status);
    assert_eq!(snapshot(&app).await, before);
}
