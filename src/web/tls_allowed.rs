//! `GET /.well-known/agoat/tls-allowed?domain=D`: the question a TLS-terminating proxy asks before
//! it gets a certificate on demand for `D` (Caddy's `on_demand_tls { ask … }`). 200 when `D` is a
//! domain of an active site of an active customer, 404 otherwise, 400 for a missing or malformed
//! parameter, 503 while the set of served hosts has never been loaded. It answers on any host,
//! from memory ([`crate::tenancy::served_hosts`]), never from the database; the body is one fixed
//! word and names no customer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::tenancy::host;
use crate::tenancy::served_hosts::Served;
use crate::web::AppState;

/// The longest query string read; anything longer is not a domain (a name has at most 253
/// characters, percent-encoded internationalised names a few times that).
const MAX_QUERY: usize = 2048;

pub async fn answer(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(domain) = domain_asked(req.query_string()) else {
        return reply(StatusCode::BAD_REQUEST, "bad request\n");
    };
    match state.served_hosts.contains(&domain) {
        Served::Yes => reply(StatusCode::OK, "allowed\n"),
        Served::No => reply(StatusCode::NOT_FOUND, "unknown\n"),
        Served::NotLoaded => reply(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
    }
}

/// The normalised `domain` parameter, if there is exactly one and it is a valid host name.
fn domain_asked(query: &str) -> Option<String> {
    if query.len() > MAX_QUERY {
        return None;
    }
    let mut values = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "domain")
        .map(|(_, value)| value);
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    host::normalize_domain(&value).ok()
}

fn reply(status: StatusCode, word: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_valid_domain() {
        assert_eq!(domain_asked("domain=a.test").as_deref(), Some("a.test"));
        assert_eq!(
            domain_asked("domain=WWW.A.Test.").as_deref(),
            Some("www.a.test")
        );
        assert_eq!(
            domain_asked("domain=b%C3%BCcher.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(
            domain_asked("other=1&domain=a.test").as_deref(),
            Some("a.test")
        );
    }

    #[test]
    fn refuses_what_is_not_one_domain() {
        let long = format!("domain={}", "a".repeat(MAX_QUERY));
        for query in [
            "",
            "domain=",
            "domain=a.test&domain=b.test",
            "domain=a.test:443",
            "domain=a.test/x",
            "domain=a..test",
            "domain=%00",
            "domain=-a.test",
            "name=a.test",
            long.as_str(),
        ] {
            assert_eq!(domain_asked(query), None, "{query:?}");
        }
    }
}
