//! The request log's lines (one per request, see [`crate::web::request_log`]), written the way
//! tracing's formatter writes them (text or JSON, [`crate::config::init_logging`]) but formatted
//! here, by hand, into a buffer kept per thread and queued straight on the log's background
//! writer: through tracing's formatter a line cost more than answering a page from the cache.
//!
//! Only the server's log (written by a thread of its own, without colours) takes that way; every
//! other set-up (a terminal, the tests) logs the same event through tracing ([`log_with_tracing`]).
//! Either way `RUST_LOG` decides whether the line is written at all.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::OnceLock;

use tracing_appender::non_blocking::NonBlocking;

/// The target the lines are logged under (what `RUST_LOG` filters on).
pub const TARGET: &str = "agoat::web::request_log";

/// One request, as its line tells it.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub micros: u64,
    /// The error the response was made from, if any.
    pub error: Option<&'a str>,
}

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

struct Writer {
    queue: NonBlocking,
    format: Format,
}

static WRITER: OnceLock<Writer> = OnceLock::new();

std::thread_local! {
    /// The line being formatted on this thread (its capacity is kept from line to line).
    static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Writes the lines to `queue`, the log's background writer, in `format` from now on (once per
/// process; a second call changes nothing).
pub fn write_to(queue: NonBlocking, format: Format) {
    let _ = WRITER.set(Writer { queue, format });
}

/// Writes `line` unless `RUST_LOG` leaves the request log out.
pub fn write(line: &Line<'_>) {
    if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        return;
    }
    let Some(writer) = WRITER.get() else {
        return log_with_tracing(line);
    };
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        let now = chrono::Utc::now();
        let written = match writer.format {
            Format::Text => text_line(buffer, line, now),
            Format::Json => json_line(buffer, line, now),
        };
        if written.is_ok() {
            // The writer queues the line for its thread; it fails only once that thread is gone.
            let _ = writer.queue.clone().write_all(buffer.as_bytes());
        }
    });
}

/// The line as an event of tracing's (what a terminal and the tests show).
pub fn log_with_tracing(line: &Line<'_>) {
    tracing::info!(
        target: TARGET,
        request_id = line.request_id,
        method = %line.method,
        host = line.host,
        path = line.path,
        status = line.status,
        micros = line.micros,
        error = line.error,
        "request"
    );
}

type Now = chrono::DateTime<chrono::Utc>;

/// As tracing's text formatter writes the event of [`log_with_tracing`] without colours.
fn text_line(out: &mut String, line: &Line<'_>, now: Now) -> std::fmt::Result {
    crate::config::write_log_time(out, now.timestamp(), now.timestamp_subsec_micros())?;
    out.push_str("  INFO ");
    out.push_str(TARGET);
    out.push_str(": request request_id=");
    push_debug(out, line.request_id)?;
    out.push_str(" method=");
    out.push_str(line.method);
    out.push_str(" host=");
    push_debug(out, line.host)?;
    out.push_str(" path=");
    push_debug(out, line.path)?;
    write!(out, " status={} micros={}", line.status, line.micros)?;
    if let Some(error) = line.error {
        out.push_str(" error=");
        push_debug(out, error)?;
    }
    out.push('\n');
    Ok(())
}

/// As tracing's JSON formatter writes the event of [`log_with_tracing`] (`flatten_event`).
fn json_line(out: &mut String, line: &Line<'_>, now: Now) -> std::fmt::Result {
    out.push_str("{\"timestamp\":\"");
    crate::config::write_log_time(out, now.timestamp(), now.timestamp_subsec_micros())?;
    out.push_str("\",\"level\":\"INFO\",\"message\":\"request\",\"request_id\":");
    push_json(out, line.request_id);
    out.push_str(",\"method\":");
    push_json(out, line.method);
    out.push_str(",\"host\":");
    push_json(out, line.host);
    out.push_str(",\"path\":");
    push_json(out, line.path);
    write!(
        out,
        ",\"status\":{},\"micros\":{}",
        line.status, line.micros
    )?;
    if let Some(error) = line.error {
        out.push_str(",\"error\":");
        push_json(out, error);
    }
    out.push_str(",\"target\":\"");
    out.push_str(TARGET);
    out.push_str("\"}\n");
    Ok(())
}

