//! `POST /admin/posts/preview` and `POST /admin/posts/{id}/preview` (and the same under
//! `/admin/pages`): the unsaved form content rendered with the public post page (the same
//! `PostPage`, or `PageView` for a page), marked `noindex` and never stored.
//! Nothing is saved.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::content::admin_queries;
use crate::content::posts::Kind;
use crate::content::posts::PublicPost;
use crate::error::AppResult;
use crate::media::pictures::Pictures;
use crate::tenancy::Scope;
use crate::tenancy::users::Role;
use crate::web::AppState;
use crate::web::admin::posts::form::{self, PostForm};
use crate::web::admin::posts::post_id;
use crate::web::auth::CurrentUser;
use crate::web::pages::page::PageView;
use crate::web::pages::post::PostPage;
use crate::web::response;
use crate::web::site::RequestSite;

fn render(
    site: &RequestSite,
    form: &PostForm,
    kind: Kind,
    id: Uuid,
    pictures: &Pictures,
) -> AppResult<HttpResponse> {
    let now = crate::db::now();
    let title = match form.title.trim() {
        "" => "(untitled)".to_owned(),
        title => title.to_owned(),
    };
    let post = PublicPost {
        id,
        slug: form::wanted_slug(form),
        title,
        description: form.description.trim().to_owned(),
        body_html: pictures.render(&body_text(form)),
        featured_media_id: featured_of(form),
        tags: form::split_tags(&form.tags),
        published_at: form::parse_time(&form.publish_at).unwrap_or(now),
        updated_at: now,
        byline: form.byline.trim().to_owned(),
    };
    let body = match kind {
        Kind::Post => response::render(&PostPage::of(site, post, pictures, true))?,
        Kind::Page => response::render(&PageView::of(site, post, pictures, Vec::new(), true))?,
    };
    let mut res = response::private_html(body);
    res.headers_mut().insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(res)
}

/// The form's body with the line ends a browser sends turned into `\n`.
fn body_text(form: &PostForm) -> String {
    form.body.replace("\r\n", "\n")
}

/// The images of the media library the form's body names, and its featured image.
async fn pictures_of(state: &AppState, scope: Scope, form: &PostForm) -> AppResult<Pictures> {
    let body = body_text(form);
    let featured = featured_of(form);
    state
        .db
        .tenant_read(scope, |conn| {
            let body = &body;
            async move { Pictures::for_post(conn, scope, body, featured).await }.scope_boxed()
        })
        .await
}

/// The featured image the form names, if it names one.
fn featured_of(form: &PostForm) -> Option<Uuid> {
    Uuid::try_parse(form.featured_media.trim()).ok()
}

pub async fn unsaved(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    form: web::Form<PostForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let pictures = pictures_of(&state, user.scope, &form).await?;
    render(&site, &form, kind, Uuid::nil(), &pictures)
}

pub async fn of_post(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    path: web::Path<String>,
    form: web::Form<PostForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = post_id(&path)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let post = state
        .db
        .tenant_read(scope, |conn| {
            async move { admin_queries::find_on_site(conn, scope, site_id, kind, id).await }
                .scope_boxed()
        })
        .await?;
    let pictures = pictures_of(&state, scope, &form).await?;
    render(&site, &form, kind, post.id, &pictures)
}
