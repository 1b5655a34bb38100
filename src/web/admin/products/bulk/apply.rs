//! `POST /admin/products/bulk/apply`: applies the previewed change as one change set, if the
//! catalog still gives what the preview showed (its fingerprint); otherwise the 409 page with the
//! fresh preview, nothing changed. A refused apply (a product out of range, negative margins not
//! confirmed) shows the preview again with the reason (422). Success: flash and 303 to the change
//! set.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::thorne::bulk::{self, Approval, Fingerprint};
use crate::web::AppState;
use crate::web::admin::posts::see_other;
use crate::web::admin::products::bulk::form::BulkForm;
use crate::web::admin::products::bulk::{conflict, page, preview};
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;

pub async fn apply(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<BulkForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let form = form.into_inner();
    let checked = match page::checked(&state, &site, &user, &session, &form).await? {
        Ok(checked) => checked,
        Err(form_page) => return Ok(form_page),
    };
    let expected = Fingerprint::parse(&form.fingerprint)?;
    let approval = Approval {
        name: &checked.name,
        reason: &checked.reason,
        confirm_negative: form.negative_confirmed(),
    };
    let (scope, actor) = (user.scope, &user.actor);
    let applied = state
        .db
        .tenant_tx(scope, |conn| {
            let (change, expected) = (&checked.change, &expected);
            async move { bulk::apply(conn, scope, change, expected, approval, actor).await }
                .scope_boxed()
        })
        .await;
    match applied {
        Ok(set) => {
            flash::flash(
                &session,
                &format!("Prices changed: change set “{}”.", checked.name),
            );
            Ok(see_other(&format!("/admin/products/change-sets/{set}")))
        }
        Err(AppError::Conflict(message)) => {
            let plan = preview::fresh_plan(&state, &user, &checked.change).await?;
            conflict::respond(&state, &site, &user, &session, &form, &plan, message).await
        }
        Err(AppError::Invalid(message)) => {
            let plan = preview::fresh_plan(&state, &user, &checked.change).await?;
            preview::respond(&state, &site, &user, &session, &form, &plan, Some(message)).await
        }
        Err(other) => Err(other),
    }
}
