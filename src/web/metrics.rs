//! The metrics listener (`AGOAT_METRICS_BIND`): `/metrics` in Prometheus' text format, on an
//! address of its own, never on a customer's domain; every other address is a 404. What is
//! recorded, and where, is [`crate::metrics`].

use std::net::SocketAddr;

use actix_web::{App, HttpResponse, HttpServer, web};
use metrics::gauge;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::metrics::{
    DB_POOL_IN_USE, DB_POOL_MAX, DB_POOL_OPEN, DB_POOL_WAITING, PAGE_CACHE_BYTES,
    PAGE_CACHE_ENTRIES,
};
use crate::web::AppState;

/// Serves `/metrics` on `bind` until the process ends; every other address is a 404. The gauges
/// read from the server's state (page cache, pool) are refreshed at each scrape.
pub async fn serve(
    bind: SocketAddr,
    handle: PrometheusHandle,
    state: web::Data<AppState>,
) -> std::io::Result<()> {
    let handle = web::Data::new(handle);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(handle.clone())
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .bind(bind)?;
    tracing::info!(%bind, "metrics served at /metrics");
    server.run().await
}

async fn scrape(handle: web::Data<PrometheusHandle>, state: web::Data<AppState>) -> HttpResponse {
    refresh_gauges(&state);
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(handle.render())
}

/// The gauges read from the server's state.
fn refresh_gauges(state: &AppState) {
    gauge!(PAGE_CACHE_BYTES).set(state.page_cache.bytes() as f64);
    gauge!(PAGE_CACHE_ENTRIES).set(state.page_cache.len() as f64);
    let pool = state.db.pool_status();
    gauge!(DB_POOL_MAX).set(pool.max_size as f64);
    gauge!(DB_POOL_OPEN).set(pool.size as f64);
    gauge!(DB_POOL_IN_USE).set(pool.size.saturating_sub(pool.available) as f64);
    gauge!(DB_POOL_WAITING).set(pool.waiting as f64);
}
