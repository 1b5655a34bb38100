//! The command line: the `agoat` binary run as a process against a test database, and what it did
//! checked in the database or over HTTP on a running `agoat serve`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::common::TestDb;
use crate::common::http::{Reply, free_port, get as http_get};

const BIN: &str = env!("CARGO_BIN_EXE_agoat");

// ------------------------------------------------------------------------------------------------
// Running the binary

/// What a finished `agoat` run left behind.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn assert_ok(&self) -> &Run {
        assert!(self.status.success(), "agoat failed: {self:#?}");
        self
    }

    /// The new id a create prints alone as its last stdout line.
    pub fn new_id(&self) -> Uuid {
        self.assert_ok();
        let last = self
            .stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("no stdout: {self:#?}"));
        let id = Uuid::parse_str(last)
            .unwrap_or_else(|e| panic!("last stdout line {last:?} is not a UUID ({e}): {self:#?}"));
        assert_eq!(last, id.to_string(), "the id is not alone on its line");
        id
    }

    /// The non-empty lines of stderr.
    fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// Asserts a failure reported as exactly one non-empty stderr line, and returns that line.
    fn one_error(&self) -> String {
        assert!(
            self.status.code().is_some_and(|c| c != 0),
            "expected a non-zero exit: {self:#?}"
        );
        let lines = self.error_lines();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one error line on stderr, got {lines:#?}"
        );
        assert!(
            lines[0].starts_with("error: "),
            "the error line does not start with `error: `: {:?}",
            lines[0]
        );
        lines[0].to_owned()
    }
}

/// `agoat` on the test database, without a password in the environment.
fn command(db: &TestDb) -> Command {
    command_on(&db.url)
}

