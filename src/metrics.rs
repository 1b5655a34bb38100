//! What a server reports about itself, in Prometheus' text format, on a listener of its own
//! (`AGOAT_METRICS_BIND`, off by default; never on a customer's domain): requests by route pattern
//! and status with their latency, the page cache, the database pool, transactions retried after
//! serialization failures, the mail outbox and image processing. The names and their meaning are
//! listed in [`describe`] and in docs/operations.md; the listener is `web::metrics`.
//!
//! Code records through the `metrics` facade (a no-op until [`install`] runs, as in the tests that
//! run the application in process); `metrics-exporter-prometheus` keeps the values and renders
//! them. Series per customer exist only for the customers an operator names in
//! `AGOAT_METRICS_CUSTOMERS` (at most [`MAX_CUSTOMERS`]), so that ten thousand customers cannot
//! make ten thousand series.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::Method;
use metrics::{
    Counter, Histogram, SharedString, Unit, counter, describe_counter, describe_gauge,
    describe_histogram, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use uuid::Uuid;

pub const HTTP_REQUESTS: &str = "agoat_http_requests_total";
pub const HTTP_DURATION: &str = "agoat_http_request_duration_seconds";
pub const CUSTOMER_REQUESTS: &str = "agoat_customer_http_requests_total";
pub const PAGE_CACHE_HITS: &str = "agoat_page_cache_hits_total";
pub const PAGE_CACHE_MISSES: &str = "agoat_page_cache_misses_total";
pub const PAGE_CACHE_EVICTIONS: &str = "agoat_page_cache_evictions_total";
pub const PAGE_CACHE_BYTES: &str = "agoat_page_cache_bytes";
pub const PAGE_CACHE_ENTRIES: &str = "agoat_page_cache_entries";
pub const DB_POOL_MAX: &str = "agoat_db_pool_max_connections";
pub const DB_POOL_OPEN: &str = "agoat_db_pool_open_connections";
pub const DB_POOL_IN_USE: &str = "agoat_db_pool_in_use_connections";
pub const DB_POOL_WAITING: &str = "agoat_db_pool_waiting_requests";
pub const DB_POOL_TIMEOUTS: &str = "agoat_db_pool_timeouts_total";
pub const DB_RETRIES: &str = "agoat_db_serialization_retries_total";
pub const DB_GIVE_UPS: &str = "agoat_db_serialization_give_ups_total";
pub const DB_VISITOR_READS: &str = "agoat_db_visitor_reads_total";
pub const DB_REPLICA_LAG: &str = "agoat_db_replica_lag_seconds";
pub const DB_REPLICA_USABLE: &str = "agoat_db_replica_usable";
pub const SITE_DIRECTORY_STALE: &str = "agoat_site_directory_stale_total";
pub const SITE_DIRECTORY_LOADS: &str = "agoat_site_directory_loads_total";
pub const MAIL_QUEUED: &str = "agoat_mail_outbox_queued";
pub const MAIL_HANDLED: &str = "agoat_mail_handled_total";
pub const MEDIA_PROCESSING: &str = "agoat_media_processing_seconds";

/// Most customers that may have series of their own.
pub const MAX_CUSTOMERS: usize = 100;

/// The route label of a page answered from the page cache (the router never ran).
pub const CACHED_ROUTE: &str = "(page cache)";
/// The route label of a request no route matched (pages, old addresses, not found).
pub const DEFAULT_ROUTE: &str = "(default)";

/// Latency buckets, in seconds: from a cache hit to a slow import.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The customers with series of their own.
static CUSTOMERS: OnceLock<HashSet<Uuid>> = OnceLock::new();

/// Installs the recorder every `metrics` call in the process records into, with the customers
/// that get series of their own; the handle renders what it holds. Fails if one is installed
/// already.
pub fn install(customers: HashSet<Uuid>) -> Result<PrometheusHandle, String> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .map_err(|e| e.to_string())?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
    let _ = CACHED_PAGE_SERIES.set(CachedPageSeries::look_up());
    drain_histograms_regularly(handle.clone());
    let _ = CUSTOMERS.set(customers);
    describe();
    start_at_zero();
    Ok(handle)
}

