//! `/posts/{slug}`: one published post — title, date with its zone, body, tags; the description
//! as meta. Drafts, scheduled posts before their time, trashed posts and other sites' posts are
//! the site's 404. An old slug of a published post answers 301 to the post's current address.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::posts::{self, PublicPost};
use crate::content::slug_redirects;
use crate::error::{AppError, AppResult};
use crate::media::pictures::{self, Pictures};
use crate::web::pages::{Layout, ShareImage, display_time, iso_time};
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
    /// The featured image's `<picture>`.
    pub featured_html: Option<String>,
}

impl PostPage {
    /// The page of `post` on `site` with its featured image from `pictures`; the admin preview
    /// uses it too, with `noindex`.
    pub fn of(
        site: &RequestSite,
        post: PublicPost,
        pictures: &Pictures,
        noindex: bool,
    ) -> PostPage {
        let featured = post
            .featured_media_id
            .and_then(|id| pictures.shown(id, pictures::BODY_SIZES));
        let mut layout = Layout::new(
            site,
            &format!("{} · {}", post.title, site.ctx.site_name),
            &post.description,
            &format!("/posts/{}", post.slug),
        );
        layout.og_type = "article";
        layout.noindex = noindex;
        layout.image = post
            .featured_media_id
            .and_then(|id| pictures.with_files(id))
            .and_then(|(media, files)| ShareImage::of(site, media, files));
        PostPage {
            layout,
            title: post.title,
            date_display: display_time(post.published_at),
            date_iso: iso_time(post.published_at),
            updated_iso: iso_time(post.updated_at),
            body_html: post.body_html,
            tags: post.tags,
            featured_html: featured.map(|f| f.html),
        }
    }
}

/// What a slug leads to.
enum Found {
    Post(Box<(PublicPost, Pictures)>),
    /// An old slug: the current one.
    Moved(String),
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let slug = slug.into_inner();
    let found = state
        .db
        .tenant_read(scope, |conn| {
            let slug = &slug;
            async move {
                match posts::visible_by_slug(conn, scope, site_id, slug).await {
                    Ok(post) => {
                        let featured: Vec<_> = post.featured_media_id.into_iter().collect();
                        let pictures = Pictures::load(conn, scope, &featured).await?;
                        Ok(Found::Post(Box::new((post, pictures))))
                    }
                    Err(AppError::NotFound) => {
                        match slug_redirects::target(conn, scope, site_id, slug).await? {
                            Some(current) => Ok(Found::Moved(current)),
                            None => Err(AppError::NotFound),
                        }
                    }
                    Err(other) => Err(other),
                }
            }
            .scope_boxed()
        })
        .await?;
    match found {
        Found::Post(found) => {
            let (post, pictures) = *found;
            let body = response::render(&PostPage::of(&site, post, &pictures, false))?;
            Ok(response::html(&req, body))
        }
        Found::Moved(current) => Ok(HttpResponse::MovedPermanently()
            .insert_header((LOCATION, format!("/posts/{current}")))
            .insert_header((CACHE_CONTROL, "public, max-age=60"))
            .finish()),
    }
}
