//! Test support: a real PostgreSQL (the one `DATABASE_URL` names, or the embedded default started
//! once per test process) or, with `AGOAT_TEST_ENGINE=citus`, a Citus cluster started once per
//! test process; one database per test made from a migrated template (on every node of the
//! cluster); the serving login `agoat_app` set up once per server; and a `TestApp` serving through
//! that login with request helpers and seeding shortcuts.

#![allow(dead_code)]

#[path = "../../support/citus_cluster.rs"]
pub mod citus_cluster;
pub mod dns;
pub mod http;
pub mod mail;
pub mod replica;
pub use citus_cluster::scratch;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use agoat::audit::Actor;
use agoat::config::{PublicOrigin, TrustedProxies};
use agoat::content::posts::{self, PostInput, Status};
use agoat::db::embedded::EmbeddedPostgres;
use agoat::db::roles::{self, Password};
use agoat::db::{Conn, Database, PoolSettings};
use agoat::error::AppResult;
use agoat::media::image::Limits as MediaLimits;
use agoat::media::store::FsStore;
use agoat::tenancy::{CustomerId, Scope, SiteId, customers, domains, sites};
use agoat::thorne::products::{self, NewProduct};
use agoat::web::AppState;
use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::future::LocalBoxFuture;
use scoped_futures::ScopedFutureExt;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

/// The servers every test database lives on, by their admin connection strings: the one the
/// application connects to first, then (on Citus) the workers, which hold a copy of each
/// database too.
static SERVERS: OnceCell<Vec<String>> = OnceCell::const_new();
/// The embedded server, kept for the life of the test process.
static EMBEDDED: std::sync::OnceLock<EmbeddedPostgres> = std::sync::OnceLock::new();
/// The Citus cluster, kept for the life of the test process.
static CLUSTER: std::sync::OnceLock<citus_cluster::Cluster> = std::sync::OnceLock::new();
/// The migrated template database.
static TEMPLATE: OnceCell<String> = OnceCell::const_new();
/// Set once the serving login is ready on the test server.
static SERVING_LOGIN: OnceCell<()> = OnceCell::const_new();

/// Whether the tests run on a Citus cluster (`AGOAT_TEST_ENGINE=citus`) rather than PostgreSQL.
pub fn on_citus() -> bool {
    std::env::var("AGOAT_TEST_ENGINE").is_ok_and(|engine| engine.eq_ignore_ascii_case("citus"))
}

/// The admin connection string of the test server (on Citus, the coordinator).
pub async fn server_url() -> &'static str {
    &servers().await[0]
}

/// Every server a test database is made on: the test server, then the Citus workers.
async fn servers() -> &'static [String] {
    SERVERS
        .get_or_init(|| async {
            if on_citus() {
                return start_cluster();
            }
            if let Ok(url) = std::env::var("DATABASE_URL")
                && !url.trim().is_empty()
            {
                return vec![url];
            }
            remove_stale_clusters();
            let dir = scratch::root().join(format!("agoat-test-pg-{}", std::process::id()));
            let embedded = EmbeddedPostgres::start(&dir)
                .await
                .expect("the embedded PostgreSQL starts");
            let url = embedded.url("postgres");
            remove_when_process_ends(embedded.data_dir());
            let _ = EMBEDDED.set(embedded);
            vec![url]
        })
        .await
}

/// Starts the Citus cluster of this test process; it stops when the process ends.
fn start_cluster() -> Vec<String> {
    let cluster = citus_cluster::Cluster::start_nodes().unwrap_or_else(|| {
        panic!("AGOAT_TEST_ENGINE=citus needs Citus installed (../shared/engines/build-citus.sh)")
    });
    cluster.stop_when_process_ends();
    let urls = cluster.admin_urls();
    let _ = CLUSTER.set(cluster);
    urls
}

/// Removes the embedded server's folder (it is in memory, see `scratch`) once this process has
/// ended and the server with it (by its parent-death signal).
fn remove_when_process_ends(dir: &std::path::Path) {
    let dir = dir.display();
    scratch::after_process_ends(&format!(
        "server=$(head -n 1 '{dir}/pg/postmaster.pid' 2>/dev/null); \
         while [ -n \"$server\" ] && kill -0 \"$server\" 2>/dev/null; do sleep 1; done; \
         rm -rf '{dir}'"
    ));
}