/// `agoat` on the database at `url`, without a password in the environment.
fn command_on(url: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("DATABASE_URL", url)
        // With a database URL the data folder only holds the media files: never the checkout's.
        .env(
            "AGOAT_DATA_DIR",
            std::env::temp_dir().join("agoat-test-cli-data"),
        )
        .env_remove("AGOAT_MEDIA_URL")
        .env_remove("AGOAT_SMTP_URL")
        .env_remove("AGOAT_MAIL_FROM")
        .env_remove("AGOAT_APP_DATABASE_URL")
        .env_remove("AGOAT_PASSWORD")
        .env_remove("AGOAT_BIND")
        .env_remove("AGOAT_LOG_FORMAT")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

fn finish(command: &mut Command) -> Run {
    let output = command.output().expect("agoat runs");
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn agoat(db: &TestDb, args: &[&str]) -> Run {
    finish(command(db).args(args))
}

/// `agoat` on the database at `url` (as its owner).
pub fn agoat_on(url: &str, args: &[&str]) -> Run {
    finish(command_on(url).args(args))
}

pub fn agoat_with_env(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command(db);
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    finish(&mut command)
}

fn create_customer(db: &TestDb, name: &str) -> Uuid {
    agoat(db, &["customer", "create", "--name", name]).new_id()
}

fn create_site(db: &TestDb, customer: Uuid, name: &str, domain: &str) -> Uuid {
    agoat(
        db,
        &[
            "site",
            "create",
            "--customer",
            &customer.to_string(),
            "--name",
            name,
            "--domain",
            domain,
        ],
    )
    .new_id()
}

// ------------------------------------------------------------------------------------------------
// Files

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("agoat-cli-{label}-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `relative` (creating folders) and returns the full path.
    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn post_file(title: &str, slug: &str, date: &str, draft: bool) -> String {
    format!(
        "---\ntitle: \"{title}\"\nslug: {slug}\ndate: {date}\ndraft: {draft}\ndescription: \"About {title}\"\ntags: [\"first-tag\", \"second-tag\"]\n---\n\nThe body of **{title}**.\n"
    )
}

// ------------------------------------------------------------------------------------------------
// The database, as the owner

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName, Debug, PartialEq)]
struct DomainRow {
    #[diesel(sql_type = Text)]
    site: String,
    #[diesel(sql_type = Bool)]
    is_primary: bool,
}

/// Runs a `SELECT count(*) AS n …` in the scope of `customer` (row-level security is forced).
async fn count(db: &TestDb, customer: Uuid, sql: &str) -> i64 {
    let mut conn = db.owner_conn().await;
    diesel::sql_query("SELECT set_config('app.customer_id', $1, false)")
        .bind::<Text, _>(customer.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// The directory entry of a host (the directory is readable without a customer).
async fn domain(db: &TestDb, host: &str) -> Option<DomainRow> {
    let mut conn = db.owner_conn().await;
    diesel::sql_query(
        "SELECT site_id::text AS site, is_primary FROM tenancy.domains WHERE host = $1",
    )
    .bind::<Text, _>(host)
    .get_result::<DomainRow>(&mut conn)
    .await
    .optional()
    .unwrap()
}

async fn sites_of(db: &TestDb, customer: Uuid) -> i64 {
    count(
        db,
        customer,
        &format!("SELECT count(*) AS n FROM tenancy.sites WHERE customer_id = '{customer}'"),
    )
    .await
}

async fn users_of(db: &TestDb, customer: Uuid) -> i64 {
    count(
        db,
        customer,
        &format!("SELECT count(*) AS n FROM tenancy.users WHERE customer_id = '{customer}'"),
    )
    .await
}

async fn posts_of(db: &TestDb, customer: Uuid) -> i64 {
    count(
        db,
        customer,
        &format!("SELECT count(*) AS n FROM content.posts WHERE customer_id = '{customer}'"),
    )
    .await
}

async fn products_of(db: &TestDb, customer: Uuid) -> i64 {
    count(
        db,
        customer,
        &format!("SELECT count(*) AS n FROM thorne.products WHERE customer_id = '{customer}'"),
    )
    .await
}

// ------------------------------------------------------------------------------------------------
// A running `agoat serve`

/// `agoat serve` on a free loopback port, killed when dropped.
pub struct Server {
    child: Child,
    addr: String,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl Server {
    fn start(db: &TestDb) -> Server {
        Server::start_with(db, &[])
    }

    /// Starts a server with extra environment variables.
    pub fn start_with(db: &TestDb, env: &[(&str, &str)]) -> Server {
        Server::start_on(&db.url, env)
    }

    /// Starts a server on the database at `url`, with extra environment variables.
    pub fn start_on(url: &str, env: &[(&str, &str)]) -> Server {
        for _ in 0..3 {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            let dir = TempDir::new("serve");
            let log = dir.path().join("serve.log");
            let out = File::create(&log).unwrap();
            let mut command = command_on(url);
            for (key, value) in env {
                command.env(key, value);
            }
            let child = command
                .args(["serve", "--bind", &addr])
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("agoat serve starts");
            let mut server = Server {
                child,
                addr,
                port,
                log,
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Some(status) = server.child.try_wait().unwrap() {
                    let log = server.log_text();
                    if log.contains("cannot serve on") {
                        break; // the port was taken meanwhile: try another
                    }
                    panic!("agoat serve exited during startup ({status}):\n{log}");
                }
                if http_get(&server.addr, "localhost", "/healthz").is_ok_and(|r| r.status == 200) {
                    return server;
                }
                assert!(
                    Instant::now() < deadline,
                    "agoat serve did not answer /healthz within 60 s:\n{}",
                    server.log_text()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("agoat serve could not bind a free port");
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `host:port` the server listens on.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn get(&self, host: &str, path: &str) -> Reply {
        http_get(&self.addr, host, path)
            .unwrap_or_else(|e| panic!("GET http://{host}{path}: {e}\n{}", self.log_text()))
    }

    /// Polls `GET` every 100 ms until `done` holds, for at most `within`; returns the last reply
    /// and how long it took.
    pub fn poll(
        &self,
        host: &str,
        path: &str,
        within: Duration,
        done: impl Fn(&Reply) -> bool,
    ) -> (Reply, Duration) {
        let start = Instant::now();
        loop {
            let reply = self.get(host, path);
            if done(&reply) || start.elapsed() >= within {
                return (reply, start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and asserts a clean exit (status 0) within 10 s.
    fn stop(mut self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "agoat serve did not exit within 10 s of SIGTERM:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            status.success(),
            "agoat serve exited with {status} after SIGTERM:\n{}",
            self.log_text()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How long a CLI change may take to reach a running server.
const PROPAGATION: Duration = Duration::from_secs(2);

// ------------------------------------------------------------------------------------------------
// 1. Help

#[test]
fn help_works_on_every_command_and_subcommand() {
    let commands: &[(&[&str], &[&str])] = &[
        (
            &[],
            &[
                "demo",
                "serve",
                "migrate",
                "customer",
                "site",
                "domain",
                "import",
                "user",
                "--database-url",
                "--data-dir",
            ],
        ),
        (&["demo"], &["--bind"]),
        (&["serve"], &["--bind", "--no-migrate"]),
        (&["migrate"], &["--database-url"]),
        (&["customer"], &["create", "deactivate", "export", "import"]),
        (&["customer", "create"], &["--name"]),
        (&["customer", "deactivate"], &["<ID>"]),
        (&["customer", "export"], &["<ID>", "--out"]),
        (&["customer", "import"], &["<FILE>"]),
        (&["site"], &["create", "deactivate"]),
        (&["site", "create"], &["--customer", "--name", "--domain"]),
        (&["site", "deactivate"], &["<ID>"]),
        (&["domain"], &["add", "remove"]),
        (&["domain", "add"], &["--site", "--domain", "--primary"]),
        (&["domain", "remove"], &["<DOMAIN>"]),
        (&["import"], &["posts", "products"]),
        (&["import", "posts"], &["--site", "<PATHS>"]),
        (&["import", "products"], &["--customer", "<FILE>"]),
        (&["media"], &["add"]),
        (&["media", "add"], &["--customer", "<FILES>"]),
        (&["user"], &["create"]),
        (&["user", "create"], &["--customer", "--email", "--role"]),
    ];
    let data = TempDir::new("help");
    for (args, mentions) in commands {
        let run = finish(
            Command::new(BIN)
                .args(*args)
                .arg("--help")
                .env_remove("DATABASE_URL")
                .env("AGOAT_DATA_DIR", data.path().join("never-created"))
                .stdin(Stdio::null()),
        );
        let shown = args.join(" ");
        assert!(run.status.success(), "agoat {shown} --help: {run:#?}");
        let usage = if args.is_empty() {
            "Usage: agoat ".to_owned()
        } else {
            format!("Usage: agoat {shown} ")
        };
        assert!(
            run.stdout.contains(&usage),
            "agoat {shown} --help shows no {usage:?}:\n{}",
            run.stdout
        );
        for mention in *mentions {
            assert!(
                run.stdout.contains(mention),
                "agoat {shown} --help does not mention {mention}:\n{}",
                run.stdout
            );
        }
        assert!(
            run.stderr.trim().is_empty(),
            "agoat {shown} --help: {run:#?}"
        );
    }
    assert!(
        !data.path().join("never-created").exists(),
        "--help touched the data folder"
    );
}

// ------------------------------------------------------------------------------------------------
// 2. Creating things

#[actix_web::test]
async fn customer_and_site_create_print_their_ids_and_the_site_serves() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "Acme-Blog.Test");
    assert_ne!(customer, site);
    assert_eq!(sites_of(&db, customer).await, 1);
    assert_eq!(
        domain(&db, "acme-blog.test").await,
        Some(DomainRow {
            site: site.to_string(),
            is_primary: true
        }),
        "the domain is stored normalised as the site's primary"
    );

    let server = Server::start(&db);
    let home = server.get("acme-blog.test", "/");
    assert_eq!(home.status, 200, "{home:?}");
    assert!(home.body.contains("Acme Blog"), "{}", home.body);
    assert_eq!(server.get("unknown.test", "/").status, 404);
    server.stop();
}

#[actix_web::test]
async fn user_create_takes_the_password_from_the_environment() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let password = "correct horse battery staple";
    let run = agoat_with_env(
        &db,
        &[
            "user",
            "create",
            "--customer",
            &customer.to_string(),
            "--email",
            "Editor@Acme.test",
            "--role",
            "editor",
        ],
        &[("AGOAT_PASSWORD", password)],
    );
    let id = run.new_id();
    assert!(
        !run.stdout.contains("password"),
        "a given password is not echoed: {run:#?}"
    );
    assert!(!run.stdout.contains(password), "{run:#?}");

    let users = db_user(&db, customer, id).await;
    assert_eq!(users.len(), 1, "the user exists");
    let (email, role, hash) = &users[0];
    assert_eq!(email, "editor@acme.test");
    assert_eq!(role, "editor");
    assert!(
        agoat::tenancy::users::verify_password(password, hash),
        "the stored hash is of AGOAT_PASSWORD"
    );
}

#[actix_web::test]
async fn user_create_without_a_password_generates_one_and_prints_it_once() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let run = agoat(
        &db,
        &[
            "user",
            "create",
            "--customer",
            &customer.to_string(),
            "--email",
            "owner@acme.test",
            "--role",
            "owner",
        ],
    );
    let id = run.new_id();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "a password line, then the id: {run:#?}");
    let password = lines[0]
        .strip_prefix("password: ")
        .unwrap_or_else(|| panic!("no `password: …` line first: {run:#?}"));
    assert!(
        password.chars().count() >= 12 && !password.contains(char::is_whitespace),
        "{password:?}"
    );
    assert_eq!(
        run.stdout.matches(password).count(),
        1,
        "the password is printed once"
    );
    let users = db_user(&db, customer, id).await;
    assert_eq!(users.len(), 1, "the user exists");
    assert_eq!(users[0].1, "owner");
    assert!(agoat::tenancy::users::verify_password(
        password,
        &users[0].2
    ));
}

#[actix_web::test]
async fn user_create_reads_the_password_from_piped_standard_input() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let mut child = command(&db)
        .args([
            "user",
            "create",
            "--customer",
            &customer.to_string(),
            "--email",
            "pricing@acme.test",
            "--role",
            "pricing",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped password 123\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let run = Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let id = run.new_id();
    assert_eq!(run.stdout.lines().count(), 1, "only the id: {run:#?}");
    let users = db_user(&db, customer, id).await;
    assert_eq!(users.len(), 1);
    assert!(agoat::tenancy::users::verify_password(
        "piped password 123",
        &users[0].2
    ));
}

#[derive(QueryableByName)]
struct UserRow {
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    password_hash: String,
}

/// (email, role, password hash) of the user with this id.
async fn db_user(db: &TestDb, customer: Uuid, id: Uuid) -> Vec<(String, String, String)> {
    let mut conn = db.owner_conn().await;
    diesel::sql_query("SELECT set_config('app.customer_id', $1, false)")
        .bind::<Text, _>(customer.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query(format!(
        "SELECT email::text AS email, role::text AS role, password_hash FROM tenancy.users \
         WHERE customer_id = '{customer}' AND id = '{id}'"
    ))
    .load::<UserRow>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|u| (u.email, u.role, u.password_hash))
    .collect()
}

// ------------------------------------------------------------------------------------------------
// 3. Errors: one line on stderr, non-zero exit, nothing changed

#[actix_web::test]
async fn site_create_for_an_unknown_customer_fails_in_one_line() {
    let db = TestDb::new().await;
    let unknown = Uuid::new_v4();
    let run = agoat(
        &db,
        &[
            "site",
            "create",
            "--customer",
            &unknown.to_string(),
            "--name",
            "Ghost",
            "--domain",
            "ghost.test",
        ],
    );
    let line = run.one_error();
    assert!(line.contains(&unknown.to_string()), "{line}");
    assert!(run.stdout.trim().is_empty(), "{run:#?}");
    assert_eq!(domain(&db, "ghost.test").await, None);
    assert_eq!(sites_of(&db, unknown).await, 0);
}

#[actix_web::test]
async fn a_malformed_uuid_fails_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    let file = TempDir::new("uuid");
    let csv = file.write("p.csv", "sku,name,category,wholesale_price,retail_price\n");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "site",
            "create",
            "--customer",
            "not-a-uuid",
            "--name",
            "X",
            "--domain",
            "x.test",
        ],
        vec!["customer", "deactivate", "12345"],
        vec!["site", "deactivate", "acme"],
        vec![
            "domain",
            "add",
            "--site",
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
            "--domain",
            "y.test",
        ],
        vec![
            "user",
            "create",
            "--customer",
            "nope",
            "--email",
            "a@b.test",
            "--role",
            "owner",
        ],
        vec![
            "import",
            "products",
            "--customer",
            "nope",
            csv.to_str().unwrap(),
        ],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_owned).collect())
    .collect();
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = agoat(&db, &args);
        let line = run.one_error();
        assert!(
            line.contains("invalid") || line.contains("UUID") || line.contains("uuid"),
            "agoat {}: {line}",
            args.join(" ")
        );
    }
    assert_eq!(sites_of(&db, customer).await, 1);
    assert_eq!(domain(&db, "x.test").await, None);
    assert_eq!(domain(&db, "y.test").await, None);
    assert_eq!(
        domain(&db, "acme.test").await,
        Some(DomainRow {
            site: site.to_string(),
            is_primary: true
        })
    );
}

#[actix_web::test]
async fn an_invalid_domain_fails_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    for bad in ["bad domain", "acme.test:8080", "bad-.test", "a..b.test"] {
        let run = agoat(
            &db,
            &[
                "site",
                "create",
                "--customer",
                &customer.to_string(),
                "--name",
                "Second",
                "--domain",
                bad,
            ],
        );
        let line = run.one_error();
        assert!(line.contains(bad), "{line}");
        let run = agoat(
            &db,
            &[
                "domain",
                "add",
                "--site",
                &site.to_string(),
                "--domain",
                bad,
            ],
        );
        let line = run.one_error();
        assert!(line.contains(bad), "{line}");
    }
    assert_eq!(sites_of(&db, customer).await, 1, "no site appeared");
    assert_eq!(
        count(
            &db,
            customer,
            &format!("SELECT count(*) AS n FROM tenancy.domains WHERE site_id = '{site}'")
        )
        .await,
        1,
        "no domain appeared"
    );
}

#[actix_web::test]
async fn a_domain_under_another_customers_domain_fails_in_one_line() {
    let db = TestDb::new().await;
    let alpha = create_customer(&db, "Alpha Health");
    let alpha_site = create_site(&db, alpha, "Alpha Blog", "alpha.test");
    let beta = create_customer(&db, "Beta Labs");
    let beta_site = create_site(&db, beta, "Beta Blog", "beta.test");
    agoat(
        &db,
        &[
            "domain",
            "add",
            "--site",
            &beta_site.to_string(),
            "--domain",
            "www.aeb.test",
        ],
    )
    .assert_ok();
    let before = domains_snapshot(&db).await;
    let (alpha_site, beta_site) = (alpha_site.to_string(), beta_site.to_string());
    let beta_id = beta.to_string();
    let refused: Vec<(Vec<&str>, &str)> = vec![
        // Under another customer's domain, as an alias, a primary or a new site's domain.
        (
            vec![
                "domain",
                "add",
                "--site",
                &beta_site,
                "--domain",
                "www.alpha.test",
            ],
            "www.alpha.test is under a domain another customer uses",
        ),
        (
            vec![
                "domain",
                "add",
                "--site",
                &beta_site,
                "--domain",
                "A.B.Alpha.Test.",
                "--primary",
            ],
            "a.b.alpha.test is under a domain another customer uses",
        ),
        (
            vec![
                "site",
                "create",
                "--customer",
                &beta_id,
                "--name",
                "Shop",
                "--domain",
                "shop.alpha.test",
            ],
            "shop.alpha.test is under a domain another customer uses",
        ),
        // Above another customer's domain.
        (
            vec![
                "domain",
                "add",
                "--site",
                &alpha_site,
                "--domain",
                "aeb.test",
            ],
            "another customer uses a domain under aeb.test",
        ),
        (
            vec!["domain", "add", "--site", &alpha_site, "--domain", "test"],
            "another customer uses a domain under test",
        ),
    ];
    for (args, reason) in refused {
        let line = agoat(&db, &args).one_error();
        assert!(line.contains(reason), "agoat {}: {line}", args.join(" "));
        for name in ["Alpha", "Beta", "beta.test", "www.aeb.test"] {
            assert!(!line.contains(name), "agoat {}: {line}", args.join(" "));
        }
    }
    assert_eq!(domains_snapshot(&db).await, before, "nothing changed");
    assert_eq!(sites_of(&db, beta).await, 1);

    // A customer's own subdomains, and names that only end alike, are fine.
    for (site, host) in [
        (&alpha_site, "shop.alpha.test"),
        (&alpha_site, "www.shop.alpha.test"),
        (&beta_site, "xalpha.test"),
        (&beta_site, "alpha.test.example"),
        (&alpha_site, "eb.test"),
    ] {
        agoat(&db, &["domain", "add", "--site", site, "--domain", host]).assert_ok();
    }
}

/// Every directory entry, in order.
async fn domains_snapshot(db: &TestDb) -> String {
    let mut conn = db.owner_conn().await;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        s: String,
    }
    let row: Row = diesel::sql_query(
        "SELECT coalesce(string_agg(host || ' ' || customer_id || ' ' || site_id || ' ' || \
         is_primary, ', ' ORDER BY host), '') AS s FROM tenancy.domains",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    row.s
}

#[actix_web::test]
async fn a_duplicate_domain_fails_in_one_line() {
    let db = TestDb::new().await;
    let alpha = create_customer(&db, "Alpha");
    let alpha_site = create_site(&db, alpha, "Alpha Blog", "alpha.test");
    let beta = create_customer(&db, "Beta");
    let beta_site = create_site(&db, beta, "Beta Blog", "beta.test");
    agoat(
        &db,
        &[
            "domain",
            "add",
            "--site",
            &alpha_site.to_string(),
            "--domain",
            "www.alpha.test",
        ],
    )
    .assert_ok();

    // Another customer's site on a taken primary or alias; the same customer's second site.
    let attempts: Vec<Vec<String>> = vec![
        vec![
            "site",
            "create",
            "--customer",
            &beta.to_string(),
            "--name",
            "Thief",
            "--domain",
            "alpha.test",
        ],
        vec![
            "site",
            "create",
            "--customer",
            &alpha.to_string(),
            "--name",
            "Twin",
            "--domain",
            "WWW.alpha.test",
        ],
        vec![
            "domain",
            "add",
            "--site",
            &beta_site.to_string(),
            "--domain",
            "alpha.test",
        ],
        vec![
            "domain",
            "add",
            "--site",
            &beta_site.to_string(),
            "--domain",
            "www.alpha.test",
        ],
        vec![
            "domain",
            "add",
            "--site",
            &beta_site.to_string(),
            "--domain",
            "alpha.test",
            "--primary",
        ],
        vec![
            "domain",
            "add",
            "--site",
            &alpha_site.to_string(),
            "--domain",
            "www.alpha.test",
        ],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(|s| s.to_owned()).collect())
    .collect();
    for args in attempts {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = agoat(&db, &args);
        let line = run.one_error();
        assert!(
            line.contains("alpha.test"),
            "agoat {}: {line}",
            args.join(" ")
        );
    }
    assert_eq!(sites_of(&db, alpha).await, 1);
    assert_eq!(sites_of(&db, beta).await, 1);
    assert_eq!(
        domain(&db, "alpha.test").await,
        Some(DomainRow {
            site: alpha_site.to_string(),
            is_primary: true
        })
    );
    assert_eq!(
        domain(&db, "www.alpha.test").await,
        Some(DomainRow {
            site: alpha_site.to_string(),
            is_primary: false
        })
    );
    assert_eq!(
        domain(&db, "beta.test").await,
        Some(DomainRow {
            site: beta_site.to_string(),
            is_primary: true
        })
    );
}

#[actix_web::test]
async fn removing_the_primary_domain_fails_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    let run = agoat(&db, &["domain", "remove", "acme.test"]);
    let line = run.one_error();
    assert!(line.contains("primary"), "{line}");
    let run = agoat(&db, &["domain", "remove", "nowhere.test"]);
    let line = run.one_error();
    assert!(line.contains("nowhere.test"), "{line}");
    assert_eq!(
        domain(&db, "acme.test").await,
        Some(DomainRow {
            site: site.to_string(),
            is_primary: true
        }),
        "the primary domain still resolves"
    );
}

#[actix_web::test]
async fn an_unknown_role_fails_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let run = agoat_with_env(
        &db,
        &[
            "user",
            "create",
            "--customer",
            &customer.to_string(),
            "--email",
            "boss@acme.test",
            "--role",
            "admin",
        ],
        &[("AGOAT_PASSWORD", "a long enough password")],
    );
    let line = run.one_error();
    assert!(line.contains("admin"), "{line}");
    assert!(run.stdout.trim().is_empty(), "{run:#?}");
    assert_eq!(users_of(&db, customer).await, 0);
}

#[actix_web::test]
async fn a_short_password_fails_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let run = agoat_with_env(
        &db,
        &[
            "user",
            "create",
            "--customer",
            &customer.to_string(),
            "--email",
            "boss@acme.test",
            "--role",
            "owner",
        ],
        &[("AGOAT_PASSWORD", "elevenchars")],
    );
    let line = run.one_error();
    assert!(line.contains("12"), "{line}");
    assert!(run.stdout.trim().is_empty(), "{run:#?}");
    assert_eq!(users_of(&db, customer).await, 0);
}

#[actix_web::test]
async fn commands_on_an_unknown_site_fail_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    create_site(&db, customer, "Acme Blog", "acme.test");
    let unknown = Uuid::new_v4().to_string();
    let files = TempDir::new("unknown-site");
    let post = files.write(
        "post.md",
        post_file("Lost Post", "lost-post", "2024-05-01", false),
    );
    let cases: [&[&str]; 3] = [
        &["site", "deactivate", &unknown],
        &["domain", "add", "--site", &unknown, "--domain", "lost.test"],
        &[
            "import",
            "posts",
            "--site",
            &unknown,
            post.to_str().unwrap(),
        ],
    ];
    for args in cases {
        let run = agoat(&db, args);
        let line = run.one_error();
        assert!(line.contains(&unknown), "agoat {}: {line}", args.join(" "));
    }
    assert_eq!(domain(&db, "lost.test").await, None);
    assert_eq!(posts_of(&db, customer).await, 0);
}

