//! Request limits on a running server: a client that never finishes its request head is
//! disconnected, a request head that is too large (over the HTTP server's 128 KiB head buffer) is
//! refused with 431 before any handler runs, and a request body that stalls or trickles in is cut
//! off with 408 after `AGOAT_BODY_TIMEOUT_SECS`, nothing done.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::cli::Server;
use crate::common::{TestApp, sql_count, two_tenants};

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

/// Starts a sign-in whose body announces 1,000 bytes, sends the first `sent` of them with
/// `pause` between bytes, then waits for the server's answer.
fn slow_sign_in(server: &Server, sent: usize, pause: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let head = "POST /admin/login HTTP/1.1\r\nHost: alpha.test\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    stream
        .set_read_timeout(Some(pause.max(Duration::from_millis(1))))
        .unwrap();
    for byte in b"email=owner%40alpha.test&password="
        .iter()
        .cycle()
        .take(sent)
    {
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
        // Waits `pause` for an answer; stops sending once one (or the end) arrives.
        if stream.peek(&mut [0u8; 1]).is_ok() {
            break;
        }
    }
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(30));
    (answer, started.elapsed())
}

#[actix_web::test]
async fn a_request_body_that_stalls_or_trickles_is_cut_off_with_408() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let server = Server::start_with(&app.db, &[("AGOAT_BODY_TIMEOUT_SECS", "2")]);
    let events = "SELECT count(*) FROM audit.events";
    let before = sql_count(&app, events).await;
    for (what, sent, pause) in [
        ("stalls after 20 bytes", 20, Duration::ZERO),
        (
            "trickles a byte every 200 ms",
            40,
            Duration::from_millis(200),
        ),
    ] {
        let (answer, took) = slow_sign_in(&server, sent, pause);
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "a body that {what}: {}",
            answer.chars().take(200).collect::<String>()
        );
        assert!(
            took < Duration::from_secs(9),
            "a body that {what} held the connection for {took:?}"
        );
    }
    assert_eq!(sql_count(&app, events).await, before, "nothing was done");
    assert_eq!(server.get("alpha.test", "/").status, 200);
}
