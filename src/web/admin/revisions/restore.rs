//! `POST /admin/posts/{id}/revisions/{number}/restore`: saves the fields of an old revision over
//! the post as a new revision (through the ordinary save, so it is versioned and audited). The
//! form carries the post's version as it was shown; if the post changed since, nothing is saved
//! and a 409 page shows the post as it is now beside the revision, with a fresh button.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::diff::{self, FieldChange};
use crate::content::posts::{self, Change, Kind, Target};
use crate::content::revisions;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Debug, Deserialize)]
pub struct RestoreForm {
    pub version: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/revisions/conflict.html")]
pub struct ConflictPage {
    pub layout: AdminLayout,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    pub message: String,
    pub post_id: String,
    pub post_title: String,
    pub version: i32,
    pub current: i32,
    pub number: i32,
    pub fields: Vec<FieldChange>,
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<(String, String)>,
    form: web::Form<RestoreForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let (id, number) = path.into_inner();
    let id = super::post_id(&id)?;
    let number = super::revision_number(&number)?;
    let expected_version = form
        .version
        .as_deref()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .ok_or_else(|| AppError::BadRequest("the form lacks the post's version".into()))?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let actor = &user.actor;
    let restored = state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                let post = super::post_of_site(conn, scope, site_id, kind, id).await?;
                let revision = revisions::find(conn, scope, post.id, number).await?;
                let input = diff::restore_input(&revision)?;
                let target = Target::Existing {
                    post: &post,
                    expected_version,
                };
                let change = Change::Fields {
                    input: &input,
                    action: "update",
                };
                posts::save(conn, scope, target, change, actor)
                    .await?
                    .saved()?;
                revisions::latest_number(conn, scope, post.id).await
            }
            .scope_boxed()
        })
        .await;
    match restored {
        Ok(new_number) => {
            session::flash(
                &session,
                &format!(
                    "Revision {number} was restored as revision {}.",
                    new_number.unwrap_or_default()
                ),
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((LOCATION, format!("{}/{id}/revisions", kind.admin_base())))
                .finish())
        }
        Err(AppError::Conflict(message)) => {
            conflict(&state, &site, &user, &session, (kind, id), number, message).await
        }
        Err(other) => Err(other),
    }
}

/// The 409 page: the post as it is now beside the revision to restore.
async fn conflict(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    (kind, id): (Kind, uuid::Uuid),
    number: i32,
    message: String,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let (post, current, revision) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let post = super::post_of_site(conn, scope, site_id, kind, id).await?;
                let current_number = revisions::latest_number(conn, scope, post.id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let current = revisions::find(conn, scope, post.id, current_number).await?;
                let revision = revisions::find(conn, scope, post.id, number).await?;
                Ok((post, current, revision))
            }
            .scope_boxed()
        })
        .await?;
    let page = ConflictPage {
        layout: AdminLayout::new("Not restored", site, user, session),
        message,
        base: post.kind().admin_base(),
        post_id: post.id.to_string(),
        post_title: post.title,
        version: post.version,
        current: current.revision_number,
        number,
        fields: diff::fields(&current, &revision),
    };
    response::private_page(StatusCode::CONFLICT, &page)
}
