//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (the database answers, its
//! migrations are current and the serving role may read the product's tables).

use actix_web::{HttpResponse, web};

use crate::error::AppResult;
use crate::web::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let not_ready = |reason: &str| {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(format!("not ready: {reason}\n"))
    };
    match unready_reason(&state).await {
        Ok(None) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body("ready\n"),
        Ok(Some(reason)) => not_ready(reason),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            not_ready("the database is unreachable")
        }
    }
}

/// Why the server cannot serve yet, if it cannot: migrations pending, or the serving role without
/// its grants on the product's tables (a restore that lost them). The tables are named in the log
/// only.
async fn unready_reason(state: &AppState) -> AppResult<Option<&'static str>> {
    if !state.db.migrations_current().await? {
        return Ok(Some("database migrations are pending"));
    }
    let unreadable = state.db.unreadable_tables().await?;
    if !unreadable.is_empty() {
        tracing::warn!(
            tables = %unreadable.join(", "),
            "the serving role may not read these tables: their grants are missing"
        );
        return Ok(Some(
            "the serving role lacks its grants on the database's tables",
        ));
    }
    Ok(None)
}
