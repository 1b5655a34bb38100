//! Asking the world whether a domain is meant for a customer's site: a DNS TXT record at
//! `_agoat.<domain>` holding the domain's token, or the domain answering
//! `http://<domain>/.well-known/agoat-verification/<token>` with that token (which only this
//! product does, for the customer that claimed it: [`crate::web::domain_verification`]).
//!
//! The probes hold no database connection and no lock: a slow name server or web server costs
//! only the probe's own time (a few seconds at most). What the answers mean for the domain's
//! state is [`crate::tenancy::domain_checks`]'s business.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};

use crate::tenancy::domains::Method;

/// The path a domain answers its HTTP token on.
pub const HTTP_PATH: &str = "/.well-known/agoat-verification/";

/// The name the TXT record goes at.
pub fn txt_name(host: &str) -> String {
    format!("_agoat.{host}")
}

/// How long one DNS query or HTTP request may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(4);

/// The most of an HTTP answer read.
const MAX_ANSWER_BYTES: usize = 1024;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Verified(Method),
    /// Neither way worked; the reason is for the owner to read.
    Failed(String),
}

/// Where the probes ask, from the configuration.
#[derive(Debug, Clone, Default)]
pub struct ProbeSettings {
    /// The name server to ask (`AGOAT_DNS_SERVER`, `address:port`); none: the system's
    /// (`/etc/resolv.conf`).
    pub dns_server: Option<SocketAddr>,
    /// The port the HTTP token is fetched from (`AGOAT_VERIFICATION_HTTP_PORT`, default 80: where
    /// the TLS proxy in front of the product answers plain HTTP).
    pub http_port: Option<u16>,
    /// Whether the HTTP token may be fetched from a loopback, private or link-local address
    /// (`AGOAT_VERIFICATION_ALLOW_PRIVATE=1`; off: a customer's domain cannot make the product
    /// probe the platform's own network).
    pub allow_private: bool,
}

impl ProbeSettings {
    pub fn from_env() -> Result<ProbeSettings, String> {
        let dns_server = match std::env::var("AGOAT_DNS_SERVER") {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().parse().map_err(|_| {
                format!("AGOAT_DNS_SERVER must be an address and port, such as 127.0.0.1:53, not {text:?}")
            })?),
            _ => None,
        };
        let http_port = match std::env::var("AGOAT_VERIFICATION_HTTP_PORT") {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().parse().map_err(|_| {
                format!("AGOAT_VERIFICATION_HTTP_PORT must be a port number, not {text:?}")
            })?),
            _ => None,
        };
        let allow_private = std::env::var("AGOAT_VERIFICATION_ALLOW_PRIVATE").as_deref() == Ok("1");
        Ok(ProbeSettings {
            dns_server,
            http_port,
            allow_private,
        })
    }
}

/// The DNS and HTTP probes.
pub struct Prober {
    resolver: TokioResolver,
    http_port: u16,
    allow_private: bool,
}