#[actix_web::test]
async fn user_create_for_an_unknown_customer_fails_in_one_line() {
    let db = TestDb::new().await;
    let unknown = Uuid::new_v4();
    let run = agoat_with_env(
        &db,
        &[
            "user",
            "create",
            "--customer",
            &unknown.to_string(),
            "--email",
            "ghost@acme.test",
            "--role",
            "owner",
        ],
        &[("AGOAT_PASSWORD", "a long enough password")],
    );
    let line = run.one_error();
    assert!(line.contains(&unknown.to_string()), "{line}");
    assert_eq!(users_of(&db, unknown).await, 0);
}

#[actix_web::test]
async fn deactivating_an_unknown_customer_fails_in_one_line() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    create_site(&db, customer, "Acme Blog", "acme.test");
    let unknown = Uuid::new_v4();
    let run = agoat(&db, &["customer", "deactivate", &unknown.to_string()]);
    let line = run.one_error();
    assert!(line.contains(&unknown.to_string()), "{line}");
    assert!(run.stdout.trim().is_empty(), "{run:#?}");
    assert_eq!(
        count(
            &db,
            customer,
            "SELECT count(*) AS n FROM tenancy.customers WHERE is_active"
        )
        .await,
        1,
        "the existing customer is still active"
    );

    // Deactivating the real one works, and its site stops answering.
    let server = Server::start(&db);
    assert_eq!(server.get("acme.test", "/").status, 200);
    agoat(&db, &["customer", "deactivate", &customer.to_string()]).assert_ok();
    let (reply, took) = server.poll("acme.test", "/", PROPAGATION, |r| r.status == 404);
    assert_eq!(
        reply.status, 404,
        "still served {took:?} after deactivation"
    );
    server.stop();
}

