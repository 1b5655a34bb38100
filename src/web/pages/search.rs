//! `/search?q=…&page=…`: the site's posts and its customer's products that match the words typed
//! ([`crate::search`]), best first, [`search::PAGE_SIZE`] a page up to page [`search::MAX_PAGES`],
//! each with its title and a snippet whose matching words are marked. Posts show their date,
//! products their retail price.
//!
//! What a visitor types never fails the page: an empty query, one of operators only or of words
//! too common to count, one past the limits or with bytes that are not UTF-8 (left out) gets the
//! page with a notice; only a page number outside 1 to 10 is a 400. Results are never indexed
//! (`noindex` in the page and in `X-Robots-Tag`) and never stored (`no-store`; the page cache
//! leaves `/search` out).

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::pages;
use crate::error::{AppError, AppResult};
use crate::search::{self, Found, Kind, Query, Results, Snippet, query::MAX_CHARS};
use crate::thorne::money::format_price;
use crate::web::pages::{Layout, display_time_in, iso_time};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// One result as shown.
pub struct ResultView {
    /// `post` or `product`, for its class.
    pub kind: &'static str,
    /// `Post` or `Product`, for visitors.
    pub kind_label: &'static str,
    pub href: String,
    pub title: Snippet,
    pub snippet: Snippet,
    pub date_display: Option<String>,
    pub date_iso: Option<String>,
    pub price: Option<String>,
    pub in_stock: Option<bool>,
    /// A product's category.
    pub category: Option<Snippet>,
}

#[derive(Template)]
#[template(path = "site/search.html")]
pub struct SearchPage {
    pub layout: Layout,
    /// What was searched for (at most [`MAX_CHARS`] characters of what was typed).
    pub q: String,
    pub notices: Vec<String>,
    pub results: Vec<ResultView>,
    /// The number of the first result on the page.
    pub first_number: usize,
    /// Whether a search ran (a query with words).
    pub searched: bool,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
}

/// The parameters of the address; bytes that are not UTF-8 become U+FFFD, so reading never fails.
fn parameters(req: &HttpRequest) -> (String, Option<String>) {
    let mut q = None;
    let mut page = None;
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "q" if q.is_none() => q = Some(value.into_owned()),
            "page" if page.is_none() => page = Some(value.into_owned()),
            _ => {}
        }
    }
    (q.unwrap_or_default(), page)
}

/// The page asked for: 1 when none is given.
fn page_number(page: Option<&str>) -> AppResult<u32> {
    match page.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=search::MAX_PAGES).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "There is no such page of results: search shows pages 1 to {}.",
                    search::MAX_PAGES
                ))
            }),
    }
}

/// The address of page `page` of the search for `q`.
fn page_href(q: &str, page: u32) -> String {
    let mut href = format!("/search?q={}", urlencoding::encode(q));
    if page > 1 {
        href.push_str(&format!("&page={page}"));
    }
    href
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
) -> AppResult<HttpResponse> {
    let (typed, page) = parameters(&req);
    let page = page_number(page.as_deref())?;
    let q: String = typed.trim().chars().take(MAX_CHARS).collect();
    let query = Query::parse(typed.trim());
    let mut notices = Vec::new();
    if typed.contains('\u{FFFD}') {
        notices.push("Characters that are not text were left out of the search.".to_owned());
    }
    if query.cut {
        notices.push(format!(
            "Only the first {MAX_CHARS} characters and {} words were searched.",
            search::query::MAX_WORDS
        ));
    }
    let searched = query.has_words();
    let results = if searched {
        let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
        let query = &query;
        state
            .db
            .visitor_read(scope, |conn| {
                async move { search::search(conn, scope, site_id, query, page).await }.scope_boxed()
            })
            .await?
    } else {
        Results::default()
    };
    if !q.is_empty() && !searched {
        notices.push("Type a word to search for: letters or digits.".to_owned());
    } else if results.only_common_words {
        notices
            .push("Those words are too common to search for: try more particular ones.".to_owned());
    } else if searched && results.hits.is_empty() {
        notices.push(if page == 1 {
            "Nothing matches your search.".to_owned()
        } else {
            "There are no more results.".to_owned()
        });
    }
    let name = &site.ctx.site_name;
    let title = if q.is_empty() {
        format!("Search · {name}")
    } else {
        format!("Search: {q} · {name}")
    };
    let mut layout = Layout::new(
        &site,
        &title,
        &format!("Search the posts and products of {name}."),
        "/search",
    );
    layout.noindex = true;
    let currency = &site.ctx.currency;
    let body = response::render(&SearchPage {
        first_number: (page as usize - 1) * search::PAGE_SIZE + 1,
        previous_href: (searched && page > 1).then(|| page_href(&q, page - 1)),
        next_href: (results.more && page < search::MAX_PAGES).then(|| page_href(&q, page + 1)),
        results: results
            .hits
            .into_iter()
            .map(|hit| view(hit, currency, site.ctx.brand.time_zone))
            .collect(),
        layout,
        q,
        notices,
        searched,
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

fn view(hit: search::Hit, currency: &str, zone: chrono_tz::Tz) -> ResultView {
    let (kind, kind_label) = match hit.kind {
        Kind::Post => ("post", "Post"),
        Kind::Page => ("page", "Page"),
        Kind::Product => ("product", "Product"),
    };
    let mut view = ResultView {
        kind,
        kind_label,
        href: String::new(),
        title: hit.title,
        snippet: hit.snippet,
        date_display: None,
        date_iso: None,
        price: None,
        in_stock: None,
        category: None,
    };
    match hit.found {
        Found::Post { slug, published_at } => {
            view.href = format!("/posts/{slug}");
            view.date_display = Some(display_time_in(published_at, zone));
            view.date_iso = Some(iso_time(published_at));
        }
        Found::Page { address } => view.href = pages::href(&address),
        Found::Product {
            sku,
            category,
            retail_price,
            in_stock,
        } => {
            view.category = Some(category);
            view.href = format!("/products/{}", urlencoding::encode(&sku));
            view.price = Some(format_price(&retail_price, currency));
            view.in_stock = Some(in_stock);
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_run_from_one_to_ten() {
        assert_eq!(page_number(None).unwrap(), 1);
        assert_eq!(page_number(Some(" ")).unwrap(), 1);
        assert_eq!(page_number(Some("10")).unwrap(), 10);
        for bad in ["0", "11", "-1", "x", "1.5", "99999999999"] {
            assert!(page_number(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_links_keep_the_query() {
        assert_eq!(
            page_href("fish oil & zinc", 1),
            "/search?q=fish%20oil%20%26%20zinc"
        );
        assert_eq!(page_href("x", 3), "/search?q=x&page=3");
    }
}
