//! Configuration from the environment (and the matching command-line flags), documented in one
//! place, plus logging set-up.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `DATABASE_URL` | PostgreSQL to use; without it the embedded default runs its own | embedded |
//! | `AGOAT_BIND` | address the server listens on | `127.0.0.1:8080` |
//! | `AGOAT_DATA_DIR` | folder of the embedded PostgreSQL | `./data` |
//! | `AGOAT_SESSION_KEY` | 64+ byte key signing and encrypting admin sessions | random per start |
//! | `AGOAT_PG_BINDIR` | where PostgreSQL's `initdb` and `postgres` are, if not found | searched |
//! | `AGOAT_DB_POOL_SIZE` | most database connections open at once | 16 |
//! | `AGOAT_DB_TIMEOUT_MS` | longest wait for a database connection before a 503 | 5000 |
//! | `AGOAT_DB_STATEMENT_TIMEOUT_MS` | longest a single SQL statement may run | 30000 |
//! | `AGOAT_DB_CA_FILE` | PEM file of the CA certificates the database server's certificate must chain to (`sslmode=verify-ca`/`verify-full` in `DATABASE_URL`; `sslrootcert=` there wins; see [`crate::db::tls`]) | system roots |
//! | `RUST_LOG` | log filter (`info`, `agoat=debug`, …) | `info` |
//! | `AGOAT_LOG_FORMAT` | `json` for one JSON object per line | text |
//! | `AGOAT_MAX_UPLOAD_BYTES` | largest CSV file the products import accepts (the CSRF check reads at most 12 MiB of a request) | 10 MiB |
//! | `AGOAT_MAX_SITE_IMPORT_BYTES` | most an owner may upload to import a site (`/admin/import`): the export and the zip of its images together; the images may unpack to twice that | 512 MiB |
//! | `AGOAT_PAGE_CACHE_MB` | most memory the page cache of public pages holds, compressed copies included (see [`crate::web::page_cache`]) | 64 |
//! | `AGOAT_DATABASE_REPLICA_URLS` | streaming replicas visitors' pages are read from (comma-separated; see [`crate::db::replicas`]) | none |
//! | `AGOAT_REPLICA_MAX_LAG_MS` | a replica further behind than this is skipped | 1000 |
//! | `AGOAT_METRICS_BIND` | address of a listener of its own serving Prometheus metrics at `/metrics` (see [`crate::metrics`] and docs/operations.md); keep it off the public network | none: no metrics |
//! | `AGOAT_METRICS_CUSTOMERS` | customer ids (comma-separated, at most 100) whose requests get series of their own | none |
//! | `AGOAT_PLATFORM_HOST` | the host the operator console answers on (never a customer's domain) | none: no console |
//! | `AGOAT_BODY_TIMEOUT_SECS` | longest a client may take to send a whole request body before a 408 | 60 |
//! | `AGOAT_PUBLIC_SCHEME` | `http` or `https`: the scheme of every absolute address the sites show (canonical links, feeds, sitemaps, redirects); never taken from a request | `http` |
//! | `AGOAT_PUBLIC_PORT` | the port of those addresses (the scheme's own port is left out) | the scheme's port; the demo: the port it listens on |
//! | `AGOAT_TRUSTED_PROXIES` | addresses and CIDR ranges (`10.0.0.0/8, fd00::/8, 192.0.2.7`) of the proxies whose `X-Forwarded-For`/`X-Forwarded-Proto`/`Forwarded` headers are believed (see [`crate::web::client`]); a bad entry stops the server at start | none: forwarding headers are ignored |
//! | `AGOAT_MAX_MEDIA_BYTES` | largest image the media library accepts (see [`crate::media::image::Limits`]) | 20 MiB |
//! | `AGOAT_MAX_MEDIA_PIXELS` | most pixels an image may declare, checked before decoding | 50,000,000 |
//! | `AGOAT_MEDIA_WORKERS` | images processed at once | 2 |
//! | `AGOAT_MEDIA_URL` | where media files' bytes live: `s3://bucket/prefix` (an S3 bucket, with the variables below) or `file:///absolute/folder` (see [`crate::media::store`]) | files under `<AGOAT_DATA_DIR>/media` |
//! | `AGOAT_MEDIA_S3_ENDPOINT` | an S3-compatible server, `http(s)://host[:port]`; `http://` allows plain HTTP (a local server); wins over `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL` | AWS S3 in the region |
//! | `AGOAT_MEDIA_S3_PATH_STYLE` | `true`: `{endpoint}/{bucket}/…` addresses (local and most S3-compatible servers); `false`: `{bucket}.{endpoint host}/…` | `true` |
//! | `AWS_REGION`, `AWS_DEFAULT_REGION` | the bucket's region (the first set wins) | `us-east-1` |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | the media bucket's static credentials, both or neither; neither: the AWS credential chain (web identity, container, instance) | the chain |
//! | `AWS_SESSION_TOKEN` | the session token of temporary static credentials | none |
//! | `AGOAT_SMTP_URL` | the SMTP server mail leaves through: `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25` (plain); see [`crate::mail::transport`] | `.eml` files in `<AGOAT_DATA_DIR>/outbox/` |
//! | `AGOAT_MAIL_FROM` | the sender address of every mail, `address` or `Name <address>` (see [`crate::mail::message`]) | `AGoat Publisher <agoat@localhost>` |

