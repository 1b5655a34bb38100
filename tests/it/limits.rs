//! Request limits on a running server: a client that never finishes its request head is
//! disconnected, and a request head that is too large (over the HTTP server's 128 KiB head
//! buffer) is refused with 431 before any handler runs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::cli::Server;
use crate::common::{TestApp, two_tenants};

/// Reads until the server closes the connection (or `within` passes); returns what was read and
/// how long it took.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    stream.set_read_timeout(Some(within)).unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
    }
    (
        String::from_utf8_lossy(&seen).into_owned(),
        started.elapsed(),
    )
}

#[actix_web::test]
async fn a_client_that_never_finishes_its_request_is_dropped() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let server = Server::start_with(&app.db, &[]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: alpha.test\r\nX-Slow: ")
        .unwrap();
    let (answer, took) = read_until_closed(&mut stream, Duration::from_secs(30));
    assert!(
        took < Duration::from_secs(15),
        "the connection was held for {took:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // The server still answers everyone else.
    assert_eq!(server.get("alpha.test", "/").status, 200);
}

#[actix_web::test]
async fn a_huge_request_head_is_refused() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let server = Server::start_with(&app.db, &[]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let huge = "a".repeat(256 * 1024);
    let request = format!("GET / HTTP/1.1\r\nHost: alpha.test\r\nX-Huge: {huge}\r\n\r\n");
    let _ = stream.write_all(request.as_bytes());
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(15));
    let status = answer.split_whitespace().nth(1).unwrap_or("");
    assert_eq!(
        status,
        "431",
        "{}",
        answer.chars().take(200).collect::<String>()
    );
    assert_eq!(server.get("alpha.test", "/").status, 200);
}
