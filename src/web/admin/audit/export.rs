//! `GET /admin/audit.csv`: the events matching the same filters as the list, as a CSV download
//! (newest first, at most [`MAX_ROWS`]).

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use super::AuditQuery;
use crate::audit::{export, query};
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::auth::CurrentUser;

/// Most events in one download.
pub const MAX_ROWS: usize = 100_000;

pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let filter = query.filter_input().parse()?;
    let scope = user.scope;
    let events = state
        .db
        .tenant_read(scope, |conn| {
            let filter = &filter;
            async move { query::all(conn, scope, filter, MAX_ROWS).await }.scope_boxed()
        })
        .await?;
    let body = export::to_csv(&events)?;
    let name = format!("audit-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}
