//! Who the client of a request is and how it arrived: the one place that reads the peer address,
//! the connection's own scheme and the forwarding headers. Sign-in throttling and the audit log
//! take the client address from here; `Secure` cookies and HSTS take whether it came over https.
//!
//! From a peer that is not one of the trusted proxies (`AGOAT_TRUSTED_PROXIES`,
//! [`TrustedProxies`]) the client is the peer, over the connection's own scheme (https only when
//! this server terminates TLS itself), and `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded`
//! change nothing; neither does the scheme of an absolute-form request line, which the client
//! writes too. From a trusted proxy:
//!
//! - One family of headers is read. When the request carries `X-Forwarded-For` or
//!   `X-Forwarded-Proto` (what nginx, HAProxy, Caddy, Traefik and cloud load balancers write),
//!   those, and `Forwarded` is ignored; otherwise `Forwarded` (RFC 7239). Several lines of a
//!   header are one list, in order.
//! - The addresses form a chain, the client's first and each proxy's after it. It is walked from
//!   the right, past the trusted proxies: the client is the right-most address that is not a
//!   trusted proxy, so the addresses a client writes in front of its own cannot be chosen. When
//!   every address is trusted, the left-most one. An entry that is no address (garbage,
//!   `unknown`, an obfuscated `_name`) stops the walk: the client is then the last address
//!   believed (the trusted one right of it, or the peer). Ports and brackets (`[2001:db8::1]:4711`,
//!   `192.0.2.1:80`, quoted in `Forwarded`) are dropped; `::ffff:192.0.2.1` is `192.0.2.1`.
//! - The scheme is the `proto=` of the chosen `Forwarded` element, or the `X-Forwarded-Proto`
//!   entry at the chosen address's position when that header lists as many entries as
//!   `X-Forwarded-For`; otherwise the right-most one given. Only `http` and `https` count;
//!   anything else leaves the connection's own scheme.
//!
//! Absolute addresses (canonical links, feeds, redirects) never depend on any of this: they are
//! on the configured public origin ([`crate::config::PublicOrigin`]).

use std::net::IpAddr;

use actix_web::http::header::{self, HeaderMap, HeaderName, X_FORWARDED_FOR, X_FORWARDED_PROTO};
use actix_web::{HttpMessage, HttpRequest, web};

use crate::config::TrustedProxies;
use crate::web::AppState;

/// The client of a request and how it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address; `None` when the connection has no peer address (a test request).
    pub ip: Option<IpAddr>,
    /// Whether the request arrived over https (at this server, or at the trusted proxy the
    /// client reached).
    pub https: bool,
}

impl Client {
    /// The client of `req`, worked out once per request and kept in its extensions.
    pub fn of(req: &HttpRequest) -> Client {
        if let Some(client) = req.extensions().get::<Client>() {
            return *client;
        }
        let none = TrustedProxies::default();
        let state = req.app_data::<web::Data<AppState>>();
        let trusted = state.map(|s| &s.trusted_proxies).unwrap_or(&none);
        let client = resolve(
            req.peer_addr().map(|a| a.ip()),
            req.app_config().secure(),
            req.headers(),
            trusted,
        );
        req.extensions_mut().insert(client);
        client
    }