use std::fmt;
use std::io::IsTerminal;
use std::net::IpAddr;

use ipnet::IpNet;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::access_log::Format;

/// A secret read from the environment: never printed, not even in debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Starts logging to stderr: `RUST_LOG` filters (default `default_level`), `AGOAT_LOG_FORMAT=json`
/// switches to JSON lines. With `background`, lines are written by a thread of their own so that
/// a request never waits on the terminal or the disk (nothing is dropped: a full buffer makes the
/// logger wait), and the request log's lines, when not for a terminal, are formatted by
/// [`crate::access_log`]; keep the returned guard until the process ends, it writes out what is
/// left.
pub fn init_logging(
    default_level: &str,
    background: bool,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let json = std::env::var("AGOAT_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Colours only for a terminal: a log file or collector gets plain text.
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = if background {
        // Buffered: the thread writes what has queued up at once, and flushes whenever the queue
        // is empty, instead of one system call per line.
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .finish(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stderr(),
            ));
        if json || !ansi {
            let format = if json { Format::Json } else { Format::Text };
            crate::access_log::write_to(writer.clone(), format);
        }
        (BoxMakeWriter::new(writer), Some(guard))
    } else {
        (BoxMakeWriter::new(std::io::stderr), None)
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_timer(LogClock)
        .with_writer(writer);
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    // A second initialisation (tests) keeps the first subscriber.
    drop(result);
    guard
}

/// The time of a log line, as tracing's own clock writes it (`2026-12-06T23:32:28.123456Z`, UTC),
/// with the date and the second formatted once a second per thread instead of once per line: a
/// cached page is sent in less time than it takes to format a date.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogClock;

impl tracing_subscriber::fmt::time::FormatTime for LogClock {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> fmt::Result {
        let now = chrono::Utc::now();
        write_log_time(w, now.timestamp(), now.timestamp_subsec_micros())
    }
}

std::thread_local! {
    /// The last second formatted on this thread, and its text up to the seconds.
    static LOG_SECOND: std::cell::RefCell<(i64, String)> =
        const { std::cell::RefCell::new((i64::MIN, String::new())) };
}

pub(crate) fn write_log_time(w: &mut impl fmt::Write, seconds: i64, micros: u32) -> fmt::Result {
    LOG_SECOND.with_borrow_mut(|(second, text)| {
        if *second != seconds {
            *second = seconds;
            text.clear();
            if let Some(time) = chrono::DateTime::from_timestamp(seconds, 0) {
                fmt::Write::write_fmt(text, format_args!("{}", time.format("%Y-%m-%dT%H:%M:%S")))?;
            }
        }
        write!(w, "{text}.{micros:06}Z")
    })
}

/// The key that signs and encrypts admin sessions: `AGOAT_SESSION_KEY` (at least 64 bytes), or
/// a random key for this process (sessions then end when it stops and are not shared with other
/// servers).
pub fn session_key() -> Result<actix_web::cookie::Key, String> {
    match std::env::var("AGOAT_SESSION_KEY") {
        Ok(text) => actix_web::cookie::Key::try_from(text.as_bytes())
            .map_err(|_| "AGOAT_SESSION_KEY must be at least 64 bytes long".to_owned()),
        Err(_) => {
            tracing::warn!(
                "AGOAT_SESSION_KEY is not set: admin sessions end when this server stops"
            );
            Ok(actix_web::cookie::Key::generate())
        }
    }
}

/// The largest CSV file the products import accepts unless `AGOAT_MAX_UPLOAD_BYTES` says
/// otherwise.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The largest CSV file the products import accepts: `AGOAT_MAX_UPLOAD_BYTES` (a positive number
/// of bytes), or [`DEFAULT_MAX_UPLOAD_BYTES`].
pub fn max_upload_bytes() -> usize {
    positive_number("AGOAT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
}

/// The most an owner may upload to import a site unless `AGOAT_MAX_SITE_IMPORT_BYTES` says
/// otherwise.
pub const DEFAULT_MAX_SITE_IMPORT_BYTES: usize = 512 * 1024 * 1024;

/// The most an owner may upload to import a site, the export and its images archive together:
/// `AGOAT_MAX_SITE_IMPORT_BYTES` (a positive number of bytes), or
/// [`DEFAULT_MAX_SITE_IMPORT_BYTES`].
pub fn max_site_import_bytes() -> usize {
    positive_number("AGOAT_MAX_SITE_IMPORT_BYTES", DEFAULT_MAX_SITE_IMPORT_BYTES)
}

/// The page cache's bound when `AGOAT_PAGE_CACHE_MB` does not set one, in MiB.
pub const DEFAULT_PAGE_CACHE_MB: usize = 64;

/// The page cache's bound in bytes: `AGOAT_PAGE_CACHE_MB` (a positive number of MiB), or
/// [`DEFAULT_PAGE_CACHE_MB`].
pub fn page_cache_bytes() -> usize {
    positive_number("AGOAT_PAGE_CACHE_MB", DEFAULT_PAGE_CACHE_MB).saturating_mul(1024 * 1024)
}

/// How long a client may take to send a whole request body unless `AGOAT_BODY_TIMEOUT_SECS` says
/// otherwise: a 10 MiB upload at 2 Mbit/s fits.
pub const DEFAULT_BODY_TIMEOUT_SECS: usize = 60;

/// How long a client may take to send a whole request body: `AGOAT_BODY_TIMEOUT_SECS` (a positive
/// number of seconds), or [`DEFAULT_BODY_TIMEOUT_SECS`].
pub fn body_timeout() -> std::time::Duration {
    let secs = positive_number("AGOAT_BODY_TIMEOUT_SECS", DEFAULT_BODY_TIMEOUT_SECS);
    std::time::Duration::from_secs(secs as u64)
}

/// Where metrics are served: `AGOAT_METRICS_BIND` (`host:port`), or none. A value that is not an
/// address is an error that names it.
pub fn metrics_bind() -> Result<Option<std::net::SocketAddr>, String> {
    match std::env::var("AGOAT_METRICS_BIND") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("AGOAT_METRICS_BIND: {text:?} is not an address (host:port)")),
        _ => Ok(None),
    }
}

