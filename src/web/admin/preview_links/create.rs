//! `POST /admin/posts/{id}/preview-links`: makes a link to the post's newest revision, with an
//! optional lifetime in hours (default 48, at most 30 days), and shows its URL once.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::posts::Kind;
use crate::content::preview_links;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::web::AppState;
use crate::web::admin::revisions::{admin_time, post_id, post_of_site};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;

use super::list::{NewLink, Outcome, render};

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    pub lifetime_hours: Option<String>,
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
    form: web::Form<CreateForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = post_id(&path)?;
    let typed = form.lifetime_hours.clone().unwrap_or_default();
    let lifetime = match preview_links::parse_lifetime(&typed) {
        Ok(lifetime) => lifetime,
        Err(AppError::BadRequest(error)) => {
            let outcome = Outcome::Refused {
                error,
                lifetime: typed,
            };
            return render(&state, &site, &user, &session, kind, id, outcome).await;
        }
        Err(other) => return Err(other),
    };
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let actor = &user.actor;
    let created = state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                let post = post_of_site(conn, scope, site_id, kind, id).await?;
                preview_links::create(conn, scope, &post, lifetime, actor).await
            }
            .scope_boxed()
        })
        .await?;
    let outcome = Outcome::Created(NewLink {
        url: site.url(&format!("/preview/{}", created.token)),
        expires: admin_time(created.link.expires_at),
        revision_number: created.link.revision_number,
    });
    render(&state, &site, &user, &session, kind, id, outcome).await
}
