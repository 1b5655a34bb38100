//! The page links under the admin lists (keyset pagination): to the first page, the previous one
//! and the next one, each address keeping the list's filters.

use crate::db::keyset::PageAt;

/// The links under a list; `None` where there is no such page.
pub struct PageLinks {
    /// Shown on every page but the first.
    pub first: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl PageLinks {
    /// The links of the page shown at `at`, whose neighbours end at `previous` and start at
    /// `next`; `url` makes the address of a page with the list's filters.
    pub fn new<C>(
        at: &PageAt<C>,
        previous: Option<C>,
        next: Option<C>,
        url: impl Fn(PageAt<C>) -> String,
    ) -> PageLinks {
        PageLinks {
            first: (!at.is_first()).then(|| url(PageAt::First)),
            previous: previous.map(|c| url(PageAt::Before(c))),
            next: next.map(|c| url(PageAt::After(c))),
        }
    }
}

/// Adds the page's position to the query string of a list's address.
pub fn append_position<C>(
    query: &mut form_urlencoded::Serializer<'_, String>,
    at: &PageAt<C>,
    encode: impl Fn(&C) -> String,
) {
    match at {
        PageAt::First => {}
        PageAt::After(c) => {
            query.append_pair("after", &encode(c));
        }
        PageAt::Before(c) => {
            query.append_pair("before", &encode(c));
        }
    }
}
