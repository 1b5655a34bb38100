//! Marks cookies `Secure` when the request arrived over https, so that one server can answer both
//! schemes (local http, production https behind TLS). Whether it did is [`Client::of`]'s answer: a
//! forwarded scheme counts only from a trusted proxy.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;

use crate::web::client::Client;

/// The middleware.
pub async fn mark_secure(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = Client::of(req.request()).https;
    let mut res = next.call(req).await?;
    if https {
        let cookies: Vec<HeaderValue> = res.headers().get_all(SET_COOKIE).cloned().collect();
        if !cookies.is_empty() {
            res.headers_mut().remove(SET_COOKIE);
            for cookie in cookies {
                let text = cookie.to_str().unwrap_or_default();
                let secured = if text.to_ascii_lowercase().contains("; secure") {
                    cookie.clone()
                } else {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie.clone())
                };
                res.headers_mut().append(SET_COOKIE, secured);
            }
        }
    }
    Ok(res)
}
