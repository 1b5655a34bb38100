//! `/tags`: every tag of the site's published posts, in the order of their address forms, with how
//! many posts carry each, [`PAGE_SIZE`] to a page (keyset pagination by `?after=` and `?before=`
//! address forms).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::tags;
use crate::db::keyset::PageAt;
use crate::error::AppResult;
use crate::web::pages::{Layout, tag};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Tags on one page.
pub const PAGE_SIZE: usize = 100;

#[derive(Debug, Deserialize)]
pub struct TagsQuery {
    after: Option<String>,
    before: Option<String>,
}

pub struct TagLine {
    pub name: String,
    pub href: String,
    pub posts: i64,
}

#[derive(Template)]
#[template(path = "site/tags.html")]
pub struct TagsPage {
    pub layout: Layout,
    pub tags: Vec<TagLine>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

/// The address of the page of tags after (or before) the tag `slug`.
fn page_href(direction: &str, slug: &str) -> String {
    format!("/tags?{direction}={}", urlencoding::encode(slug))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    query: web::Query<TagsQuery>,
) -> AppResult<HttpResponse> {
    let at = PageAt::from_query(query.after.as_deref(), query.before.as_deref(), |text| {
        Ok(text.to_owned())
    })?;
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let window = state
        .db
        .visitor_read(scope, |conn| {
            let at = &at;
            async move { tags::visible_page(conn, scope, site_id, at, PAGE_SIZE).await }
                .scope_boxed()
        })
        .await?;
    let prev_href = window.previous(|t| page_href("before", &t.slug));
    let next_href = window.next(|t| page_href("after", &t.slug));
    let path = match &at {
        PageAt::First => "/tags".to_owned(),
        PageAt::After(slug) => page_href("after", slug),
        PageAt::Before(slug) => page_href("before", slug),
    };
    let name = &site.ctx.site_name;
    let mut layout = Layout::new(
        &site,
        &format!("Tags · {name}"),
        &format!("Every topic {name} writes about."),
        &path,
    )
    .with_neighbours(&site, prev_href.as_deref(), next_href.as_deref());
    layout.noindex = !at.is_first();
    let body = response::render(&TagsPage {
        layout,
        tags: window
            .rows
            .into_iter()
            .map(|t| TagLine {
                href: tag::href(&t.slug),
                name: t.name,
                posts: t.posts,
            })
            .collect(),
        prev_href,
        next_href,
    })?;
    Ok(response::html(&req, body))
}
