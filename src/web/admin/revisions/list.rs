//! `GET /admin/posts/{id}/revisions`: every revision of a post, newest first, with a form to
//! compare any two and a button to restore each older one.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::posts::Kind;
use crate::content::revisions;
use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// One line of the list.
pub struct RevisionRow {
    pub number: i32,
    pub time: String,
    pub editor: String,
    pub title: String,
    pub status: String,
    pub is_current: bool,
}

#[derive(Template)]
#[template(path = "admin/revisions/list.html")]
pub struct RevisionsPage {
    pub layout: AdminLayout,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    pub post_id: String,
    pub post_title: String,
    /// The post's version, sent back with a restore to detect concurrent edits.
    pub version: i32,
    pub rows: Vec<RevisionRow>,
    /// Preselected in the compare form: the one before the newest, and the newest.
    pub default_from: i32,
    pub default_to: i32,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = super::post_id(&path)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let (post, list) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let post = super::post_of_site(conn, scope, site_id, kind, id).await?;
                let list = revisions::for_post(conn, scope, post.id).await?;
                Ok((post, list))
            }
            .scope_boxed()
        })
        .await?;
    let newest = list.first().map_or(0, |r| r.revision_number);
    let rows = list
        .into_iter()
        .map(|r| RevisionRow {
            number: r.revision_number,
            time: super::admin_time(r.created_at),
            editor: r.editor_label,
            title: r.title,
            status: r.status,
            is_current: r.revision_number == newest,
        })
        .collect();
    let body = response::render(&RevisionsPage {
        layout: AdminLayout::new(
            &format!("Revisions of {}", post.title),
            &site,
            &user,
            &session,
        ),
        base: post.kind().admin_base(),
        post_id: post.id.to_string(),
        post_title: post.title,
        version: post.version,
        rows,
        default_from: (newest - 1).max(1),
        default_to: newest,
    })?;
    Ok(response::private_html(body))
}
