//! Public pages of a site, one file per page, each a page struct rendered with an askama template
//! under `templates/site/` that extends `base.html`. Every HTML page names its canonical address
//! on the primary domain; every listing links its neighbouring pages (`rel="prev"`/`"next"`).

pub mod brand_css;
pub mod category;
pub mod feed;
pub mod home;
pub mod media;
pub mod page;
pub mod post;
pub mod preview;
pub mod product;
pub mod products;
pub mod robots;
pub mod search;
pub mod sitemap;
pub mod tag;
pub mod tag_feed;
pub mod tags;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, Route, guard, web};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::branding::{Brand, BrandImage};
use crate::content::menus::Link;
use crate::error::{AppError, AppResult};
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
        .service(web::resource("/products/category/{category}").route(page().to(category::page)))
        .service(web::resource("/tags").route(page().to(tags::page)))
        .service(web::resource("/tags/{tag}").route(page().to(tag::page)))
        .service(web::resource("/tags/{tag}/feed.xml").route(page().to(tag_feed::page)))
        .service(web::resource("/search").route(page().to(search::page)))
        .service(web::resource("/feed.xml").route(page().to(feed::page)))
        .service(web::resource("/sitemap.xml").route(page().to(sitemap::page)))
        .service(web::resource("/robots.txt").route(page().to(robots::page)))
        .service(web::resource("/brand.css").route(page().to(brand_css::stylesheet)))
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
    /// The feed a feed reader finds on the page (the site's, or a tag's on a tag page).
    pub feed_url: String,
    pub feed_title: String,
    pub noindex: bool,
    /// The image shared links show (`og:image`, and a large Twitter card), when the page has one.
    pub image: Option<ShareImage>,
    /// The neighbouring pages of a listing (`<link rel="prev">`, `<link rel="next">`), absolute.
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// Structured data for search engines, as [`crate::web::json_ld::script_text`] writes it.
    pub json_ld: Option<String>,
    /// The header's links: the site's header menu, or the default one while it has none.
    pub nav: Vec<NavLink>,
    /// The footer's links (the site's footer menu).
    pub footer_links: Vec<NavLink>,
    /// The site's branding: tagline, logo, favicon, footer, social links (the header's brand
    /// block and the footer).
    pub brand: Arc<Brand>,
    /// `<html lang>`: the site's language.
    pub lang: String,
    /// The site's accent colour stylesheet (`/brand.css?v=…`), when it has one.
    pub brand_stylesheet: Option<String>,
}

/// A link of a menu, marked when it leads to the page shown (`aria-current="page"`).
pub struct NavLink {
    pub label: String,
    pub href: String,
    pub external: bool,
    pub current: bool,
}

impl NavLink {
    /// The links of a menu on the page at `path`.
    fn all(links: &[Link], path: &str) -> Vec<NavLink> {
        links
            .iter()
            .map(|link| NavLink {
                label: link.label.clone(),
                current: !link.external && link.href == path,
                href: link.href.clone(),
                external: link.external,
            })
            .collect()
    }
}