/// Removes the clusters of earlier test processes that have ended (their servers stopped with
/// them).
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(scratch::root()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("agoat-test-pg-") else {
            continue;
        };
        let stale = pid
            .parse::<u32>()
            .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Replaces the database name of a connection string (URL or key-value form).
pub fn with_dbname(url: &str, name: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = url
            .split_once('?')
            .map(|(b, q)| (b, Some(q)))
            .unwrap_or((url, None));
        let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let host_end = base[scheme_end..]
            .find('/')
            .map(|i| i + scheme_end)
            .unwrap_or(base.len());
        let mut out = format!("{}/{name}", &base[..host_end]);
        if let Some(query) = query {
            out.push('?');
            out.push_str(query);
        }
        out
    } else {
        let mut parts: Vec<String> = url
            .split_whitespace()
            .filter(|p| !p.starts_with("dbname="))
            .map(str::to_owned)
            .collect();
        parts.push(format!("dbname={name}"));
        parts.join(" ")
    }
}

async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(server_url().await)
        .await
        .expect("connect to the test server")
}

/// The name of a database holding every migration, made once per set of migrations.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            servers().await;
            if let Some(cluster) = CLUSTER.get() {
                return citus_template(cluster).await;
            }
            let name = format!("agoat_tpl_{}", migrations_hash());
            let mut conn = admin().await;
            if database_exists(&mut conn, &name).await {
                return name;
            }
            let building = format!("{name}_{}", std::process::id());
            conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await
            .unwrap();
            conn.batch_execute(&format!("CREATE DATABASE \"{building}\""))
                .await
                .unwrap();
            agoat::db::migrate(&with_dbname(server_url().await, &building))
                .await
                .expect("migrations apply");
            // Renaming is atomic: a template is complete or absent.
            if conn
                .batch_execute(&format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                ))
                .await
                .is_err()
            {
                conn.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .await
                .unwrap();
            }
            name
        })
        .await
}

/// The template on the cluster: made on every node, migrated through the coordinator (which
/// places the tables), then closed to connections — Citus keeps a maintenance daemon and cached
/// connections in each database, and a template must have none.
async fn citus_template(cluster: &citus_cluster::Cluster) -> String {
    let name = format!("agoat_tpl_{}", migrations_hash());
    cluster.create_database(&name).await;
    agoat::db::migrate(&with_dbname(server_url().await, &name))
        .await
        .expect("migrations apply on the coordinator");
    for url in servers().await {
        let mut conn = AsyncPgConnection::establish(url).await.unwrap();
        conn.batch_execute(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
        close_sessions(&mut conn, &name).await;
    }
    name
}

/// Ends every session on database `name` and waits until they are gone.
async fn close_sessions(conn: &mut AsyncPgConnection, name: &str) {
    #[derive(QueryableByName)]
    struct Left {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for _ in 0..100 {
        let left: Left = diesel::sql_query(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(conn)
        .await
        .unwrap();
        if left.n == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("sessions on {name} do not end");
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Found>(conn)
        .await
        .unwrap()
        .found
}

fn migrations_hash() -> String {
    let mut hasher = Sha256::new();
    let mut files: Vec<_> =
        walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"));
    files.sort();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap());
    }
    hex::encode(&hasher.finalize()[..6])
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Makes `agoat_app` a login on the test server (roles belong to the whole server), with the
/// password `AGOAT_APP_DB_PASSWORD` gives, if any.
async fn serving_login() {
    SERVING_LOGIN
        .get_or_init(|| async {
            for url in servers().await {
                roles::prepare_serving_login(url, Password::from_env().as_ref())
                    .await
                    .expect("the serving login is set up");
            }
        })
        .await;
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    /// Connection string as the owner (what `DATABASE_URL` would be).
    pub url: String,
    /// Connection string of the serving login, `agoat_app` (what the server derives).
    pub app_url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let template = template().await;
        let name = format!("agoat_t_{}", uuid::Uuid::new_v4().simple());
        for url in servers().await {
            let mut conn = AsyncPgConnection::establish(url)
                .await
                .expect("connect to the test server");
            conn.batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
            .expect("create the test database");
        }
        serving_login().await;
        let url = with_dbname(server_url().await, &name);
        TestDb {
            app_url: roles::serving_url(&url, Password::from_env().as_ref()),
            url,
            name,
        }
    }

    /// A connection as the owner (no role switch).
    pub async fn owner_conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let Some(admin_urls) = SERVERS.get().cloned() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                for admin_url in &admin_urls {
                    if let Ok(mut conn) = AsyncPgConnection::establish(admin_url).await {
                        let _ = conn
                            .batch_execute(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                }
            });
        })
        .join();
    }
}

