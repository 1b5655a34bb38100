//! Static assets, embedded in the binary and served under `/static` with a content fingerprint in
//! the name (`app.3f2a9c1b.css`), so they can be cached for a year.

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    fingerprinted: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        (
            "app.css",
            "text/css; charset=utf-8",
            include_bytes!("../../static/app.css").as_slice(),
        ),
        (
            "admin.css",
            "text/css; charset=utf-8",
            include_bytes!("../../static/admin.css").as_slice(),
        ),
    ]
    .into_iter()
    .map(|(name, content_type, bytes)| Asset {
        name,
        content_type,
        bytes,
        fingerprinted: fingerprint(name, bytes),
    })
    .collect()
});

fn fingerprint(name: &str, bytes: &[u8]) -> String {
    let hash = hex::encode(&Sha256::digest(bytes)[..6]);
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// The URL pages link to for an asset (its fingerprinted name).
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/static/{}", a.fingerprinted))
        .unwrap_or_else(|| format!("/static/{name}"))
}

/// The `/static` routes.
pub fn scope() -> actix_web::Scope {
    web::scope("/static").route("/{name}", web::get().to(serve))
}

async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let name = name.into_inner();
    let found = ASSETS
        .iter()
        .find(|a| a.fingerprinted == name)
        .map(|a| (a, "public, max-age=31536000, immutable"))
        .or_else(|| {
            ASSETS
                .iter()
                .find(|a| a.name == name)
                .map(|a| (a, "public, max-age=300"))
        });
    let Some((asset, cache_control)) = found else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found\n");
    };
    let etag = format!("\"{}\"", asset.fingerprinted);
    let matches = req
        .headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(("Cache-Control", cache_control))
        .insert_header(("ETag", etag))
        .content_type(asset.content_type);
    if matches {
        response.finish()
    } else {
        response.body(asset.bytes)
    }
}
