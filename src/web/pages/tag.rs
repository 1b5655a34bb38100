//! `/tags/{tag}`: the site's published posts with one tag, newest first, ten a page (keyset
//! pagination by `?before=` and `?after=` cursors, as on the home page), with the tag's own feed.
//! Any spelling of the tag answers 301 to its address form (`/tags/Health%20Tips` →
//! `/tags/health-tips`); a tag no visible post of the site has is the site's 404.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::address;
use crate::content::posts::{self, PageRequest};
use crate::content::tags;
use crate::error::{AppError, AppResult};
use crate::media::pictures::Pictures;
use crate::web::pages::home::{HomeQuery, PostCard, page_request};
use crate::web::pages::{Layout, address_form};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The address of the page of the tag whose address form is `slug`.
pub fn href(slug: &str) -> String {
    format!("/tags/{}", address::segment(slug))
}

#[derive(Template)]
#[template(path = "site/tag.html")]
pub struct TagPage {
    pub layout: Layout,
    pub name: String,
    pub count: i64,
    pub feed_href: String,
    pub posts: Vec<PostCard>,
    pub older_href: Option<String>,
    pub newer_href: Option<String>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    segment: web::Path<String>,
    query: web::Query<HomeQuery>,
) -> AppResult<HttpResponse> {
    let slug = match address_form(&req, &segment, href)? {
        Ok(slug) => slug,
        Err(moved) => return Ok(moved),
    };
    let request = page_request(&query)?;
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let (tag, page, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            let slug = &slug;
            async move {
                let tag = tags::visible_tag(conn, scope, site_id, slug)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let page = posts::visible_page(conn, scope, site_id, Some(slug), request).await?;
                let featured: Vec<_> = page
                    .posts
                    .iter()
                    .filter_map(|p| p.featured_media_id)
                    .collect();
                let pictures = Pictures::load(conn, scope, &featured).await?;
                Ok((tag, page, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let first = href(&slug);
    let path = match request {
        PageRequest::Newest => first.clone(),
        PageRequest::Before(c) => format!("{first}?before={}", c.encode()),
        PageRequest::After(c) => format!("{first}?after={}", c.encode()),
    };
    let older_href = page.older.map(|c| format!("{first}?before={}", c.encode()));
    let newer_href = page.newer.map(|c| format!("{first}?after={}", c.encode()));
    let site_name = &site.ctx.site_name;
    let mut layout = Layout::new(
        &site,
        &format!("{} · {site_name}", tag.name),
        &format!("Posts about {} from {site_name}.", tag.name),
        &path,
    )
    .with_neighbours(&site, newer_href.as_deref(), older_href.as_deref());
    // Only the first page is worth indexing; the rest are reachable from it.
    layout.noindex = request != PageRequest::Newest;
    let feed_href = format!("{first}/feed.xml");
    layout.feed_url = site.url(&feed_href);
    layout.feed_title = format!("{site_name}: {}", tag.name);
    let body = response::render(&TagPage {
        layout,
        name: tag.name,
        count: tag.posts,
        feed_href,
        posts: page
            .posts
            .iter()
            .map(|p| PostCard::of(p, &pictures, site.ctx.brand.time_zone))
            .collect(),
        older_href,
        newer_href,
    })?;
    Ok(response::html(&req, body))
}
