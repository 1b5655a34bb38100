//! CSRF protection: a random token per session, put in every admin form (`csrf_token`) or sent as
//! `X-CSRF-Token`; every state-changing request without the right one is refused with 403 before
//! any handler runs.

use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, web};
use base64::Engine;
use rand::RngCore;

use crate::error::AppError;

/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";
const HEADER: &str = "x-csrf-token";
const SESSION_KEY: &str = "csrf";
/// What a body may hold beyond the largest upload (the other form fields, multipart framing).
const FORM_SLACK_BYTES: usize = 1024 * 1024;

/// The session's token, made on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return token;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let _ = session.insert(SESSION_KEY, &token);
    token
}

fn matches(session: &Session, presented: &str) -> bool {
    match session.get::<String>(SESSION_KEY) {
        Ok(Some(expected)) => constant_time_eq(expected.as_bytes(), presented.as_bytes()),
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses any request other than GET/HEAD/OPTIONS that lacks the session's token.
pub async fn verify(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let session = req.get_session();
    let from_header = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let presented = match from_header {
        Some(token) => Some(token),
        None if streams_body(&req) => {
            let found = |start: &[u8]| form_field(start, FIELD).is_some();
            match crate::web::body::read_start(&mut req, STREAMED_START_BYTES, found).await {
                Ok(start) => form_field(&start, FIELD),
                Err(error) => return Ok(req.error_response(error)),
            }
        }
        None => {
            let limit = max_body_bytes(&req);
            match crate::web::body::read(&mut req, limit).await {
                Ok(body) => form_field(&body, FIELD),
                Err(error) => return Ok(req.error_response(error)),
            }
        }
    };
    if presented.is_some_and(|t| matches(&session, &t)) {
        Ok(next.call(req).await?.map_into_boxed_body())
    } else {
        tracing::warn!(
            path = req.path(),
            "refused a request without a valid CSRF token"
        );
        // The error stays attached, so that the page is rendered in the admin layout.
        Ok(req.error_response(AppError::Forbidden))
    }
}

/// How much of a streamed upload is read to find the token, which its form sends first.
const STREAMED_START_BYTES: usize = 64 * 1024;

/// Whether the request is an upload too large to hold in memory (a site's export and its images):
/// its token is looked for at the start of the body, and the rest streams to the handler.
fn streams_body(req: &ServiceRequest) -> bool {
    req.path() == crate::web::admin::site_import::UPLOAD_PATH
}

/// Largest body read to find the token: the largest upload plus the other fields (larger bodies
/// are refused before anything reads them).
fn max_body_bytes(req: &ServiceRequest) -> usize {
    let state = req.app_data::<web::Data<crate::web::AppState>>();
    let upload = if req.path().starts_with("/admin/media") {
        state.map_or(0, |state| {
            crate::web::admin::media::upload::max_request_bytes(&state.media_limits)
        })
    } else {
        state
            .map(|state| state.max_upload_bytes)
            .unwrap_or(crate::config::DEFAULT_MAX_UPLOAD_BYTES)
    };
    upload.max(crate::web::MAX_FORM_BYTES) + FORM_SLACK_BYTES
}

/// The value of a field of an `application/x-www-form-urlencoded` body, or of a multipart body's
/// simple text part.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    if let Some(value) = form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
    {
        return Some(value);
    }
    let text = String::from_utf8_lossy(body);
    let marker = format!("name=\"{name}\"");
    let start = text.find(&marker)? + marker.len();
    let rest = text[start..].split_once("\r\n\r\n")?.1;
    // Only a whole value: the start of a streamed body may end inside it.
    Some(rest.split_once("\r\n")?.0.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_forms() {
        assert_eq!(
            form_field(b"a=1&csrf_token=abc%2B&b=2", FIELD).as_deref(),
            Some("abc+")
        );
        assert_eq!(form_field(b"a=1", FIELD), None);
        let multipart =
            b"--x\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n--x--\r\n";
        assert_eq!(form_field(multipart, FIELD).as_deref(), Some("tok"));
        let cut = b"--x\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nto";
        assert_eq!(form_field(cut, FIELD), None);
    }

    #[test]
    fn compares_in_constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