/// A response read to the end.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    /// The body as text (lossy for binary bodies; see `bytes`).
    pub body: String,
    pub bytes: actix_web::web::Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The parsed HTML body.
    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// Text of every element matching a CSS selector.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .map(|e| e.text().collect::<String>().trim().to_owned())
            .collect()
    }

    /// The message of an error page (the bare one or a site's).
    pub fn error_message(&self) -> String {
        self.texts(".error-page p").join(" ")
    }

    /// The value of an attribute of the first element matching a CSS selector.
    pub fn attr(&self, selector: &str, attribute: &str) -> Option<String> {
        let selector = scraper::Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(attribute).map(str::to_owned))
    }
}

/// The application on a test database, with request helpers and seeding shortcuts.
pub struct TestApp {
    /// Tells this app's service apart from other tests' on the same thread.
    id: u64,
    pub db: TestDb,
    pub pool: Database,
    pub state: web::Data<AppState>,
    /// The media library's files (a folder of this test's own).
    pub media: MediaFolder,
    /// This test's mail files (a folder of its own).
    pub mail: MediaFolder,
}

/// The whole application, answering one request at a time or many at once.
type AppService = Rc<dyn Fn(TestRequest) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

thread_local! {
    /// Each live test app's service on this thread, by the app's id.
    static APP_SERVICES: RefCell<HashMap<u64, AppService>> = RefCell::default();
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The service holds the app's state (its pool) alive; it goes with the app.
        let _ = APP_SERVICES.try_with(|services| services.borrow_mut().remove(&self.id));
    }
}

/// A folder of one test's media files, removed when the test ends.
pub struct MediaFolder(std::path::PathBuf);

impl MediaFolder {
    fn new() -> MediaFolder {
        MediaFolder::named("media")
    }

    fn named(what: &str) -> MediaFolder {
        let dir = std::env::temp_dir().join(format!("agoat-test-{what}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create the test's media folder");
        MediaFolder(dir)
    }
}

impl Drop for MediaFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestApp {
    /// The application with absolute addresses on `http` and port 80.
    pub async fn new() -> TestApp {
        TestApp::with_origin(PublicOrigin::default()).await
    }

    /// The application with absolute addresses on `origin`.
    pub async fn with_origin(origin: PublicOrigin) -> TestApp {
        TestApp::build(origin, |_| {}).await
    }

    /// The application with these limits on media uploads.
    pub async fn with_media_limits(limits: MediaLimits) -> TestApp {
        TestApp::build(PublicOrigin::default(), |state| state.media_limits = limits).await
    }

    /// The application with `/sitemap.xml` an index once a site has more than `max_urls`
    /// addresses.
    pub async fn with_sitemap_max_urls(max_urls: usize) -> TestApp {
        TestApp::build(PublicOrigin::default(), |state| {
            state.sitemap_max_urls = max_urls
        })
        .await
    }

    /// The application taking at most `bytes` of an owner's site import upload.
    pub async fn with_site_import_limit(bytes: usize) -> TestApp {
        TestApp::build(PublicOrigin::default(), |state| {
            state.max_site_import_bytes = bytes
        })
        .await
    }

    /// The application with the operator console on `host`.
    pub async fn with_platform_host(host: &str) -> TestApp {
        let host = host.to_owned();
        TestApp::build(PublicOrigin::default(), |state| {
            state.platform_host = Some(host)
        })
        .await
    }