// ------------------------------------------------------------------------------------------------
// 4. Domains on a running server

#[actix_web::test]
async fn domain_changes_reach_the_running_server() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    let site_arg = site.to_string();
    let server = Server::start(&db);
    let port = server.port;

    assert_eq!(server.get("acme.test", "/").status, 200);
    assert_eq!(
        server.get("www.acme.test", "/").status,
        404,
        "not added yet"
    );

    // An alias: 301 to the same path on the primary.
    let run = agoat(
        &db,
        &[
            "domain",
            "add",
            "--site",
            &site_arg,
            "--domain",
            "www.acme.test",
        ],
    );
    run.assert_ok();
    assert!(run.stdout.contains("alias"), "{run:#?}");
    let (reply, took) = server.poll("www.acme.test", "/about?x=1", PROPAGATION, |r| {
        r.status != 404
    });
    assert_eq!(reply.status, 301, "{took:?} after domain add: {reply:?}");
    assert_eq!(
        reply.location.as_deref(),
        Some("http://acme.test/about?x=1"),
        "{reply:?}"
    );
    // The port the request names is not copied: `serve` links to the public origin (port 80).
    let with_port = server.get(&format!("www.acme.test:{port}"), "/");
    assert_eq!(with_port.status, 301);
    assert_eq!(with_port.location.as_deref(), Some("http://acme.test/"));

    // --primary moves the primary: the old one now redirects to the new one.
    agoat(
        &db,
        &[
            "domain",
            "add",
            "--site",
            &site_arg,
            "--domain",
            "www.acme.test",
            "--primary",
        ],
    )
    .assert_ok();
    let (reply, took) = server.poll("www.acme.test", "/", PROPAGATION, |r| r.status == 200);
    assert_eq!(reply.status, 200, "{took:?} after --primary: {reply:?}");
    let (reply, _) = server.poll("acme.test", "/", PROPAGATION, |r| r.status == 301);
    assert_eq!(reply.status, 301, "{reply:?}");
    assert_eq!(reply.location.as_deref(), Some("http://www.acme.test/"));
    assert_eq!(
        domain(&db, "acme.test").await,
        Some(DomainRow {
            site: site.to_string(),
            is_primary: false
        })
    );

    // A brand-new domain straight in as the primary.
    agoat(
        &db,
        &[
            "domain",
            "add",
            "--site",
            &site_arg,
            "--domain",
            "acme.example",
            "--primary",
        ],
    )
    .assert_ok();
    let (reply, _) = server.poll("acme.example", "/", PROPAGATION, |r| r.status == 200);
    assert_eq!(reply.status, 200, "{reply:?}");
    let (reply, _) = server.poll("www.acme.test", "/", PROPAGATION, |r| {
        r.location.as_deref() == Some("http://acme.example/")
    });
    assert_eq!(reply.status, 301, "{reply:?}");
    assert_eq!(reply.location.as_deref(), Some("http://acme.example/"));

    // Removing an alias: it stops answering.
    let run = agoat(&db, &["domain", "remove", "acme.test"]);
    run.assert_ok();
    let (reply, took) = server.poll("acme.test", "/", PROPAGATION, |r| r.status == 404);
    assert_eq!(reply.status, 404, "{took:?} after domain remove: {reply:?}");
    assert_eq!(domain(&db, "acme.test").await, None);
    assert_eq!(server.get("acme.example", "/").status, 200);

    server.stop();
}