    /// The address as the audit log and the throttle keep it: `unknown` without one.
    pub fn address(&self) -> String {
        self.ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

/// The client of a request from `peer` (`None`: unknown) over a connection that is TLS or not,
/// with these headers, believing the forwarding headers of `trusted` proxies only.
pub fn resolve(
    peer: Option<IpAddr>,
    connection_https: bool,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Client {
    let peer = peer.map(|ip| ip.to_canonical());
    let direct = Client {
        ip: peer,
        https: connection_https,
    };
    let Some(peer_ip) = peer else {
        return direct;
    };
    if !trusted.contains(peer_ip) {
        return direct;
    }
    let forwarded =
        if headers.contains_key(X_FORWARDED_FOR) || headers.contains_key(X_FORWARDED_PROTO) {
            x_forwarded(headers)
        } else {
            rfc_forwarded(headers)
        };
    let chosen = client_hop(&forwarded.hops, trusted);
    let ip = chosen
        .and_then(|i| forwarded.hops[i].address)
        .unwrap_or(peer_ip);
    let https = chosen
        .and_then(|i| forwarded.hops[i].https)
        .or(forwarded.nearest_https)
        .unwrap_or(connection_https);
    Client {
        ip: Some(ip),
        https,
    }
}

/// One hop of a forwarded chain: the address a proxy received the request from, and the scheme
/// it received it over (`None`: not given, or not understood).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hop {
    address: Option<IpAddr>,
    https: Option<bool>,
}

/// What the forwarding headers say.
#[derive(Debug, Default)]
struct Forwarded {
    /// The chain, the client's end first.
    hops: Vec<Hop>,
    /// The scheme the nearest proxy names, for a chosen hop without one.
    nearest_https: Option<bool>,
}

/// The index of the client's hop in `hops` (`None`: the peer itself).
fn client_hop(hops: &[Hop], trusted: &TrustedProxies) -> Option<usize> {
    for (i, hop) in hops.iter().enumerate().rev() {
        match hop.address {
            None => return (i + 1 < hops.len()).then_some(i + 1),
            Some(address) if !trusted.contains(address) => return Some(i),
            Some(_) => {}
        }
    }
    (!hops.is_empty()).then_some(0)
}

/// Every entry of every line of a comma-separated header, in order; a line that is not text is
/// one entry that is no address.
fn list_entries(headers: &HeaderMap, name: &HeaderName) -> Vec<Option<String>> {
    let mut entries = Vec::new();
    for line in headers.get_all(name) {
        match line.to_str() {
            Ok(text) => entries.extend(text.split(',').map(|e| Some(e.trim().to_owned()))),
            Err(_) => entries.push(None),
        }
    }
    entries
}

/// `X-Forwarded-For` and `X-Forwarded-Proto`.
fn x_forwarded(headers: &HeaderMap) -> Forwarded {
    let addresses = list_entries(headers, &X_FORWARDED_FOR);
    let protos: Vec<Option<bool>> = list_entries(headers, &X_FORWARDED_PROTO)
        .iter()
        .map(|p| p.as_deref().and_then(proto))
        .collect();
    let aligned = protos.len() == addresses.len();
    let hops = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| Hop {
            address: a.as_deref().and_then(node_address),
            https: if aligned { protos[i] } else { None },
        })
        .collect();
    Forwarded {
        hops,
        nearest_https: protos.last().copied().flatten(),
    }
}

/// `Forwarded` (RFC 7239): elements separated by commas, each `name=value` pairs separated by
/// semicolons, values tokens or quoted strings.
fn rfc_forwarded(headers: &HeaderMap) -> Forwarded {
    let mut hops = Vec::new();
    for line in headers.get_all(header::FORWARDED) {
        let Ok(text) = line.to_str() else {
            hops.push(Hop {
                address: None,
                https: None,
            });
            continue;
        };
        match split_outside_quotes(text, ',') {
            Some(elements) => hops.extend(elements.iter().map(|e| forwarded_element(e))),
            None => hops.push(Hop {
                address: None,
                https: None,
            }),
        }
    }
    let nearest_https = hops.last().and_then(|h| h.https);
    Forwarded {
        hops,
        nearest_https,
    }
}

/// One element of `Forwarded`: its `for=` and `proto=`. A malformed element, or one naming a
/// parameter twice, is a hop with no address.
fn forwarded_element(element: &str) -> Hop {
    let broken = Hop {
        address: None,
        https: None,
    };
    let Some(pairs) = split_outside_quotes(element, ';') else {
        return broken;
    };
    let (mut address, mut https) = (None, None);
    let (mut seen_for, mut seen_proto) = (false, false);
    for pair in pairs.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let Some((name, value)) = pair.split_once('=') else {
            return broken;
        };
        let Some(value) = unquote(value.trim()) else {
            return broken;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "for" if !seen_for => {
                seen_for = true;
                address = node_address(&value);
            }
            "proto" if !seen_proto => {
                seen_proto = true;
                https = proto(&value);
            }
            "for" | "proto" => return broken,
            _ => {}
        }
    }
    Hop { address, https }
}

/// `text` split at `separator` where it is not inside a quoted string; `None` when a quote is
/// left open.
fn split_outside_quotes(text: &str, separator: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    if quoted {
        return None;
    }
    parts.push(&text[start..]);
    Some(parts)
}

