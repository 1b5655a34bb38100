//! Mail in tests: a real SMTP server (aiosmtpd from PyPI, `python3 -m pip install aiosmtpd`) that
//! stores every message it accepts in a maildir, the sender set up to send this test's outbox
//! through it or to a folder of files, and reading the messages back (recipient, subject, the
//! link they carry).
//!
//! Without aiosmtpd the tests that need it say so and pass, except when `AGOAT_REQUIRE_SMTP=1`
//! (CI), where they fail. The server stops when its guard drops, and by itself when the test
//! process dies (its stdin closes).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agoat::mail::message::FromAddress;
use agoat::mail::sender::{Sender, Settings};
use agoat::mail::transport::Transport;

use super::TestApp;

/// Starts an SMTP server on a port and stores what it accepts in a maildir; stops when stdin
/// closes (the test process ended or dropped the guard).
const LAUNCHER: &str = r#"
import sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
controller = Controller(Mailbox(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("listening", flush=True)
sys.stdin.read()
controller.stop()
"#;

/// A free loopback port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn aiosmtpd_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A real SMTP server, stopped on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    /// Where the messages it accepted are: a maildir (`new/` holds them).
    pub maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// A server on a free port, or `None` (after saying so) when aiosmtpd is not installed and
    /// `AGOAT_REQUIRE_SMTP` is not `1`.
    pub fn start() -> Option<SmtpServer> {
        SmtpServer::start_on(free_port())
    }

    /// A server on `port`, or `None` as for [`SmtpServer::start`].
    pub fn start_on(port: u16) -> Option<SmtpServer> {
        if !aiosmtpd_installed() {
            let required = std::env::var("AGOAT_REQUIRE_SMTP").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "AGOAT_REQUIRE_SMTP=1 but aiosmtpd is not installed: python3 -m pip install aiosmtpd"
            );
            eprintln!("skipped: aiosmtpd is not installed (python3 -m pip install aiosmtpd)");
            return None;
        }
        let maildir = tempfile::tempdir().unwrap();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new("python3")
            .args([
                "-c",
                LAUNCHER,
                &port.to_string(),
                &maildir.path().join("mail").to_string_lossy(),
            ])
            .stdin(Stdio::piped())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("python3 runs");
        let mut server = SmtpServer {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = server.child.try_wait().unwrap().is_some();
            assert!(
                !exited && Instant::now() < deadline,
                "aiosmtpd did not start: {}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, as to a relay on the same machine.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The transport the server would build from `AGOAT_SMTP_URL`.
    pub fn transport(&self) -> Transport {
        Transport::smtp(&self.url()).unwrap()
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Mail> {
        read_mails(&self.maildir.path().join("mail").join("new"))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message as stored: its raw text, with the headers and body a test looks at.
#[derive(Debug, Clone)]
pub struct Mail {
    pub file: PathBuf,
    pub raw: String,
}

impl Mail {
    /// The value of the first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let head = head.replace("\r\n ", " ").replace("\n ", " ");
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The text with quoted-printable soft line breaks and `=3D` undone (enough to read links).
    pub fn decoded(&self) -> String {
        self.raw
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    }

    /// Every link of this site's admin the mail holds (`…/admin/…/{token}`), in order.
    pub fn links(&self) -> Vec<String> {
        let pattern = regex_lite::Regex::new(
            r"https?://[a-z0-9.:-]+/admin/(?:password/reset|invitation)/[A-Za-z0-9_-]{43}",
        )
        .unwrap();
        pattern
            .find_iter(&self.decoded())
            .map(|m| m.as_str().to_owned())
            .collect()
    }

    /// The one link the mail is about (it appears in both parts).
    pub fn link(&self) -> String {
        let links = self.links();
        assert!(!links.is_empty(), "no link in {}", self.raw);
        assert!(
            links.iter().all(|l| l == &links[0]),
            "different links: {links:?}"
        );
        links[0].clone()
    }
}

/// The path (and query) of an absolute address.
pub fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map_or(link, |(_, rest)| rest);
    rest.find('/')
        .map_or("/".to_owned(), |i| rest[i..].to_owned())
}

/// Every message file in `folder` (`.eml` files, or a maildir's `new/`), oldest name first.
pub fn read_mails(folder: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| Mail {
            raw: std::fs::read_to_string(&file).unwrap(),
            file,
        })
        .collect()
}

/// Sender settings for tests: quick retries, short claims.
pub fn quick_settings() -> Settings {
    Settings {
        poll_interval: Duration::from_millis(100),
        lease: Duration::from_secs(30),
        base_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_secs(2),
        max_attempts: 5,
        batch: 20,
        customers_per_pass: 100,
    }
}

impl TestApp {
    /// A sender of this test's outbox through `transport`, with `settings`.
    pub fn mail_sender(&self, transport: Transport, settings: Settings) -> Sender {
        Sender::new(
            self.pool.clone(),
            transport,
            FromAddress::parse("AGoat Test <agoat@mail.test>").unwrap(),
            settings,
        )
    }

    /// Where this test's file outbox writes.
    pub fn outbox_dir(&self) -> PathBuf {
        self.mail.0.join("outbox")
    }

    /// Sends everything due to this test's file outbox; returns the files there.
    pub async fn deliver_to_files(&self) -> Vec<Mail> {
        let transport = Transport::files(self.outbox_dir()).unwrap();
        self.mail_sender(transport, quick_settings())
            .drain()
            .await
            .expect("the sender runs");
        read_mails(&self.outbox_dir())
    }
}
