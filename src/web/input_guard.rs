//! Control characters are refused at the edge, before a handler or a query sees them (see
//! [`crate::input`]): a request whose address — the path or a query parameter, percent-decoded —
//! holds one, or whose form body holds one in a field (tab and line breaks aside: multi-line
//! fields need them), is answered 400 with the field named and nothing done. Single-line form
//! fields refuse line breaks in their own checks; uploaded files are checked cell by cell by their
//! parser.

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;

use crate::error::AppError;
use crate::input::{self, Shape};

/// The reason given for a path (or a query parameter name) holding a control character.
pub const ADDRESS_REASON: &str = "The address contains a control character.";

/// Refuses a request whose path or query string holds a control character (every route).
pub async fn check_address(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match address_problem(req.uri()) {
        Some(reason) => Ok(req.error_response(AppError::BadRequest(reason))),
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

/// Refuses a form (`application/x-www-form-urlencoded`) with a control character in a field;
/// runs after the CSRF check, so only a session's own forms are read here.
pub async fn check_form(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !is_form(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let body = match crate::web::body::read(&mut req, crate::web::MAX_FORM_BYTES).await {
        Ok(body) => body,
        Err(error) => return Ok(req.error_response(error)),
    };
    match form_problem(&body) {
        Some(reason) => Ok(req.error_response(AppError::BadRequest(reason))),
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Why the address of a request is refused, if it is.
pub fn address_problem(uri: &Uri) -> Option<String> {
    let path = urlencoding::decode_binary(uri.path().as_bytes());
    if input::control_character(&String::from_utf8_lossy(&path), Shape::Line).is_some() {
        return Some(ADDRESS_REASON.to_owned());
    }
    let query = uri.query().unwrap_or("");
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if input::control_character(&name, Shape::Line).is_some() {
            return Some(ADDRESS_REASON.to_owned());
        }
        if let Err(reason) = input::check(&value, Shape::Line) {
            return Some(format!("The address parameter {name:?} {reason}."));
        }
    }
    None
}

/// Why a form body is refused, if it is.
pub fn form_problem(body: &[u8]) -> Option<String> {
    for (name, value) in form_urlencoded::parse(body) {
        if input::control_character(&name, Shape::Line).is_some() {
            return Some("A form field name contains a control character.".to_owned());
        }
        if let Err(reason) = input::check(&value, Shape::Text) {
            return Some(format!("The form field {name:?} {reason}."));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> Option<String> {
        address_problem(&text.parse().unwrap())
    }

    #[test]
    fn addresses_with_control_characters_are_refused() {
        assert_eq!(address("/posts/hello%00").as_deref(), Some(ADDRESS_REASON));
        assert_eq!(address("/posts/a%0Ab").as_deref(), Some(ADDRESS_REASON));
        assert_eq!(address("/x?a%00=1").as_deref(), Some(ADDRESS_REASON));
        assert_eq!(
            address("/admin/products?q=a&category=b%00").as_deref(),
            Some("The address parameter \"category\" contains a control character (U+0000).")
        );
        assert!(address("/admin/posts?q=%1B").is_some());
        assert!(address("/admin/posts?q=%C2%85").is_some());
    }

    #[test]
    fn ordinary_addresses_pass() {
        for text in [
            "/",
            "/posts/hello-world",
            "/products/SKU-1%2E5",
            "/admin/products?q=vitamin+d&category=B%C3%BCcher",
            "/admin/audit?actor=a%40b.test&from=2024-01-01",
            "/x?%FF=%FE",
        ] {
            assert_eq!(address(text), None, "{text}");
        }
    }

    #[test]
    fn form_fields_may_hold_line_breaks_and_tabs_only() {
        assert_eq!(form_problem(b"body=a%0D%0Ab%09c&title=x"), None);
        assert_eq!(
            form_problem(b"csrf_token=t&email=a%00%40b.test").as_deref(),
            Some("The form field \"email\" contains a control character (U+0000).")
        );
        assert!(form_problem(b"name=%07").is_some());
        assert!(form_problem(b"a%00=1").is_some());
    }
}