    /// The application verifying owners' domains with these probes and this schedule.
    pub async fn with_domain_checks(
        probes: agoat::tenancy::verification::ProbeSettings,
        settings: agoat::tenancy::domain_checks::CheckSettings,
    ) -> TestApp {
        use agoat::tenancy::domain_checks::DomainChecks;
        TestApp::build(PublicOrigin::default(), move |state| {
            state.domain_checks = Arc::new(DomainChecks::new(&probes, settings))
        })
        .await
    }

    /// The application believing the forwarding headers of these proxies (addresses and CIDR
    /// ranges, as `AGOAT_TRUSTED_PROXIES` lists them).
    pub async fn with_trusted_proxies(list: &str) -> TestApp {
        let trusted = TrustedProxies::parse(list).expect("a valid list of trusted proxies");
        TestApp::build(PublicOrigin::default(), |state| {
            state.trusted_proxies = trusted
        })
        .await
    }

    async fn build(origin: PublicOrigin, configure: impl FnOnce(&mut AppState)) -> TestApp {
        let db = TestDb::new().await;
        let pool = Database::connect(&db.app_url, &PoolSettings::default()).unwrap();
        let media = MediaFolder::new();
        let store = Arc::new(FsStore::open(&media.0).expect("the media store opens"));
        let mut state = AppState::build(
            pool.clone(),
            actix_web::cookie::Key::generate(),
            origin,
            store,
        );
        state.media_limits = MediaLimits::default();
        state.platform_host = None;
        configure(&mut state);
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let app = TestApp {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            db,
            pool,
            state: web::Data::new(state),
            media,
            mail: MediaFolder::named("mail"),
        };
        app.service().await;
        app
    }

    /// Where this test's media files are.
    pub fn media_dir(&self) -> &std::path::Path {
        &self.media.0
    }

    /// Sends a request through the whole application (middleware included).
    pub async fn send(&self, request: TestRequest) -> Response {
        let response = self.service().await(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// The application as a service, built once per test app and thread (as a server builds it
    /// once per worker): building it costs more than most requests.
    async fn service(&self) -> AppService {
        if let Some(service) = APP_SERVICES.with_borrow(|services| services.get(&self.id).cloned())
        {
            return service;
        }
        let app = Rc::new(test::init_service(agoat::web::app(self.state.clone())).await);
        let service: AppService = Rc::new(move |request: TestRequest| {
            let app = app.clone();
            Box::pin(async move {
                test::call_service(&*app, request.to_request())
                    .await
                    .map_into_boxed_body()
            })
        });
        APP_SERVICES.with_borrow_mut(|services| services.entry(self.id).or_insert(service).clone())
    }

    /// `GET path` with `Host: host`.
    pub async fn get(&self, host: &str, path: &str) -> Response {
        self.send(TestRequest::get().uri(path).insert_header(("Host", host)))
            .await
    }

    /// Runs `work` as the application would, in the scope of `customer`.
    pub async fn in_scope<R: Send + 'static>(
        &self,
        customer: CustomerId,
        work: impl for<'c> Fn(
            &'c mut Conn,
            Scope,
        ) -> scoped_futures::ScopedBoxFuture<'static, 'c, AppResult<R>>
        + Send
        + Sync
        + 'static,
    ) -> R {
        self.try_in_scope(customer, work)
            .await
            .expect("scoped work succeeds")
    }

