//! Starting the stack for one browser test: a test database with a customer, a site on
//! `<name>.localhost` (Chromium resolves `*.localhost` to this machine), an `agoat serve` process
//! (its media files in the test's own folder), chromedriver and a headless Chromium session.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agoat::tenancy::users::Role;
use agoat::tenancy::{CustomerId, SiteId};
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::Mutex;

use crate::common::TestApp;
use crate::common::http::free_port;

/// Chromium is heavy on a small machine: one browser test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

pub const PASSWORD: &str = "browser-test-password";

/// Kills a child process when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Everything one browser test needs.
pub struct Stack {
    pub app: TestApp,
    pub customer: CustomerId,
    pub site: SiteId,
    /// `http://alpha-<n>.localhost:<port>`
    pub base: String,
    pub client: Client,
    _server: Process,
    _driver: Process,
    _profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where the browser and its driver are, if installed.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())?;
    let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())?;
    Some((chromium, driver))
}

/// Starts the stack, or `None` (after saying why) when no browser is installed and none is
/// required.
pub async fn start() -> Option<Stack> {
    start_with(&[]).await
}

/// Like [`start`], with Chromium given these switches too.
pub async fn start_with(chromium_switches: &[&str]) -> Option<Stack> {
    let Some((chromium, driver)) = browser() else {
        let required = std::env::var("AGOAT_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "AGOAT_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed"
        );
        eprintln!("browser tests skipped: install chromium and chromium-driver to run them");
        return None;
    };
    let turn = ONE_AT_A_TIME.lock().await;
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let host = format!(
        "alpha-{}.localhost",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let site = app.site(customer, "Alpha Journal", &host).await;
    app.user(customer, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    app.user(customer, "owner@alpha.test", Role::Owner, PASSWORD)
        .await;
    app.user(customer, "pricing@alpha.test", Role::Pricing, PASSWORD)
        .await;

    let port = free_port();
    let server = Process(
        Command::new(env!("CARGO_BIN_EXE_agoat"))
            .args([
                "serve",
                "--no-migrate",
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .env("DATABASE_URL", &app.db.url)
            // The test's own media folder, shared with `app` (and removed with it).
            .env(
                "AGOAT_MEDIA_URL",
                format!("file://{}", app.media_dir().display()),
            )
            .env("AGOAT_SESSION_KEY", "k".repeat(64))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("agoat serve starts"),
    );
    wait_for_port(port);

    let driver_port = free_port();
    let driver = Process(
        Command::new(driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    wait_for_port(driver_port);

    let profile = TempDir(
        std::env::temp_dir().join(format!("agoat-chromium-{}", uuid::Uuid::new_v4().simple())),
    );
    let mut options = serde_json::json!({
        "binary": chromium,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-quic", "--window-size=1280,900",
            format!("--user-data-dir={}", profile.0.display()),
        ],
    });
    if let Some(args) = options["args"].as_array_mut() {
        args.extend(chromium_switches.iter().map(|s| serde_json::json!(s)));
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    let client = ClientBuilder::native()
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a Chromium session starts");
    Some(Stack {
        app,
        customer,
        site,
        base: format!("http://{host}:{port}"),
        client,
        _server: server,
        _driver: driver,
        _profile: profile,
        _turn: turn,
    })
}

/// The handle of a window that is not among `known`, waiting up to ten seconds for it to open.
pub async fn wait_for_new_window(
    stack: &Stack,
    known: &[fantoccini::wd::WindowHandle],
) -> fantoccini::wd::WindowHandle {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let windows = stack.client.windows().await.expect("windows");
        if let Some(new) = windows.into_iter().find(|w| !known.contains(w)) {
            return new;
        }
        assert!(Instant::now() < deadline, "no new window opened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Stack {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigation");
    }

    /// Types into the field found by a CSS selector (clearing it first).
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks what the CSS selector finds and waits until the page it was on has been replaced
    /// (a link followed or a form submitted).
    pub async fn click(&self, selector: &str) {
        let page = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.find(selector).await.click().await.expect("click");
        let deadline = Instant::now() + Duration::from_secs(15);
        while page.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clicking {selector} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks what the CSS selector finds when that loads no page (a radio button, an option).
    pub async fn click_in_place(&self, selector: &str) {
        self.find(selector).await.click().await.expect("click");
    }

    /// The element a CSS selector finds, waiting for it up to ten seconds.
    pub async fn find(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
    }

    pub async fn text(&self, selector: &str) -> String {
        self.find(selector).await.text().await.expect("text")
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn sign_in(&self, email: &str) {
        self.goto("/admin/login").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form.stacked button[type=submit]").await;
    }

    pub async fn finish(self) {
        let _ = self.client.close().await;
    }
}
