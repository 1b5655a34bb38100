//! Keyset pagination: positions as the time and id of a row, in the URL form
//! `<unix microseconds>_<uuid>`; which page of a listing to read relative to such a position
//! (the first, the one after it, the one before it); and how the rows read make a page that knows
//! whether pages come before and after it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

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

/// Which page of a keyset listing to show, relative to a row of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageAt<C> {
    /// The start of the listing.
    #[default]
    First,
    /// The rows that follow this position in the listing's order.
    After(C),
    /// The rows just before this position: read in reverse order from it, then turned around.
    Before(C),
}

impl<C> PageAt<C> {
    /// The page an address asks for with its `after` and `before` parameters (empty ones count
    /// as absent). A position `decode` refuses, or both parameters at once, is a 400.
    pub fn from_query(
        after: Option<&str>,
        before: Option<&str>,
        decode: impl Fn(&str) -> AppResult<C>,
    ) -> AppResult<PageAt<C>> {
        fn given(text: Option<&str>) -> Option<&str> {
            text.map(str::trim).filter(|t| !t.is_empty())
        }
        match (given(after), given(before)) {
            (None, None) => Ok(PageAt::First),
            (Some(after), None) => Ok(PageAt::After(decode(after)?)),
            (None, Some(before)) => Ok(PageAt::Before(decode(before)?)),
            (Some(_), Some(_)) => Err(AppError::BadRequest(
                "the address asks for the pages after and before a row at once".into(),
            )),
        }
    }

    /// Whether the rows are read against the listing's order (the page before a position).
    pub fn reversed(&self) -> bool {
        matches!(self, PageAt::Before(_))
    }

    /// Whether this is the start of the listing.
    pub fn is_first(&self) -> bool {
        matches!(self, PageAt::First)
    }
}

/// One page of a listing, in the listing's order, and whether rows come before and after it.
#[derive(Debug, Clone)]
pub struct Window<T> {
    pub rows: Vec<T>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl<T> Window<T> {
    /// The page of `size` rows made from those read for `at`: up to `size + 1` rows in reading
    /// order (away from the position), the extra one only telling that there are more.
    pub fn of<C>(at: &PageAt<C>, mut rows: Vec<T>, size: usize) -> Window<T> {
        let more = rows.len() > size;
        rows.truncate(size);
        if at.reversed() {
            rows.reverse();
        }
        let (has_previous, has_next) = match at {
            PageAt::First => (false, more),
            PageAt::After(_) => (true, more),
            PageAt::Before(_) => (more, true),
        };
        Window {
            rows,
            has_previous,
            has_next,
        }
    }

    /// Where the previous page ends: the position of the first row, when there is one before it.
    pub fn previous<C>(&self, position: impl Fn(&T) -> C) -> Option<C> {
        self.rows
            .first()
            .filter(|_| self.has_previous)
            .map(position)
    }

    /// Where the next page starts: the position of the last row, when there is one after it.
    pub fn next<C>(&self, position: impl Fn(&T) -> C) -> Option<C> {
        self.rows.last().filter(|_| self.has_next).map(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of 3 over the listing 1..=8, read as a database would for `at`.
    fn page(at: PageAt<i32>) -> Window<i32> {
        let all: Vec<i32> = (1..=8).collect();
        let read: Vec<i32> = match at {
            PageAt::First => all.into_iter().take(4).collect(),
            PageAt::After(c) => all.into_iter().filter(|r| *r > c).take(4).collect(),
            PageAt::Before(c) => all.into_iter().rev().filter(|r| *r < c).take(4).collect(),
        };
        Window::of(&at, read, 3)
    }

    #[test]
    fn pages_walk_forward_and_back_to_the_same_rows() {
        let first = page(PageAt::First);
        assert_eq!(
            (first.rows.clone(), first.has_previous),
            (vec![1, 2, 3], false)
        );
        let second = page(PageAt::After(first.next(|r| *r).unwrap()));
        assert_eq!(second.rows, [4, 5, 6]);
        let third = page(PageAt::After(second.next(|r| *r).unwrap()));
        assert_eq!((third.rows.clone(), third.next(|r| *r)), (vec![7, 8], None));
        let back = page(PageAt::Before(third.previous(|r| *r).unwrap()));
        assert_eq!(back.rows, second.rows);
        let start = page(PageAt::Before(back.previous(|r| *r).unwrap()));
        assert_eq!(start.previous(|r| *r), None);
        assert_eq!(start.rows, [1, 2, 3]);
    }

    #[test]
    fn the_address_names_one_direction() {
        let decode = |t: &str| {
            t.parse::<i32>()
                .map_err(|_| AppError::BadRequest("bad".into()))
        };
        assert_eq!(
            PageAt::from_query(None, Some(" "), decode).unwrap(),
            PageAt::First
        );
        assert_eq!(
            PageAt::from_query(Some("4"), None, decode).unwrap(),
            PageAt::After(4)
        );
        assert_eq!(
            PageAt::from_query(Some(""), Some("4"), decode).unwrap(),
            PageAt::Before(4)
        );
        assert!(PageAt::from_query(Some("4"), Some("5"), decode).is_err());
        assert!(PageAt::from_query(None, Some("x"), decode).is_err());
    }

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