    /// Like `in_scope`, returning the error.
    pub async fn try_in_scope<R: Send + 'static>(
        &self,
        customer: CustomerId,
        work: impl for<'c> Fn(
            &'c mut Conn,
            Scope,
        ) -> scoped_futures::ScopedBoxFuture<'static, 'c, AppResult<R>>
        + Send
        + Sync
        + 'static,
    ) -> AppResult<R> {
        let scope = Scope::of(customer);
        let work = Arc::new(work);
        self.pool
            .tenant_tx(scope, move |conn| {
                let work = work.clone();
                async move { work(conn, scope).await }.scope_boxed()
            })
            .await
    }

    pub async fn customer(&self, name: &str) -> CustomerId {
        let id = CustomerId::new_random();
        let name = name.to_owned();
        self.in_scope(id, move |conn, scope| {
            let name = name.clone();
            async move { customers::create(conn, scope, &name, &actor()).await }.scope_boxed()
        })
        .await;
        id
    }

    pub async fn site(&self, customer: CustomerId, name: &str, domain: &str) -> SiteId {
        let id = SiteId::new_random();
        let (name, domain) = (name.to_owned(), domain.to_owned());
        self.in_scope(customer, move |conn, scope| {
            let (name, domain) = (name.clone(), domain.clone());
            async move { sites::create(conn, scope, id, &name, &domain, &actor()).await }
                .scope_boxed()
        })
        .await;
        id
    }

    pub async fn alias(&self, customer: CustomerId, site: SiteId, domain: &str) {
        let domain = domain.to_owned();
        self.in_scope(customer, move |conn, scope| {
            let domain = domain.clone();
            async move { domains::add(conn, scope, site, &domain, false, &actor()).await }
                .scope_boxed()
        })
        .await;
    }

    /// A post with this slug, published at `published_at` (None: a draft).
    pub async fn post(
        &self,
        customer: CustomerId,
        site: SiteId,
        slug: &str,
        published_at: Option<DateTime<Utc>>,
    ) -> posts::Post {
        self.save_new_post(customer, site, post_input(slug, published_at))
            .await
    }

    /// A post with this slug and Markdown body, published an hour ago.
    pub async fn post_with_body(
        &self,
        customer: CustomerId,
        site: SiteId,
        slug: &str,
        body: &str,
    ) -> posts::Post {
        let mut input = post_input(slug, Some(minutes_ago(60)));
        input.body_markdown = body.to_owned();
        self.save_new_post(customer, site, input).await
    }

    /// A new post with these fields.
    pub async fn save_post(
        &self,
        customer: CustomerId,
        site: SiteId,
        input: PostInput,
    ) -> posts::Post {
        self.save_new_post(customer, site, input).await
    }

    /// A new post of `site` saved through the write path from `input`.
    pub async fn save_new_post(
        &self,
        customer: CustomerId,
        site: SiteId,
        input: PostInput,
    ) -> posts::Post {
        self.save_new(customer, site, posts::Kind::Post, input)
            .await
    }

    /// A new page of `site` (at the address `input.slug`) saved through the write path from
    /// `input`, without its tags (pages have none).
    pub async fn save_page(
        &self,
        customer: CustomerId,
        site: SiteId,
        mut input: PostInput,
    ) -> posts::Post {
        input.tags.clear();
        self.save_new(customer, site, posts::Kind::Page, input)
            .await
    }

    async fn save_new(
        &self,
        customer: CustomerId,
        site: SiteId,
        kind: posts::Kind,
        input: PostInput,
    ) -> posts::Post {
        self.in_scope(customer, move |conn, scope| {
            let input = input.clone();
            async move {
                let change = posts::Change::Fields {
                    input: &input,
                    action: "create",
                };
                let target = match kind {
                    posts::Kind::Post => posts::Target::New(site),
                    posts::Kind::Page => posts::Target::NewPage(site),
                };
                posts::save(conn, scope, target, change, &actor())
                    .await?
                    .saved()
            }
            .scope_boxed()
        })
        .await
    }

    pub async fn product(
        &self,
        customer: CustomerId,
        sku: &str,
        category: &str,
        wholesale: &str,
        retail: &str,
    ) {
        let new = NewProduct {
            sku: sku.to_owned(),
            name: format!("Product {sku}"),
            description: format!("Description of {sku}"),
            category: category.to_owned(),
            wholesale_price: wholesale.parse().unwrap(),
            retail_price: retail.parse().unwrap(),
            in_stock: true,
        };
        self.products(customer, vec![new]).await;
    }

    /// Creates these products for `customer` in one batch.
    pub async fn products(&self, customer: CustomerId, new: Vec<NewProduct>) {
        self.in_scope(customer, move |conn, scope| {
            let new = new.clone();
            async move { products::create_many(conn, scope, &new, &actor()).await }.scope_boxed()
        })
        .await;
    }
}

