//! `/posts/{slug}`: one published post — title, date with its zone, body, tags (each linking to
//! its tag page); the description as meta, and a schema.org `BlogPosting` for search engines. Drafts, scheduled posts before their time, trashed posts and other sites' posts are
//! the site's 404. An old slug of a published post answers 301 to the post's current address.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::address;
use crate::content::posts::{self, PublicPost};
use crate::content::{slug_redirects, tags};
use crate::error::{AppError, AppResult};
use crate::media::pictures::{self, Pictures};
use crate::web::pages::{Layout, ShareImage, display_time_in, iso_time, tag};
use crate::web::site::RequestSite;
use crate::web::{AppState, json_ld, response};

#[derive(Template)]
#[template(path = "site/post.html")]
pub struct PostPage {
    pub layout: Layout,
    pub title: String,
    pub date_display: String,
    pub date_iso: String,
    pub updated_iso: String,
    pub body_html: String,
    pub tags: Vec<TagLink>,
    /// The featured image's `<picture>`.
    pub featured_html: Option<String>,
    /// The name the post is signed with, if any.
    pub byline: Option<String>,
}

/// A tag of the post as it spells it, and the address of its page.
pub struct TagLink {
    pub name: String,
    /// `None` for a tag without an address (saved before tags had pages).
    pub href: Option<String>,
}

impl TagLink {
    /// The link of the tag spelt `name`.
    pub fn of(name: &str) -> TagLink {
        let slug = tags::slug(name);
        TagLink {
            name: name.to_owned(),
            href: address::usable(&slug).then(|| tag::href(&slug)),
        }
    }
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
        let own_image = post
            .featured_media_id
            .and_then(|id| pictures.with_files(id))
            .and_then(|(media, files)| ShareImage::of(site, media, files));
        let image_url = own_image.as_ref().map(|image| image.url.clone());
        layout = layout.with_own_image(own_image);
        let date_iso = iso_time(post.published_at);
        // Published a moment ago and saved since: the modification is never before the publication.
        let updated_iso = iso_time(post.updated_at.max(post.published_at));
        let data = json_ld::blog_posting(&json_ld::Article {
            headline: &post.title,
            description: &post.description,
            published: &date_iso,
            modified: &updated_iso,
            url: &layout.canonical,
            image: image_url.as_deref(),
            author: Some(post.byline.as_str()).filter(|b| !b.is_empty()),
            site_name: &site.ctx.site_name,
            keywords: &post.tags,
        });
        layout.json_ld = Some(json_ld::script_text(&data));
        PostPage {
            layout,
            title: post.title,
            date_display: display_time_in(post.published_at, site.ctx.brand.time_zone),
            date_iso,
            updated_iso,
            body_html: post.body_html,
            tags: post.tags.iter().map(|name| TagLink::of(name)).collect(),
            featured_html: featured.map(|f| f.html),
            byline: Some(post.byline).filter(|b| !b.is_empty()),
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
        .visitor_read(scope, |conn| {
            let slug = &slug;
            async move {
                match posts::visible_by_slug(conn, scope, site_id, slug).await {
                    Ok(post) => {
                        let featured: Vec<_> = post.featured_media_id.into_iter().collect();
                        let pictures = Pictures::load(conn, scope, &featured).await?;
                        Ok(Found::Post(Box::new((post, pictures))))
                    }
                    Err(AppError::NotFound) => {
                        match slug_redirects::target(conn, scope, site_id, posts::Kind::Post, slug)
                            .await?
                        {
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
            let room = post.body_html.len();
            let body =
                response::render_with_room(&PostPage::of(&site, post, &pictures, false), room)?;
            Ok(response::html(&req, body))
        }
        Found::Moved(current) => Ok(HttpResponse::MovedPermanently()
            .insert_header((LOCATION, format!("/posts/{current}")))
            .insert_header((CACHE_CONTROL, "public, max-age=60"))
            .finish()),
    }
}