/// The host the operator console answers on: `AGOAT_PLATFORM_HOST` (a host name, normalised like
/// a domain), or none: no console. A value that is not a host name is reported and ignored.
pub fn platform_host() -> Option<String> {
    let raw = std::env::var("AGOAT_PLATFORM_HOST").ok()?;
    if raw.trim().is_empty() {
        return None;
    }
    match crate::tenancy::host::normalize_domain(raw.trim()) {
        Ok(host) => Some(host),
        Err(_) => {
            tracing::error!(value = %raw, "AGOAT_PLATFORM_HOST is not a host name: no operator console");
            None
        }
    }
}

/// The scheme and port visitors reach every site on: absolute addresses are the site's primary
/// domain on this origin, whatever `Host` (or forwarded scheme) a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigin {
    /// `http` or `https`.
    scheme: &'static str,
    /// `None`: the scheme's own port.
    port: Option<u16>,
}

impl Default for PublicOrigin {
    /// `http` on port 80.
    fn default() -> Self {
        PublicOrigin {
            scheme: "http",
            port: None,
        }
    }
}

impl PublicOrigin {
    /// `scheme` (`http` or `https`) on `port` (`None`: the scheme's own).
    pub fn new(scheme: &str, port: Option<u16>) -> Result<PublicOrigin, String> {
        let scheme = match scheme.trim().to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            other => {
                return Err(format!(
                    "the public scheme must be http or https, not {other:?}"
                ));
            }
        };
        let default = if scheme == "https" { 443 } else { 80 };
        Ok(PublicOrigin {
            scheme,
            port: port.filter(|&p| p != default),
        })
    }

    /// `scheme://host[:port]`, without a trailing slash (put together without `format!`: every
    /// page answered from the cache needs one).
    pub fn base_url(&self, host: &str) -> String {
        let mut url = String::with_capacity(self.scheme.len() + 3 + host.len() + 6);
        url.push_str(self.scheme);
        url.push_str("://");
        url.push_str(host);
        if let Some(port) = self.port {
            url.push(':');
            url.push_str(&port.to_string());
        }
        url
    }
}

/// The public origin: `AGOAT_PUBLIC_SCHEME` (default `http`) and `AGOAT_PUBLIC_PORT` (default
/// `default_port`, else the scheme's own port).
pub fn public_origin(default_port: Option<u16>) -> Result<PublicOrigin, String> {
    let scheme = std::env::var("AGOAT_PUBLIC_SCHEME").unwrap_or_else(|_| "http".to_owned());
    let port = match std::env::var("AGOAT_PUBLIC_PORT") {
        Ok(text) => match text.trim().parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => {
                return Err(format!(
                    "AGOAT_PUBLIC_PORT must be a port number (1-65535), not {text:?}"
                ));
            }
        },
        Err(_) => default_port,
    };
    PublicOrigin::new(&scheme, port).map_err(|e| format!("AGOAT_PUBLIC_SCHEME: {e}"))
}