/// Asserts that `res` refuses a control character with a 400 whose message says so and names
/// `names` (`form field "email"`, `address parameter "q"`, `address`); `case` labels a failure.
pub fn assert_control_character_refused(res: &Response, names: &str, case: &str) {
    assert_eq!(res.status, 400, "{case}: {}", res.body);
    let message = res.error_message();
    assert!(
        message.contains(names) && message.contains("contains a control character"),
        "{case}: {message}"
    );
}

/// The actor test fixtures write as.
pub fn actor() -> Actor {
    Actor::cli("test")
}

pub fn post_input(slug: &str, published_at: Option<DateTime<Utc>>) -> PostInput {
    PostInput {
        byline: String::new(),
        title: format!("Title of {slug}"),
        slug: slug.to_owned(),
        body_markdown: format!("# Heading\n\nBody of **{slug}**."),
        description: format!("Description of {slug}"),
        tags: vec!["test".to_owned()],
        status: if published_at.is_some() {
            Status::Published
        } else {
            Status::Draft
        },
        published_at,
        featured_media_id: None,
    }
}

/// A moment `minutes` ago (negative: in the future).
pub fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - Duration::minutes(minutes)
}

/// Two customers with a site each, and one published post and one product each.
pub struct TwoTenants {
    pub a: CustomerId,
    pub a_site: SiteId,
    pub b: CustomerId,
    pub b_site: SiteId,
}

pub async fn two_tenants(app: &TestApp) -> TwoTenants {
    let a = app.customer("Alpha Health").await;
    let a_site = app.site(a, "Alpha Blog", "alpha.test").await;
    let b = app.customer("Beta Labs").await;
    let b_site = app.site(b, "Beta Blog", "beta.test").await;
    app.post(a, a_site, "alpha-post", Some(minutes_ago(60)))
        .await;
    app.post(b, b_site, "beta-post", Some(minutes_ago(60)))
        .await;
    app.product(a, "ALPHA-1", "Vitamins", "10.00", "18.00")
        .await;
    app.product(b, "BETA-1", "Minerals", "11.00", "19.50").await;
    TwoTenants {
        a,
        a_site,
        b,
        b_site,
    }
}

impl TestApp {
    /// An admin user of `customer` with this role and password.
    pub async fn user(
        &self,
        customer: CustomerId,
        email: &str,
        role: agoat::tenancy::users::Role,
        password: &str,
    ) -> agoat::tenancy::UserId {
        let hash = agoat::tenancy::users::hash_password(password).unwrap();
        let email = email.to_owned();
        let user = self
            .in_scope(customer, move |conn, scope| {
                let (email, hash) = (email.clone(), hash.clone());
                async move {
                    agoat::tenancy::users::create(conn, scope, &email, role, &hash, &actor()).await
                }
                .scope_boxed()
            })
            .await;
        agoat::tenancy::UserId::from_uuid(user.id)
    }

    /// A browser on `host`: keeps the session cookie between requests.
    pub fn browser(&self, host: &str) -> Browser<'_> {
        Browser {
            app: self,
            host: host.to_owned(),
            cookie: None,
            peer: "203.0.113.7:40000".parse().unwrap(),
            headers: Vec::new(),
        }
    }
}

/// A client that keeps its cookie, like a browser tab.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub host: String,
    pub cookie: Option<String>,
    /// The address the requests come from.
    pub peer: std::net::SocketAddr,
    /// Headers added to every request (in order; a name may repeat), as a proxy would add them.
    pub headers: Vec<(String, String)>,
}

