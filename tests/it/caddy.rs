//! The product behind Caddy as docs/deploy/caddy.md sets it up: `agoat serve` on plain HTTP,
//! Caddy in front of it with on-demand TLS (its own local CA here instead of a public one) that
//! asks `/.well-known/agoat/tls-allowed` before each certificate. A domain of a site gets a
//! certificate and its site over https, with HSTS and `Secure` cookies; a name no site has, or
//! one not verified yet, gets no certificate, so its TLS handshake fails; plain HTTP passes a
//! domain's verification token through and sends everything else to https.
//!
//! Needs Caddy (Debian: `apt install caddy`, or `AGOAT_CADDY` naming the binary); without it the
//! test says so and passes, except when `AGOAT_REQUIRE_CADDY=1` (CI).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::cli::Server;
use crate::common::TestApp;
use crate::common::http::free_port;

/// Kills Caddy when dropped.
struct Caddy {
    child: Child,
    log: PathBuf,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Caddy {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The Caddy binary, if installed.
fn caddy_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AGOAT_CADDY") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("caddy"))
        .find(|p| p.is_file())
}

/// The Caddyfile of docs/deploy/caddy.md, on free ports, with Caddy's own local CA instead of a
/// public one (and nothing installed into the system's trust store).
fn caddyfile(app_port: u16, http_port: u16, https_port: u16) -> String {
    format!(
        "{{
	local_certs
	skip_install_trust
	admin off
	http_port {http_port}
	https_port {https_port}
	on_demand_tls {{
		ask http://127.0.0.1:{app_port}/.well-known/agoat/tls-allowed
	}}
}}

https:// {{
	tls {{
		on_demand
	}}
	reverse_proxy 127.0.0.1:{app_port}
}}

