//! Tenant isolation in the database itself: row-level security holds for deliberately unscoped
//! queries; serving connections log in as `agoat_app` and cannot become the owner (a superuser
//! here), not even after `RESET ROLE`, and a pool on the owner's login opens no connection;
//! composite keys refuse
//! cross-tenant references; the audit log is append-only; the change feed is written by each
//! customer's own transactions and read only by the feed's reader; the transaction helper retries
//! serialization failures and gives up cleanly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agoat::error::{AppError, AppResult};
use agoat::tenancy::Scope;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use scoped_futures::{ScopedBoxFuture, ScopedFutureExt};

use agoat::tenancy::users::{self, Role};

use crate::common::{TestApp, actor, sql_count, two_tenants};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Who {
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    superuser: bool,
}

const TENANT_TABLES: [&str; 7] = [
    "tenancy.sites",
    "tenancy.users",
    "content.posts",
    "content.post_revisions",
    "thorne.products",
    "audit.events",
    "tenancy.customers",
];

fn count_rows<'c>(
    conn: &'c mut agoat::db::Conn,
    table: &'static str,
) -> ScopedBoxFuture<'static, 'c, AppResult<i64>> {
    async move {
        let sql = format!("SELECT count(*) AS n FROM {table}");
        Ok(diesel::sql_query(sql).get_result::<Count>(conn).await?.n)
    }
    .scope_boxed()
}

async fn unscoped_count(app: &TestApp, scope: Option<Scope>, table: &'static str) -> i64 {
    match scope {
        Some(scope) => app
            .pool
            .tenant_read(scope, move |conn| count_rows(conn, table))
            .await
            .unwrap(),
        None => app
            .pool
            .directory_read(move |conn| count_rows(conn, table))
            .await
            .unwrap(),
    }
}

#[actix_web::test]
async fn an_unscoped_query_sees_only_the_current_customer() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for (customer, email) in [(t.a, "a@alpha.test"), (t.b, "b@beta.test")] {
        app.in_scope(customer, move |conn, scope| {
            async move {
                users::create(
                    conn,
                    scope,
                    email,
                    Role::Editor,
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                    &actor(),
                )
                .await
            }
            .scope_boxed()
        })
        .await;
    }
    for table in TENANT_TABLES {
        // The test database's owner is a superuser, which bypasses row-level security: it sees all.
        let everything = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<Count>(&mut app.db.owner_conn().await)
            .await
            .unwrap()
            .n;
        let seen_by_a = unscoped_count(&app, Some(Scope::of(t.a)), table).await;
        let seen_by_b = unscoped_count(&app, Some(Scope::of(t.b)), table).await;
        assert!(
            seen_by_a > 0 && seen_by_b > 0,
            "{table}: each customer has rows"
        );
        assert_eq!(
            seen_by_a + seen_by_b,
            everything,
            "{table}: each sees only its own"
        );
        assert_eq!(
            unscoped_count(&app, None, table).await,
            0,
            "{table}: nothing without a scope"
        );
    }
}

#[actix_web::test]
async fn the_directory_is_readable_without_a_scope() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    assert_eq!(unscoped_count(&app, None, "tenancy.domains").await, 2);
}

