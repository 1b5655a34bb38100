//! Error pages: how [`AppError`] becomes a response. A visitor sees a friendly page for the
//! status; the cause goes to the log only. On a resolved site, `site::resolve_site` re-renders the
//! page in that site's layout, or under `/admin` in the admin layout (`admin::error`), keeping the
//! `Allow` and `Retry-After` headers of the handler's response.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::web::response;

/// The bare error page, used where no site is known (unknown host, malformed request).
#[derive(Template)]
#[template(path = "error.html")]
pub struct BareErrorPage<'a> {
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
    pub stylesheet: String,
}

/// The title and the sentence shown for a status.
pub fn wording(status: StatusCode, error: Option<&AppError>) -> (&'static str, String) {
    match status {
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is nothing at this address. It may have moved, or it may never have existed."
                .into(),
        ),
        StatusCode::BAD_REQUEST => (
            "Bad request",
            match error {
                Some(AppError::BadRequest(reason) | AppError::Invalid(reason)) => reason.clone(),
                _ => "The request could not be understood.".into(),
            },
        ),
        StatusCode::CONFLICT => (
            "Conflict",
            match error {
                Some(AppError::Conflict(reason)) => reason.clone(),
                _ => "The request conflicts with the current state.".into(),
            },
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Temporarily unavailable",
            "The service is briefly unavailable. Please try again in a moment.".into(),
        ),
        StatusCode::FORBIDDEN => ("Forbidden", "Your role does not allow this.".into()),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many attempts",
            match error {
                Some(AppError::TooManyRequests { message, .. }) => message.clone(),
                _ => "Too many attempts. Please wait and try again.".into(),
            },
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Too large",
            "The request is larger than this address accepts.".into(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "Request timeout",
            "The request took too long to arrive.".into(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Method not allowed",
            "This address does not accept that method.".into(),
        ),
        _ => (
            "Something went wrong",
            "An unexpected error occurred. It has been logged.".into(),
        ),
    }
}

/// Renders the bare error page for a status.
pub fn bare_page(status: StatusCode, error: Option<&AppError>) -> HttpResponse {
    let (title, message) = wording(status, error);
    let page = BareErrorPage {
        status: status.as_u16(),
        title,
        message: &message,
        stylesheet: crate::web::assets::url("app.css"),
    };
    let body = response::render(&page).unwrap_or_else(|_| format!("{} {title}\n", status.as_u16()));
    response::error_page(status, body)
}

/// The `Retry-After` header of a refusal that says when to try again.
fn retry_after(error: &AppError) -> Option<HeaderValue> {
    match error {
        AppError::TooManyRequests {
            retry_after_secs, ..
        } => Some(HeaderValue::from(*retry_after_secs)),
        _ => None,
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::SignInRequired(_) => StatusCode::SEE_OTHER,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired(next) = self {
            let location = format!("/admin/login?next={}", urlencoding::encode(next));
            return HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, location))
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut res = bare_page(status, Some(self));
        if let Some(value) = retry_after(self) {
            res.headers_mut().insert(RETRY_AFTER, value);
        }
        res
    }
}