#[actix_web::test]
async fn absolute_addresses_use_the_configured_public_origin() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    create_site(&db, customer, "Acme Blog", "acme.test");
    let server = Server::start_with(
        &db,
        &[
            ("AGOAT_PUBLIC_SCHEME", "https"),
            ("AGOAT_PUBLIC_PORT", "8443"),
        ],
    );
    let host = format!("acme.test:{}", server.port);
    let home = server.get(&host, "/");
    assert_eq!(home.status, 200, "{home:?}");
    assert!(
        home.body
            .contains("<link rel=\"canonical\" href=\"https://acme.test:8443/\">"),
        "{}",
        home.body
    );
    assert!(
        !home.body.contains(&host),
        "the request's port is not copied"
    );
    server.stop();

    for (name, value) in [
        ("AGOAT_PUBLIC_PORT", "99999"),
        ("AGOAT_PUBLIC_PORT", "eighty"),
        ("AGOAT_PUBLIC_SCHEME", "ftp"),
        ("AGOAT_TRUSTED_PROXIES", "10.0.0/8"),
        ("AGOAT_TRUSTED_PROXIES", "10.0.0.0/8; 192.0.2.1"),
    ] {
        let run = agoat_with_env(&db, &["serve", "--bind", "127.0.0.1:0"], &[(name, value)]);
        let line = run.one_error();
        assert!(line.contains(name), "{name}={value}: {line}");
    }
}

/// The response head of `GET /` on `host` with these extra header lines, over a plain socket.
fn head_with(server: &Server, host: &str, extra: &str) -> String {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /admin/login HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[actix_web::test]
async fn the_server_believes_the_forwarded_scheme_of_its_trusted_proxies_only() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    create_site(&db, customer, "Acme Blog", "acme.test");
    let forwarded = "X-Forwarded-Proto: https\r\nX-Forwarded-For: 198.51.100.20\r\n";
    for (trusted, believed) in [("127.0.0.0/8, ::1", true), ("10.0.0.0/8", false)] {
        let server = Server::start_with(&db, &[("AGOAT_TRUSTED_PROXIES", trusted)]);
        let head = head_with(&server, "acme.test", forwarded);
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert_eq!(
            head.contains("strict-transport-security"),
            believed,
            "{trusted}: {head}"
        );
        assert_eq!(head.contains("; secure"), believed, "{trusted}: {head}");
        let plain = head_with(&server, "acme.test", "");
        assert!(!plain.contains("strict-transport-security") && !plain.contains("; secure"));
        server.stop();
    }
}

// ------------------------------------------------------------------------------------------------
// 5. Importing posts

#[actix_web::test]
async fn import_posts_publishes_skips_drafts_and_schedules_future_posts() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    let files = TempDir::new("posts");
    files.write(
        "content/past.md",
        post_file("A Past Post", "past-post", "2024-05-01T10:00:00Z", false),
    );
    files.write(
        "content/draft.md",
        post_file("A Draft Post", "draft-post", "2024-05-01", true),
    );
    files.write(
        "content/future.md",
        post_file(
            "A Future Post",
            "future-post",
            "2099-01-01 10:00:00 +02:00",
            false,
        ),
    );
    files.write(
        "content/nested/from-the-file-name.markdown",
        "---\ntitle: Named By Its File\n---\nNo slug, no date: published now.\n",
    );
    files.write("content/notes.txt", "not Markdown: ignored");
    let other = files.write(
        "elsewhere/single.md",
        post_file("A Single File", "single-file", "2023-01-01", false),
    );

    let run = agoat(
        &db,
        &[
            "import",
            "posts",
            "--site",
            &site.to_string(),
            files.path().join("content").to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    run.assert_ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("5 posts created, 0 updated"),
        "{run:#?}"
    );
    assert_eq!(posts_of(&db, customer).await, 5);

    let server = Server::start(&db);
    let past = server.get("acme.test", "/posts/past-post");
    assert_eq!(past.status, 200, "{past:?}");
    assert!(past.body.contains("A Past Post"), "{}", past.body);
    assert!(past.body.contains("About A Past Post"), "the description");
    assert!(
        past.body.contains("<strong>A Past Post</strong>"),
        "the rendered body"
    );
    assert!(past.body.contains("second-tag"), "the tags");
    assert_eq!(server.get("acme.test", "/posts/single-file").status, 200);
    let by_name = server.get("acme.test", "/posts/from-the-file-name");
    assert_eq!(by_name.status, 200, "slug from the file name: {by_name:?}");
    assert!(by_name.body.contains("Named By Its File"));
    assert_eq!(
        server.get("acme.test", "/posts/draft-post").status,
        404,
        "a draft is not public"
    );
    assert_eq!(
        server.get("acme.test", "/posts/future-post").status,
        404,
        "a future date schedules the post"
    );
    let home = server.get("acme.test", "/");
    assert!(home.body.contains("A Past Post"));
    assert!(!home.body.contains("A Draft Post"));
    assert!(!home.body.contains("A Future Post"));
    server.stop();
}

