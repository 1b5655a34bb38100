//! The two checkers every page goes through, and where the tests find them.
//!
//! - The Nu HTML Checker (`vnu.jar`, from the `vnu-jar` npm package) checks the bytes the server
//!   sent. It runs as **one HTTP service for the whole test binary** (`nu.validator.servlet.Main`
//!   on a free loopback port) that [`Checks::check_html`] POSTs each document to, rather than
//!   `java -jar vnu.jar` on files: its Java start-up (several seconds on a small machine) is paid
//!   once and overlaps the seeding, a warm service answers a page in a few tens of milliseconds,
//!   and each page is checked the moment it is fetched, so a report names the page it is about.
//!   The service is started through `sh`, which stops it when the test process's end closes its
//!   standard input: a panicking or killed test leaves no Java process behind.
//! - axe-core (`axe.min.js`, from the `axe-core` npm package) runs inside the page in Chromium:
//!   [`Checks::check_axe`] sends the library as the body of a WebDriver script (WebDriver's
//!   scripts are not the page's, so the site's Content-Security-Policy, which only allows scripts
//!   from the site itself, neither blocks them nor has to be loosened) and then runs `axe.run()`.
//!
//! Where they are: `AGOAT_VNU_JAR` and `AGOAT_AXE_JS` name the files; otherwise they are looked
//! for where `.ci/test-tools/install` puts them, `$AGOAT_TEST_TOOLS` (default
//! `~/.cache/agoat-test-tools`). `vnu.jar` runs with the `java` on `PATH` (or `AGOAT_JAVA`).
//! Without them the checks say so and are skipped, except with `AGOAT_REQUIRE_BROWSER=1` (CI),
//! where a missing checker fails the test.

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::Client;
use serde_json::Value;

use crate::common::http::free_port;

/// Nu HTML Checker errors that are not errors in what the product sends, each with the reason.
/// A message is allowed when it contains the text on the left; keep each entry as narrow as the
/// message allows.
const ALLOWED_VNU_ERRORS: &[(&str, &str)] = &[];

/// The axe-core impacts that fail a page (`minor` and `moderate` ones are left to judgement).
const FAILING_IMPACTS: &[&str] = &["serious", "critical"];

fn required() -> bool {
    std::env::var("AGOAT_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// `AGOAT_TEST_TOOLS`, or `~/.cache/agoat-test-tools`.
fn tools_folder() -> PathBuf {
    if let Some(folder) = std::env::var_os("AGOAT_TEST_TOOLS") {
        return PathBuf::from(folder);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".cache/agoat-test-tools")
}

/// The file `variable` names, or else `installed` under the tools folder; an error saying what
/// is missing and how to get it.
fn tool(variable: &str, installed: &str) -> Result<PathBuf, String> {
    let path = match std::env::var_os(variable) {
        Some(path) => PathBuf::from(path),
        None => tools_folder().join(installed),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing (set {variable}, or run .ci/test-tools/install)",
            path.display()
        ))
    }
}

/// The checkers available to this test: a checker that is missing is `None`, after saying so
/// (and failing the test when checkers are required).
pub struct Checks {
    vnu: Option<&'static VnuService>,
    axe: Option<String>,
    http: reqwest::Client,
}

impl Checks {
    /// Finds the checkers and starts the Nu HTML Checker's service (once per test binary);
    /// `None` when neither is there.
    pub fn start() -> Option<Checks> {
        Checks::find(true)
    }

    /// Finds axe-core alone ([`Checks::check_html`] reports nothing).
    pub fn accessibility_only() -> Option<Checks> {
        Checks::find(false)
    }

