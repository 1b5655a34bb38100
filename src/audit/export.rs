//! The audit log as CSV: one row per event, before/after as JSON, and every cell that a
//! spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) prefixed
//! with `'`.

use chrono::SecondsFormat;

use crate::audit::query::Event;
use crate::error::{AppError, AppResult};

/// The header row.
pub const HEADER: [&str; 9] = [
    "occurred_at",
    "actor",
    "entity",
    "entity_id",
    "action",
    "before",
    "after",
    "ip",
    "request_id",
];

/// A cell made safe to open in a spreadsheet.
pub fn safe_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Writes the header and `events` as CSV.
pub fn to_csv(events: &[Event]) -> AppResult<Vec<u8>> {
    let failed = |e: csv::Error| AppError::Internal(format!("cannot write the CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).map_err(failed)?;
    for event in events {
        let json =
            |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
        let row = [
            event
                .occurred_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            event.actor_label.clone(),
            event.entity.clone(),
            event.entity_id.to_string(),
            event.action.clone(),
            json(&event.before),
            json(&event.after),
            event.ip.clone().unwrap_or_default(),
            event.request_id.clone().unwrap_or_default(),
        ];
        writer
            .write_record(row.iter().map(|cell| safe_cell(cell)))
            .map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("cannot write the CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(text), format!("'{text}"));
        }
        assert_eq!(safe_cell("plain"), "plain");
        assert_eq!(safe_cell(""), "");
    }
}
