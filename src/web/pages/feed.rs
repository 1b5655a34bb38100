//! `/feed.xml`: an Atom feed of the site's twenty newest published posts, with full bodies (the
//! featured image first, and as the entry's enclosure); relative addresses in them resolve
//! against the site (`xml:base`). A tag's feed (`tag_feed.rs`) is written by the same [`render`].

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::posts::{self, PublicPost};
use crate::error::AppResult;
use crate::media::pictures::{BODY_SIZES, Pictures};
use crate::web::pages::iso_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Entries in a feed.
pub const FEED_LENGTH: i64 = 20;

pub struct FeedEntry {
    pub id: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub content_html: String,
    /// The featured image's file: absolute address, content type and size.
    pub enclosure: Option<(String, &'static str, i64)>,
    pub published: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "site/feed.xml")]
pub struct Feed {
    pub title: String,
    pub site_name: String,
    pub home_url: String,
    /// The page the feed follows (the home page, a tag page); also the feed's id.
    pub alternate_url: String,
    pub self_url: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
    /// The site's language (`xml:lang`), tagline (`<subtitle>`), favicon (`<icon>`) and logo
    /// (`<logo>`, absolute addresses).
    pub lang: String,
    pub subtitle: String,
    pub icon_url: Option<String>,
    pub logo_url: Option<String>,
}

/// What a feed is of: its title and the paths of the page it follows and of itself.
pub struct Source<'a> {
    pub title: String,
    pub alternate_path: &'a str,
    pub self_path: &'a str,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let (recent, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            async move {
                let recent = posts::visible_recent(conn, scope, site_id, None, FEED_LENGTH).await?;
                let featured: Vec<_> = recent.iter().filter_map(|p| p.featured_media_id).collect();
                let pictures = Pictures::load(conn, scope, &featured).await?;
                Ok((recent, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let source = Source {
        title: site.ctx.site_name.clone(),
        alternate_path: "/",
        self_path: "/feed.xml",
    };
    render(&req, &site, source, recent, &pictures)
}

/// The Atom feed of `recent` (newest first) with their featured images from `pictures`.
pub fn render(
    req: &HttpRequest,
    site: &RequestSite,
    source: Source<'_>,
    recent: Vec<PublicPost>,
    pictures: &Pictures,
) -> AppResult<HttpResponse> {
    let updated = recent
        .iter()
        .map(|p| p.updated_at.max(p.published_at))
        .max()
        .map(iso_time)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
    let brand = &site.ctx.brand;
    let feed = Feed {
        lang: brand.language.clone(),
        subtitle: brand.tagline.clone(),
        icon_url: brand.favicon.as_ref().map(|image| site.url(&image.path)),
        logo_url: brand.logo.as_ref().map(|image| site.url(&image.path)),
        title: source.title,
        site_name: site.ctx.site_name.clone(),
        home_url: site.url("/"),
        alternate_url: site.url(source.alternate_path),
        self_url: site.url(source.self_path),
        updated,
        entries: recent
            .into_iter()
            .map(|p| {
                let featured = p
                    .featured_media_id
                    .and_then(|id| pictures.shown(id, BODY_SIZES));
                FeedEntry {
                    id: format!("urn:uuid:{}", p.id),
                    url: site.url(&format!("/posts/{}", p.slug)),
                    title: p.title,
                    summary: p.description,
                    content_html: match &featured {
                        Some(shown) => format!("{}\n{}", shown.html, p.body_html),
                        None => p.body_html,
                    },
                    enclosure: featured.map(|shown| {
                        (
                            site.url(&shown.preview_path),
                            shown.preview_type,
                            shown.preview_bytes,
                        )
                    }),
                    published: iso_time(p.published_at),
                    updated: iso_time(p.updated_at.max(p.published_at)),
                }
            })
            .collect(),
    };
    Ok(response::conditional(
        req,
        response::render(&feed)?,
        "application/atom+xml; charset=utf-8",
    ))
}