#[actix_web::test]
async fn reimporting_a_slug_updates_the_post_as_a_new_revision() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    let site_arg = site.to_string();
    let files = TempDir::new("reimport");
    let path = files.write(
        "post.md",
        post_file("Original Title", "the-post", "2024-05-01", false),
    );
    let path_arg = path.to_str().unwrap().to_owned();

    let run = agoat(&db, &["import", "posts", "--site", &site_arg, &path_arg]);
    run.assert_ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("1 posts created, 0 updated")
    );
    let server = Server::start(&db);
    let page = server.get("acme.test", "/posts/the-post");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Original Title"));

    files.write(
        "post.md",
        post_file("Renamed Title", "the-post", "2024-05-01", false),
    );
    let run = agoat(&db, &["import", "posts", "--site", &site_arg, &path_arg]);
    run.assert_ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("0 posts created, 1 updated"),
        "{run:#?}"
    );
    // Another process changed the post: the server's page cache shows it within its lifetime.
    let (page, _) = server.poll("acme.test", "/posts/the-post", PROPAGATION, |r| {
        r.body.contains("Renamed Title")
    });
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Renamed Title"), "{}", page.body);
    assert!(!page.body.contains("Original Title"));
    server.stop();

    assert_eq!(posts_of(&db, customer).await, 1, "no second post");
    let revisions = count(
        &db,
        customer,
        &format!(
            "SELECT count(*) AS n FROM content.post_revisions r JOIN content.posts p \
             ON p.customer_id = r.customer_id AND p.id = r.post_id \
             WHERE p.customer_id = '{customer}' AND p.slug = 'the-post'"
        ),
    )
    .await;
    assert_eq!(revisions, 2, "one revision per import");
}

#[actix_web::test]
async fn a_posts_batch_with_a_bad_file_imports_nothing() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    let site = create_site(&db, customer, "Acme Blog", "acme.test");
    let site_arg = site.to_string();
    let files = TempDir::new("bad-posts");
    let existing = files.write(
        "first/kept.md",
        post_file("Kept Title", "kept", "2024-05-01", false),
    );
    agoat(
        &db,
        &[
            "import",
            "posts",
            "--site",
            &site_arg,
            existing.to_str().unwrap(),
        ],
    )
    .assert_ok();

    let batch = files.path().join("batch");
    files.write(
        "batch/a-good.md",
        post_file("A Good Post", "good-post", "2024-05-01", false),
    );
    files.write(
        "batch/b-kept.md",
        post_file("Changed Title", "kept", "2024-05-01", false),
    );
    let bad_date = files.write(
        "batch/c-bad-date.md",
        "---\ntitle: Bad Date\ndate: 2024-13-45\n---\nbody\n",
    );
    let no_title = files.write(
        "batch/d-no-title.md",
        "---\nslug: no-title\ndescription: no title here\n---\nbody\n",
    );
    let unclosed = files.write(
        "batch/e-unclosed.md",
        "---\ntitle: Never Closed\ndescription: the closing line is missing\n\nbody\n",
    );
    let nul_in_body = files.write(
        "batch/f-nul-in-body.md",
        "---\ntitle: Nul In Body\n---\nfine\nnul \0 here\n",
    );
    let escaped_title = files.write(
        "batch/g-escaped-title.md",
        "---\nslug: escaped\ntitle: \"Clear\\u001b[2J\"\n---\nbody\n",
    );
    let run = agoat(
        &db,
        &[
            "import",
            "posts",
            "--site",
            &site_arg,
            batch.to_str().unwrap(),
        ],
    );
    assert!(
        run.status.code().is_some_and(|c| c != 0),
        "a bad batch fails: {run:#?}"
    );
    let lines = run.error_lines();
    let expected = [
        (&bad_date, 3, "date"),
        (&no_title, 1, "title"),
        (&unclosed, 1, "not closed"),
        (&nul_in_body, 5, "control character (U+0000)"),
        (&escaped_title, 3, "control character (U+001B)"),
    ];
    assert_eq!(
        lines.len(),
        expected.len(),
        "one line per bad file: {lines:#?}"
    );
    for (line, (path, number, reason)) in lines.iter().zip(expected) {
        let prefix = format!("error: {}:{number}: ", path.display());
        assert!(
            line.starts_with(&prefix),
            "{line:?} does not start with {prefix:?}"
        );
        assert!(line.contains(reason), "{line:?} does not say {reason:?}");
    }

    // Nothing of the batch: no new post, and the existing one unchanged.
    assert_eq!(posts_of(&db, customer).await, 1);
    assert_eq!(
        count(
            &db,
            customer,
            "SELECT count(*) AS n FROM content.posts WHERE slug = 'kept' AND title = 'Kept Title'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            customer,
            "SELECT count(*) AS n FROM content.post_revisions"
        )
        .await,
        1
    );
    let server = Server::start(&db);
    assert_eq!(server.get("acme.test", "/posts/good-post").status, 404);
    let kept = server.get("acme.test", "/posts/kept");
    assert_eq!(kept.status, 200);
    assert!(kept.body.contains("Kept Title"));
    server.stop();
}

// ------------------------------------------------------------------------------------------------
// 6. Importing products

const PRODUCTS_HEADER: &str = "sku,name,description,category,wholesale_price,retail_price,in_stock";

#[actix_web::test]
async fn import_products_shows_them_with_the_retail_price() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    create_site(&db, customer, "Acme Blog", "acme.test");
    let files = TempDir::new("products");
    let csv = files.write(
        "products.csv",
        format!(
            "\u{feff}{PRODUCTS_HEADER}\r\n\
             THR-100,\"Vitamin D-5,000\",\"First line of the description\nsecond line, with a comma\",Vitamins,12.00,24.50,true\r\n\
             THR-200,Magnesium Bisglycinate,Plain,Minerals,8,1234.5,no\r\n"
        ),
    );
    let csv_arg = csv.to_str().unwrap().to_owned();
    let customer_arg = customer.to_string();
    let run = agoat(
        &db,
        &["import", "products", "--customer", &customer_arg, &csv_arg],
    );
    run.assert_ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("2 products created, 0 updated, 0 unchanged"),
        "{run:#?}"
    );
    let run = agoat(
        &db,
        &["import", "products", "--customer", &customer_arg, &csv_arg],
    );
    run.assert_ok();
    assert_eq!(
        run.stdout.lines().last(),
        Some("0 products created, 0 updated, 2 unchanged"),
        "{run:#?}"
    );

    let server = Server::start(&db);
    let page = server.get("acme.test", "/products/THR-100");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("Vitamin D-5,000"), "{}", page.body);
    assert!(page.body.contains("First line of the description"));
    assert!(page.body.contains("second line, with a comma"));
    assert!(
        page.body.contains("$24.50"),
        "the retail price: {}",
        page.body
    );
    assert!(!page.body.contains("12.00"), "never the wholesale price");
    let page = server.get("acme.test", "/products/THR-200");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("Magnesium Bisglycinate"));
    assert!(page.body.contains("$1,234.50"), "{}", page.body);
    server.stop();
}