/// The proxies whose forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`, `Forwarded`)
/// are believed: a list of addresses and CIDR ranges. Empty by default, when no request's
/// forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Ranges and single addresses separated by commas or white space (`10.0.0.0/8, fd00::/8
    /// 192.0.2.7`); a range with host bits set is taken as its network (`10.1.2.3/8` is
    /// `10.0.0.0/8`). Anything else is an error naming the entry.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let net = match (entry.parse::<IpNet>(), entry.parse::<IpAddr>()) {
                (Ok(net), _) => net.trunc(),
                (_, Ok(address)) => IpNet::from(address),
                _ => {
                    return Err(format!(
                        "{entry:?} is not an IP address or a CIDR range (such as 10.0.0.0/8, \
                         fd00::/8 or 192.0.2.7)"
                    ));
                }
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `address` is one of the trusted proxies (an IPv4 address written as IPv6,
    /// `::ffff:10.0.0.1`, counts as the IPv4 address).
    pub fn contains(&self, address: IpAddr) -> bool {
        let canonical = address.to_canonical();
        self.0
            .iter()
            .any(|net| net.contains(&address) || net.contains(&canonical))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The trusted proxies: `AGOAT_TRUSTED_PROXIES`, or none.
pub fn trusted_proxies() -> Result<TrustedProxies, String> {
    match std::env::var("AGOAT_TRUSTED_PROXIES") {
        Ok(text) => TrustedProxies::parse(&text).map_err(|e| format!("AGOAT_TRUSTED_PROXIES: {e}")),
        Err(std::env::VarError::NotPresent) => Ok(TrustedProxies::default()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err("AGOAT_TRUSTED_PROXIES is not valid text".to_owned())
        }
    }
}

/// A positive number from the environment variable `name`, or `default` (with a warning when the
/// variable is set to something else).
fn positive_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(number) if number > 0 => number,
            _ => {
                tracing::warn!(value = %text, "{name} is not a positive number: using the default");
                default
            }
        },
        Err(_) => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_times_read_as_tracing_writes_them_across_seconds() {
        let mut line = String::new();
        write_log_time(&mut line, 1_796_599_948, 42).unwrap();
        write_log_time(&mut line, 1_796_599_948, 999_999).unwrap();
        write_log_time(&mut line, 1_796_599_949, 0).unwrap();
        assert_eq!(
            line,
            "2026-12-06T23:32:28.000042Z2026-12-06T23:32:28.999999Z2026-12-06T23:32:29.000000Z"
        );
    }

    #[test]
    fn the_public_origin_leaves_out_the_schemes_own_port() {
        let cases = [
            ("http", None, "http://a.test"),
            ("http", Some(80), "http://a.test"),
            ("http", Some(8080), "http://a.test:8080"),
            ("HTTPS", Some(443), "https://a.test"),
            ("https", Some(80), "https://a.test:80"),
            (" https ", None, "https://a.test"),
        ];
        for (scheme, port, expected) in cases {
            let origin = PublicOrigin::new(scheme, port).unwrap();
            assert_eq!(origin.base_url("a.test"), expected, "{scheme} {port:?}");
        }
        assert!(PublicOrigin::new("ftp", None).is_err());
        assert_eq!(PublicOrigin::default().base_url("a.test"), "http://a.test");
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let trusted =
            TrustedProxies::parse(" 10.0.0.0/8,fd00::/8  192.0.2.7,, 172.16.5.9/12 ").unwrap();
        for inside in [
            "10.1.2.3",
            "fd00::1",
            "192.0.2.7",
            "172.31.255.255",
            "::ffff:10.9.9.9",
        ] {
            assert!(trusted.contains(inside.parse().unwrap()), "{inside}");
        }
        for outside in ["11.0.0.1", "192.0.2.8", "fe80::1", "172.32.0.1", "::1"] {
            assert!(!trusted.contains(outside.parse().unwrap()), "{outside}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::default().is_empty());
        for bad in [
            "10.0.0/8",
            "10.0.0.0/33",
            "example.com",
            "10.0.0.0/8;fd00::/8",
            "fd00::/129",
            "*",
        ] {
            let error = TrustedProxies::parse(bad).unwrap_err();
            assert!(
                error.contains("is not an IP address or a CIDR range"),
                "{bad}: {error}"
            );
        }
    }
}
