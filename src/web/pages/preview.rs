//! `/preview/{token}`: a shared preview of a draft, for anyone holding an unexpired, unrevoked
//! link; never indexed, never stored by caches.
//!
//! The page shows the revision the link was made for (later edits do not leak into an old link),
//! in the public post template. A malformed, unknown, expired or revoked token, a token of another
//! customer or of another site of the customer, or a post in the trash: the site's 404 page.

use actix_web::http::header::{CACHE_CONTROL, REFERRER_POLICY};
use actix_web::{HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::content::posts::PublicPost;
use crate::content::{posts, preview_links, revisions};
use crate::error::{AppError, AppResult};
use crate::media::pictures::{BODY_SIZES, Pictures};
use crate::web::pages::page::PageView;
use crate::web::pages::post::{PostPage, TagLink};
use crate::web::pages::{Layout, display_time_in, iso_time, page};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Registers the preview route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/preview/{token}").route(page().to(preview)));
}

async fn preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let token = token.into_inner();
    let now = crate::db::now();
    let (kind, revision, pictures) = state
        .db
        .tenant_read(scope, |conn| {
            let token = &token;
            async move {
                let link = preview_links::open(conn, scope, token, now)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let post = posts::find(conn, scope, link.post_id).await?;
                if post.site_id != site_id.as_uuid() || post.trashed_at.is_some() {
                    return Err(AppError::NotFound);
                }
                let revision = revisions::find(conn, scope, post.id, link.revision_number).await?;
                let pictures = Pictures::for_post(
                    conn,
                    scope,
                    &revision.body_markdown,
                    revision.featured_media_id,
                )
                .await?;
                Ok((post.kind(), revision, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let mut layout = Layout::new(
        &site,
        &format!("Preview: {} · {}", revision.title, site.ctx.site_name),
        &revision.description,
        req.path(),
    );
    layout.noindex = true;
    if kind == posts::Kind::Page {
        let page = PublicPost {
            id: revision.post_id,
            slug: revision.slug,
            title: revision.title,
            description: revision.description,
            body_html: pictures.render(&revision.body_markdown),
            tags: Vec::new(),
            published_at: revision.created_at,
            updated_at: revision.created_at,
            featured_media_id: revision.featured_media_id,
            byline: revision.byline,
        };
        let mut view = PageView::of(&site, page, &pictures, Vec::new(), true);
        view.layout.title = layout.title;
        view.layout.canonical = layout.canonical;
        return Ok(private_preview(response::render(&view)?));
    }
    layout.og_type = "article";
    let shown_time = revision.published_at.unwrap_or(revision.created_at);
    let body = response::render(&PostPage {
        layout,
        title: revision.title,
        date_display: display_time_in(shown_time, site.ctx.brand.time_zone),
        date_iso: iso_time(shown_time),
        updated_iso: iso_time(revision.created_at),
        body_html: pictures.render(&revision.body_markdown),
        tags: revision.tags.iter().map(|name| TagLink::of(name)).collect(),
        featured_html: revision
            .featured_media_id
            .and_then(|id| pictures.shown(id, BODY_SIZES))
            .map(|shown| shown.html),
        byline: Some(revision.byline).filter(|b| !b.is_empty()),
    })?;
    Ok(private_preview(body))
}

/// A preview's response: never stored, never indexed, sent with no referrer.
fn private_preview(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}
