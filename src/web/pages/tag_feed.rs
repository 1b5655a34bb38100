//! `/tags/{tag}/feed.xml`: the Atom feed of one tag — the site's newest published posts with that
//! tag (as many as the site's feed carries), written like the site's feed. Any spelling of the
//! tag answers 301 to its address form; a tag no visible post of the site has is the site's 404.

use actix_web::{HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::content::{posts, tags};
use crate::error::{AppError, AppResult};
use crate::media::pictures::Pictures;
use crate::web::AppState;
use crate::web::pages::feed::{self, Source};
use crate::web::pages::{address_form, tag};
use crate::web::site::RequestSite;

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    segment: web::Path<String>,
) -> AppResult<HttpResponse> {
    let feed_of = |slug: &str| format!("{}/feed.xml", tag::href(slug));
    let slug = match address_form(&req, &segment, feed_of)? {
        Ok(slug) => slug,
        Err(moved) => return Ok(moved),
    };
    let (scope, site_id, length) = (site.ctx.scope, site.ctx.site_id, site.ctx.brand.feed_length);
    let (tag, recent, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            let slug = &slug;
            async move {
                let tag = tags::visible_tag(conn, scope, site_id, slug)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let recent =
                    posts::visible_recent(conn, scope, site_id, Some(slug), length).await?;
                let featured: Vec<_> = recent.iter().filter_map(|p| p.featured_media_id).collect();
                let pictures = Pictures::load(conn, scope, &featured).await?;
                Ok((tag, recent, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let source = Source {
        title: format!("{}: {}", site.ctx.site_name, tag.name),
        alternate_path: &tag::href(&slug),
        self_path: &feed_of(&slug),
    };
    feed::render(&req, &site, source, recent, &pictures)
}
