//! Read-only transactions in one flight (`BEGIN` and `COMMIT` sent without waiting for their
//! answers): a read abandoned halfway, as when a visitor's request is dropped, never leaves its
//! connection to the next borrower inside that transaction.

use std::time::Duration;

use agoat::db::{Database, PoolSettings};
use agoat::tenancy::Scope;
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;

use crate::common::{TestApp, two_tenants};

#[actix_web::test]
async fn an_abandoned_read_leaves_no_transaction_open_for_the_next_borrower() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let scope = Scope::of(t.a);
    // One connection, so the next transaction gets the one the abandoned read had, or a new one.
    let settings = PoolSettings {
        max_size: 1,
        ..PoolSettings::default()
    };
    let db = Database::connect(&app.db.app_url, &settings).unwrap();

    let abandoned = db.visitor_read(scope, |conn| {
        async move {
            diesel::sql_query("SELECT 1").execute(conn).await?;
            std::future::pending::<()>().await;
            Ok(())
        }
        .scope_boxed()
    });
    let gave_up = tokio::time::timeout(Duration::from_millis(300), abandoned).await;
    assert!(gave_up.is_err(), "the read never ends by itself");

    // A write: inside the abandoned read-only transaction it would be refused.
    db.tenant_tx(scope, |_conn| async move { Ok(()) }.scope_boxed())
        .await
        .expect("the write runs in a transaction of its own");
    let read = db
        .tenant_read(scope, |conn| {
            async move {
                let rows = diesel::sql_query("SELECT 1").execute(conn).await?;
                Ok(rows)
            }
            .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(read, 1);
}
