//! `GET /admin/products/export.csv`: the catalog as a CSV download (`?archived=true` adds the
//! archived products), recorded in the audit log.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::thorne::csv_export::{self, Selection};
use crate::web::AppState;
use crate::web::auth::CurrentUser;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// Whether archived products are included.
    #[serde(default)]
    archived: bool,
}

pub async fn download(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let selection = if query.archived {
        Selection::WithArchived
    } else {
        Selection::Active
    };
    let (scope, actor) = (user.scope, &user.actor);
    let body = state
        .db
        .tenant_tx(scope, |conn| {
            async move { csv_export::export(conn, scope, selection, actor).await }.scope_boxed()
        })
        .await?;
    let name = format!("products-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}
