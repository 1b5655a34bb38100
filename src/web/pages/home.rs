//! `/`: the newest published posts of the site, ten a page, with older/newer links (keyset
//! pagination by `?before=` and `?after=` cursors, also as `<link rel="prev"/"next">`). The post
//! cards and the cursors serve the tag pages too.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::old_addresses;
use crate::content::posts::{self, Cursor, PageRequest, PostSummary};
use crate::error::{AppError, AppResult};
use crate::media::pictures::{CARD_SIZES, Pictures};
use crate::web::pages::{Layout, display_time_in, iso_time};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    before: Option<String>,
    after: Option<String>,
}

/// A post in a listing (the home page, a tag page).
pub struct PostCard {
    /// The featured image's `<picture>`.
    pub picture: Option<String>,
    pub href: String,
    pub title: String,
    pub description: String,
    pub date_display: String,
    pub date_iso: String,
}

impl PostCard {
    /// The card of `post`, with its featured image from `pictures` and its date in `zone`.
    pub fn of(post: &PostSummary, pictures: &Pictures, zone: Tz) -> PostCard {
        PostCard {
            picture: post
                .featured_media_id
                .and_then(|id| pictures.shown(id, CARD_SIZES))
                .map(|shown| shown.html),
            href: format!("/posts/{}", post.slug),
            title: post.title.clone(),
            description: post.description.clone(),
            date_display: display_time_in(post.published_at, zone),
            date_iso: iso_time(post.published_at),
        }
    }
}

#[derive(Template)]
#[template(path = "site/home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub posts: Vec<PostCard>,
    pub older_href: Option<String>,
    pub newer_href: Option<String>,
}

/// The page a listing of posts is asked for by `?before=` or `?after=`; a bad cursor, or both,
/// is a 400.
pub fn page_request(query: &HomeQuery) -> AppResult<PageRequest> {
    let cursor = |text: &str| {
        Cursor::decode(text)
            .ok_or_else(|| AppError::BadRequest("The page link is not valid.".into()))
    };
    match (&query.before, &query.after) {
        (None, None) => Ok(PageRequest::Newest),
        (Some(before), None) => Ok(PageRequest::Before(cursor(before)?)),
        (None, Some(after)) => Ok(PageRequest::After(cursor(after)?)),
        (Some(_), Some(_)) => Err(AppError::BadRequest(
            "Ask for older or newer posts, not both.".into(),
        )),
    }
}

/// `/?p=12` and `/?page_id=45` of an imported WordPress site: a 301 to where that post or page is
/// now, or the site's 404 when it is not visible (or was never imported).
async fn old_address(
    state: &AppState,
    req: &HttpRequest,
    scope: crate::tenancy::Scope,
    site_id: crate::tenancy::SiteId,
) -> AppResult<Option<HttpResponse>> {
    let Some(old) = old_addresses::normalize(req.path(), req.query_string()) else {
        return Ok(None);
    };
    if !old.starts_with("/?") {
        return Ok(None);
    }
    let target = state
        .db
        .visitor_read(scope, |conn| {
            let old = &old;
            async move { old_addresses::current_target(conn, scope, site_id, old).await }
                .scope_boxed()
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some(
        HttpResponse::MovedPermanently()
            .insert_header((actix_web::http::header::LOCATION, target))
            .insert_header((actix_web::http::header::CACHE_CONTROL, "public, max-age=60"))
            .finish(),
    ))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    query: web::Query<HomeQuery>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    if let Some(moved) = old_address(&state, &req, scope, site_id).await? {
        return Ok(moved);
    }
    let request = page_request(&query)?;
    let (page, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            async move {
                let page = posts::visible_page(conn, scope, site_id, None, request).await?;
                let featured: Vec<_> = page
                    .posts
                    .iter()
                    .filter_map(|p| p.featured_media_id)
                    .collect();
                let pictures = Pictures::load(conn, scope, &featured).await?;
                Ok((page, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let path = match request {
        PageRequest::Newest => "/".to_owned(),
        PageRequest::Before(c) => format!("/?before={}", c.encode()),
        PageRequest::After(c) => format!("/?after={}", c.encode()),
    };
    let name = &site.ctx.site_name;
    let older_href = page.older.map(|c| format!("/?before={}", c.encode()));
    let newer_href = page.newer.map(|c| format!("/?after={}", c.encode()));
    // The tagline describes the site, when it has one.
    let description = match site.ctx.brand.tagline.as_str() {
        "" => format!("The latest posts from {name}."),
        tagline => tagline.to_owned(),
    };
    let mut layout = Layout::new(&site, name, &description, &path).with_neighbours(
        &site,
        newer_href.as_deref(),
        older_href.as_deref(),
    );
    // Only the first page is worth indexing; the rest are reachable from it.
    layout.noindex = request != PageRequest::Newest;
    let body = response::render(&HomePage {
        layout,
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