    fn find(html: bool) -> Option<Checks> {
        let vnu = match html.then(VnuService::shared) {
            None => None,
            Some(Ok(service)) => Some(service),
            Some(Err(why)) => {
                assert!(!required(), "AGOAT_REQUIRE_BROWSER=1 but {why}");
                eprintln!("HTML checks skipped: {why}");
                None
            }
        };
        let axe = match tool("AGOAT_AXE_JS", "node_modules/axe-core/axe.min.js")
            .and_then(|path| std::fs::read_to_string(&path).map_err(|e| format!("{path:?}: {e}")))
        {
            Ok(source) => Some(source),
            Err(why) => {
                assert!(!required(), "AGOAT_REQUIRE_BROWSER=1 but {why}");
                eprintln!("accessibility checks skipped: {why}");
                None
            }
        };
        if vnu.is_none() && axe.is_none() {
            return None;
        }
        Some(Checks {
            vnu,
            axe,
            // The checker refuses requests without a User-Agent.
            http: reqwest::Client::builder()
                .user_agent("agoat-page-checks")
                .build()
                .expect("an HTTP client"),
        })
    }

    /// The Nu HTML Checker's errors in `html` (the document at `url`), one line each with the
    /// message, the line and the extract; warnings are not reported.
    pub async fn check_html(&self, url: &str, html: &[u8]) -> Vec<String> {
        let Some(vnu) = self.vnu else {
            return Vec::new();
        };
        vnu.wait_until_ready(&self.http).await;
        let reply = self
            .http
            .post(format!("http://127.0.0.1:{}/?out=json", vnu.port))
            .header("Content-Type", "text/html; charset=utf-8")
            .body(html.to_vec())
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the Nu HTML Checker does not answer: {e}"));
        let bytes = reply.bytes().await.expect("the checker's report");
        let report: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "the checker's report is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        let messages = report["messages"].as_array().cloned().unwrap_or_default();
        messages
            .iter()
            .filter(|m| matches!(m["type"].as_str(), Some("error" | "non-document-error")))
            .filter(|m| {
                let text = m["message"].as_str().unwrap_or_default();
                !ALLOWED_VNU_ERRORS
                    .iter()
                    .any(|(allowed, _)| text.contains(allowed))
            })
            .map(|m| {
                format!(
                    "HTML error at {url} line {}: {}\n        {}",
                    m["lastLine"],
                    m["message"].as_str().unwrap_or_default(),
                    m["extract"].as_str().unwrap_or_default().replace('\n', "⏎"),
                )
            })
            .collect()
    }

    /// The serious and critical axe-core violations of the page the browser shows, one entry
    /// each with the rule, its help and the selectors of the elements that break it.
    pub async fn check_axe(&self, client: &Client) -> Vec<String> {
        let Some(axe) = &self.axe else {
            return Vec::new();
        };
        let url = client
            .current_url()
            .await
            .map_or_else(|_| String::new(), |u| u.to_string());
        let loaded = client
            .execute(&format!("{axe}\n;return typeof axe.run;"), vec![])
            .await
            .expect("axe-core loads into the page");
        assert_eq!(loaded, "function", "axe-core did not load into {url}");
        let script = r#"
            const [impacts, done] = [arguments[0], arguments[arguments.length - 1]];
            axe.run(document, { resultTypes: ['violations'] })
                .then((results) => done(results.violations
                    .map((v) => ({
                        id: v.id,
                        help: v.help,
                        helpUrl: v.helpUrl,
                        nodes: v.nodes
                            .filter((n) => impacts.includes(n.impact))
                            .map((n) => ({ impact: n.impact, target: n.target.join(' '),
                                           summary: n.failureSummary })),
                    }))
                    .filter((v) => v.nodes.length > 0)))
                .catch((e) => done({ error: String(e) }));
        "#;
        let impacts = serde_json::json!(FAILING_IMPACTS);
        let result = client
            .execute_async(script, vec![impacts])
            .await
            .expect("axe.run finishes");
        if let Some(error) = result.get("error") {
            panic!("axe.run failed on {url}: {error}");
        }
        let violations = result.as_array().cloned().unwrap_or_default();
        violations
            .iter()
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| {
                        format!(
                            "        {} ({}): {}",
                            n["target"].as_str().unwrap_or_default(),
                            n["impact"].as_str().unwrap_or_default(),
                            n["summary"].as_str().unwrap_or_default().replace('\n', " "),
                        )
                    })
                    .collect();
                format!(
                    "accessibility violation at {url}: {} — {} ({})\n{}",
                    v["id"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    v["helpUrl"].as_str().unwrap_or_default(),
                    nodes.join("\n"),
                )
            })
            .collect()
    }
}

