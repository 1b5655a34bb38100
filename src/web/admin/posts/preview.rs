//! `POST /admin/posts/preview` and `POST /admin/posts/{id}/preview`: the unsaved form content
//! rendered with the public post page (the same `PostPage`), marked `noindex` and never stored.
//! Nothing is saved.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::content::admin_queries;
use crate::content::markdown;
use crate::content::posts::PublicPost;
use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::web::AppState;
use crate::web::admin::posts::form::{self, PostForm};
use crate::web::admin::posts::post_id;
use crate::web::auth::CurrentUser;
use crate::web::pages::post::PostPage;
use crate::web::response;
use crate::web::site::RequestSite;

fn render(site: &RequestSite, form: &PostForm, id: Uuid) -> AppResult<HttpResponse> {
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
        body_html: markdown::render(&form.body.replace("\r\n", "\n")),
        tags: form::split_tags(&form.tags),
        published_at: form::parse_time(&form.publish_at).unwrap_or(now),
        updated_at: now,
    };
    let body = response::render(&PostPage::of(site, post, true))?;
    let mut res = response::private_html(body);
    res.headers_mut().insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(res)
}

pub async fn unsaved(
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    form: web::Form<PostForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    render(&site, &form, Uuid::nil())
}

pub async fn of_post(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    path: web::Path<String>,
    form: web::Form<PostForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = post_id(&path)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let post = state
        .db
        .tenant_read(scope, |conn| {
            async move { admin_queries::find_on_site(conn, scope, site_id, id).await }.scope_boxed()
        })
        .await?;
    render(&site, &form, post.id)
}
