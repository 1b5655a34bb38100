//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (the database answers and
//! its migrations are current).

use actix_web::{HttpResponse, web};

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
    match state.db.migrations_current().await {
        Ok(true) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body("ready\n"),
        Ok(false) => not_ready("database migrations are pending"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            not_ready("the database is unreachable")
        }
    }
}
