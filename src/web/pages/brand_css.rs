//! `/brand.css`: the site's accent colour as a stylesheet of CSS custom properties that
//! `static/app.css` reads (`--accent`, `--accent-contrast`, `--link`…), made by
//! [`crate::branding::colour::Accent::stylesheet`].
//!
//! Why a stylesheet of its own: the Content-Security-Policy allows styles from this origin only
//! (`style-src 'self'`, no `unsafe-inline`, see `security_headers.rs`), so neither a `style`
//! attribute nor an inline `<style>` may carry a per-site colour, and a nonce or hash for styles
//! would have to be kept in step with the page cache. A few hundred bytes from the same origin
//! need no exception at all. Pages link it as `/brand.css?v={digest of its text}`: when `v`
//! names the current text the answer may be kept for a year (a new colour is a new address);
//! any other `v` (a page from before the change) gets the current text, revalidated on each use.
//! Like every public page it goes through the page cache, so it is read from memory.

use actix_web::http::header::{CACHE_CONTROL, ETAG};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::response::client_has;
use crate::web::site::RequestSite;

/// What a site without an accent colour gets (pages do not link it then; an old page may).
const NO_ACCENT: &str = "/* This site uses the default colours. */\n";

/// The address pages link the stylesheet of `version` by.
pub fn href(version: &str) -> String {
    format!("/brand.css?v={version}")
}

pub async fn stylesheet(req: HttpRequest, site: web::ReqData<RequestSite>) -> HttpResponse {
    let (css, version) = match &site.ctx.brand.stylesheet {
        Some(sheet) => (sheet.css.as_str(), sheet.version.as_str()),
        None => (NO_ACCENT, "default"),
    };
    let asked = web::Query::<VersionQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().v);
    let cache_control = if asked.as_deref() == Some(version) {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    let etag = format!("\"brand-{version}\"");
    let not_modified = client_has(&req, &etag);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((CACHE_CONTROL, cache_control))
        .insert_header((ETAG, etag))
        .content_type("text/css; charset=utf-8");
    if not_modified {
        response.finish()
    } else {
        response.body(css.to_owned())
    }
}

#[derive(serde::Deserialize)]
struct VersionQuery {
    v: Option<String>,
}