http:// {{
	handle /.well-known/agoat-verification/* {{
		reverse_proxy 127.0.0.1:{app_port}
	}}
	handle {{
		redir https://{{host}}{{uri}} 308
	}}
}}
"
    )
}

/// Caddy with its ports: (Caddy, http, https).
fn start_caddy(binary: &Path, dir: &Path, app_port: u16) -> (Caddy, u16, u16) {
    let (http_port, https_port) = (free_port(), free_port());
    let config = dir.join("Caddyfile");
    std::fs::write(&config, caddyfile(app_port, http_port, https_port)).unwrap();
    let log = dir.join("caddy.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(binary)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&config)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("caddy starts");
    let mut caddy = Caddy { child, log };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", https_port)).is_err() {
        if let Some(status) = caddy.child.try_wait().unwrap() {
            panic!("caddy exited ({status}):\n{}", caddy.log_text());
        }
        assert!(
            Instant::now() < deadline,
            "caddy did not listen within 30 s:\n{}",
            caddy.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (caddy, http_port, https_port)
}

/// The certificates of a PEM file.
fn pem_certificates(path: &Path) -> Vec<CertificateDer<'static>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            let body: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            CertificateDer::from(
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .unwrap(),
            )
        })
        .collect()
}

/// The head and body of `GET path` over TLS to `127.0.0.1:port` for `domain` (its SNI and
/// `Host`), trusting only `roots`; `Err` when the handshake or the request fails.
fn https_get(
    port: u16,
    domain: &str,
    path: &str,
    roots: &[CertificateDer<'static>],
) -> Result<(String, String), String> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).map_err(|e| e.to_string())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(store)
    .with_no_client_auth();
    let name = ServerName::try_from(domain.to_owned()).map_err(|e| e.to_string())?;
    let connection =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let socket = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(connection, socket);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("handshake or request: {e}"))?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // Some servers close without a close_notify; what was read is complete.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(format!("response: {e}")),
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    Ok((head.to_owned(), body.to_owned()))
}

fn header<'a>(head: &'a str, wanted: &str) -> Vec<&'a str> {
    head.lines()
        .skip(1)
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| value.trim())
        })
        .collect()
}

#[actix_web::test]
async fn caddy_gets_certificates_for_served_domains_only() {
    let Some(binary) = caddy_binary() else {
        assert!(
            std::env::var("AGOAT_REQUIRE_CADDY").as_deref() != Ok("1"),
            "AGOAT_REQUIRE_CADDY=1 but caddy is not installed (apt install caddy)"
        );
        eprintln!("skipped: caddy is not installed (apt install caddy, or set AGOAT_CADDY)");
        return;
    };
    let app = TestApp::new().await;
    let a = app.customer("Alpha Health").await;
    let site = app.site(a, "Alpha Blog", "alpha.test").await;
    app.alias(a, site, "www.alpha.test").await;
    let b = app.customer("Beta Labs").await;
    let b_site = app.site(b, "Beta Blog", "beta.test").await;
    app.in_scope(b, move |conn, scope| {
        use scoped_futures::ScopedFutureExt;
        async move {
            agoat::tenancy::sites::deactivate(conn, scope, b_site, &crate::common::actor()).await
        }
        .scope_boxed()
    })
    .await;

    let pending_token = app
        .in_scope(a, move |conn, scope| {
            use scoped_futures::ScopedFutureExt;
            async move {
                agoat::tenancy::domains::claim(
                    conn,
                    scope,
                    site,
                    "pending.example",
                    &crate::common::actor(),
                )
                .await
            }
            .scope_boxed()
        })
        .await
        .token
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    // Caddy's https port is known only once it starts; the addresses the site shows use 443.
    let server = Server::start_with(
        &app.db,
        &[
            ("AGOAT_PUBLIC_SCHEME", "https"),
            ("AGOAT_TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    );
    let app_port: u16 = server.addr().rsplit(':').next().unwrap().parse().unwrap();

    // The question itself, straight to the server: answered from memory, in milliseconds.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for i in 0..200 {
        let (domain, status) = if i % 2 == 0 {
            ("alpha.test", 200)
        } else {
            ("unknown.test", 404)
        };
        let asked = Instant::now();
        let reply = crate::common::http::get(
            server.addr(),
            "127.0.0.1",
            &format!("/.well-known/agoat/tls-allowed?domain={domain}"),
        )
        .unwrap();
        slowest = slowest.max(asked.elapsed());
        assert_eq!(reply.status, status, "{domain}");
    }
    eprintln!(
        "tls-allowed: 200 questions in {:?}, the slowest {slowest:?}",
        started.elapsed()
    );
    assert!(slowest < Duration::from_millis(250), "{slowest:?}");
    let (caddy, http_port, https_port) = start_caddy(&binary, dir.path(), app_port);

    // A domain of an active site: a certificate from Caddy's CA, and the site over https.
    // Caddy makes its CA when it starts or at the first handshake; until its root is on disk
    // the client trusts nothing and the handshake fails.
    let root = dir.path().join("data/caddy/pki/authorities/local/root.crt");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (head, body) = loop {
        match https_get(https_port, "alpha.test", "/", &pem_certificates_if(&root)) {
            Ok(reply) => break reply,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "no certificate for alpha.test: {error}\n{}",
                    caddy.log_text()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    let roots = pem_certificates(&root);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    assert!(body.contains("Alpha Blog"), "{body}");
    assert!(
        body.contains("href=\"https://alpha.test/\""),
        "absolute addresses are https: {body}"
    );
    let hsts = header(&head, "strict-transport-security");
    assert!(
        hsts.first().is_some_and(|h| h.starts_with("max-age=")),
        "HSTS over https: {head}"
    );

    // An alias gets its own certificate and answers 301 to the primary domain on https.
    let (head, _) = https_get(https_port, "www.alpha.test", "/posts", &roots)
        .unwrap_or_else(|e| panic!("www.alpha.test: {e}\n{}", caddy.log_text()));
    assert!(head.starts_with("HTTP/1.1 301"), "{head}");
    assert_eq!(
        header(&head, "location"),
        ["https://alpha.test/posts"],
        "{head}"
    );

    // The admin's cookies are Secure behind the proxy.
    let (head, _) = https_get(https_port, "alpha.test", "/admin/login", &roots).unwrap();
    let cookies = header(&head, "set-cookie");
    assert!(
        !cookies.is_empty(),
        "the sign-in page sets a cookie: {head}"
    );
    for cookie in cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }

    // A domain an owner has added but not verified yet gets no certificate; over plain HTTP the
    // proxy passes its verification token through (everything else goes to https).
    let reply = crate::common::http::get(
        &format!("127.0.0.1:{http_port}"),
        "pending.example",
        &format!("/.well-known/agoat-verification/{pending_token}"),
    )
    .unwrap();
    assert_eq!(reply.status, 200, "{}", caddy.log_text());
    assert!(reply.body.contains(&pending_token), "{}", reply.body);
    let reply = crate::common::http::get(&format!("127.0.0.1:{http_port}"), "pending.example", "/")
        .unwrap();
    assert_eq!(reply.status, 308);
    // Names no active site has, or not verified yet, get no certificate: the handshake fails.
    for domain in [
        "unknown.test",
        "beta.test",
        "evil.alpha.test",
        "pending.example",
    ] {
        let refused = https_get(https_port, domain, "/", &roots);
        assert!(refused.is_err(), "{domain} got a certificate: {refused:?}");
    }
    drop(caddy);
    drop(server);
}

/// The certificates of `path`, none while it does not exist yet.
fn pem_certificates_if(path: &Path) -> Vec<CertificateDer<'static>> {
    if path.exists() {
        pem_certificates(path)
    } else {
        Vec::new()
    }
}
