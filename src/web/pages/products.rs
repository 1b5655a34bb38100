//! `/products`: the customer's active products grouped by category, with a `?category=` filter,
//! [`PAGE_SIZE`] to a page (`?after=SKU` continues after that product). Retail prices only. Each
//! card shows the product's main image (the first of its gallery) as a small lazy `<picture>`.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use std::collections::HashMap;

use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::media::pictures::{self, Pictures};
use crate::thorne::gallery;
use crate::thorne::money::format_price;
use crate::thorne::products::{self, PublicProduct};
use crate::web::pages::Layout;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Products on one page of the listing.
pub const PAGE_SIZE: usize = 48;

#[derive(Debug, Deserialize)]
pub struct ProductsQuery {
    category: Option<String>,
    /// The SKU of the last product of the previous page.
    after: Option<String>,
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
    pub next_href: Option<String>,
}

/// The link to a category's listing.
pub fn category_href(name: &str) -> String {
    format!("/products?category={}", urlencoding::encode(name))
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    query: web::Query<ProductsQuery>,
) -> AppResult<HttpResponse> {
    let scope = site.ctx.scope;
    let category = non_empty(query.category.as_deref());
    let after = non_empty(query.after.as_deref());
    let (categories, mut listing, main_images, pictures) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let categories = products::active_categories(conn, scope).await?;
                if category.is_some_and(|c| !categories.iter().any(|known| known == c)) {
                    return Err(AppError::NotFound);
                }
                let cursor = match after {
                    Some(sku) => Some(
                        products::listing_cursor(conn, scope, sku)
                            .await?
                            .ok_or(AppError::NotFound)?,
                    ),
                    None => None,
                };
                let limit = PAGE_SIZE as i64 + 1;
                let listing =
                    products::active_listing(conn, scope, category, cursor.as_ref(), limit).await?;
                let ids: Vec<Uuid> = listing.iter().take(PAGE_SIZE).map(|p| p.id).collect();
                let main_images = gallery::main_images(conn, scope, &ids).await?;
                let media: Vec<Uuid> = main_images.values().copied().collect();
                let pictures = Pictures::load(conn, scope, &media).await?;
                Ok((categories, listing, main_images, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let more = listing.len() > PAGE_SIZE;
    listing.truncate(PAGE_SIZE);
    let name = &site.ctx.site_name;
    let (heading, first_path) = match category {
        Some(c) => (c.to_owned(), category_href(c)),
        None => ("Products".to_owned(), "/products".to_owned()),
    };
    let page_href = |sku: &str| {
        let join = if category.is_some() { '&' } else { '?' };
        format!("{first_path}{join}after={}", urlencoding::encode(sku))
    };
    let path = after.map(page_href).unwrap_or_else(|| first_path.clone());
    let next_href = listing
        .last()
        .filter(|_| more)
        .map(|last| page_href(&last.sku));
    let description = match category {
        Some(c) => format!("{c} from the Thorne range at {name}."),
        None => format!("Thorne health products available from {name}."),
    };
    let layout = Layout::new(&site, &format!("{heading} · {name}"), &description, &path);
    let body = response::render(&ProductsPage {
        layout,
        heading,
        filter: categories
            .iter()
            .map(|c| CategoryLink {
                name: c.clone(),
                href: category_href(c),
                active: Some(c.as_str()) == category,
            })
            .collect(),
        all_active: category.is_none(),
        groups: group_by_category(listing, &site.ctx.currency, &main_images, &pictures),
        first_href: after.map(|_| first_path),
        next_href,
    })?;
    Ok(response::html(&req, body))
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