/// `text` as `{:?}` writes it: quoted, escaped where needed.
fn push_debug(out: &mut String, text: &str) -> std::fmt::Result {
    if needs_no_escape(text) {
        push_quoted(out, text);
        Ok(())
    } else {
        write!(out, "{text:?}")
    }
}

/// `text` as a JSON string.
fn push_json(out: &mut String, text: &str) {
    if needs_no_escape(text) {
        push_quoted(out, text);
    } else {
        // Serialising a string into a String cannot fail.
        out.push_str(&serde_json::to_string(text).unwrap_or_default());
    }
}

/// Whether `text` is printable ASCII without quotes or backslashes, which `{:?}` and JSON both
/// write as it is between quotes: host and path nearly always are.
fn needs_no_escape(text: &str) -> bool {
    text.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    out.push_str(text);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::TimeZone;
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// What tracing's formatter writes, caught in memory.
    #[derive(Clone, Default)]
    struct Caught(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Caught {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Caught {
        type Writer = Caught;
        fn make_writer(&'a self) -> Caught {
            self.clone()
        }
    }

    fn at() -> Now {
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 7, 6, 30, 5)
            .unwrap()
            .checked_add_signed(chrono::TimeDelta::microseconds(42))
            .unwrap()
    }

    /// The clock of the tests' subscribers: always [`at`].
    struct FixedTime;

    impl tracing_subscriber::fmt::time::FormatTime for FixedTime {
        fn format_time(
            &self,
            w: &mut tracing_subscriber::fmt::format::Writer<'_>,
        ) -> std::fmt::Result {
            crate::config::write_log_time(w, at().timestamp(), at().timestamp_subsec_micros())
        }
    }

    fn through_tracing(line: &Line<'_>, format: Format) -> String {
        let caught = Caught::default();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_timer(FixedTime)
            .with_writer(caught.clone());
        match format {
            Format::Text => {
                tracing::subscriber::with_default(builder.finish(), || log_with_tracing(line))
            }
            Format::Json => tracing::subscriber::with_default(
                builder.json().flatten_event(true).finish(),
                || log_with_tracing(line),
            ),
        }
        String::from_utf8(caught.0.lock().unwrap().clone()).unwrap()
    }

    fn by_hand(line: &Line<'_>, format: Format) -> String {
        let mut out = String::new();
        match format {
            Format::Text => text_line(&mut out, line, at()).unwrap(),
            Format::Json => json_line(&mut out, line, at()).unwrap(),
        }
        out
    }

    fn lines() -> Vec<Line<'static>> {
        let plain = Line {
            request_id: "0887965a25b14d6daaeec261cdf0b55c",
            method: "GET",
            host: "c00048-s1.bench.test",
            path: "/posts/rethinking-mindful-iron-11",
            status: 200,
            micros: 27,
            error: None,
        };
        vec![
            plain,
            Line {
                method: "PROPFIND",
                host: "",
                path: "/a\"b\\c/\u{e9}t\u{e9}/\u{1}",
                status: 404,
                micros: 0,
                error: Some("Not found: \"x\"\n\ttab"),
                ..plain
            },
            Line {
                host: "xn--bcher-kva.example:8080",
                path: "/search?q=caf%C3%A9&page=2",
                status: 503,
                micros: u64::MAX,
                error: Some("the database kept refusing the transaction"),
                ..plain
            },
        ]
    }

    #[test]
    fn text_lines_are_those_tracing_writes() {
        for line in lines() {
            assert_eq!(
                by_hand(&line, Format::Text),
                through_tracing(&line, Format::Text)
            );
        }
    }

    #[test]
    fn json_lines_are_those_tracing_writes() {
        for line in lines() {
            let ours = by_hand(&line, Format::Json);
            assert_eq!(ours, through_tracing(&line, Format::Json));
            let parsed: serde_json::Value = serde_json::from_str(&ours).unwrap();
            assert_eq!(parsed["path"], line.path);
            assert_eq!(parsed["status"], line.status);
        }
    }
}
