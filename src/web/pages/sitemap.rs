//! `/sitemap.xml`: the home page, the product pages and every published post of the site.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::posts;
use crate::error::AppResult;
use crate::thorne::products;
use crate::web::pages::iso_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The sitemap protocol's limit of URLs per file.
const MAX_URLS: i64 = 50_000;

pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "site/sitemap.xml")]
pub struct Sitemap {
    pub urls: Vec<SitemapUrl>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let (post_slugs, product_skus) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let posts = posts::visible_slugs(conn, scope, site_id, MAX_URLS - 2).await?;
                let room = MAX_URLS - 2 - posts.len() as i64;
                let products = products::active_skus(conn, scope, room).await?;
                Ok((posts, products))
            }
            .scope_boxed()
        })
        .await?;
    let mut urls = vec![
        SitemapUrl {
            loc: site.url("/"),
            lastmod: None,
        },
        SitemapUrl {
            loc: site.url("/products"),
            lastmod: None,
        },
    ];
    urls.extend(post_slugs.into_iter().map(|(slug, updated)| SitemapUrl {
        loc: site.url(&format!("/posts/{slug}")),
        lastmod: Some(iso_time(updated)),
    }));
    urls.extend(product_skus.into_iter().map(|(sku, updated)| SitemapUrl {
        loc: site.url(&format!("/products/{}", urlencoding::encode(&sku))),
        lastmod: Some(iso_time(updated)),
    }));
    Ok(response::conditional(
        &req,
        response::render(&Sitemap { urls })?,
        "application/xml; charset=utf-8",
    ))
}
