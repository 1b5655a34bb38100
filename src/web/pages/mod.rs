//! Public pages of a site, one file per page, each a page struct rendered with an askama template
//! under `templates/site/` that extends `base.html`.

pub mod feed;
pub mod home;
pub mod media;
pub mod not_found;
pub mod post;
pub mod preview;
pub mod product;
pub mod products;
pub mod robots;
pub mod search;
pub mod sitemap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Route, guard, web};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::media::library::{Media, MediaFile};
use crate::media::pictures;
use crate::web::error::wording;
use crate::web::response;
use crate::web::site::RequestSite;

/// Registers the public pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(page().to(home::page)))
        .service(web::resource("/posts/{slug}").route(page().to(post::page)))
        .service(web::resource("/products").route(page().to(products::page)))
        .service(web::resource("/products/{sku}").route(page().to(product::page)))
        .service(web::resource("/search").route(page().to(search::page)))
        .service(web::resource("/feed.xml").route(page().to(feed::page)))
        .service(web::resource("/sitemap.xml").route(page().to(sitemap::page)))
        .service(web::resource("/robots.txt").route(page().to(robots::page)))
        .service(web::resource("/media/{name}").route(page().to(media::file)))
        .configure(preview::routes);
}

/// A route answering GET and HEAD (HEAD gets the same headers and no body).
fn page() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// What the base layout shows on every page.
pub struct Layout {
    pub site_name: String,
    pub title: String,
    pub description: String,
    /// The canonical URL, on the primary domain.
    pub canonical: String,
    /// Open Graph type: `website` or `article`.
    pub og_type: &'static str,
    pub stylesheet: String,
    pub feed_url: String,
    pub noindex: bool,
    /// The image shared links show (`og:image`, and a large Twitter card), when the page has one.
    pub image: Option<ShareImage>,
}

/// The image of a page for shared links: an absolute address on the site's primary domain, its
/// pixel size and its alt text.
pub struct ShareImage {
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

impl ShareImage {
    /// The share image of a library image: its widest file in its own format up to `PREVIEW_MAX_WIDTH` pixels (what
    /// link previews show), on `site`; `None` when it has no such file.
    pub fn of(site: &RequestSite, media: &Media, files: &[MediaFile]) -> Option<ShareImage> {
        let file = pictures::own_file_within(media, files, pictures::PREVIEW_MAX_WIDTH)?;
        Some(ShareImage {
            url: site.url(&pictures::path(file)),
            width: file.width,
            height: file.height,
            alt: media.alt_text.clone(),
        })
    }
}

impl Layout {
    /// The layout of a page at `path` of `site`.
    pub fn new(site: &RequestSite, title: &str, description: &str, path: &str) -> Layout {
        Layout {
            site_name: site.ctx.site_name.clone(),
            title: title.to_owned(),
            description: description.to_owned(),
            canonical: site.url(path),
            og_type: "website",
            stylesheet: crate::web::assets::url("app.css"),
            feed_url: site.url("/feed.xml"),
            noindex: false,
            image: None,
        }
    }
}

/// A site's error page.
#[derive(Template)]
#[template(path = "site/error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// Renders an error in the site's layout.
pub fn error_page(
    req: &HttpRequest,
    site: &RequestSite,
    status: StatusCode,
    error: Option<&AppError>,
) -> HttpResponse {
    let (title, message) = wording(status, error);
    let mut layout = Layout::new(
        site,
        &format!("{title} · {}", site.ctx.site_name),
        &message,
        req.path(),
    );
    layout.noindex = true;
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        heading: title,
        message: &message,
    };
    match response::render(&page) {
        Ok(body) => response::error_page(status, body),
        Err(_) => crate::web::error::bare_page(status, error),
    }
}

/// `27 November 2026, 14:05 UTC`: how dates are shown to visitors.
pub fn display_time(time: DateTime<Utc>) -> String {
    time.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// RFC 3339, for `<time datetime>`, feeds and sitemaps.
pub fn iso_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
