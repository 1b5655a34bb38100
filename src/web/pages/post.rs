//! `/posts/{slug}`: one published post — title, date with its zone, body, tags; the description
//! as meta. Drafts, scheduled posts before their time, trashed posts and other sites' posts are
//! the site's 404.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::posts;
use crate::error::AppResult;
use crate::web::pages::{Layout, display_time, iso_time};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "site/post.html")]
pub struct PostPage {
    pub layout: Layout,
    pub title: String,
    pub date_display: String,
    pub date_iso: String,
    pub updated_iso: String,
    pub body_html: String,
    pub tags: Vec<String>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let slug = slug.into_inner();
    let post = state
        .db
        .tenant_read(scope, |conn| {
            let slug = &slug;
            async move { posts::visible_by_slug(conn, scope, site_id, slug).await }.scope_boxed()
        })
        .await?;
    let mut layout = Layout::new(
        &site,
        &format!("{} · {}", post.title, site.ctx.site_name),
        &post.description,
        &format!("/posts/{}", post.slug),
    );
    layout.og_type = "article";
    let body = response::render(&PostPage {
        layout,
        title: post.title,
        date_display: display_time(post.published_at),
        date_iso: iso_time(post.published_at),
        updated_iso: iso_time(post.updated_at),
        body_html: post.body_html,
        tags: post.tags,
    })?;
    Ok(response::html(&req, body))
}
