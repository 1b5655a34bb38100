//! Real serialization conflicts on PostgreSQL at SERIALIZABLE: two transactions that read the
//! same price and both write it; the second one fails with SQLSTATE 40001, the transaction helper
//! reruns it, and the final state has both changes exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agoat::error::AppError;
use agoat::tenancy::Scope;
use agoat::thorne::products;
use bigdecimal::BigDecimal;
use scoped_futures::ScopedFutureExt;
use tokio::sync::Barrier;

use crate::common::{TestApp, actor, two_tenants};

/// Reads ALPHA-1, waits (on its first attempt only) until the other transaction has read it
/// too, then raises the retail price by `step` through the normal save path (version check,
/// price history, audit). Returns how many attempts it took.
async fn raise_price(
    app: &TestApp,
    scope: Scope,
    step: &'static str,
    barrier: Arc<Barrier>,
) -> Result<usize, AppError> {
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    app.pool
        .tenant_tx(scope, move |conn| {
            let (counter, barrier) = (counter.clone(), barrier.clone());
            async move {
                let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let current = products::by_skus(conn, scope, &["ALPHA-1".to_owned()])
                    .await?
                    .remove(0);
                if attempt == 1 {
                    barrier.wait().await;
                }
                let mut changed = current.clone();
                changed.retail_price += step.parse::<BigDecimal>().unwrap();
                let set = agoat::thorne::change_sets::open(
                    conn,
                    scope,
                    agoat::thorne::change_sets::Kind::Edit,
                    step,
                    &actor(),
                )
                .await?;
                let edit = products::Edit {
                    action: "update",
                    change_set: Some(set.id),
                    reason: step,
                };
                products::save(conn, scope, &current, &changed, edit, &actor()).await?;
                Ok(())
            }
            .scope_boxed()
        })
        .await?;
    Ok(AtomicUsize::load(&attempts, Ordering::SeqCst))
}

#[actix_web::test]
async fn concurrent_writers_conflict_and_the_retry_applies_each_change_once() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let scope = Scope::of(t.a);
    let barrier = Arc::new(Barrier::new(2));
    let (one, two) = tokio::join!(
        raise_price(&app, scope, "1.00", barrier.clone()),
        raise_price(&app, scope, "0.10", barrier.clone()),
    );
    let (one, two) = (one.expect("first writer"), two.expect("second writer"));
    let mut attempts = [one, two];
    attempts.sort();
    assert_eq!(
        attempts,
        [1, 2],
        "one transaction committed first, the other hit a real conflict and ran again"
    );

    let (product, history) = app
        .in_scope(t.a, |conn, scope| {
            async move {
                let product = products::by_skus(conn, scope, &["ALPHA-1".to_owned()])
                    .await?
                    .remove(0);
                let history =
                    agoat::thorne::price_history::for_product(conn, scope, product.id).await?;
                Ok((product, history))
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(
        product.retail_price.to_string(),
        "19.10",
        "18.00 + 1.00 + 0.10"
    );
    assert_eq!(product.version, 3, "two saves, no more");
    assert_eq!(history.len(), 2, "each change recorded exactly once");
    let mut reasons: Vec<&str> = history.iter().map(|h| h.reason.as_str()).collect();
    reasons.sort();
    assert_eq!(reasons, ["0.10", "1.00"]);
    // The later change starts from the earlier one's price: no lost update.
    let newest = &history[0];
    let oldest = &history[1];
    assert_eq!(newest.old_retail_price, oldest.new_retail_price);
}

#[actix_web::test]
async fn the_retry_cap_answers_a_clear_503_page() {
    use actix_web::ResponseError;
    let res = AppError::Unavailable("kept conflicting".into()).error_response();
    assert_eq!(res.status().as_u16(), 503);
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("Temporarily unavailable"), "{text}");
    assert!(
        !text.contains("kept conflicting"),
        "the cause stays in the log"
    );
}
