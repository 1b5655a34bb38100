//! `agoat user reset-password` and `agoat user disable`, run as processes against the database of
//! a test application: the password source, sessions ending (seen over HTTP), audit events, and
//! one-line errors.

use std::io::Write;
use std::process::{Command, ExitStatus, Stdio};

use agoat::tenancy::users::{self, Role};
use agoat::tenancy::{CustomerId, UserId};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Integer, Text};
use diesel_async::RunQueryDsl;

use crate::common::{TestApp, TestDb, two_tenants};

const BIN: &str = env!("CARGO_BIN_EXE_agoat");
const PASSWORD: &str = "correct horse battery";
const EDITOR: &str = "editor@alpha.test";

#[derive(Debug)]
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_ok(&self) {
        assert!(self.status.success(), "agoat failed: {self:#?}");
    }

    fn one_error(&self) -> String {
        assert!(
            self.status.code().is_some_and(|c| c != 0),
            "expected a non-zero exit: {self:#?}"
        );
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "one error line: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{lines:?}");
        lines[0].to_owned()
    }
}

/// Runs `agoat` on the test database with these extra variables and this standard input
/// (`None`: none at all).
fn agoat(db: &TestDb, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = Command::new(BIN);
    command
        .env("DATABASE_URL", &db.url)
        .env_remove("AGOAT_PASSWORD")
        .env_remove("RUST_LOG")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("agoat runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Stored {
    #[diesel(sql_type = Text)]
    password_hash: String,
    #[diesel(sql_type = Bool)]
    is_active: bool,
    #[diesel(sql_type = Integer)]
    session_generation: i32,
    #[diesel(sql_type = Integer)]
    version: i32,
}

async fn stored(app: &TestApp, id: UserId) -> Stored {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(
        "SELECT password_hash, is_active, session_generation, version FROM tenancy.users \
         WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
    .get_result(&mut conn)
    .await
    .unwrap()
}

#[derive(QueryableByName, Debug)]
struct Event {
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    actor_label: String,
    #[diesel(sql_type = Text)]
    after: String,
}

async fn last_user_event(app: &TestApp, id: UserId) -> Event {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(
        "SELECT action, actor_label, coalesce(after::text, '') AS after FROM audit.events \
         WHERE entity = 'user' AND entity_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
    .get_result(&mut conn)
    .await
    .unwrap()
}

/// An application on a fresh database with two tenants and an editor of the first, signed in.
async fn setup() -> (TestApp, CustomerId, UserId) {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let editor = app.user(t.a, EDITOR, Role::Editor, PASSWORD).await;
    (app, t.a, editor)
}

#[actix_web::test]
async fn reset_password_takes_it_from_the_environment_and_ends_sessions() {
    let (app, a, editor) = setup().await;
    let mut browser = app.browser("alpha.test");
    browser.sign_in(EDITOR, PASSWORD).await;
    let before = stored(&app, editor).await;
    let run = agoat(
        &app.db,
        &[
            "user",
            "reset-password",
            "--customer",
            &a.to_string(),
            "--email",
            "Editor@Alpha.test",
        ],
        &[("AGOAT_PASSWORD", "a new password from env")],
        None,
    );
    run.assert_ok();
    assert!(
        !run.stdout.contains("password:"),
        "nothing generated: {run:#?}"
    );
    assert_eq!(browser.get("/admin").await.status, 303, "the session ended");
    let after = stored(&app, editor).await;
    assert_eq!(after.session_generation, before.session_generation + 1);
    assert_eq!(after.version, before.version + 1);
    assert!(users::verify_password(
        "a new password from env",
        &after.password_hash
    ));
    assert!(!users::verify_password(PASSWORD, &after.password_hash));
    browser.sign_in(EDITOR, "a new password from env").await;
    let event = last_user_event(&app, editor).await;
    assert_eq!(event.action, "reset_password");
    assert_eq!(event.actor_label, "cli:user reset-password");
    assert!(!event.after.contains("argon2"), "{event:?}");
}

#[actix_web::test]
async fn reset_password_reads_standard_input_or_generates_one() {
    let (app, a, editor) = setup().await;
    let customer = a.to_string();
    let args = [
        "user",
        "reset-password",
        "--customer",
        &customer,
        "--email",
        EDITOR,
    ];
    agoat(&app.db, &args, &[], Some("piped in password\n")).assert_ok();
    assert!(users::verify_password(
        "piped in password",
        &stored(&app, editor).await.password_hash
    ));

    let run = agoat(&app.db, &args, &[], None);
    run.assert_ok();
    let printed: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("password: "))
        .collect();
    assert_eq!(printed.len(), 1, "printed once: {run:#?}");
    assert!(printed[0].len() >= 12);
    assert!(run.stderr.trim().is_empty(), "{run:#?}");
    app.browser("alpha.test").sign_in(EDITOR, printed[0]).await;
}

#[actix_web::test]
async fn disable_ends_sessions_and_refuses_sign_in() {
    let (app, a, editor) = setup().await;
    let mut browser = app.browser("alpha.test");
    browser.sign_in(EDITOR, PASSWORD).await;
    let run = agoat(
        &app.db,
        &[
            "user",
            "disable",
            "--customer",
            &a.to_string(),
            "--email",
            EDITOR,
        ],
        &[],
        None,
    );
    run.assert_ok();
    assert_eq!(browser.get("/admin").await.status, 303, "the session ended");
    let res = browser
        .post(
            "/admin/login",
            "/admin/login",
            &[("email", EDITOR), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 401);
    assert!(!stored(&app, editor).await.is_active);
    let event = last_user_event(&app, editor).await;
    assert_eq!(event.action, "disable");
    assert_eq!(event.actor_label, "cli:user disable");
}

#[actix_web::test]
async fn unknown_users_customers_and_short_passwords_fail_in_one_line() {
    let (app, a, editor) = setup().await;
    let before = stored(&app, editor).await;
    let unknown_customer = CustomerId::new_random().to_string();
    let a = a.to_string();
    let env = [("AGOAT_PASSWORD", "long enough password")];
    for command in ["reset-password", "disable"] {
        let line = agoat(
            &app.db,
            &[
                "user",
                command,
                "--customer",
                &a,
                "--email",
                "nobody@alpha.test",
            ],
            &env,
            None,
        )
        .one_error();
        assert!(line.contains("nobody@alpha.test"), "{line}");
        let line = agoat(
            &app.db,
            &[
                "user",
                command,
                "--customer",
                &unknown_customer,
                "--email",
                EDITOR,
            ],
            &env,
            None,
        )
        .one_error();
        assert!(line.contains(&unknown_customer), "{line}");
        assert!(line.contains("does not exist"), "{line}");
        let line = agoat(
            &app.db,
            &[
                "user",
                command,
                "--customer",
                "not-a-uuid",
                "--email",
                EDITOR,
            ],
            &env,
            None,
        )
        .one_error();
        assert!(line.contains("not-a-uuid"), "{line}");
    }
    let line = agoat(
        &app.db,
        &[
            "user",
            "reset-password",
            "--customer",
            &a,
            "--email",
            EDITOR,
        ],
        &[("AGOAT_PASSWORD", "short")],
        None,
    )
    .one_error();
    assert!(line.contains("at least 12 characters"), "{line}");
    assert_eq!(stored(&app, editor).await, before, "nothing changed");
}
