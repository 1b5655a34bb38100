//! `POST /admin/posts/{id}/preview-links/{link_id}/revoke`: the link stops working at once.

use actix_session::Session;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::content::posts::Kind;
use crate::content::preview_links;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::web::AppState;
use crate::web::admin::revisions::{post_id, post_of_site};
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let (id, link_id) = path.into_inner();
    let id = post_id(&id)?;
    let link_id = Uuid::try_parse(&link_id).map_err(|_| AppError::NotFound)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let actor = &user.actor;
    state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                let post = post_of_site(conn, scope, site_id, kind, id).await?;
                preview_links::revoke(conn, scope, post.id, link_id, actor).await
            }
            .scope_boxed()
        })
        .await?;
    session::flash(
        &session,
        "The preview link was revoked; it no longer opens.",
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((
            LOCATION,
            format!("{}/{id}/preview-links", kind.admin_base()),
        ))
        .finish())
}
