//! `/products`: the customer's active products grouped by category, with links to each category's
//! page (`category.rs`, which lists with [`listing`] too), [`PAGE_SIZE`] to a page (`?after=SKU`
//! continues after that product, `?before=SKU` goes back before it). Retail prices only. Each card
//! shows the product's main image (the first of its gallery) as a small lazy `<picture>`. The old
//! filter address `?category=Name` answers 301 to the category's page.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use std::collections::HashMap;

use uuid::Uuid;

use crate::address;
use crate::db::keyset::PageAt;
use crate::error::{AppError, AppResult};
use crate::media::pictures::{self, Pictures};
use crate::thorne::gallery;
use crate::thorne::money::format_price;
use crate::thorne::products::{self, PublicProduct};
use crate::web::pages::{Layout, category};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Products on one page of the listing.
pub const PAGE_SIZE: usize = 48;

#[derive(Debug, Deserialize)]
pub struct ProductsQuery {
    /// A category's name: the filter's old address, answered with a 301 to the category's page.
    category: Option<String>,
    /// The SKU of the last product of the previous page.
    after: Option<String>,
    /// The SKU of the first product of the next page.
    before: Option<String>,
}

pub struct CategoryLink {
    pub name: String,
    pub href: String,
    pub active: bool,
}

pub struct ProductCard {
    pub href: String,
    /// The main image's `<picture>` (safe HTML), when the product has one.
    pub picture: Option<String>,
    pub name: String,
    pub price: String,
    pub in_stock: bool,
}

pub struct CategoryGroup {
    pub name: String,
    pub products: Vec<ProductCard>,
}

#[derive(Template)]
#[template(path = "site/products.html")]
pub struct ProductsPage {
    pub layout: Layout,
    pub heading: String,
    pub filter: Vec<CategoryLink>,
    pub all_active: bool,
    pub groups: Vec<CategoryGroup>,
    /// The first page, when this is a later one.
    pub first_href: Option<String>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

/// The link to the page of the category named `name`; `None` when the name has no address form
/// that can be a path segment.
pub fn category_href(name: &str) -> Option<String> {
    let form = address::form(name);
    address::usable(&form).then(|| category::href(&form))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    query: web::Query<ProductsQuery>,
) -> AppResult<HttpResponse> {
    if let Some(name) = non_empty(query.category.as_deref()) {
        let mut location = category_href(name).ok_or(AppError::NotFound)?;
        let kept: Vec<(&str, &str)> = [("after", &query.after), ("before", &query.before)]
            .into_iter()
            .filter_map(|(key, value)| non_empty(value.as_deref()).map(|v| (key, v)))
            .collect();
        if !kept.is_empty() {
            let pairs = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish();
            location = format!("{location}?{pairs}");
        }
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((LOCATION, location))
            .insert_header((CACHE_CONTROL, "public, max-age=60"))
            .finish());
    }
    listing(
        &req,
        &state,
        &site,
        None,
        query.after.as_deref(),
        query.before.as_deref(),
    )
    .await
}

