//! A minimal HTTP/1.1 client over a plain TCP socket, for tests against a real `agoat` process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    /// The `name=value` part of the last `Set-Cookie`, if any.
    pub cookie: Option<String>,
    /// `X-Request-Id`.
    pub request_id: Option<String>,
    pub body: String,
}

/// `GET path` with `Host: host` (headers included in the answer).
pub fn get(addr: &str, host: &str, path: &str) -> std::io::Result<Reply> {
    send(addr, "GET", host, path, None, None)
}

/// A request with an optional cookie and an optional form body
/// (`application/x-www-form-urlencoded`).
pub fn send(
    addr: &str,
    method: &str,
    host: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    let body = form.unwrap_or("");
    if form.is_some() {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    write!(stream, "{head}\r\n{body}")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let header = |wanted: &str| {
        head.lines().skip(1).find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    let location = header("location");
    let content_type = header("content-type");
    let request_id = header("x-request-id");
    let cookie = head
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim().split(';').next().unwrap_or("").to_owned())
        })
        .last();
    Ok(Reply {
        status,
        location,
        content_type,
        cookie,
        request_id,
        body: body.to_owned(),
    })
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of the sample `series` (`name` or `name{labels}`, labels exactly as rendered) in
/// Prometheus' text format, if present.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            line.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
}

/// The value of a sample on a metrics listener at `addr` (0 when absent), such as
/// `agoat_page_cache_misses_total` or `name{label="value"}`.
pub fn metric(addr: &str, series: &str) -> f64 {
    let reply = get(addr, "127.0.0.1", "/metrics").unwrap();
    sample(&reply.body, series).unwrap_or(0.0)
}