impl Prober {
    /// A prober asking the configured name server (or the system's; if the system's
    /// configuration cannot be read, every DNS lookup fails with the reason).
    pub fn new(settings: &ProbeSettings) -> Prober {
        let mut options = ResolverOpts::default();
        // Every check asks afresh: a record just added (or just removed) must count.
        options.cache_size = 0;
        options.timeout = PROBE_TIMEOUT;
        options.attempts = 2;
        let provider = TokioConnectionProvider::default();
        let builder = match settings.dns_server {
            Some(server) => {
                let mut config = ResolverConfig::new();
                config.add_name_server(NameServerConfig::new(server, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(server, Protocol::Tcp));
                TokioResolver::builder_with_config(config, provider)
            }
            None => TokioResolver::builder_tokio().unwrap_or_else(|error| {
                tracing::warn!(%error, "the system's DNS configuration cannot be read");
                TokioResolver::builder_with_config(ResolverConfig::new(), provider)
            }),
        };
        Prober {
            resolver: builder.with_options(options).build(),
            http_port: settings.http_port.unwrap_or(80),
            allow_private: settings.allow_private,
        }
    }

    /// Checks `host` against `token`: the TXT record first, then (when `http_allowed`) the HTTP
    /// answer.
    pub async fn check(&self, host: &str, token: &str, http_allowed: bool) -> Outcome {
        let dns = match self.txt_holds(host, token).await {
            Ok(()) => return Outcome::Verified(Method::Dns),
            Err(reason) => reason,
        };
        if !http_allowed {
            return Outcome::Failed(format!(
                "{dns}. The name is under another customer's domain, so only a DNS record can \
                 verify it."
            ));
        }
        match self.http_answers(host, token).await {
            Ok(()) => Outcome::Verified(Method::Http),
            Err(http) => Outcome::Failed(format!("{dns}; {http}.")),
        }
    }

    async fn txt_holds(&self, host: &str, token: &str) -> Result<(), String> {
        let name = txt_name(host);
        let found = match self.resolver.txt_lookup(format!("{name}.")).await {
            Ok(found) => found,
            Err(e) if is_absent(&e) => return Err(format!("DNS: no TXT record at {name}")),
            Err(e) => return Err(format!("DNS: the lookup of {name} failed ({})", brief(&e))),
        };
        let holds = found.iter().any(|txt| {
            let value: Vec<u8> = txt
                .txt_data()
                .iter()
                .flat_map(|part| part.iter())
                .copied()
                .collect();
            String::from_utf8_lossy(&value).trim() == token
        });
        if holds {
            Ok(())
        } else {
            Err(format!(
                "DNS: the TXT record at {name} does not hold this domain's token"
            ))
        }
    }

    async fn http_answers(&self, host: &str, token: &str) -> Result<(), String> {
        let address = match self.resolver.lookup_ip(format!("{host}.")).await {
            Ok(found) => found.iter().next(),
            Err(e) if is_absent(&e) => None,
            Err(e) => {
                return Err(format!(
                    "HTTP: {host} could not be resolved ({})",
                    brief(&e)
                ));
            }
        };
        let Some(address) = address else {
            return Err(format!("HTTP: {host} has no address record"));
        };
        if !self.allow_private && !is_public(address) {
            return Err(format!("HTTP: {host} points to a private address"));
        }
        let url = format!("http://{host}:{}{HTTP_PATH}{token}", self.http_port);
        let shown = format!("http://{host}{HTTP_PATH}…");
        let client = self.client_for(host, SocketAddr::new(address, self.http_port))?;
        let answer =
            client.get(&url).send().await.map_err(|e| {
                format!("HTTP: {shown} could not be fetched ({})", reqwest_brief(&e))
            })?;
        if !answer.status().is_success() {
            return Err(format!(
                "HTTP: {shown} answered {}",
                answer.status().as_u16()
            ));
        }
        let body = read_limited(answer)
            .await
            .map_err(|e| format!("HTTP: {shown}: {e}"))?;
        if String::from_utf8_lossy(&body).trim() == token {
            Ok(())
        } else {
            Err(format!(
                "HTTP: {shown} did not answer with this domain's token"
            ))
        }
    }

    /// An HTTP client that connects `host` to the address the configured resolver gave (not the
    /// system's), follows no redirect and uses no proxy.
    fn client_for(&self, host: &str, address: SocketAddr) -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROBE_TIMEOUT)
            .user_agent("AGoat domain verification")
            .resolve(host, address)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))
    }
}

async fn read_limited(mut answer: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|e| reqwest_brief(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err("the answer is too long".into());
        }
    }
    Ok(body)
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, multicast or unspecified).
fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| !is_public(IpAddr::V4(v4))))
        }
    }
}

fn is_absent(error: &ResolveError) -> bool {
    error.is_no_records_found() || error.is_nx_domain()
}

fn brief(error: &ResolveError) -> String {
    let text = error.to_string();
    text.chars().take(120).collect()
}

fn reqwest_brief(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".into()
    } else if error.is_connect() {
        "connection refused or unreachable".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched_from_by_default() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_record_name() {
        assert_eq!(txt_name("blog.example.com"), "_agoat.blog.example.com");
    }

    #[tokio::test]
    async fn a_name_server_that_does_not_answer_is_a_failure_with_a_reason() {
        // Nothing answers DNS on port 9 of the loopback.
        let prober = Prober::new(&ProbeSettings {
            dns_server: Some("127.0.0.1:9".parse().unwrap()),
            http_port: Some(9),
            allow_private: false,
        });
        match prober.check("example.test", "token", false).await {
            Outcome::Failed(reason) => {
                assert!(reason.starts_with("DNS:"), "{reason}");
                assert!(reason.contains("only a DNS record"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
