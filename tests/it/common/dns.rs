//! A real DNS server for the tests: Debian's dnsmasq on a loopback port, answering only from the
//! records a test gives it (authoritative for `.test` and `.example`: any other name there does
//! not exist). Changing the records restarts it on the same port. Stopped on drop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One record.
#[derive(Debug, Clone)]
pub enum Record {
    Txt(String, String),
    /// An IPv4 address record.
    A(String, String),
}

pub fn txt(name: &str, value: &str) -> Record {
    Record::Txt(name.to_owned(), value.to_owned())
}

pub fn a(name: &str, address: &str) -> Record {
    Record::A(name.to_owned(), address.to_owned())
}

pub struct DnsServer {
    child: Child,
    port: u16,
}

fn dnsmasq() -> Option<PathBuf> {
    ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl DnsServer {
    /// Starts dnsmasq with `records`; none when dnsmasq is not installed (and the tests may skip:
    /// `AGOAT_REQUIRE_DNS=1` makes that a failure).
    pub fn start(records: &[Record]) -> Option<DnsServer> {
        let Some(_) = dnsmasq() else {
            assert!(
                std::env::var("AGOAT_REQUIRE_DNS").as_deref() != Ok("1"),
                "AGOAT_REQUIRE_DNS=1 but dnsmasq is not installed (apt install dnsmasq-base)"
            );
            eprintln!("skipped: dnsmasq is not installed (apt install dnsmasq-base)");
            return None;
        };
        for _ in 0..5 {
            let port = super::http::free_port();
            if let Some(server) = DnsServer::spawn(port, records) {
                return Some(server);
            }
        }
        panic!("dnsmasq did not start");
    }

    /// Where it answers.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Answers from these records from now on.
    pub fn set(&mut self, records: &[Record]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(server) = DnsServer::spawn(self.port, records) {
                *self = server;
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dnsmasq did not restart on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn spawn(port: u16, records: &[Record]) -> Option<DnsServer> {
        let mut command = Command::new(dnsmasq()?);
        command.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--pid-file=",
            "--local=/test/",
            "--local=/example/",
            &format!("--port={port}"),
        ]);
        for record in records {
            command.arg(match record {
                Record::Txt(name, value) => format!("--txt-record={name},{value}"),
                Record::A(name, address) => format!("--host-record={name},{address}"),
            });
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dnsmasq starts");
        // It binds before it forks nothing (kept in the foreground): either it is listening
        // shortly, or it has exited (the port was taken).
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return None;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(DnsServer { child, port });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