/// The page of the listing at `after` or `before` (SKUs): every active product, or those of the
/// category whose address form is `category` (the site's 404 when no active product has it). A
/// SKU the customer does not have names no place: the site's 404.
pub async fn listing(
    req: &HttpRequest,
    state: &AppState,
    site: &RequestSite,
    category: Option<&str>,
    after: Option<&str>,
    before: Option<&str>,
) -> AppResult<HttpResponse> {
    let scope = site.ctx.scope;
    let at = PageAt::from_query(after, before, |sku| Ok(sku.to_owned()))?;
    let (categories, chosen, window, main_images, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            let at = &at;
            async move {
                let categories = products::active_categories(conn, scope).await?;
                let chosen = match category {
                    Some(slug) => Some(
                        categories
                            .iter()
                            .find(|c| c.slug.as_deref() == Some(slug))
                            .cloned()
                            .ok_or(AppError::NotFound)?,
                    ),
                    None => None,
                };
                let at = match at {
                    PageAt::First => PageAt::First,
                    PageAt::After(sku) => PageAt::After(
                        products::listing_cursor(conn, scope, sku)
                            .await?
                            .ok_or(AppError::NotFound)?,
                    ),
                    PageAt::Before(sku) => PageAt::Before(
                        products::listing_cursor(conn, scope, sku)
                            .await?
                            .ok_or(AppError::NotFound)?,
                    ),
                };
                let spellings = chosen.as_ref().map(|c| c.spellings.as_slice());
                let window =
                    products::active_listing(conn, scope, spellings, &at, PAGE_SIZE).await?;
                let ids: Vec<Uuid> = window.rows.iter().map(|p| p.id).collect();
                let main_images = gallery::main_images(conn, scope, &ids).await?;
                let media: Vec<Uuid> = main_images.values().copied().collect();
                let pictures = Pictures::load(conn, scope, &media).await?;
                Ok((categories, chosen, window, main_images, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let name = &site.ctx.site_name;
    let (heading, first_path) = match (&chosen, category) {
        (Some(c), Some(slug)) => (c.name.clone(), category::href(slug)),
        _ => ("Products".to_owned(), "/products".to_owned()),
    };
    let page_href = |direction: &str, sku: &str| {
        format!("{first_path}?{direction}={}", urlencoding::encode(sku))
    };
    let path = match &at {
        PageAt::First => first_path.clone(),
        PageAt::After(sku) => page_href("after", sku),
        PageAt::Before(sku) => page_href("before", sku),
    };
    let prev_href = window.previous(|p| page_href("before", &p.sku));
    let next_href = window.next(|p| page_href("after", &p.sku));
    let description = match &chosen {
        Some(c) => format!("{} from the Thorne range at {name}.", c.name),
        None => format!("Thorne health products available from {name}."),
    };
    let mut layout = Layout::new(site, &format!("{heading} · {name}"), &description, &path)
        .with_neighbours(site, prev_href.as_deref(), next_href.as_deref());
    // Only the first page is worth indexing; the rest are reachable from it.
    layout.noindex = !at.is_first();
    let chosen_slug = chosen.as_ref().and_then(|c| c.slug.as_deref());
    let body = response::render(&ProductsPage {
        layout,
        heading,
        filter: categories
            .iter()
            .filter_map(|c| {
                let slug = c.slug.as_deref()?;
                Some(CategoryLink {
                    name: c.name.clone(),
                    href: category::href(slug),
                    active: Some(slug) == chosen_slug,
                })
            })
            .collect(),
        all_active: chosen.is_none(),
        groups: group_by_category(window.rows, &site.ctx.currency, &main_images, &pictures),
        first_href: window.has_previous.then_some(first_path.clone()),
        prev_href,
        next_href,
    })?;
    Ok(response::html(req, body))
}

/// A query parameter's value, trimmed; `None` when absent or blank.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn group_by_category(
    listing: Vec<PublicProduct>,
    currency: &str,
    main_images: &HashMap<Uuid, Uuid>,
    pictures: &Pictures,
) -> Vec<CategoryGroup> {
    let mut groups: Vec<CategoryGroup> = Vec::new();
    for product in listing {
        let card = ProductCard {
            href: format!("/products/{}", urlencoding::encode(&product.sku)),
            picture: main_images
                .get(&product.id)
                .and_then(|id| pictures.html(*id, "", pictures::PRODUCT_CARD_SIZES)),
            name: product.name,
            price: format_price(&product.retail_price, currency),
            in_stock: product.in_stock,
        };
        match groups.last_mut() {
            Some(group) if group.name == product.category => group.products.push(card),
            _ => groups.push(CategoryGroup {
                name: product.category,
                products: vec![card],
            }),
        }
    }
    groups
}