impl Browser<'_> {
    fn request(&self, request: TestRequest) -> TestRequest {
        let mut request = request
            .insert_header(("Host", self.host.as_str()))
            .peer_addr(self.peer);
        for (name, value) in &self.headers {
            request = request.append_header((name.as_str(), value.as_str()));
        }
        match &self.cookie {
            Some(cookie) => request.insert_header(("Cookie", cookie.as_str())),
            None => request,
        }
    }

    fn keep_cookie(&mut self, response: &Response) {
        for value in response.headers.get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default().to_owned();
            if pair.ends_with('=') || text.contains("Max-Age=0") {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let request = self.request(TestRequest::get().uri(path));
        let response = self.app.send(request).await;
        self.keep_cookie(&response);
        response
    }

    /// Posts a multipart body (`multipart/form-data` with `boundary`) as is.
    pub async fn post_multipart(&mut self, path: &str, boundary: &str, body: Vec<u8>) -> Response {
        let request = self.request(
            TestRequest::post()
                .uri(path)
                .insert_header((
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
        );
        let response = self.app.send(request).await;
        self.keep_cookie(&response);
        response
    }

    /// Posts a form as is (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self.request(
            TestRequest::post()
                .uri(path)
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(body),
        );
        let response = self.app.send(request).await;
        self.keep_cookie(&response);
        response
    }

    /// Posts a form with the CSRF token of the page at `form_page` (fetched first).
    pub async fn post(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(form_page).await;
        let token = page
            .attr("input[name=csrf_token]", "value")
            .unwrap_or_else(|| panic!("no CSRF token on {form_page}: {}", page.status));
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all).await
    }

    /// Signs in; panics unless it succeeds.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let res = self
            .post(
                "/admin/login",
                "/admin/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(res.status, 303, "sign-in of {email} failed: {}", res.body);
    }
}

#[derive(diesel::QueryableByName)]
struct OneText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    s: String,
}

/// The text a query run as the owner returns in its one column `s`.
pub async fn sql_text(app: &TestApp, sql: &str) -> String {
    db_text(&app.db, sql).await
}

/// The text a query run as the owner of `db` returns in its one column `s`.
pub async fn db_text(db: &TestDb, sql: &str) -> String {
    let mut conn = db.owner_conn().await;
    diesel::sql_query(sql)
        .get_result::<OneText>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .s
}

/// The number a query (such as `SELECT count(*) …`) returns, run as the owner.
pub async fn sql_count(app: &TestApp, sql: &str) -> i64 {
    sql_text(app, &format!("SELECT ({sql})::text AS s"))
        .await
        .parse()
        .unwrap()
}

/// Every row of every table of the four domain schemas (of one customer's rows only, when
/// `customer` is given), as a count and a digest per table; audit events of sign-in attempts are
/// left out (a refused sign-in is recorded by design), as is the change feed (notices that a
/// customer changed, no data of theirs).
pub async fn database_digest(app: &TestApp, customer: Option<CustomerId>) -> String {
    db_digest(&app.db, customer).await
}

/// [`database_digest`] of the database `db`.
pub async fn db_digest(db: &TestDb, customer: Option<CustomerId>) -> String {
    let tables = db_text(
        db,
        "SELECT string_agg(table_schema || '.' || table_name, ',' \
         ORDER BY table_schema, table_name) AS s \
         FROM information_schema.tables \
         WHERE table_schema IN ('tenancy', 'content', 'thorne', 'audit') \
         AND table_type = 'BASE TABLE' AND table_name <> 'customer_changes'",
    )
    .await;
    let parts: Vec<String> = tables
        .split(',')
        .map(|table| {
            let mut filters = vec!["true".to_owned()];
            if table == "audit.events" {
                filters.push("t.entity <> 'sign_in'".into());
            }
            if let Some(customer) = customer {
                let column = if table == "tenancy.customers" {
                    "id"
                } else {
                    "customer_id"
                };
                filters.push(format!("t.{column} = '{customer}'"));
            }
            format!(
                "'{table}:' || (SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, \
                 E'\\n' ORDER BY t::text)), '') FROM {table} t WHERE {})",
                filters.join(" AND ")
            )
        })
        .collect();
    db_text(db, &format!("SELECT {} AS s", parts.join(" || ' ' || "))).await
}