/// How often the histograms' samples are folded into their buckets, scraped or not.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Folds the histograms' samples into their buckets every [`UPKEEP_INTERVAL`] on a thread of its
/// own. The recorder keeps every sample until then: with only a scrape to do it, a server whose
/// metrics nobody scraped grew by about 8 MiB every 5 s under load (a histogram sample per
/// request), without bound.
fn drain_histograms_regularly(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "the metrics' upkeep thread did not start");
    }
}

/// The counters without labels exist from the start, at 0, so that a rate of them is 0 rather
/// than absent until the first event.
fn start_at_zero() {
    for name in [
        PAGE_CACHE_HITS,
        PAGE_CACHE_MISSES,
        PAGE_CACHE_EVICTIONS,
        DB_POOL_TIMEOUTS,
        DB_RETRIES,
        DB_GIVE_UPS,
    ] {
        counter!(name).increment(0);
    }
}

/// The customers `AGOAT_METRICS_CUSTOMERS` names (ids separated by commas or spaces); an entry
/// that is not an id, or more than [`MAX_CUSTOMERS`], is an error that names it.
pub fn customers_from_env() -> Result<HashSet<Uuid>, String> {
    let text = std::env::var("AGOAT_METRICS_CUSTOMERS").unwrap_or_default();
    parse_customers(&text)
}

fn parse_customers(text: &str) -> Result<HashSet<Uuid>, String> {
    let mut customers = HashSet::new();
    for entry in text
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let id = Uuid::try_parse(entry)
            .map_err(|_| format!("AGOAT_METRICS_CUSTOMERS: {entry:?} is not a customer id"))?;
        customers.insert(id);
    }
    if customers.len() > MAX_CUSTOMERS {
        return Err(format!(
            "AGOAT_METRICS_CUSTOMERS: at most {MAX_CUSTOMERS} customers may have series of \
             their own"
        ));
    }
    Ok(customers)
}

/// The help text of every metric.
fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by route pattern, method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response head, by route pattern."
    );
    describe_counter!(
        CUSTOMER_REQUESTS,
        "Requests to the sites of the customers AGOAT_METRICS_CUSTOMERS names, by customer and status class."
    );
    describe_counter!(
        PAGE_CACHE_HITS,
        "Public pages answered from the page cache."
    );
    describe_counter!(
        PAGE_CACHE_MISSES,
        "Cacheable public pages that had to be rendered."
    );
    describe_counter!(
        PAGE_CACHE_EVICTIONS,
        "Pages dropped from the page cache to stay within its size."
    );
    describe_gauge!(
        PAGE_CACHE_BYTES,
        Unit::Bytes,
        "Bytes of page bodies held by the page cache."
    );
    describe_gauge!(PAGE_CACHE_ENTRIES, "Pages held by the page cache.");
    describe_gauge!(DB_POOL_MAX, "Most database connections the pool opens.");
    describe_gauge!(DB_POOL_OPEN, "Database connections the pool holds open.");
    describe_gauge!(
        DB_POOL_IN_USE,
        "Database connections lent to a request or a task."
    );
    describe_gauge!(
        DB_POOL_WAITING,
        "Requests and tasks waiting for a database connection."
    );
    describe_counter!(
        DB_POOL_TIMEOUTS,
        "Waits for a database connection that timed out (each answered 503)."
    );
    describe_counter!(
        DB_RETRIES,
        "Transactions run again after a serialization failure or a deadlock."
    );
    describe_counter!(
        DB_GIVE_UPS,
        "Transactions that kept failing to serialize and were given up (each answered 503)."
    );
    describe_counter!(
        SITE_DIRECTORY_LOADS,
        "Hosts' directory entries read from the database (a first request, a change of the site's customer, or the entry's age)."
    );
    describe_counter!(
        SITE_DIRECTORY_STALE,
        "Requests routed by a site's last known directory entry because the database could not be read."
    );
    describe_gauge!(
        MAIL_QUEUED,
        "Mails waiting in the outbox of every customer."
    );
    describe_counter!(
        MAIL_HANDLED,
        "Mails the sender handled, by outcome (sent, retry, failed)."
    );
    describe_histogram!(
        MEDIA_PROCESSING,
        Unit::Seconds,
        "Time to check and resize one uploaded image, queueing for a worker included."
    );
}

/// Records one answered request.
pub fn request(
    route: SharedString,
    method: &Method,
    status: u16,
    elapsed: Duration,
    customer: Option<Uuid>,
) {
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method_label(method),
        "status" => status_label(status))
    .increment(1);
    histogram!(HTTP_DURATION, "route" => route).record(elapsed.as_secs_f64());
    customer_request(customer, status);
}