#[actix_web::test]
async fn a_products_file_with_bad_rows_imports_nothing() {
    let db = TestDb::new().await;
    let customer = create_customer(&db, "Acme Health");
    create_site(&db, customer, "Acme Blog", "acme.test");
    let files = TempDir::new("bad-products");
    let csv = files.write(
        "products.csv",
        format!(
            "{PRODUCTS_HEADER}\n\
             OK-1,Fine,,Vitamins,1.00,2.00,true\n\
             BAD-2,Comma Price,,Vitamins,1.00,12,50,true\n\
             BAD-3,Exponent,,Vitamins,1e3,2.00,true\n\
             BAD-4,Negative,,Vitamins,1.00,-1,true\n\
             BAD-5,Maybe,,Vitamins,1.00,2.00,maybe\n\
             OK-1,Duplicate,,Vitamins,1.00,2.00,true\n\
             OK-2,Also Fine,,Vitamins,3.00,4.00,false\n\
             BAD-6,Nul\0Name,,Vitamins,1.00,2.00,true\n\
             BAD-7,Fine,Bell\u{7},Vitamins,1.00,2.00,true\n"
        ),
    );
    let run = agoat(
        &db,
        &[
            "import",
            "products",
            "--customer",
            &customer.to_string(),
            csv.to_str().unwrap(),
        ],
    );
    assert!(
        run.status.code().is_some_and(|c| c != 0),
        "bad rows fail the import: {run:#?}"
    );
    let lines = run.error_lines();
    let expected = [
        ("error: line 3, column 8: ", "expected 7 fields, found 8"),
        ("error: line 4, column wholesale_price: ", "digits"),
        ("error: line 5, column retail_price: ", "negative"),
        ("error: line 6, column in_stock: ", "true or false"),
        ("error: line 7, column sku: ", "OK-1"),
        ("error: line 9, column name: ", "control character (U+0000)"),
        (
            "error: line 10, column description: ",
            "control character (U+0007)",
        ),
    ];
    assert_eq!(
        lines.len(),
        expected.len(),
        "one line per problem: {lines:#?}"
    );
    for (line, (prefix, reason)) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(prefix),
            "{line:?} does not start with {prefix:?}"
        );
        assert!(line.contains(reason), "{line:?} does not say {reason:?}");
    }
    assert!(run.stdout.trim().is_empty(), "{run:#?}");
    assert_eq!(products_of(&db, customer).await, 0, "nothing imported");
}

#[actix_web::test]
async fn import_products_for_an_unknown_customer_fails_in_one_line() {
    let db = TestDb::new().await;
    let unknown = Uuid::new_v4();
    let files = TempDir::new("products-unknown");
    let csv = files.write(
        "products.csv",
        format!("{PRODUCTS_HEADER}\nOK-1,Fine,,Vitamins,1.00,2.00,true\n"),
    );
    let run = agoat(
        &db,
        &[
            "import",
            "products",
            "--customer",
            &unknown.to_string(),
            csv.to_str().unwrap(),
        ],
    );
    let line = run.one_error();
    assert!(line.contains(&unknown.to_string()), "{line}");
    assert_eq!(products_of(&db, unknown).await, 0);
}

// ------------------------------------------------------------------------------------------------
// 7–8. Migrations and the embedded PostgreSQL

#[actix_web::test]
async fn migrate_is_idempotent() {
    let db = TestDb::new().await;
    for round in 1..=2 {
        let run = agoat(&db, &["migrate"]);
        assert!(run.status.success(), "round {round}: {run:#?}");
        assert!(run.stderr.trim().is_empty(), "round {round}: {run:#?}");
    }
    // Still a working database afterwards.
    create_customer(&db, "After Migrations");
}

/// Processes started at once (app servers behind a load balancer, a command beside a server) each
/// migrate first: they take turns instead of failing on what another is changing.
#[actix_web::test]
async fn processes_started_at_once_migrate_in_turn() {
    let db = TestDb::new().await;
    // Without the turns, one run in about ten fails ("tuple concurrently updated").
    for round in 1..=5 {
        let runs: Vec<std::process::Child> = (0..4)
            .map(|_| {
                command(&db)
                    .arg("migrate")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("agoat runs")
            })
            .collect();
        for run in runs {
            let output = run.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    create_customer(&db, "After Concurrent Migrations");
}

/// `agoat` with no database URL, on the embedded PostgreSQL of `data_dir`.
fn embedded_command(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("DATABASE_URL")
        .env_remove("AGOAT_APP_DATABASE_URL")
        .env_remove("AGOAT_PASSWORD")
        .env_remove("RUST_LOG")
        .env_remove("AGOAT_PG_BINDIR")
        .env("AGOAT_DATA_DIR", data_dir)
        .stdin(Stdio::null());
    command
}

#[derive(QueryableByName)]
struct Login {
    #[diesel(sql_type = Text)]
    name: String,
}

#[actix_web::test]
async fn the_server_serves_through_the_agoat_app_login() {
    let db = TestDb::new().await;
    create_customer(&db, "Served");
    let server = Server::start(&db);
    let reply = http_get(server.addr(), "localhost", "/readyz").unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let logins: Vec<Login> = diesel::sql_query(
        "SELECT DISTINCT usename::text AS name FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'agoat'",
    )
    .load(&mut db.owner_conn().await)
    .await
    .unwrap();
    let names: Vec<&str> = logins.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["agoat_app"]);
}

#[actix_web::test]
async fn an_app_database_url_that_can_become_the_owner_is_refused() {
    let db = TestDb::new().await;
    let run = finish(command(&db).env("AGOAT_APP_DATABASE_URL", &db.url).args([
        "customer",
        "create",
        "--name",
        "Owner Login",
    ]));
    let line = run.one_error();
    assert!(line.contains("can become"), "{line}");
    assert!(line.contains("AGOAT_APP_DATABASE_URL"), "{line}");
}

#[actix_web::test]
async fn an_app_database_url_of_the_application_role_serves() {
    let db = TestDb::new().await;
    let run = finish(
        command(&db)
            .env("AGOAT_APP_DATABASE_URL", &db.app_url)
            .args(["customer", "create", "--name", "App Login"]),
    );
    run.new_id();
}

#[actix_web::test]
async fn the_embedded_default_keeps_a_private_password_for_agoat_app() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("embedded-login");
    let data = dir.path().join("data");
    let home = agoat::db::embedded::data_dir_for(&data).unwrap();
    let run = finish(
        embedded_command(&data)
            .env_remove("AGOAT_APP_DB_PASSWORD")
            .args(["customer", "create", "--name", "Embedded Login"]),
    );
    run.new_id();
    let file = home.join("app-password");
    let password = std::fs::read_to_string(&file).unwrap();
    assert_eq!(password.len(), 64, "{password:?}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    #[derive(QueryableByName)]
    struct Role {
        #[diesel(sql_type = Bool)]
        can_login: bool,
        #[diesel(sql_type = Bool)]
        scram: bool,
    }
    let pg = agoat::db::embedded::EmbeddedPostgres::start(&data)
        .await
        .unwrap();
    let mut conn = agoat::db::tls::connect(&pg.url("agoat")).await.unwrap();
    let role: Role = diesel::sql_query(
        "SELECT rolcanlogin AS can_login, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram \
         FROM pg_authid WHERE rolname = 'agoat_app'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    drop(conn);
    pg.stop().await.unwrap();
    assert!(role.can_login && role.scram);
}

#[test]
fn migrate_without_a_database_url_runs_and_stops_the_embedded_postgres() {
    let dir = TempDir::new("embedded");
    let data = dir.path().join("data");

    let run = finish(embedded_command(&data).arg("migrate"));
    assert!(run.status.success(), "{run:#?}");
    assert!(
        data.join("pg").join("PG_VERSION").is_file(),
        "the cluster lives in <data>/pg"
    );
    assert!(
        !data.join("pg").join("postmaster.pid").exists(),
        "the embedded PostgreSQL was left running"
    );

    // The cluster is reused and was migrated: a customer can be created on it, then it stops again.
    let run = finish(
        embedded_command(&data)
            .args(["customer", "create", "--name", "Embedded"])
            .stdin(Stdio::null()),
    );
    run.new_id();
    assert!(!data.join("pg").join("postmaster.pid").exists());
}

#[test]
fn as_root_a_data_folder_the_postgres_user_cannot_reach_moves_under_var_lib_agoat() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    if uid != 0 {
        eprintln!(
            "skipped: only root runs the embedded PostgreSQL as the postgres user (uid {uid})"
        );
        return;
    }
    let dir = TempDir::new("private");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = dir.path().join("data");
    let home = match agoat::db::embedded::data_dir_for(&data) {
        Ok(home) => home,
        Err(error) => {
            eprintln!("skipped: {error}");
            return;
        }
    };
    assert!(home.starts_with("/var/lib/agoat"), "{}", home.display());
    let _cleanup = TempDir(home.clone());

    let run = finish(embedded_command(&data).arg("migrate"));
    assert!(run.status.success(), "{run:#?}");
    assert!(home.join("pg").join("PG_VERSION").is_file());
    assert!(!data.exists(), "nothing is made in the folder asked for");
    let run = finish(embedded_command(&data).args(["customer", "create", "--name", "Moved"]));
    run.new_id();
    assert!(!home.join("pg").join("postmaster.pid").exists());
}

#[test]
fn without_postgresql_binaries_the_error_names_the_package_and_database_url() {
    // The search also looks in /usr/lib/postgresql/<version>/bin and /usr/local/pgsql/bin, which
    // no environment variable can hide; where those hold a server this half cannot be provoked
    // through the binary (the unit test `binaries_not_found_is_one_clear_line` covers it).
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().join("bin").join("initdb").exists())
        })
        .unwrap_or(false)
        || Path::new("/usr/local/pgsql/bin/initdb").exists();
    if installed {
        eprintln!("skipped: PostgreSQL is installed in a fixed location on this machine");
        return;
    }
    let dir = TempDir::new("no-binaries");
    let run = finish(
        Command::new(BIN)
            .env_clear()
            .env("AGOAT_PG_BINDIR", "/nonexistent")
            .env("PATH", "/nonexistent-only")
            .env("AGOAT_DATA_DIR", dir.path().join("data"))
            .arg("migrate")
            .stdin(Stdio::null()),
    );
    let line = run.one_error();
    assert!(line.contains("postgresql"), "{line}");
    assert!(line.contains("DATABASE_URL"), "{line}");
}

