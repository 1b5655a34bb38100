//! The request log of a real `agoat serve`: one line per request, pages rendered and pages from
//! the cache alike, with the request id the response carries, as text or (with
//! `AGOAT_LOG_FORMAT=json`) as a JSON object; `RUST_LOG` leaving the request log out leaves it
//! out.

use std::time::{Duration, Instant};

use crate::cli::Server;
use crate::common::{TestApp, two_tenants};

/// The lines of the server's log that `request_id` (an `X-Request-Id`) is named in, once the log
/// thread has written it (it is flushed as soon as its queue is empty).
fn lines_naming(server: &Server, request_id: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<String> = server
            .log_text()
            .lines()
            .filter(|line| line.contains(request_id))
            .map(str::to_owned)
            .collect();
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks for each path on alpha.test (the post twice: rendered, then from the cache) and returns
/// the request ids and statuses of the answers.
fn traffic(server: &Server) -> Vec<(String, u16, &'static str)> {
    [
        "/posts/alpha-post",
        "/posts/alpha-post",
        "/no-such-page",
        "/search?q=x",
    ]
    .into_iter()
    .map(|path| {
        let reply = server.get("alpha.test", path);
        let id = reply
            .request_id
            .unwrap_or_else(|| panic!("{path}: no X-Request-Id"));
        (id, reply.status, path)
    })
    .collect()
}

#[actix_web::test]
async fn every_request_gets_one_text_line_with_its_id() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let server = Server::start_with(&app.db, &[]);
    let answers = traffic(&server);
    assert_eq!(answers[1].1, 200);
    for (id, status, path) in &answers {
        let lines = lines_naming(&server, id);
        assert_eq!(lines.len(), 1, "{path}: {lines:?}\n{}", server.log_text());
        let line = &lines[0];
        assert!(
            line.contains(" INFO agoat::web::request_log: request "),
            "{line}"
        );
        assert!(line.contains(&format!("request_id=\"{id}\"")), "{line}");
        assert!(line.contains(" method=GET host=\"alpha.test\""), "{line}");
        let shown_path = path.split('?').next().unwrap();
        assert!(line.contains(&format!(" path=\"{shown_path}\"")), "{line}");
        assert!(
            line.contains(&format!(" status={status} micros=")),
            "{line}"
        );
    }
}

#[actix_web::test]
async fn json_lines_are_json_objects_with_the_same_fields() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let server = Server::start_with(&app.db, &[("AGOAT_LOG_FORMAT", "json")]);
    for (id, status, path) in traffic(&server) {
        let lines = lines_naming(&server, &id);
        assert_eq!(lines.len(), 1, "{path}: {lines:?}");
        let line: serde_json::Value =
            serde_json::from_str(&lines[0]).unwrap_or_else(|e| panic!("{path}: {e}: {}", lines[0]));
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "agoat::web::request_log");
        assert_eq!(line["message"], "request");
        assert_eq!(line["request_id"], id.as_str());
        assert_eq!(line["method"], "GET");
        assert_eq!(line["host"], "alpha.test");
        assert_eq!(line["path"], path.split('?').next().unwrap());
        assert_eq!(line["status"], status);
        assert!(line["micros"].is_u64(), "{line}");
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}

#[actix_web::test]
async fn rust_log_can_leave_the_request_log_out() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let server = Server::start_with(
        &app.db,
        &[("RUST_LOG", "info,agoat::web::request_log=warn")],
    );
    let answers = traffic(&server);
    // The log thread writes out what it was given as soon as its queue is empty.
    std::thread::sleep(Duration::from_millis(500));
    let log = server.log_text();
    assert!(log.contains(" INFO "), "the rest of the log is kept: {log}");
    for (id, _, path) in answers {
        assert!(!log.contains(&id), "{path}: {log}");
    }
}
