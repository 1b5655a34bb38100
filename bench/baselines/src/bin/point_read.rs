//! The ceiling for a cache miss: a minimal actix-web + diesel-async server answering
//! `/posts/{slug}` with the post's `body_html`, read by one prepared SELECT on a pooled connection
//! (deadpool, 16 connections as the product's default). The served hosts' sites are read once at
//! start; it connects with the URL given (the bench's superuser, which row-level security does not
//! filter). The SELECT names the whole unique key `(customer_id, site_id, slug)`, so it is one
//! index lookup.
//!
//!     point-read --bind 127.0.0.1:PORT --database-url postgres://…/agoat_bench

use std::collections::HashMap;
use std::env;
use std::io;

use actix_web::http::header::ContentType;
use actix_web::web::{Data, Path};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// The allocator the product's binary uses (`src/main.rs`), so that the ceiling is built as it is.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

diesel::table! {
    content.posts (customer_id, id) {
        customer_id -> Uuid,
        id -> Uuid,
        site_id -> Uuid,
        slug -> Varchar,
        body_html -> Text,
    }
}

diesel::table! {
    tenancy.domains (customer_id, host) {
        host -> Varchar,
        customer_id -> Uuid,
        site_id -> Uuid,
        state -> Varchar,
    }
}

/// The states of a domain that answers visitors.
const SERVED_STATES: [&str; 2] = ["verified", "failing"];

const POOL_SIZE: usize = 16;

/// A site's key: its customer and its id.
type SiteKey = (Uuid, Uuid);

/// Every served host's site.
struct Sites(HashMap<String, SiteKey>);

/// The value given after `flag` on the command line.
fn argument(flag: &str) -> io::Result<String> {
    let mut args = env::args().skip_while(|arg| arg != flag).skip(1);
    args.next().ok_or_else(|| {
        io::Error::other(format!(
            "usage: point-read --bind ADDRESS --database-url URL ({flag} missing)"
        ))
    })
}

fn pool(database_url: &str) -> io::Result<Pool<AsyncPgConnection>> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .map_err(io::Error::other)
}

async fn load_sites(pool: &Pool<AsyncPgConnection>) -> io::Result<Sites> {
    let mut conn = pool.get().await.map_err(io::Error::other)?;
    let rows: Vec<(String, Uuid, Uuid)> = domains::table
        .filter(domains::state.eq_any(SERVED_STATES))
        .select((domains::host, domains::customer_id, domains::site_id))
        .load(&mut conn)
        .await
        .map_err(io::Error::other)?;
    Ok(Sites(
        rows.into_iter()
            .map(|(host, customer, site)| (host, (customer, site)))
            .collect(),
    ))
}

/// The request's host without its port.
fn host(request: &HttpRequest) -> String {
    let info = request.connection_info();
    let host = info.host();
    host.rsplit_once(':')
        .map_or(host, |(name, _)| name)
        .to_owned()
}

async fn body_html(
    pool: &Pool<AsyncPgConnection>,
    (customer, site): SiteKey,
    slug: &str,
) -> Result<Option<String>, String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    posts::table
        .filter(posts::customer_id.eq(customer))
        .filter(posts::site_id.eq(site))
        .filter(posts::slug.eq(slug))
        .select(posts::body_html)
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(|e| e.to_string())
}

async fn post(
    request: HttpRequest,
    slug: Path<String>,
    sites: Data<Sites>,
    pool: Data<Pool<AsyncPgConnection>>,
) -> HttpResponse {
    let Some(&site) = sites.0.get(&host(&request)) else {
        return HttpResponse::NotFound().finish();
    };
    match body_html(&pool, site, &slug).await {
        Ok(Some(body)) => HttpResponse::Ok()
            .content_type(ContentType::html())
            .body(body),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(error) => HttpResponse::ServiceUnavailable().body(error),
    }
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let bind = argument("--bind")?;
    let pool = pool(&argument("--database-url")?)?;
    let sites = Data::new(load_sites(&pool).await?);
    let pool = Data::new(pool);
    HttpServer::new(move || {
        App::new()
            .app_data(sites.clone())
            .app_data(pool.clone())
            .route("/posts/{slug}", web::get().to(post))
    })
    .bind(bind)?
    .run()
    .await
}
