//! The security headers of every response, set in one place: a Content-Security-Policy with a
//! per-request script nonce (no `unsafe-inline`), `nosniff`, a referrer policy, framing rules
//! (never for the admin, same origin for public pages), a permissions policy, and HSTS when the
//! request arrived over https (as [`crate::web::client`] tells: a forwarded scheme counts only
//! from a trusted proxy).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, HeaderName, HeaderValue, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use base64::Engine;
use rand::RngCore;

use crate::web::client::Client;

/// The nonce an inline `<script nonce="…">` of this response must carry (templates take it from
/// the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn generate() -> CspNonce {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        CspNonce(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

/// HSTS: two years, subdomains included (sent only on https responses).
const HSTS: &str = "max-age=63072000; includeSubDomains";
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=()";

/// The policy for a response: scripts only from this origin or with the nonce, styles only from
/// this origin, no plugins, forms only to this origin; admin pages may never be framed.
pub fn content_security_policy(nonce: &CspNonce, admin: bool) -> String {
    let frame_ancestors = if admin { "'none'" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{}'; style-src 'self'; \
         img-src 'self' https: data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors {frame_ancestors}",
        nonce.0
    )
}

/// The middleware.
pub async fn apply(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let nonce = CspNonce::generate();
    req.extensions_mut().insert(nonce.clone());
    let https = Client::of(req.request()).https;
    let admin = crate::web::admin::is_admin_path(req.path());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let policy = content_security_policy(&nonce, admin);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // A page whose address holds a secret (a mailed link's token) sends no referrer at all.
    if headers.get(REFERRER_POLICY) != Some(&HeaderValue::from_static("no-referrer")) {
        headers.insert(
            REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    headers.insert(
        X_FRAME_OPTIONS,
        HeaderValue::from_static(if admin { "DENY" } else { "SAMEORIGIN" }),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if https {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_never_allows_inline_script_and_admin_is_never_framed() {
        let nonce = CspNonce::generate();
        for admin in [false, true] {
            let policy = content_security_policy(&nonce, admin);
            assert!(!policy.contains("unsafe-inline"));
            assert!(!policy.contains("unsafe-eval"));
            assert!(policy.contains(&format!("'nonce-{}'", nonce.0)));
            assert_eq!(policy.contains("frame-ancestors 'none'"), admin, "{policy}");
        }
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(CspNonce::generate(), CspNonce::generate());
    }
}