#[actix_web::test]
async fn the_pool_works_as_the_unprivileged_role() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let who = app
        .pool
        .tenant_read(Scope::of(t.a), |conn| {
            async move {
                Ok(diesel::sql_query(
                    "SELECT current_user::text AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser",
                )
                .get_result::<Who>(conn)
                .await?)
            }
            .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(who.role, "agoat_app");
    assert!(!who.superuser);
}

#[actix_web::test]
async fn writes_into_another_customer_are_refused() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let b = t.b;
    let b_site = t.b_site;
    // A row claiming to belong to B, written in A's scope.
    let insert = app
        .try_in_scope(t.a, move |conn, _scope| {
            async move {
                diesel::sql_query(format!(
                    "INSERT INTO thorne.products (customer_id, id, sku, name, description, category, wholesale_price, retail_price, created_at, updated_at)
                     VALUES ('{b}', gen_random_uuid(), 'X-1', 'X', '', 'C', 1, 2, now(), now())"
                ))
                .execute(conn)
                .await?;
                Ok(())
            }
            .scope_boxed()
        })
        .await;
    assert!(insert.is_err(), "row-level security refuses the insert");
    // A post of A that points at B's site.
    let a = t.a;
    let cross = app
        .try_in_scope(t.a, move |conn, _scope| {
            async move {
                diesel::sql_query(format!(
                    "INSERT INTO content.posts (customer_id, id, site_id, title, slug, body_markdown, body_html, description, tags, created_at, updated_at)
                     VALUES ('{a}', gen_random_uuid(), '{b_site}', 'T', 't', '', '', '', '{{}}', now(), now())"
                ))
                .execute(conn)
                .await?;
                Ok(())
            }
            .scope_boxed()
        })
        .await;
    assert!(
        cross.as_ref().is_err_and(|e| e.is_foreign_key_violation()),
        "{cross:?}"
    );
    // Updates and deletes in A's scope do not reach B's rows.
    let touched = app
        .in_scope(t.a, move |conn, _scope| {
            async move {
                let updated = diesel::sql_query(format!(
                    "UPDATE content.posts SET title = 'hijacked' WHERE customer_id = '{b}'"
                ))
                .execute(conn)
                .await?;
                let deleted = diesel::sql_query(format!(
                    "DELETE FROM thorne.products WHERE customer_id = '{b}'"
                ))
                .execute(conn)
                .await?;
                Ok(updated + deleted)
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(touched, 0);
    let res = app.get("beta.test", "/posts/beta-post").await;
    assert_eq!(res.texts("h1.post-title"), vec!["Title of beta-post"]);
}

#[actix_web::test]
async fn the_change_feed_is_read_only_by_its_reader() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let rows_of = |customer| {
        format!("SELECT count(*) FROM tenancy.customer_changes WHERE customer_id = '{customer}'")
    };
    // Both customers' writes added rows.
    assert!(sql_count(&app, &rows_of(t.a)).await > 0);
    let b_rows = sql_count(&app, &rows_of(t.b)).await;
    assert!(b_rows > 0);
    // A customer's transaction reads none of them, and cannot remove or forge B's.
    let seen = unscoped_count(&app, Some(Scope::of(t.a)), "tenancy.customer_changes").await;
    assert_eq!(seen, 0);
    let b = t.b;
    let deleted = app
        .in_scope(t.a, move |conn, _scope| {
            async move {
                let sql = format!("DELETE FROM tenancy.customer_changes WHERE customer_id = '{b}'");
                Ok(diesel::sql_query(sql).execute(conn).await?)
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(deleted, 0);
    let forged = app
        .try_in_scope(t.a, move |conn, _scope| {
            async move {
                diesel::sql_query(format!(
                    "INSERT INTO tenancy.customer_changes (customer_id, id, server_id, changed_at) \
                     VALUES ('{b}', gen_random_uuid(), gen_random_uuid(), now())"
                ))
                .execute(conn)
                .await?;
                Ok(())
            }
            .scope_boxed()
        })
        .await;
    assert!(forged.is_err(), "row-level security refuses the insert");
    assert_eq!(sql_count(&app, &rows_of(t.b)).await, b_rows);
}

#[actix_web::test]
async fn the_audit_log_is_append_only_for_the_application() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for sql in [
        "UPDATE audit.events SET action = 'forged'",
        "DELETE FROM audit.events",
    ] {
        let result = app
            .try_in_scope(t.a, move |conn, _scope| {
                async move {
                    diesel::sql_query(sql).execute(conn).await?;
                    Ok(())
                }
                .scope_boxed()
            })
            .await;
        let message = format!("{result:?}");
        assert!(message.contains("permission denied"), "{sql}: {message}");
    }
    assert!(unscoped_count(&app, Some(Scope::of(t.a)), "audit.events").await > 0);
}

#[actix_web::test]
async fn serialization_failures_are_retried() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let result = app
        .pool
        .tenant_tx(Scope::of(t.a), move |conn| {
            let counter = counter.clone();
            async move {
                let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
                diesel::sql_query("UPDATE content.posts SET title = 'retried'")
                    .execute(conn)
                    .await?;
                if attempt < 3 {
                    conn.batch_execute(
                        "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$",
                    )
                    .await?;
                }
                Ok(attempt)
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(result.unwrap(), 3);
    assert_eq!(AtomicUsize::load(&attempts, Ordering::SeqCst), 3);
    let res = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(res.texts("h1.post-title"), vec!["retried"]);
}

#[actix_web::test]
async fn a_transaction_that_keeps_conflicting_fails_cleanly() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let result: Result<(), AppError> = app
        .pool
        .tenant_tx(Scope::of(t.a), move |conn| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                diesel::sql_query("UPDATE content.posts SET title = 'half-written'")
                    .execute(conn)
                    .await?;
                conn.batch_execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$",
                )
                .await?;
                Ok(())
            }
            .scope_boxed()
        })
        .await;
    assert!(
        matches!(result, Err(AppError::Unavailable(_))),
        "{result:?}"
    );
    assert!(AtomicUsize::load(&attempts, Ordering::SeqCst) > 1);
    let res = app.get("alpha.test", "/posts/alpha-post").await;
    assert_eq!(
        res.texts("h1.post-title"),
        vec!["Title of alpha-post"],
        "nothing half-written"
    );
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The test server's owner login (a superuser).
async fn owner_name(app: &TestApp) -> String {
    diesel::sql_query("SELECT current_user::text AS name")
        .get_result::<Name>(&mut app.db.owner_conn().await)
        .await
        .unwrap()
        .name
}

#[actix_web::test]
async fn a_serving_connection_cannot_reset_its_role_into_the_owner() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let mine = unscoped_count(&app, Some(Scope::of(t.a)), "tenancy.sites").await;
    let (who, seen) = app
        .pool
        .tenant_read(Scope::of(t.a), |conn| {
            async move {
                conn.batch_execute("RESET ROLE").await?;
                let who = diesel::sql_query(
                    "SELECT current_user::text AS role, \
                     (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser",
                )
                .get_result::<Who>(conn)
                .await?;
                Ok((who, count_rows(conn, "tenancy.sites").await?))
            }
            .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(who.role, "agoat_app", "after RESET ROLE");
    assert!(!who.superuser);
    assert!(mine > 0);
    assert_eq!(
        seen, mine,
        "row-level security still holds after RESET ROLE"
    );

    let unscoped = app
        .pool
        .directory_read(|conn| {
            async move {
                conn.batch_execute("RESET ROLE").await?;
                count_rows(conn, "tenancy.sites").await
            }
            .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(unscoped, 0, "without a customer, nothing after RESET ROLE");
}

#[actix_web::test]
async fn a_serving_connection_cannot_set_its_role_or_session_to_the_owner() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let owner = owner_name(&app).await;
    for statement in [
        format!("SET ROLE \"{owner}\""),
        format!("SET SESSION AUTHORIZATION \"{owner}\""),
        "SET ROLE postgres".to_owned(),
    ] {
        let refused = app
            .pool
            .tenant_read(Scope::of(t.a), |conn| {
                let statement = statement.clone();
                async move {
                    conn.batch_execute(&statement).await?;
                    Ok(())
                }
                .scope_boxed()
            })
            .await;
        let error = refused.expect_err(&statement).to_string();
        assert!(
            error.contains("permission denied") || error.contains("does not exist"),
            "{statement}: {error}"
        );
    }
}

#[actix_web::test]
async fn a_pool_on_the_owner_login_opens_no_connection() {
    let app = TestApp::new().await;
    let owner_pool = agoat::db::Database::connect(
        &app.db.url,
        &agoat::db::PoolSettings {
            wait_timeout: std::time::Duration::from_secs(2),
            ..Default::default()
        },
    )
    .unwrap();
    let error = owner_pool.ping().await.expect_err("the owner cannot serve");
    assert!(format!("{error:?}").contains("can become"), "{error:?}");
}

#[actix_web::test]
async fn the_served_hosts_transaction_sees_who_is_active_and_nothing_else() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "a@alpha.test", Role::Editor, "a long enough password")
        .await;
    let mut owner = app.db.owner_conn().await;
    for table in TENANT_TABLES {
        let everything = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<Count>(&mut owner)
            .await
            .unwrap()
            .n;
        assert!(everything > 0, "{table}: rows to find");
        let seen = app
            .pool
            .served_hosts_read(move |conn| count_rows(conn, table))
            .await
            .unwrap();
        let expected = if ["tenancy.customers", "tenancy.sites"].contains(&table) {
            everything
        } else {
            0
        };
        assert_eq!(seen, expected, "{table}");
    }
    // Read-only: it cannot change what it sees.
    let write = app
        .pool
        .served_hosts_read(|conn| {
            async move {
                conn.batch_execute("UPDATE tenancy.sites SET name = 'Taken'")
                    .await?;
                Ok(())
            }
            .scope_boxed()
        })
        .await;
    assert!(write.is_err(), "a write in the served-hosts transaction");
}