/// The Nu HTML Checker's HTTP service, shared by every test of the binary.
struct VnuService {
    port: u16,
    /// The service's log (removed when it stops).
    log: PathBuf,
    process: Mutex<Child>,
    /// Held open until the process ends; its closing stops the service.
    _lifeline: ChildStdin,
    ready: tokio::sync::OnceCell<()>,
}

static VNU: OnceLock<Result<VnuService, String>> = OnceLock::new();

impl VnuService {
    fn shared() -> Result<&'static VnuService, String> {
        VNU.get_or_init(VnuService::start)
            .as_ref()
            .map_err(Clone::clone)
    }

    fn start() -> Result<VnuService, String> {
        let jar = tool("AGOAT_VNU_JAR", "node_modules/vnu-jar/build/dist/vnu.jar")?;
        let java = std::env::var("AGOAT_JAVA").unwrap_or_else(|_| "java".to_owned());
        let runs = Command::new(&java)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !runs {
            return Err(format!(
                "{java} does not run (install a Java runtime, or run .ci/test-tools/install)"
            ));
        }
        let port = free_port();
        let log = std::env::temp_dir().join(format!("agoat-vnu-{port}.log"));
        // `sh` runs the checker and waits for it; a second job of `sh` stops it (and removes its
        // log) when this process's end closes the pipe on standard input.
        let script = r#"log=$1; shift
            exec 3<&0
            "$@" 3<&- 2>"$log" &
            checker=$!
            { read -r _ <&3; kill "$checker" 2>/dev/null; rm -f "$log"; } &
            wait "$checker""#;
        let mut process = Command::new("sh")
            .args(["-c", script, "vnu"])
            .arg(&log)
            .args([
                &java,
                // C1 only and a serial collector: a faster start and fewer busy cores; C1's
                // frames are larger, and the schemas are deep: a larger stack.
                "-XX:TieredStopAtLevel=1",
                "-Xss16m",
                "-XX:+UseSerialGC",
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
            ])
            .arg(&jar)
            .args(["nu.validator.servlet.Main", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("the Nu HTML Checker cannot start ({java}: {e})"))?;
        let lifeline = process.stdin.take().expect("a pipe to the checker");
        Ok(VnuService {
            port,
            log,
            process: Mutex::new(process),
            _lifeline: lifeline,
            ready: tokio::sync::OnceCell::new(),
        })
    }

    /// Waits for the service to answer (its schemas take a few seconds to load).
    async fn wait_until_ready(&self, http: &reqwest::Client) {
        self.ready
            .get_or_init(|| async {
                let deadline = Instant::now() + Duration::from_secs(120);
                let url = format!("http://127.0.0.1:{}/", self.port);
                loop {
                    let last = match http.get(&url).send().await {
                        Ok(reply) if reply.status().is_success() => return,
                        Ok(reply) => format!("it answers {}", reply.status()),
                        Err(e) => format!("{e:?}"),
                    };
                    let stopped = self.process.lock().unwrap().try_wait();
                    let log = || std::fs::read_to_string(&self.log).unwrap_or_default();
                    if let Ok(Some(status)) = stopped {
                        panic!(
                            "the Nu HTML Checker stopped ({status}):\n{}",
                            last_lines(&log(), 15)
                        );
                    }
                    assert!(
                        Instant::now() < deadline,
                        "the Nu HTML Checker did not start within two minutes ({last}):\n{}",
                        last_lines(&log(), 15)
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
            .await;
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
