//! `POST /admin/posts/{id}/trash`, `/restore` and `/delete`: moving a post to the trash and back
//! (editors and owners), and deleting a trashed post for good (owners only). Each carries the
//! version the page was loaded at; a stale one is a 409 and changes nothing.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::admin_queries;
use crate::content::posts::{self, Change, Kind, Target};
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
enum Act {
    Trash,
    Restore,
    Delete,
}

/// Which post or page an action is about, as the request names it.
struct Named {
    kind: Kind,
    id: String,
    version: Option<String>,
}

async fn act(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    named: Named,
    act: Act,
) -> AppResult<HttpResponse> {
    let kind = named.kind;
    match act {
        Act::Delete => user.require(&[])?,
        Act::Trash | Act::Restore => user.require(&[Role::Editor])?,
    }
    let id = post_id(&named.id)?;
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, &user.actor);
    let current = state
        .db
        .tenant_read(scope, |conn| {
            async move { admin_queries::find_on_site(conn, scope, site_id, kind, id).await }
                .scope_boxed()
        })
        .await?;
    drop(current);
    let expected = version(named.version.as_deref())?;
    let outcome = state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                let current = admin_queries::find_on_site(conn, scope, site_id, kind, id).await?;
                let target = Target::Existing {
                    post: &current,
                    expected_version: expected,
                };
                match act {
                    Act::Trash => posts::save(conn, scope, target, Change::Trash, actor).await,
                    Act::Restore => posts::save(conn, scope, target, Change::Untrash, actor).await,
                    Act::Delete => posts::delete(conn, scope, &current, expected, actor).await,
                }
            }
            .scope_boxed()
        })
        .await?;
    outcome.saved()?;
    super::save::forget_menus_of(&state, kind);
    let base = kind.admin_base();
    let (message, location) = match act {
        Act::Trash => ("Moved to trash.", base.to_owned()),
        Act::Restore => ("Restored from trash.", format!("{base}/{id}/edit")),
        Act::Delete => ("Deleted for good.", format!("{base}?status=trash")),
    };
    flash::flash(&session, message);
    Ok(see_other(&location))
}

fn named(kind: Kind, path: web::Path<String>, form: web::Form<ActionForm>) -> Named {
    Named {
        kind,
        id: path.into_inner(),
        version: form.into_inner().version,
    }
}

pub async fn trash(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> AppResult<HttpResponse> {
    act(
        state,
        site,
        user,
        session,
        named(kind, path, form),
        Act::Trash,
    )
    .await
}

pub async fn restore(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> AppResult<HttpResponse> {
    act(
        state,
        site,
        user,
        session,
        named(kind, path, form),
        Act::Restore,
    )
    .await
}

pub async fn delete(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
) -> AppResult<HttpResponse> {
    act(
        state,
        site,
        user,
        session,
        named(kind, path, form),
        Act::Delete,
    )
    .await
}
