//! Price history and change sets: an import is one change set, reverting it restores the prices
//! it changed, and a product changed since blocks the revert without changing anything.

use agoat::thorne::change_sets::{self, RevertOutcome};
use agoat::thorne::{csv_import, price_history, products};
use scoped_futures::ScopedFutureExt;

use crate::common::{TestApp, actor, two_tenants};

async fn import(app: &TestApp, customer: agoat::tenancy::CustomerId, csv: &'static str) {
    app.in_scope(customer, move |conn, scope| {
        async move {
            let rows = csv_import::parse(csv.as_bytes())
                .map_err(|e| agoat::error::AppError::Invalid(e.join("; ")))?;
            csv_import::apply(conn, scope, &rows, &actor()).await
        }
        .scope_boxed()
    })
    .await;
}

async fn retail(app: &TestApp, host: &str, sku: &str) -> String {
    app.get(host, &format!("/products/{sku}"))
        .await
        .texts("article.product .price")
        .join("")
}

#[actix_web::test]
async fn an_import_is_a_change_set_that_reverts() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    import(
        &app,
        t.a,
        "sku,retail_price,wholesale_price\nALPHA-1,21.50,11.00\n",
    )
    .await;
    assert_eq!(retail(&app, "alpha.test", "ALPHA-1").await, "$21.50");

    let (history, sets) = app
        .in_scope(t.a, |conn, scope| {
            async move {
                let product = products::active_by_sku(conn, scope, "ALPHA-1").await?;
                let all =
                    products::by_skus(conn, scope, std::slice::from_ref(&product.sku)).await?;
                let history = price_history::for_product(conn, scope, all[0].id).await?;
                Ok((history, change_sets::recent(conn, scope, 10).await?))
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].old_retail_price.to_string(), "18.00");
    assert_eq!(history[0].new_retail_price.to_string(), "21.50");
    assert_eq!(sets.len(), 1);
    let set = sets[0].id;

    let outcome = app
        .in_scope(t.a, move |conn, scope| {
            async move { change_sets::revert(conn, scope, set, &actor()).await }.scope_boxed()
        })
        .await;
    assert!(
        matches!(outcome, RevertOutcome::Reverted { products: 1, .. }),
        "{outcome:?}"
    );
    assert_eq!(retail(&app, "alpha.test", "ALPHA-1").await, "$18.00");

    let again = app
        .try_in_scope(t.a, move |conn, scope| {
            async move { change_sets::revert(conn, scope, set, &actor()).await }.scope_boxed()
        })
        .await;
    assert!(
        matches!(again, Err(agoat::error::AppError::Conflict(_))),
        "{again:?}"
    );
}

#[actix_web::test]
async fn a_product_changed_since_blocks_the_revert() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    import(&app, t.a, "sku,retail_price\nALPHA-1,21.50\n").await;
    import(&app, t.a, "sku,retail_price\nALPHA-1,25.00\n").await;
    let sets = app
        .in_scope(t.a, |conn, scope| {
            async move { change_sets::recent(conn, scope, 10).await }.scope_boxed()
        })
        .await;
    let first = sets.last().unwrap().id;
    let outcome = app
        .in_scope(t.a, move |conn, scope| {
            async move { change_sets::revert(conn, scope, first, &actor()).await }.scope_boxed()
        })
        .await;
    match outcome {
        RevertOutcome::Conflicts(conflicts) => assert_eq!(conflicts[0].sku, "ALPHA-1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        retail(&app, "alpha.test", "ALPHA-1").await,
        "$25.00",
        "nothing changed"
    );
}

#[actix_web::test]
async fn another_customers_change_set_is_not_found() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    import(&app, t.b, "sku,retail_price\nBETA-1,30.00\n").await;
    let b_set = app
        .in_scope(t.b, |conn, scope| {
            async move { change_sets::recent(conn, scope, 1).await }.scope_boxed()
        })
        .await[0]
        .id;
    let result = app
        .try_in_scope(t.a, move |conn, scope| {
            async move { change_sets::revert(conn, scope, b_set, &actor()).await }.scope_boxed()
        })
        .await;
    assert!(
        matches!(result, Err(agoat::error::AppError::NotFound)),
        "{result:?}"
    );
    assert_eq!(retail(&app, "beta.test", "BETA-1").await, "$30.00");
}

#[actix_web::test]
async fn a_single_save_records_history_and_refuses_a_stale_version() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let stale = app
        .in_scope(t.a, |conn, scope| {
            async move {
                let current = products::by_skus(conn, scope, &["ALPHA-1".to_owned()])
                    .await?
                    .remove(0);
                let set =
                    change_sets::open(conn, scope, change_sets::Kind::Edit, "price edit", &actor())
                        .await?;
                let mut changed = current.clone();
                changed.sku = "ALPHA-1B".to_owned();
                changed.retail_price = "19.99".parse().unwrap();
                let edit = products::Edit {
                    action: "update",
                    change_set: Some(set.id),
                    reason: "summer price",
                };
                let saved = products::save(conn, scope, &current, &changed, edit, &actor()).await?;
                let history = price_history::for_product(conn, scope, saved.id).await?;
                assert_eq!(history.len(), 1);
                assert_eq!(history[0].reason, "summer price");
                assert_eq!(saved.version, current.version + 1);
                Ok(current)
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(retail(&app, "alpha.test", "ALPHA-1B").await, "$19.99");
    let result = app
        .try_in_scope(t.a, move |conn, scope| {
            let stale = stale.clone();
            async move {
                let set = change_sets::open(conn, scope, change_sets::Kind::Edit, "late", &actor())
                    .await?;
                let edit = products::Edit {
                    action: "update",
                    change_set: Some(set.id),
                    reason: "",
                };
                let mut changed = stale.clone();
                changed.retail_price = "1.00".parse().unwrap();
                products::save(conn, scope, &stale, &changed, edit, &actor()).await
            }
            .scope_boxed()
        })
        .await;
    assert!(
        matches!(result, Err(agoat::error::AppError::Conflict(_))),
        "{result:?}"
    );
    assert_eq!(
        retail(&app, "alpha.test", "ALPHA-1B").await,
        "$19.99",
        "nothing changed"
    );
}
