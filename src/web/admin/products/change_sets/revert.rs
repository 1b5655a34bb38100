//! `POST /admin/products/change-sets/{id}/revert`: restores every price the set changed, as a new
//! change set (flash and 303 to it). If a product changed since, or the set was already reverted,
//! the 409 page says so (listing those products) and nothing is changed.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::thorne::change_sets::{self, RevertConflict, RevertOutcome};
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::see_other;
use crate::web::admin::products::product_id;
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/products/change_sets/conflict.html")]
pub struct ConflictPage {
    pub layout: AdminLayout,
    pub id: String,
    pub name: String,
    pub message: String,
    /// The products changed since the set.
    pub conflicts: Vec<RevertConflict>,
}

pub async fn revert(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let id = product_id(&path)?;
    let (scope, actor) = (user.scope, &user.actor);
    let set = state
        .db
        .tenant_read(scope, |conn| {
            async move { change_sets::find(conn, scope, id).await }.scope_boxed()
        })
        .await?;
    let outcome = state
        .db
        .tenant_tx(scope, |conn| {
            async move { change_sets::revert(conn, scope, id, actor).await }.scope_boxed()
        })
        .await;
    let (message, conflicts) = match outcome {
        Ok(RevertOutcome::Reverted {
            products,
            revert_set,
        }) => {
            flash::flash(
                &session,
                &format!(
                    "Reverted “{}”: the prices of {products} product(s) are back.",
                    set.name
                ),
            );
            return Ok(see_other(&format!(
                "/admin/products/change-sets/{revert_set}"
            )));
        }
        Ok(RevertOutcome::Conflicts(conflicts)) => (
            "these products changed after the set; revert their later changes first".to_owned(),
            conflicts,
        ),
        Err(AppError::Conflict(message)) => (message, Vec::new()),
        Err(other) => return Err(other),
    };
    let page = ConflictPage {
        layout: AdminLayout::new("Change set not reverted", &site, &user, &session),
        id: set.id.to_string(),
        name: set.name,
        message,
        conflicts,
    };
    response::private_page(StatusCode::CONFLICT, &page)
}
