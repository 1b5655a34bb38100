//! The mail outbox: a mail is written in the transaction of its cause and sent after the commit,
//! to files without SMTP or through a real SMTP server (aiosmtpd, started by the test); retried
//! with backoff while the server is down; never sent twice by two senders; never lost when a
//! server dies between the commit and the send; read across customers only by the sender's scan.

use std::time::Duration;

use agoat::error::AppError;
use agoat::mail::outbox::{self, NewMail};
use agoat::mail::sender::Settings;
use agoat::mail::transport::Transport;
use agoat::tenancy::{CustomerId, Scope};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;

use crate::common::mail::{SmtpServer, free_port, quick_settings, read_mails};
use crate::common::{TestApp, sql_count, sql_text, two_tenants};

fn mail_to(to: &str, subject: &str) -> NewMail {
    NewMail {
        kind: "test",
        from_name: "Alpha Blog".into(),
        to: to.into(),
        subject: subject.into(),
        text: format!("Plain text of {subject}"),
        html: format!("<p>HTML of {subject}</p>"),
    }
}

async fn queue(app: &TestApp, customer: CustomerId, to: &str, subject: &str) -> uuid::Uuid {
    let mail = mail_to(to, subject);
    app.in_scope(customer, move |conn, scope| {
        let mail = mail.clone();
        async move { outbox::queue(conn, scope, &mail).await }.scope_boxed()
    })
    .await
}

async fn outbox_rows(app: &TestApp) -> i64 {
    sql_count(app, "SELECT count(*) FROM tenancy.mail_outbox").await
}

async fn state_of(app: &TestApp, id: uuid::Uuid) -> String {
    sql_text(
        app,
        &format!("SELECT state AS s FROM tenancy.mail_outbox WHERE id = '{id}'"),
    )
    .await
}

#[actix_web::test]
async fn a_mail_is_queued_only_if_its_cause_commits() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let refused = app
        .try_in_scope(t.a, |conn, scope| {
            async move {
                outbox::queue(conn, scope, &mail_to("a@alpha.test", "rolled back")).await?;
                Err::<(), _>(AppError::Invalid("the cause failed".into()))
            }
            .scope_boxed()
        })
        .await;
    assert!(refused.is_err());
    assert_eq!(
        outbox_rows(&app).await,
        0,
        "a rolled-back cause leaves no mail"
    );
    assert!(app.deliver_to_files().await.is_empty());

    queue(&app, t.a, "a@alpha.test", "committed").await;
    assert_eq!(outbox_rows(&app).await, 1);
}

#[actix_web::test]
async fn without_smtp_each_mail_is_a_file_with_both_parts_written_after_the_commit() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let id = queue(&app, t.a, "reader@alpha.test", "Hello there").await;
    assert!(
        read_mails(&app.outbox_dir()).is_empty(),
        "nothing leaves before the sender runs"
    );
    let files = app.deliver_to_files().await;
    assert_eq!(files.len(), 1);
    let mail = &files[0];
    assert_eq!(
        mail.file.file_name().unwrap().to_string_lossy(),
        format!("{id}.eml")
    );
    assert_eq!(mail.header("To").as_deref(), Some("reader@alpha.test"));
    assert_eq!(mail.header("Subject").as_deref(), Some("Hello there"));
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Alpha Blog\" <agoat@mail.test>")
    );
    assert_eq!(mail.header("Message-ID"), Some(format!("<{id}@mail.test>")));
    assert!(mail.raw.contains("multipart/alternative"), "{}", mail.raw);
    assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
    assert!(mail.raw.contains("Plain text of Hello there"));
    assert!(mail.raw.contains("<p>HTML of Hello there</p>"));
    assert_eq!(state_of(&app, id).await, "sent");
    let bodies = sql_text(
        &app,
        &format!("SELECT text_body || html_body AS s FROM tenancy.mail_outbox WHERE id = '{id}'"),
    )
    .await;
    assert_eq!(bodies, "", "a sent mail's bodies are erased");
    assert_eq!(app.deliver_to_files().await.len(), 1, "sent once only");
}

