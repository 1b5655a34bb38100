//! Keyset pagination positions: the time and id of the last row shown, in the URL form
//! `<unix microseconds>_<uuid>`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A position in a listing ordered by a time, then an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl TimeCursor {
    /// The URL form.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.timestamp_micros(), self.id.simple())
    }

    /// Parses the URL form; `None` when it is not one.
    pub fn decode(text: &str) -> Option<TimeCursor> {
        let (micros, id) = text.split_once('_')?;
        Some(TimeCursor {
            at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let cursor = TimeCursor {
            at: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            id: Uuid::new_v4(),
        };
        assert_eq!(TimeCursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "garbage",
            "12_",
            "_abc",
            "x_3f2a",
            "99999999999999999999_00000000000000000000000000000000",
        ] {
            assert_eq!(TimeCursor::decode(bad), None, "{bad}");
        }
    }
}
