//! Building page responses: HTML and XML bodies with a weak ETag, answering `304 Not Modified`
//! when the client already has the same representation.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{AppError, AppResult};

/// Renders an askama template into a body.
pub fn render(template: &impl askama::Template) -> AppResult<String> {
    template
        .render()
        .map_err(|e| AppError::Internal(format!("template failed: {e}")))
}

/// Renders a template that places `room` bytes of text of its own (a post's body) into a body
/// allocated once with room for them, instead of grown and copied as it is written.
pub fn render_with_room<T: askama::Template>(template: &T, room: usize) -> AppResult<String> {
    let mut body = String::with_capacity(T::SIZE_HINT + room);
    template
        .render_into(&mut body)
        .map_err(|e| AppError::Internal(format!("template failed: {e}")))?;
    Ok(body)
}

/// A public HTML page (200), revalidated with an ETag on each use.
pub fn html(req: &HttpRequest, body: String) -> HttpResponse {
    conditional(req, body, "text/html; charset=utf-8")
}

/// A public body of any type (200), revalidated with an ETag on each use.
pub fn conditional(req: &HttpRequest, body: String, content_type: &str) -> HttpResponse {
    let etag = etag_of(body.as_bytes());
    let cache_control = "public, no-cache";
    if client_has(req, &etag) {
        return HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, cache_control))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, cache_control))
        .content_type(content_type.to_owned())
        .body(body)
}

/// The weak ETag of a body: its 128-bit XXH3 fingerprint, which tells representations apart
/// (nothing relies on it being hard to forge: the same site's editor is the only one able to
/// choose the body) at a small fraction of a cryptographic hash's cost.
pub fn etag_of(body: &[u8]) -> String {
    format!("W/\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

/// An error page with its status; never cached.
pub fn error_page(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Whether `If-None-Match` names this ETag (weak comparison, as RFC 9110 asks for GET).
pub fn client_has(req: &HttpRequest, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    req.headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

/// An admin page: private, never stored.
pub fn private_html(body: String) -> HttpResponse {
    private_html_status(StatusCode::OK, body)
}

/// A rendered admin page with its status (200, a form with errors, a conflict).
pub fn private_page(status: StatusCode, page: &impl askama::Template) -> AppResult<HttpResponse> {
    Ok(private_html_status(status, render(page)?))
}

/// An admin page with a status other than 200 (a form with errors, a conflict).
pub fn private_html_status(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_is_a_weak_quoted_fingerprint_of_the_body() {
        let tag = etag_of(b"<p>One</p>");
        assert_eq!(tag, etag_of(b"<p>One</p>"));
        assert_ne!(tag, etag_of(b"<p>One.</p>"));
        assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
        assert_eq!(tag.len(), 4 + 32, "{tag}");
    }
}
