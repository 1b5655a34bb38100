//! `POST /admin/posts/{id}/trash`, `/restore` and `/delete`: moving a post to the trash and back
//! (editors and owners), and deleting a trashed post for good (owners only). Each carries the
//! version the page was loaded at; a stale one is a 409 and changes nothing.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::admin_queries;
use crate::content::posts::{self, Change, Target};
use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::web::AppState;
use crate::web::admin::posts::{post_id, see_other, version};
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Trash,
    Restore,
    Delete,
}

async fn act(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
    kind: Kind,
) -> AppResult<HttpResponse> {
    match kind {
        Kind::Delete => user.require(&[])?,
        Kind::Trash | Kind::Restore => user.require(&[Role::Editor])?,
    }
    let id = post_id(&path)?;
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, &user.actor);
    let current = state
        .db
        .tenant_read(scope, |conn| {
            async move { admin_queries::find_on_site(conn, scope, site_id, id).await }.scope_boxed()
        })
        .await?;
    drop(current);
    let expected = version(form.version.as_deref())?;
    let outcome = state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                let current = admin_queries::find_on_site(conn, scope, site_id, id).await?;
                let target = Target::Existing {
                    post: &current,
                    expected_version: expected,
                };
                match kind {
                    Kind::Trash => posts::save(conn, scope, target, Change::Trash, actor).await,
                    Kind::Restore => posts::save(conn, scope, target, Change::Untrash, actor).await,
                    Kind::Delete => posts::delete(conn, scope, &current, expected, actor).await,
                }
            }
            .scope_boxed()
        })
        .await?;
    outcome.saved()?;
    let (message, location) = match kind {
        Kind::Trash => ("Moved to trash.", "/admin/posts".to_owned()),
        Kind::Restore => ("Restored from trash.", format!("/admin/posts/{id}/edit")),
        Kind::Delete => ("Deleted for good.", "/admin/posts?status=trash".to_owned()),
    };
    flash::flash(&session, message);
    Ok(see_other(&location))
}

pub async fn trash(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> AppResult<HttpResponse> {
    act(state, site, user, session, path, form, Kind::Trash).await
}

pub async fn restore(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> AppResult<HttpResponse> {
    act(state, site, user, session, path, form, Kind::Restore).await
}

pub async fn delete(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> AppResult<HttpResponse> {
    act(state, site, user, session, path, form, Kind::Delete).await
}