/// Counts a request answered from the page cache, as [`request`] does with the route
/// [`CACHED_ROUTE`]; the common ones (GET or HEAD, 200 or 304) through series looked up once.
pub fn cached_page_request(
    method: &Method,
    status: u16,
    elapsed: Duration,
    customer: Option<Uuid>,
) {
    let looked_up = CACHED_PAGE_SERIES
        .get()
        .and_then(|series| Some((series.requests(method, status)?, &series.duration)));
    match looked_up {
        Some((requests, duration)) => {
            requests.increment(1);
            duration.record(elapsed.as_secs_f64());
            customer_request(customer, status);
        }
        None => request(
            SharedString::const_str(CACHED_ROUTE),
            method,
            status,
            elapsed,
            customer,
        ),
    }
}

/// Counts a page answered from the page cache.
pub fn page_cache_hit() {
    match CACHED_PAGE_SERIES.get() {
        Some(series) => series.hits.increment(1),
        None => counter!(PAGE_CACHE_HITS).increment(1),
    }
}

/// Counts a request of a customer that has series of its own.
fn customer_request(customer: Option<Uuid>, status: u16) {
    if let Some(customer) = customer.filter(has_own_series) {
        let class = format!("{}xx", status / 100);
        counter!(CUSTOMER_REQUESTS, "customer" => customer.to_string(), "status" => class)
            .increment(1);
    }
}

/// The series a page answered from the page cache counts in, looked up in the recorder once it is
/// installed: at tens of thousands of pages a second, finding them again for each (its labels
/// hashed, the registry searched) cost more than half of what the page cost.
struct CachedPageSeries {
    hits: Counter,
    duration: Histogram,
    /// By method (GET, HEAD) and status (200, 304).
    requests: [[Counter; 2]; 2],
}

static CACHED_PAGE_SERIES: OnceLock<CachedPageSeries> = OnceLock::new();

impl CachedPageSeries {
    /// Looks the series up in the installed recorder.
    fn look_up() -> CachedPageSeries {
        let route = SharedString::const_str(CACHED_ROUTE);
        let requests = |method: &Method, status: u16| {
            counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method_label(method),
                "status" => status_label(status))
        };
        CachedPageSeries {
            hits: counter!(PAGE_CACHE_HITS),
            duration: histogram!(HTTP_DURATION, "route" => route.clone()),
            requests: [
                [requests(&Method::GET, 200), requests(&Method::GET, 304)],
                [requests(&Method::HEAD, 200), requests(&Method::HEAD, 304)],
            ],
        }
    }

    fn requests(&self, method: &Method, status: u16) -> Option<&Counter> {
        let by_status = match *method {
            Method::GET => &self.requests[0],
            Method::HEAD => &self.requests[1],
            _ => return None,
        };
        match status {
            200 => Some(&by_status[0]),
            304 => Some(&by_status[1]),
            _ => None,
        }
    }
}

/// A method as a label; the standard ones without an allocation.
fn method_label(method: &Method) -> SharedString {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    match STANDARD.iter().find(|name| **name == method.as_str()) {
        Some(name) => SharedString::const_str(name),
        None => SharedString::from(method.as_str().to_owned()),
    }
}

/// A status code as a label; the common ones without an allocation.
fn status_label(status: u16) -> SharedString {
    match status {
        200 => SharedString::const_str("200"),
        301 => SharedString::const_str("301"),
        303 => SharedString::const_str("303"),
        304 => SharedString::const_str("304"),
        404 => SharedString::const_str("404"),
        other => SharedString::from(other.to_string()),
    }
}

fn has_own_series(customer: &Uuid) -> bool {
    CUSTOMERS.get().is_some_and(|set| set.contains(customer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_ids_and_bounded() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        let parsed = parse_customers(&format!("{a}, {b}")).unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parse_customers("").unwrap().is_empty());
        let error = parse_customers("not-an-id").unwrap_err();
        assert!(error.contains("\"not-an-id\""), "{error}");
        let many: Vec<String> = (0..=MAX_CUSTOMERS)
            .map(|_| Uuid::new_v4().to_string())
            .collect();
        assert!(parse_customers(&many.join(",")).is_err());
    }
}