/// The header's links of a site without a header menu.
fn default_nav() -> Vec<Link> {
    [
        ("Posts", "/"),
        ("Products", "/products"),
        ("Feed", "/feed.xml"),
    ]
    .map(|(label, href)| Link {
        label: label.to_owned(),
        href: href.to_owned(),
        external: false,
    })
    .to_vec()
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
    /// The share image of a site's branding, absolute on `site`.
    pub fn of_brand(site: &RequestSite, image: &BrandImage) -> ShareImage {
        ShareImage {
            url: site.url(&image.path),
            width: image.width,
            height: image.height,
            alt: image.alt.clone(),
        }
    }

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
    /// The layout of a page at `path` of `site`. Its share image is the site's default one until
    /// the page sets its own.
    pub fn new(site: &RequestSite, title: &str, description: &str, path: &str) -> Layout {
        let menus = &site.ctx.menus;
        let header = if menus.header.is_empty() {
            NavLink::all(&default_nav(), path)
        } else {
            NavLink::all(&menus.header, path)
        };
        let brand = site.ctx.brand.clone();
        Layout {
            nav: header,
            footer_links: NavLink::all(&menus.footer, path),
            site_name: site.ctx.site_name.clone(),
            title: title.to_owned(),
            description: description.to_owned(),
            canonical: site.url(path),
            og_type: "website",
            stylesheet: crate::web::assets::url("app.css"),
            feed_url: site.url("/feed.xml"),
            feed_title: site.ctx.site_name.clone(),
            noindex: false,
            image: brand
                .share_image
                .as_ref()
                .map(|image| ShareImage::of_brand(site, image)),
            prev_url: None,
            next_url: None,
            json_ld: None,
            lang: brand.language.clone(),
            brand_stylesheet: brand
                .stylesheet
                .as_ref()
                .map(|sheet| brand_css::href(&sheet.version)),
            brand,
        }
    }

    /// Makes `image` the page's share image, if it has one of its own (else the site's default
    /// stays).
    pub fn with_own_image(mut self, image: Option<ShareImage>) -> Layout {
        if image.is_some() {
            self.image = image;
        }
        self
    }

    /// Links the neighbouring pages of a listing, given as paths.
    pub fn with_neighbours(
        mut self,
        site: &RequestSite,
        prev: Option<&str>,
        next: Option<&str>,
    ) -> Layout {
        self.prev_url = prev.map(|path| site.url(path));
        self.next_url = next.map(|path| site.url(path));
        self
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

/// The address form of a tag or category named by a path segment ([`crate::address::form`]):
/// `Ok` when the segment is that form already, else a 301 to the address `path_of` the form makes
/// (with the same query). A segment without a usable form is the site's 404.
pub fn address_form(
    req: &HttpRequest,
    segment: &str,
    path_of: impl Fn(&str) -> String,
) -> AppResult<Result<String, HttpResponse>> {
    let form = crate::address::form(segment);
    if !crate::address::usable(&form) {
        return Err(AppError::NotFound);
    }
    if form == segment {
        return Ok(Ok(form));
    }
    let mut location = path_of(&form);
    if !req.query_string().is_empty() {
        location = format!("{location}?{}", req.query_string());
    }
    Ok(Err(HttpResponse::MovedPermanently()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "public, max-age=60"))
        .finish()))
}

/// `27 November 2026, 14:05 UTC`: how dates are shown in the admin (in UTC, the zone its forms
/// take times in).
pub fn display_time(time: DateTime<Utc>) -> String {
    display_time_in(time, Tz::UTC)
}

/// `27 November 2026, 15:05 CET`: how dates are shown to visitors, in the site's time zone
/// with its abbreviation (a zone without one shows its offset, `+04`). Stored times stay UTC, and
/// `<time datetime>` gets [`iso_time`].
pub fn display_time_in(time: DateTime<Utc>, zone: Tz) -> String {
    time.with_timezone(&zone)
        .format("%-d %B %Y, %H:%M %Z")
        .to_string()
}

/// RFC 3339, for `<time datetime>`, feeds and sitemaps.
pub fn iso_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_zone_with_its_abbreviation() {
        let time = DateTime::parse_from_rfc3339("2026-11-27T14:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(display_time(time), "27 November 2026, 14:05 UTC");
        assert_eq!(
            display_time_in(time, chrono_tz::Europe::Zurich),
            "27 November 2026, 15:05 CET"
        );
        let summer = time + chrono::Duration::days(200);
        assert!(display_time_in(summer, chrono_tz::Europe::Zurich).ends_with("CEST"));
        assert_eq!(
            display_time_in(time, chrono_tz::America::New_York),
            "27 November 2026, 09:05 EST"
        );
    }
}
