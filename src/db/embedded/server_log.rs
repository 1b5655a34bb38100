//! Reading the server's output back from `postgres.log` for error messages:
//! what this run wrote, its last lines on one line, and the pid in
//! PostgreSQL's "another postmaster" hint.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How many of the last log lines go into an error message.
const LOG_TAIL_LINES: usize = 3;

/// What the server wrote to `postgres.log` since `offset` (at most the last 64 KiB).
pub(super) fn read_log_from(path: &Path, offset: u64) -> String {
    const MAX: u64 = 64 * 1024;
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |meta| meta.len());
    let start = offset.max(len.saturating_sub(MAX));
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The last few non-empty lines, joined into one line.
pub(super) fn tail_lines(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    if lines.is_empty() {
        return "(no output)".to_owned();
    }
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join(" | ")
}

pub(super) fn last_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(str::to_owned)
}

/// The pid in PostgreSQL's "Is another postmaster (PID 123) running ..." hint.
pub(super) fn other_postmaster_pid(log: &str) -> Option<u32> {
    const MARKER: &str = "Is another postmaster (PID ";
    let start = log.rfind(MARKER)? + MARKER.len();
    let digits: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_helpers() {
        let log = "LOG: starting\n\n2024 FATAL:  lock file \"postmaster.pid\" already exists\n\
                   2024 HINT:  Is another postmaster (PID 4242) running in data directory \"/x/pg\"?\n";
        assert_eq!(other_postmaster_pid(log), Some(4242));
        assert_eq!(other_postmaster_pid("LOG: fine"), None);
        let tail = tail_lines(log);
        assert!(!tail.contains('\n'));
        assert!(tail.starts_with("LOG: starting | 2024 FATAL: lock file"));
        assert_eq!(tail_lines(""), "(no output)");
        assert_eq!(last_line("a\nb\n\n"), Some("b".to_owned()));
    }
}
