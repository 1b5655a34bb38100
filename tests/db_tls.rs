//! TLS to PostgreSQL, against a throwaway server: a throwaway CA signs one certificate for
//! `localhost`/127.0.0.1 and one for `wrong.example`; a PostgreSQL cluster made for the test
//! serves one of them on 127.0.0.1 with trust authentication. Every `sslmode` is tried in both
//! connection string forms, the CA given by `sslrootcert`, by `AGOAT_DB_CA_FILE` (through the
//! `agoat` binary) or not at all (system roots).
//!
//! Without PostgreSQL's server binaries the tests say so and pass, except when
//! `AGOAT_REQUIRE_PG_BINARIES=1` (as in CI), where they fail.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use agoat::db::roles;
use agoat::db::tls::{self, SslMode};
use agoat::db::{Database, PoolSettings};
use diesel::QueryableByName;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use scoped_futures::ScopedFutureExt;

const SERVER_USER: &str = "postgres";

// ---------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_accepts_the_right_certificate_and_encrypts() {
    let Some(bindir) = pg_bindir_or_skip() else {
        return;
    };
    let pki = Pki::new();
    let server = Server::start(&bindir, &pki.localhost);
    let ca = pki.ca_file.display().to_string();

    for url in [
        server.url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        server.url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        server.key_value(
            "localhost",
            &format!("sslmode=verify-full sslrootcert='{ca}'"),
        ),
        server.url("localhost", &format!("sslmode=verify-ca&sslrootcert={ca}")),
    ] {
        let mut conn = connect(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(uses_tls(&mut conn).await, "{url} is not encrypted");
    }

    let mut conn = tls::connect_with_ca_file(
        &server.url("localhost", "sslmode=verify-full"),
        Some(&pki.ca_file),
    )
    .await
    .expect("verify-full with the CA file from configuration connects");
    assert!(uses_tls(&mut conn).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn require_encrypts_and_disable_prefer_stay_plain() {
    let Some(bindir) = pg_bindir_or_skip() else {
        return;
    };
    let pki = Pki::new();
    let server = Server::start(&bindir, &pki.localhost);

    for (params, encrypted) in [
        ("sslmode=require", true),
        ("sslmode=disable", false),
        ("sslmode=prefer", false),
        ("sslmode=allow", false),
        ("application_name=plain", false),
    ] {
        for url in [
            server.url("localhost", params),
            server.key_value("localhost", params),
        ] {
            let mut conn = connect(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(uses_tls(&mut conn).await, encrypted, "{url}");
        }
    }

    // `require` checks nothing: the self-signed chain is fine without any CA.
    let mut conn = connect(&server.url("localhost", "sslmode=require"))
        .await
        .unwrap();
    assert!(uses_tls(&mut conn).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_modes_refuse_an_unknown_issuer() {
    let Some(bindir) = pg_bindir_or_skip() else {
        return;
    };
    let pki = Pki::new();
    let server = Server::start(&bindir, &pki.localhost);
    let other_ca = pki.other_ca_file.display().to_string();

    for (url, mode) in [
        (
            server.url("localhost", "sslrootcert=system"),
            SslMode::VerifyFull,
        ),
        (
            server.url("localhost", "sslmode=verify-full&sslrootcert=system"),
            SslMode::VerifyFull,
        ),
        (
            server.url(
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={other_ca}"),
            ),
            SslMode::VerifyFull,
        ),
        (
            server.key_value("localhost", "sslmode=verify-ca"),
            SslMode::VerifyCa,
        ),
        (
            server.url(
                "localhost",
                &format!("sslmode=verify-ca&sslrootcert={other_ca}"),
            ),
            SslMode::VerifyCa,
        ),
        // With a CA file, `require` checks the chain, as libpq does.
        (
            server.url(
                "localhost",
                &format!("sslmode=require&sslrootcert={other_ca}"),
            ),
            SslMode::Require,
        ),
    ] {
        let error = connect(&url).await.err().unwrap_or_else(|| {
            panic!("{url} connected to a server whose certificate it does not trust")
        });
        assert!(
            error.contains("not signed by a trusted certificate authority"),
            "{url}: {error}"
        );
        assert!(error.contains(&format!("sslmode={mode}")), "{url}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_refuses_a_certificate_for_another_host() {
    let Some(bindir) = pg_bindir_or_skip() else {
        return;
    };
    let pki = Pki::new();
    let mut server = Server::start(&bindir, &pki.localhost);
    let ca = pki.ca_file.display().to_string();
    let verify_full = server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    connect(&verify_full)
        .await
        .expect("the certificate for localhost is accepted");

    server.restart_with(&pki.wrong_host);

    for url in [
        verify_full.clone(),
        server.url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        server.key_value(
            "localhost",
            &format!("sslmode=verify-full sslrootcert={ca}"),
        ),
    ] {
        let error = connect(&url)
            .await
            .err()
            .unwrap_or_else(|| panic!("{url} accepted a certificate for wrong.example"));
        assert!(
            error.contains("certificate not valid for name")
                && error.contains("wrong.example")
                && error.contains("sslmode=verify-full"),
            "{url}: {error}"
        );
    }

    // The chain is still good: the modes that do not check the name connect, encrypted.
    for url in [
        server.url("localhost", &format!("sslmode=verify-ca&sslrootcert={ca}")),
        server.url("localhost", &format!("sslmode=require&sslrootcert={ca}")),
        server.url("localhost", "sslmode=require"),
    ] {
        let mut conn = connect(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(uses_tls(&mut conn).await, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_and_the_pool_connect_with_verify_full() {
    let Some(bindir) = pg_bindir_or_skip() else {
        return;
    };
    let pki = Pki::new();
    let server = Server::start(&bindir, &pki.localhost);
    let mut admin = connect(&server.url("localhost", "sslmode=disable"))
        .await
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE agoat_tls")
        .await
        .unwrap();
    let url = format!(
        "postgres://agoat@localhost:{}/agoat_tls?sslmode=verify-full",
        server.port
    );

    // Without a CA the system roots do not know the throwaway CA: refused, nothing applied.
    let refused = agoat_migrate(&url, None).await;
    assert!(
        !refused.status.success(),
        "migrate without the CA succeeded"
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("not signed by a trusted certificate authority")
            && stderr.contains("sslmode=verify-full"),
        "{stderr}"
    );
    assert!(!has_migrations_table(server.port).await);

    let applied = agoat_migrate(&url, Some(&pki.ca_file)).await;
    assert!(
        applied.status.success(),
        "migrate with AGOAT_DB_CA_FILE failed: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert!(has_migrations_table(server.port).await);

    let owner_url = format!("{url}&sslrootcert={}", pki.ca_file.display());
    let serving = roles::prepare_serving_login(&owner_url, None)
        .await
        .expect("the serving login is set up over TLS");
    assert!(serving.starts_with("postgres://agoat_app@"), "{serving}");
    let db = Database::connect(&serving, &PoolSettings::default()).unwrap();
    assert!(db.migrations_current().await.unwrap());
    let encrypted = db
        .directory_read(|conn| {
            // The pool logs in as the application role, the session user, who sees its own
            // pg_stat_ssl row in full.
            async move { Ok(uses_tls(conn).await) }.scope_boxed()
        })
        .await
        .unwrap();
    assert!(encrypted, "the pool's connections are not encrypted");
}

// ---------------------------------------------------------------------------
// Connections

async fn connect(url: &str) -> Result<AsyncPgConnection, String> {
    tls::connect_with_ca_file(url, None)
        .await
        .map_err(|e| e.to_string())
}

#[derive(QueryableByName)]
struct SslRow {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

async fn uses_tls(conn: &mut AsyncPgConnection) -> bool {
    let row: SslRow = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result(conn)
        .await
        .expect("pg_stat_ssl answers");
    row.ssl
}

/// Whether the migrations have created their bookkeeping table in `agoat_tls`.
async fn has_migrations_table(port: u16) -> bool {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let mut conn = connect(&format!(
        "host=127.0.0.1 port={port} user=agoat dbname=agoat_tls sslmode=disable"
    ))
    .await
    .unwrap();
    let row: Exists =
        diesel::sql_query("SELECT to_regclass('__diesel_schema_migrations') IS NOT NULL AS exists")
            .get_result(&mut conn)
            .await
            .unwrap();
    row.exists
}

/// Runs `agoat migrate` on `url`, with `AGOAT_DB_CA_FILE` set to `ca_file` or unset.
async fn agoat_migrate(url: &str, ca_file: Option<&Path>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_agoat"));
    command
        .arg("migrate")
        .env("DATABASE_URL", url)
        .env_remove(tls::CA_FILE_ENV);
    if let Some(path) = ca_file {
        command.env(tls::CA_FILE_ENV, path);
    }
    command.output().await.expect("agoat runs")
}

// ---------------------------------------------------------------------------
// Certificates

/// A key and certificate in PEM.
struct KeyAndCertificate {
    key_pem: String,
    cert_pem: String,
}

/// A throwaway CA, the two server certificates it signed, and an unrelated CA.
struct Pki {
    _dir: TempDir,
    ca_file: PathBuf,
    other_ca_file: PathBuf,
    localhost: KeyAndCertificate,
    wrong_host: KeyAndCertificate,
}

impl Pki {
    fn new() -> Pki {
        let dir = TempDir::new("pki");
        let (ca_pem, ca) = certificate_authority("AGoat test CA");
        let (other_ca_pem, _) = certificate_authority("Some other CA");
        let ca_file = dir.path().join("ca.pem");
        let other_ca_file = dir.path().join("other-ca.pem");
        fs::write(&ca_file, ca_pem).unwrap();
        fs::write(&other_ca_file, other_ca_pem).unwrap();
        Pki {
            localhost: server_certificate(&["localhost", "127.0.0.1"], &ca),
            wrong_host: server_certificate(&["wrong.example"], &ca),
            _dir: dir,
            ca_file,
            other_ca_file,
        }
    }
}

fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn server_certificate(names: &[&str], ca: &Issuer<'_, KeyPair>) -> KeyAndCertificate {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, &names[0]);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    KeyAndCertificate {
        key_pem: key.serialize_pem(),
        cert_pem: cert.pem(),
    }
}

// ---------------------------------------------------------------------------
// The throwaway server

/// A PostgreSQL cluster listening on 127.0.0.1 with TLS on, stopped and removed on drop.
struct Server {
    dir: TempDir,
    bindir: PathBuf,
    port: u16,
    owner: Option<Owner>,
}

#[derive(Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
}

impl Server {
    fn start(bindir: &Path, certificate: &KeyAndCertificate) -> Server {
        let dir = TempDir::new("pg");
        let owner = server_owner();
        let server = Server {
            port: free_port(),
            bindir: bindir.to_path_buf(),
            owner,
            dir,
        };
        for sub in ["data", "run"] {
            server.private_dir(&server.dir.path().join(sub));
        }
        let data = server.dir.path().join("data");
        server.run_as_server(
            Command::new(bindir.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "agoat",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "-N",
                ]),
            "initdb",
        );
        server.pg_ctl_start(certificate);
        server
    }

    /// Stops the server and starts it again serving `certificate`.
    fn restart_with(&mut self, certificate: &KeyAndCertificate) {
        self.pg_ctl_stop();
        self.pg_ctl_start(certificate);
    }

    /// A URL-form connection string to `host` with the query `params`.
    fn url(&self, host: &str, params: &str) -> String {
        format!("postgres://agoat@{host}:{}/postgres?{params}", self.port)
    }

    /// A key-value connection string to `host` with `params` appended.
    fn key_value(&self, host: &str, params: &str) -> String {
        format!(
            "host={host} port={} user=agoat dbname=postgres {params}",
            self.port
        )
    }

    fn pg_ctl_start(&self, certificate: &KeyAndCertificate) {
        let root = self.dir.path();
        let cert_file = root.join("server.crt");
        let key_file = root.join("server.key");
        fs::write(&cert_file, &certificate.cert_pem).unwrap();
        fs::write(&key_file, &certificate.key_pem).unwrap();
        fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).unwrap();
        if let Some(owner) = self.owner {
            std::os::unix::fs::chown(&key_file, Some(owner.uid), Some(owner.gid)).unwrap();
        }
        let options = format!(
            "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c listen_addresses=127.0.0.1 \
             -p {} -k {}",
            cert_file.display(),
            key_file.display(),
            self.port,
            root.join("run").display()
        );
        self.run_as_server(
            Command::new(self.bindir.join("pg_ctl"))
                .arg("-D")
                .arg(root.join("data"))
                .arg("-l")
                .arg(root.join("run").join("server.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"]),
            "pg_ctl start",
        );
    }

    fn pg_ctl_stop(&self) {
        self.run_as_server(
            Command::new(self.bindir.join("pg_ctl"))
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", "fast", "-w", "-t", "60", "stop"]),
            "pg_ctl stop",
        );
    }

    fn private_dir(&self, path: &Path) {
        fs::DirBuilder::new().mode(0o700).create(path).unwrap();
        if let Some(owner) = self.owner {
            std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid)).unwrap();
        }
    }

    fn run_as_server(&self, command: &mut Command, what: &str) {
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                command.env_remove(key);
            }
        }
        if let Some(owner) = self.owner {
            command.uid(owner.uid).gid(owner.gid);
        }
        let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        if !output.status.success() {
            let log = fs::read_to_string(self.dir.path().join("run").join("server.log"))
                .unwrap_or_default();
            panic!(
                "{what} failed: {}\n{}\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut command = Command::new(self.bindir.join("pg_ctl"));
        command
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"]);
        if let Some(owner) = self.owner {
            command.uid(owner.uid).gid(owner.gid);
        }
        let _ = command.output();
    }
}

/// The account the server runs as: the `postgres` system user when the tests run as root
/// (PostgreSQL refuses to run as root), else `None` (ourselves).
fn server_owner() -> Option<Owner> {
    let root = fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0);
    if !root {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let owner = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next() != Some(SERVER_USER) {
            return None;
        }
        let mut ids = fields.skip(1).map(|field| field.parse().ok());
        Some(Owner {
            uid: ids.next()??,
            gid: ids.next()??,
        })
    });
    Some(owner.expect("running as root, the `postgres` system user must exist"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port on 127.0.0.1")
}

/// The folder with `initdb`, `pg_ctl` and `postgres`: `AGOAT_PG_BINDIR`, else the highest
/// `/usr/lib/postgresql/*/bin`. `None` (the tests pass, saying so) when there is none, unless
/// `AGOAT_REQUIRE_PG_BINARIES=1`.
fn pg_bindir_or_skip() -> Option<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let configured = std::env::var_os("AGOAT_PG_BINDIR").map(PathBuf::from);
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versioned.sort();
    let found = configured
        .into_iter()
        .chain(versioned.into_iter().rev().map(|(_, dir)| dir))
        .find(|dir| complete(dir));
    if found.is_none() {
        assert!(
            std::env::var("AGOAT_REQUIRE_PG_BINARIES").as_deref() != Ok("1"),
            "AGOAT_REQUIRE_PG_BINARIES=1 but PostgreSQL's initdb/pg_ctl/postgres are not installed"
        );
        eprintln!(
            "skipped: PostgreSQL's server binaries (initdb, pg_ctl, postgres) are not installed"
        );
    }
    found
}

/// A folder under the system temp folder, removed on drop; reachable by the server user.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "agoat-tls-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::DirBuilder::new().mode(0o755).create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