/// A token as it is, a quoted string without its quotes and escapes; `None` for a quote that is
/// not closed at the end.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return (!value.contains('"')).then(|| value.to_owned());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// The address of a node: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:4711`; `None` for anything else (`unknown`, `_hidden`, a name, garbage).
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    let port_ok = |port: &str| port.is_empty() || port.parse::<u16>().is_ok();
    if let Some(rest) = node.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let port = match after {
            "" => "",
            _ => after.strip_prefix(':').filter(|p| !p.is_empty())?,
        };
        let ip = inner.parse::<std::net::Ipv6Addr>().ok()?;
        return port_ok(port).then(|| IpAddr::V6(ip).to_canonical());
    }
    let (host, port) = node.split_once(':')?;
    let ip = host.parse::<std::net::Ipv4Addr>().ok()?;
    (!port.is_empty() && port_ok(port)).then_some(IpAddr::V4(ip))
}

/// `http` → not https, `https` → https (any case); anything else is not understood.
fn proto(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "https" => Some(true),
        "http" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    /// Header lines, in order.
    type Headers<'a> = &'a [(&'a str, &'a str)];

    fn trusted() -> TrustedProxies {
        TrustedProxies::parse("10.0.0.0/8, fd00::/8").unwrap()
    }

    fn client(peer: &str, headers: &[(&str, &str)]) -> (String, bool) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let c = resolve(Some(peer.parse().unwrap()), false, &map, &trusted());
        (c.address(), c.https)
    }

    fn is(address: &str, https: bool) -> (String, bool) {
        (address.to_owned(), https)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let claims: &[(&str, &str)] = &[
            ("X-Forwarded-For", "1.2.3.4"),
            ("X-Forwarded-Proto", "https"),
            ("Forwarded", "for=1.2.3.4;proto=https"),
        ];
        assert_eq!(client("198.51.100.7", claims), is("198.51.100.7", false));
        assert_eq!(client("198.51.100.7", &[]), is("198.51.100.7", false));
        let none = resolve(None, false, &HeaderMap::new(), &trusted());
        assert_eq!((none.address(), none.https), is("unknown", false));
        let tls = resolve(
            Some("198.51.100.7".parse().unwrap()),
            true,
            &HeaderMap::new(),
            &trusted(),
        );
        assert!(tls.https, "the connection's own TLS counts");
        let nobody = resolve(
            Some("10.0.0.1".parse().unwrap()),
            false,
            &HeaderMap::new(),
            &TrustedProxies::default(),
        );
        assert_eq!(nobody.address(), "10.0.0.1");
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let cases: &[(Headers, (&str, bool))] = &[
            (&[], ("10.0.0.1", false)),
            (
                &[("X-Forwarded-For", "203.0.113.5")],
                ("203.0.113.5", false),
            ),
            (
                &[
                    ("X-Forwarded-For", "203.0.113.5"),
                    ("X-Forwarded-Proto", "https"),
                ],
                ("203.0.113.5", true),
            ),
            (&[("X-Forwarded-Proto", "HTTPS")], ("10.0.0.1", true)),
            // A chain through two trusted proxies.
            (
                &[("X-Forwarded-For", "203.0.113.5, 10.0.0.9")],
                ("203.0.113.5", false),
            ),
            // What a client writes in front of its own address is passed over.
            (
                &[("X-Forwarded-For", "1.2.3.4, 10.0.0.9, 203.0.113.5")],
                ("203.0.113.5", false),
            ),
            // Several lines are one list.
            (
                &[
                    ("X-Forwarded-For", "1.2.3.4"),
                    ("X-Forwarded-For", "203.0.113.5, 10.0.0.2"),
                ],
                ("203.0.113.5", false),
            ),
            // All trusted: the farthest.
            (
                &[("X-Forwarded-For", "10.1.1.1, 10.2.2.2")],
                ("10.1.1.1", false),
            ),
            // Ports and brackets.
            (
                &[("X-Forwarded-For", "203.0.113.5:4711")],
                ("203.0.113.5", false),
            ),
            (
                &[("X-Forwarded-For", "[2001:db8::1]:4711")],
                ("2001:db8::1", false),
            ),
            (
                &[("X-Forwarded-For", "2001:db8::1")],
                ("2001:db8::1", false),
            ),
            (
                &[("X-Forwarded-For", "::ffff:203.0.113.5")],
                ("203.0.113.5", false),
            ),
            // Garbage stops the walk at the last address believed.
            (
                &[("X-Forwarded-For", "not an address")],
                ("10.0.0.1", false),
            ),
            (
                &[("X-Forwarded-For", "203.0.113.5, garbage")],
                ("10.0.0.1", false),
            ),
            (
                &[("X-Forwarded-For", "203.0.113.5, garbage, 10.0.0.7")],
                ("10.0.0.7", false),
            ),
            (
                &[("X-Forwarded-For", "garbage, 203.0.113.5")],
                ("203.0.113.5", false),
            ),
            (&[("X-Forwarded-For", "")], ("10.0.0.1", false)),
            (&[("X-Forwarded-For", "1.2.3.4:99999")], ("10.0.0.1", false)),
            (&[("X-Forwarded-For", "[::1")], ("10.0.0.1", false)),
            (&[("X-Forwarded-Proto", "ftp")], ("10.0.0.1", false)),
            // The proto at the client's position, or the nearest.
            (
                &[
                    ("X-Forwarded-For", "203.0.113.5, 10.0.0.9"),
                    ("X-Forwarded-Proto", "https, http"),
                ],
                ("203.0.113.5", true),
            ),
            (
                &[
                    ("X-Forwarded-For", "1.2.3.4, 203.0.113.5"),
                    ("X-Forwarded-Proto", "https"),
                ],
                ("203.0.113.5", true),
            ),
            // X-Forwarded-* win over Forwarded.
            (
                &[
                    ("Forwarded", "for=1.2.3.4;proto=https"),
                    ("X-Forwarded-For", "203.0.113.5"),
                ],
                ("203.0.113.5", false),
            ),
            (
                &[
                    ("Forwarded", "for=1.2.3.4;proto=https"),
                    ("X-Forwarded-Proto", "http"),
                ],
                ("10.0.0.1", false),
            ),
        ];
        for (headers, (address, https)) in cases {
            assert_eq!(
                client("10.0.0.1", headers),
                is(address, *https),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn forwarded_is_read_as_rfc_7239_writes_it() {
        let cases: &[(&str, (&str, bool))] = &[
            ("for=203.0.113.5", ("203.0.113.5", false)),
            ("For=203.0.113.5;Proto=HTTPS", ("203.0.113.5", true)),
            (
                "for=\"[2001:db8:cafe::17]:4711\";proto=https",
                ("2001:db8:cafe::17", true),
            ),
            ("for=\"[2001:db8:cafe::17]\"", ("2001:db8:cafe::17", false)),
            ("for=\"203.0.113.5:80\"", ("203.0.113.5", false)),
            (
                "for=192.0.2.60;proto=http;by=203.0.113.43",
                ("192.0.2.60", false),
            ),
            (
                "for=1.2.3.4, for=203.0.113.5;proto=https",
                ("203.0.113.5", true),
            ),
            // The proto of the client's own element.
            (
                "for=203.0.113.5;proto=https, for=10.0.0.9;proto=http",
                ("203.0.113.5", true),
            ),
            // Quoted separators do not split.
            ("for=\"_a,b;c\", for=203.0.113.5", ("203.0.113.5", false)),
            (
                "for=203.0.113.5;host=\"a,b\";proto=https",
                ("203.0.113.5", true),
            ),
            // Not addresses.
            ("for=unknown", ("10.0.0.1", false)),
            ("for=_hidden;proto=https", ("10.0.0.1", true)),
            ("for=203.0.113.5, for=unknown", ("10.0.0.1", false)),
            ("for=\"[2001:db8::1\"", ("10.0.0.1", false)),
            ("for=\"unclosed", ("10.0.0.1", false)),
            ("for=1.2.3.4;for=5.6.7.8", ("10.0.0.1", false)),
            ("garbage", ("10.0.0.1", false)),
            ("proto=https", ("10.0.0.1", true)),
            ("", ("10.0.0.1", false)),
        ];
        for (value, (address, https)) in cases {
            assert_eq!(
                client("10.0.0.1", &[("Forwarded", value)]),
                is(address, *https),
                "{value}"
            );
        }
        let mut raw = HeaderMap::new();
        for name in [X_FORWARDED_FOR, header::FORWARDED] {
            raw.insert(name.clone(), HeaderValue::from_str("203.0.113.5").unwrap());
            raw.append(name, HeaderValue::from_bytes(b"for=\xe9t\xe9").unwrap());
            let c = resolve(Some("10.0.0.1".parse().unwrap()), false, &raw, &trusted());
            assert_eq!(
                c.address(),
                "10.0.0.1",
                "a line that is not text is no address"
            );
            raw.clear();
        }
        assert_eq!(
            client("fd00::5", &[("Forwarded", "for=203.0.113.5")]),
            is("203.0.113.5", false),
            "an IPv6 proxy"
        );
        assert_eq!(
            client("::ffff:10.0.0.1", &[("Forwarded", "for=203.0.113.5")]),
            is("203.0.113.5", false),
            "an IPv4 proxy written as IPv6"
        );
    }
}
