//! The security headers of every response, set in one place: a Content-Security-Policy that allows
//! scripts and styles from this origin only (no page has an inline script: no nonce, no
//! `unsafe-inline`, so the headers are the same for every response and a cached page needs none
//! of its own), `nosniff`, a referrer policy, framing rules
//! (never for the admin, same origin for public pages), a permissions policy, and HSTS when the
//! request arrived over https (as [`crate::web::client`] tells: a forwarded scheme counts only
//! from a trusted proxy).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    CONTENT_SECURITY_POLICY, HeaderMap, HeaderName, HeaderValue, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;

use crate::web::client::Client;

/// HSTS: two years, subdomains included (sent only on https responses).
const HSTS: &str = "max-age=63072000; includeSubDomains";
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=()";

/// The policy of public pages: scripts and styles only from this origin (no page has an inline
/// script, so none needs a nonce), no plugins, forms only to this origin, framed only by the site.
pub const PUBLIC_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' https: data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'self'";

/// The policy of the admin: the same, and never framed.
pub const ADMIN_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' https: data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// The policy for a response of the admin or not.
pub fn content_security_policy(admin: bool) -> &'static str {
    if admin { ADMIN_POLICY } else { PUBLIC_POLICY }
}

/// The middleware.
pub async fn apply(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = Client::of(req.request()).https;
    let admin = crate::web::admin::is_admin_path(req.path());
    let mut res = next.call(req).await?;
    add(res.headers_mut(), admin, https);
    Ok(res)
}

/// Sets the security headers of a response of the admin or not, which arrived over https or not
/// (also used by the page cache's answers, which skip this middleware).
pub fn add(headers: &mut HeaderMap, admin: bool, https: bool) {
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(content_security_policy(admin)),
    );
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_never_allows_inline_script_and_admin_is_never_framed() {
        for admin in [false, true] {
            let policy = content_security_policy(admin);
            assert!(!policy.contains("unsafe-inline"));
            assert!(!policy.contains("unsafe-eval"));
            assert!(policy.contains("script-src 'self';"), "{policy}");
            assert!(!policy.contains("nonce-"), "{policy}");
            assert_eq!(policy.contains("frame-ancestors 'none'"), admin, "{policy}");
        }
    }
}