#[actix_web::test]
async fn a_server_that_dies_after_the_commit_loses_no_mail() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    // Queued, and the server died before its sender ran: the next sender sends it.
    let queued = queue(&app, t.a, "one@alpha.test", "queued before a crash").await;
    // Claimed by a sender that died before sending: sent once the claim has run out.
    let claimed = queue(&app, t.b, "two@beta.test", "claimed before a crash").await;
    let scope = Scope::of(t.b);
    let now = agoat::db::now();
    let until = now + chrono::Duration::milliseconds(500);
    let held = app
        .pool
        .tenant_tx(scope, |conn| {
            async move { outbox::claim(conn, scope, uuid::Uuid::new_v4(), now, until, 10).await }
                .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let files = app.deliver_to_files().await;
    assert_eq!(
        files.len(),
        1,
        "the claimed mail waits for its claim to run out"
    );
    assert_eq!(state_of(&app, queued).await, "sent");
    assert_eq!(state_of(&app, claimed).await, "queued");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let files = app.deliver_to_files().await;
    assert_eq!(files.len(), 2);
    assert_eq!(state_of(&app, claimed).await, "sent");
}

#[actix_web::test]
async fn two_senders_never_send_one_mail_twice() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let c = app.customer("Gamma").await;
    let mut ids = Vec::new();
    for (customer, n) in [(t.a, 12), (t.b, 12), (c, 12)] {
        for i in 0..n {
            ids.push(
                queue(
                    &app,
                    customer,
                    &format!("r{i}@example.test"),
                    &format!("Mail {i}"),
                )
                .await,
            );
        }
    }
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let mut settings = quick_settings();
    settings.batch = 3;
    let first = app.mail_sender(
        Transport::files(first_dir.path().to_owned()).unwrap(),
        settings.clone(),
    );
    let second = app.mail_sender(
        Transport::files(second_dir.path().to_owned()).unwrap(),
        settings,
    );
    let (a, b) = tokio::join!(first.drain(), second.drain());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, ids.len(), "{a:?} {b:?}");
    let names = |dir: &std::path::Path| -> Vec<String> {
        read_mails(dir)
            .iter()
            .map(|m| m.file.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let (one, two) = (names(first_dir.path()), names(second_dir.path()));
    assert_eq!(one.len() + two.len(), ids.len());
    assert!(
        one.iter().all(|name| !two.contains(name)),
        "a mail was sent by both"
    );
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM tenancy.mail_outbox WHERE state = 'sent'"
        )
        .await,
        ids.len() as i64
    );
}

#[actix_web::test]
async fn a_down_smtp_server_is_retried_with_backoff_until_it_is_up() {
    let port = free_port();
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let id = queue(&app, t.a, "reader@alpha.test", "Through SMTP").await;
    let transport = Transport::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let sender = app.mail_sender(transport, quick_settings());

    let report = sender.pass().await.unwrap();
    assert_eq!((report.sent, report.retried), (0, 1));
    let first_wait = sql_text(
        &app,
        &format!(
            "SELECT attempts || ' ' || (last_error IS NOT NULL) || ' ' || \
             (extract(epoch FROM next_attempt_at - now()) > 0.1) AS s \
             FROM tenancy.mail_outbox WHERE id = '{id}'"
        ),
    )
    .await;
    assert_eq!(first_wait, "1 true true", "one try, its error, a wait");
    assert_eq!(
        sender.pass().await.unwrap().handled(),
        0,
        "not due again yet"
    );

    // The second failure waits twice as long as the first.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let before = chrono::Utc::now();
    assert_eq!(sender.pass().await.unwrap().retried, 1);
    let wait_ms: f64 = sql_text(
        &app,
        &format!(
            "SELECT (extract(epoch FROM next_attempt_at) * 1000)::text AS s \
             FROM tenancy.mail_outbox WHERE id = '{id}'"
        ),
    )
    .await
    .parse()
    .unwrap();
    let waited = wait_ms - before.timestamp_millis() as f64;
    assert!((550.0..1500.0).contains(&waited), "second wait {waited} ms");

    let Some(server) = SmtpServer::start_on(port) else {
        return;
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let report = sender.drain().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(state_of(&app, id).await, "sent");
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].header("Subject").as_deref(),
        Some("Through SMTP")
    );
    assert!(messages[0].raw.contains("multipart/alternative"));
    assert_eq!(
        sql_count(
            &app,
            &format!("SELECT attempts FROM tenancy.mail_outbox WHERE id = '{id}'")
        )
        .await,
        3
    );
}