/// Every customer's catalog as stored: products (every column), the size of the price history,
/// and the change sets with their revert state.
pub async fn catalog_snapshot(app: &TestApp) -> String {
    sql_text(
        app,
        "SELECT coalesce((SELECT string_agg(concat_ws('|', customer_id, id, sku, name, description, \
         category, wholesale_price, retail_price, in_stock, archived_at, version, updated_at), \
         E'\\n' ORDER BY customer_id, sku) FROM thorne.products), '') \
         || '#' || (SELECT count(*) FROM thorne.price_changes) \
         || '#' || coalesce((SELECT string_agg(concat_ws('|', id, name, reverted_at), ',' ORDER BY id) \
         FROM thorne.change_sets), '') AS s",
    )
    .await
}

/// [`catalog_snapshot`] and the number of audit events other than sign-ins: what a refused
/// catalog request must leave as it was.
pub async fn catalog_and_audit_snapshot(app: &TestApp) -> String {
    let events = sql_count(
        app,
        "SELECT count(*) FROM audit.events WHERE entity <> 'sign_in'",
    )
    .await;
    format!("{}#{events}", catalog_snapshot(app).await)
}

/// The password of the users the catalog tests sign in as.
pub const STAFF_PASSWORD: &str = "correct horse battery";

/// Staff of both tenants, all with [`STAFF_PASSWORD`]: `pricing@`, `owner@` and `editor@alpha.test`
/// of customer A, `pricing@beta.test` of customer B.
pub async fn catalog_staff(app: &TestApp, t: &TwoTenants) {
    use agoat::tenancy::users::Role;
    for (customer, email, role) in [
        (t.a, "pricing@alpha.test", Role::Pricing),
        (t.a, "owner@alpha.test", Role::Owner),
        (t.a, "editor@alpha.test", Role::Editor),
        (t.b, "pricing@beta.test", Role::Pricing),
    ] {
        app.user(customer, email, role, STAFF_PASSWORD).await;
    }
}

/// A browser on `host`, signed in as `email` (with [`STAFF_PASSWORD`]).
pub async fn signed_in<'a>(app: &'a TestApp, host: &str, email: &str) -> Browser<'a> {
    let mut browser = app.browser(host);
    browser.sign_in(email, STAFF_PASSWORD).await;
    browser
}

/// Walks a paged admin list from `start`: two pages forward by the "next page" links, then back
/// by the "previous page" links. Checks that going back shows exactly the rows (text of the cells
/// matching `cells`) shown going forward, that the first page has no "previous" link either way,
/// that pages do not overlap, and that every page link keeps each of `kept` (the filters).
/// Returns the rows of the three pages.
pub async fn walk_forward_and_back(
    b: &mut Browser<'_>,
    start: &str,
    cells: &str,
    kept: &[&str],
) -> [Vec<String>; 3] {
    let prev = |res: &Response| res.attr("a[rel=prev]", "href");
    let next = |res: &Response| res.attr("a[rel=next]", "href");
    let get = async |b: &mut Browser<'_>, path: &str| {
        let res = b.get(path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        for link in [prev(&res), next(&res)].into_iter().flatten() {
            for part in kept {
                assert!(link.contains(part), "{path}: {link} keeps {part}");
            }
        }
        res
    };
    let first = get(b, start).await;
    assert_eq!(
        prev(&first),
        None,
        "{start}: the first page has no previous page"
    );
    let second = get(b, &next(&first).expect("a second page")).await;
    let third = get(b, &next(&second).expect("a third page")).await;
    let forward = [&first, &second, &third].map(|res| res.texts(cells));
    assert!(forward.iter().all(|rows| !rows.is_empty()), "{forward:?}");
    let all: Vec<&String> = forward.iter().flatten().collect();
    let unique: std::collections::HashSet<&&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{start}: pages overlap");

    let back_second = get(b, &prev(&third).expect("a way back from the third page")).await;
    assert_eq!(
        back_second.texts(cells),
        forward[1],
        "{start}: back on the second page"
    );
    assert_eq!(next(&back_second), next(&second), "{start}: and on again");
    let back_first = get(b, &prev(&back_second).expect("a way back to the first")).await;
    assert_eq!(
        back_first.texts(cells),
        forward[0],
        "{start}: back on the first page"
    );
    assert_eq!(
        prev(&back_first),
        None,
        "{start}: nothing before the first page"
    );
    assert_eq!(next(&back_first), next(&first), "{start}: and on again");
    forward
}
