//! `/sitemap.xml`: every address of the site that search engines should know — the home page, the
//! catalog, the list of tags, every published page, each category page and tag page, every
//! published post and every active product. When a site has more addresses than one sitemap may hold ([`MAX_URLS`]), it
//! becomes a sitemap index naming its parts, `/sitemap.xml?page=1`, `?page=2`…, each holding at
//! most that many in the order above; a part that does not exist is the site's 404.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::{pages, posts, tags};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};
use crate::thorne::products;
use crate::web::pages::{category, iso_time, tag};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The sitemap protocol's limit of URLs per file (and what [`AppState::sitemap_max_urls`] is
/// outside tests).
pub const MAX_URLS: usize = 50_000;

/// Addresses every site has, first in every sitemap.
const FIXED: [&str; 3] = ["/", "/products", "/tags"];

#[derive(Debug, Deserialize)]
pub struct SitemapQuery {
    /// A part of a sitemap index, from 1.
    page: Option<u64>,
}

pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "site/sitemap.xml")]
pub struct Sitemap {
    pub urls: Vec<SitemapUrl>,
}

#[derive(Template)]
#[template(path = "site/sitemap_index.xml")]
pub struct SitemapIndex {
    pub parts: Vec<String>,
}

/// How many addresses of each kind the site has, in sitemap order.
struct Counts {
    /// Pages are few: their addresses and modification times are read with the counts.
    pages: Vec<(String, chrono::DateTime<chrono::Utc>)>,
    categories: Vec<String>,
    tags: usize,
    posts: usize,
    products: usize,
}

impl Counts {
    fn total(&self) -> usize {
        FIXED.len()
            + self.pages.len()
            + self.categories.len()
            + self.tags
            + self.posts
            + self.products
    }
}

/// What a request gets.
enum Answer {
    Urls(Vec<SitemapUrl>),
    Index(usize),
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    query: web::Query<SitemapQuery>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let max = state.sitemap_max_urls.max(1);
    let part = query.page;
    let answer = state
        .db
        .visitor_read(scope, |conn| {
            let site = &site;
            async move {
                let counts = counts(conn, scope, site_id).await?;
                let total = counts.total();
                let parts = total.div_ceil(max);
                let range = match part {
                    None if total <= max => 0..total,
                    None => return Ok(Answer::Index(parts)),
                    Some(n) if total > max && (1..=parts as u64).contains(&n) => {
                        let start = (n as usize - 1) * max;
                        start..(start + max).min(total)
                    }
                    Some(_) => return Err(AppError::NotFound),
                };
                let urls = urls_in(conn, scope, site_id, site, &counts, range).await?;
                Ok(Answer::Urls(urls))
            }
            .scope_boxed()
        })
        .await?;
    let body = match answer {
        Answer::Urls(urls) => response::render(&Sitemap { urls })?,
        Answer::Index(parts) => response::render(&SitemapIndex {
            parts: (1..=parts)
                .map(|n| site.url(&format!("/sitemap.xml?page={n}")))
                .collect(),
        })?,
    };
    Ok(response::conditional(
        &req,
        body,
        "application/xml; charset=utf-8",
    ))
}

async fn counts(conn: &mut Conn, scope: Scope, site: SiteId) -> AppResult<Counts> {
    let categories = products::active_categories(conn, scope)
        .await?
        .into_iter()
        .filter_map(|c| c.slug)
        .collect();
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok(Counts {
        pages: pages::visible_addresses(conn, scope, site).await?,
        categories,
        tags: count(tags::visible_count(conn, scope, site).await?),
        posts: count(posts::visible_count(conn, scope, site).await?),
        products: count(products::active_count(conn, scope).await?),
    })
}

/// The addresses at positions `range` of the site's sitemap order.
async fn urls_in(
    conn: &mut Conn,
    scope: Scope,
    site_id: SiteId,
    site: &RequestSite,
    counts: &Counts,
    range: std::ops::Range<usize>,
) -> AppResult<Vec<SitemapUrl>> {
    // The part of `range` that falls in a run of `len` addresses starting at `*start`, as the
    // offset and count to read; moves `*start` past the run.
    let mut start = 0;
    let mut take = |len: usize| {
        let from = range.start.max(start);
        let to = range.end.min(start + len);
        let within = (from < to).then(|| ((from - start) as i64, (to - from) as i64));
        start += len;
        within
    };
    let plain = |path: String| SitemapUrl {
        loc: site.url(&path),
        lastmod: None,
    };
    let mut urls = Vec::with_capacity(range.len());
    if let Some((offset, limit)) = take(FIXED.len()) {
        let fixed = FIXED.iter().skip(offset as usize).take(limit as usize);
        urls.extend(fixed.map(|path| plain((*path).to_owned())));
    }
    if let Some((offset, limit)) = take(counts.pages.len()) {
        let shown = counts
            .pages
            .iter()
            .skip(offset as usize)
            .take(limit as usize);
        urls.extend(shown.map(|(address, updated)| SitemapUrl {
            loc: site.url(&pages::href(address)),
            lastmod: Some(iso_time(*updated)),
        }));
    }
    if let Some((offset, limit)) = take(counts.categories.len()) {
        let slugs = counts.categories.iter().skip(offset as usize);
        urls.extend(slugs.take(limit as usize).map(|s| plain(category::href(s))));
    }
    if let Some((offset, limit)) = take(counts.tags) {
        let slugs = tags::visible_slugs(conn, scope, site_id, offset, limit).await?;
        urls.extend(slugs.iter().map(|s| plain(tag::href(s))));
    }
    if let Some((offset, limit)) = take(counts.posts) {
        let slugs = posts::visible_slugs(conn, scope, site_id, offset, limit).await?;
        urls.extend(slugs.into_iter().map(|(slug, updated)| SitemapUrl {
            loc: site.url(&format!("/posts/{slug}")),
            lastmod: Some(iso_time(updated)),
        }));
    }
    if let Some((offset, limit)) = take(counts.products) {
        let skus = products::active_skus(conn, scope, offset, limit).await?;
        urls.extend(skus.into_iter().map(|(sku, updated)| SitemapUrl {
            loc: site.url(&format!("/products/{}", urlencoding::encode(&sku))),
            lastmod: Some(iso_time(updated)),
        }));
    }
    Ok(urls)
}