#[actix_web::test]
async fn a_mail_is_given_up_after_its_last_try() {
    let port = free_port();
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let id = queue(&app, t.a, "reader@alpha.test", "Never delivered").await;
    let transport = Transport::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap();
    let settings = Settings {
        max_attempts: 2,
        base_backoff: Duration::from_millis(50),
        ..quick_settings()
    };
    let sender = app.mail_sender(transport, settings);
    assert_eq!(sender.pass().await.unwrap().retried, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sender.pass().await.unwrap().failed, 1);
    assert_eq!(state_of(&app, id).await, "failed");
    let kept = sql_text(
        &app,
        &format!(
            "SELECT attempts || ' ' || (text_body || html_body = '') || ' ' || (last_error <> '') AS s \
             FROM tenancy.mail_outbox WHERE id = '{id}'"
        ),
    )
    .await;
    assert_eq!(kept, "2 true true");
    assert_eq!(
        sender.drain().await.unwrap().handled(),
        0,
        "never tried again"
    );
}

#[actix_web::test]
async fn a_commit_wakes_the_sender_at_once() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let settings = Settings {
        poll_interval: Duration::from_secs(3600),
        ..quick_settings()
    };
    let transport = Transport::files(app.outbox_dir()).unwrap();
    let task = app
        .mail_sender(transport, settings)
        .spawn(app.state.mailer.clone());
    // Let the first pass find nothing and the task wait.
    tokio::time::sleep(Duration::from_millis(200)).await;
    queue(&app, t.a, "reader@alpha.test", "Woken").await;
    app.state.mailer.wake();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while read_mails(&app.outbox_dir()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the sender was not woken"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The work of counting with `sql` (`SELECT count(*) AS n …`).
macro_rules! count {
    ($sql:expr) => {
        |conn: &mut agoat::db::Conn| {
            async move {
                diesel::sql_query($sql)
                    .get_result::<Count>(conn)
                    .await
                    .map(|c| c.n)
                    .map_err(AppError::from)
            }
            .scope_boxed()
        }
    };
}

#[actix_web::test]
async fn only_the_senders_scan_reads_across_customers() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    queue(&app, t.a, "a@alpha.test", "A's mail").await;
    queue(&app, t.b, "b@beta.test", "B's mail").await;
    app.user(
        t.a,
        "owner@alpha.test",
        agoat::tenancy::users::Role::Owner,
        "a long enough password",
    )
    .await;
    let all_mail = "SELECT count(*) AS n FROM tenancy.mail_outbox";
    // A customer's transaction sees its own mail only, even unscoped.
    let scope = Scope::of(t.a);
    assert_eq!(
        app.pool.tenant_read(scope, count!(all_mail)).await.unwrap(),
        1
    );
    // No customer set: nothing.
    assert_eq!(app.pool.directory_read(count!(all_mail)).await.unwrap(), 0);
    // The scan: every customer's mail, and nothing else of any customer.
    assert_eq!(app.pool.outbox_scan(count!(all_mail)).await.unwrap(), 2);
    for other in [
        "SELECT count(*) AS n FROM tenancy.users",
        "SELECT count(*) AS n FROM content.posts",
        "SELECT count(*) AS n FROM tenancy.account_tokens",
        "SELECT count(*) AS n FROM audit.events",
    ] {
        assert_eq!(
            app.pool.outbox_scan(count!(other)).await.unwrap(),
            0,
            "{other}"
        );
    }
    let due = app
        .pool
        .outbox_scan(|conn| {
            async move { outbox::due_customers(conn, agoat::db::now(), 10).await }.scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(due.len(), 2);
    // The scan cannot write.
    let write = app
        .pool
        .outbox_scan(|conn| {
            async move {
                diesel::sql_query("UPDATE tenancy.mail_outbox SET attempts = 9")
                    .execute(conn)
                    .await
                    .map_err(AppError::from)
            }
            .scope_boxed()
        })
        .await;
    assert!(write.is_err());
    // Setting the sender's flag inside a customer's transaction shows nothing more.
    let flagged = app
        .pool
        .tenant_read(scope, |conn| {
            async move {
                diesel::sql_query("SET LOCAL app.mail_sender = 'on'")
                    .execute(conn)
                    .await?;
                diesel::sql_query("SELECT count(*) AS n FROM tenancy.mail_outbox")
                    .get_result::<Count>(conn)
                    .await
                    .map(|c| c.n)
                    .map_err(AppError::from)
            }
            .scope_boxed()
        })
        .await
        .unwrap();
    assert_eq!(flagged, 1);
}

#[test]
fn only_the_database_layer_sets_the_senders_flag() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && std::fs::read_to_string(&path)
                    .unwrap()
                    .contains("app.mail_sender")
            {
                found.push(
                    path.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    assert_eq!(found, vec!["db/mod.rs".to_owned()]);
}