#[test]
fn an_embedded_startup_error_is_one_line() {
    // The data folder is a file: the embedded server cannot start (or, on a machine without
    // PostgreSQL, its binaries are not found); either way one line.
    let dir = TempDir::new("data-is-a-file");
    let data = dir.write("data", "not a folder");
    let run = finish(
        Command::new(BIN)
            .env_clear()
            .env("AGOAT_DATA_DIR", &data)
            .arg("migrate")
            .stdin(Stdio::null()),
    );
    run.one_error();
}

#[test]
fn a_bad_pg_bindir_adds_no_second_stderr_line_to_an_embedded_error() {
    // As in the not-found case of the requirement (AGOAT_PG_BINDIR=/nonexistent, PATH without
    // PostgreSQL), with a start that fails on any machine: the data folder is a file.
    let dir = TempDir::new("bad-bindir");
    let data = dir.write("data", "not a folder");
    let run = finish(
        Command::new(BIN)
            .env_clear()
            .env("AGOAT_PG_BINDIR", "/nonexistent")
            .env("PATH", "/nonexistent-only")
            .env("AGOAT_DATA_DIR", &data)
            .arg("migrate")
            .stdin(Stdio::null()),
    );
    run.one_error();
}

// ------------------------------------------------------------------------------------------------
// Mail from a running server

/// Asks for a reset link for `email` on `host` of `server`, as a browser would (the form's
/// session and CSRF token first); returns the answer's status.
fn ask_for_reset(server: &Server, host: &str, email: &str) -> u16 {
    use crate::common::http::send;
    let page = send(
        server.addr(),
        "GET",
        host,
        "/admin/password/forgot",
        None,
        None,
    )
    .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let token = regex_lite::Regex::new(r#"name="csrf_token" value="([^"]+)""#)
        .unwrap()
        .captures(&page.body)
        .expect("the form has a CSRF token")[1]
        .to_owned();
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("email", email), ("csrf_token", &token)])
        .finish();
    let cookie = page.cookie.expect("the form starts a session");
    send(
        server.addr(),
        "POST",
        host,
        "/admin/password/forgot",
        Some(&cookie),
        Some(&form),
    )
    .unwrap()
    .status
}

/// Waits up to 10 s for `read` to find one mail.
fn one_mail(read: impl Fn() -> Vec<crate::common::mail::Mail>) -> crate::common::mail::Mail {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mails = read();
        if !mails.is_empty() {
            assert_eq!(mails.len(), 1);
            return mails[0].clone();
        }
        assert!(Instant::now() < deadline, "no mail arrived within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn customer_with_owner(db: &TestDb) {
    let customer = create_customer(db, "Acme Health");
    create_site(db, customer, "Acme Blog", "acme.test");
    agoat_with_env(
        db,
        &[
            "user",
            "create",
            "--customer",
            &customer.to_string(),
            "--email",
            "owner@acme.test",
            "--role",
            "owner",
        ],
        &[("AGOAT_PASSWORD", "a long enough password")],
    )
    .assert_ok();
}

#[actix_web::test]
async fn without_smtp_a_running_server_writes_mail_under_the_data_folder_and_says_where() {
    let db = TestDb::new().await;
    customer_with_owner(&db);
    let data = TempDir::new("mail-data");
    let server = Server::start_with(&db, &[("AGOAT_DATA_DIR", data.path().to_str().unwrap())]);
    let outbox = data.path().join("outbox");
    assert!(
        server
            .log_text()
            .contains(&format!("mail is written to files in {}", outbox.display())),
        "{}",
        server.log_text()
    );
    assert_eq!(ask_for_reset(&server, "acme.test", "owner@acme.test"), 200);
    let mail = one_mail(|| crate::common::mail::read_mails(&outbox));
    assert!(mail.file.extension().is_some_and(|e| e == "eml"));
    assert_eq!(mail.header("To").as_deref(), Some("owner@acme.test"));
    assert!(mail.header("From").unwrap().contains("agoat@localhost"));
    assert!(
        mail.link()
            .starts_with("http://acme.test/admin/password/reset/")
    );
    server.stop();
}

#[actix_web::test]
async fn with_smtp_a_running_server_sends_mail_through_it() {
    let Some(smtp) = crate::common::mail::SmtpServer::start() else {
        return;
    };
    let db = TestDb::new().await;
    customer_with_owner(&db);
    let server = Server::start_with(
        &db,
        &[
            ("AGOAT_SMTP_URL", &smtp.url()),
            ("AGOAT_MAIL_FROM", "Acme Mail <mail@acme.test>"),
        ],
    );
    assert!(
        server
            .log_text()
            .contains(&format!("SMTP server smtp://127.0.0.1:{}", smtp.port)),
        "{}",
        server.log_text()
    );
    assert_eq!(ask_for_reset(&server, "acme.test", "owner@acme.test"), 200);
    let mail = one_mail(|| smtp.messages());
    assert_eq!(mail.header("To").as_deref(), Some("owner@acme.test"));
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Acme Blog\" <mail@acme.test>")
    );
    assert!(
        mail.link()
            .starts_with("http://acme.test/admin/password/reset/")
    );
    server.stop();
}
