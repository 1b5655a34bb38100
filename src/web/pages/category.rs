//! `/products/category/{category}`: the customer's active products of one category, in the
//! catalog's order, in pages like `/products` (`?after=SKU`, `?before=SKU`). Any spelling of the
//! category's name answers 301 to its address form (`/products/category/Amino%20Acids` →
//! `/products/category/amino-acids`); a category without active products is the site's 404.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::address;
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::pages::{address_form, products};
use crate::web::site::RequestSite;

/// The address of the page of the category whose address form is `slug`.
pub fn href(slug: &str) -> String {
    format!("/products/category/{}", address::segment(slug))
}

#[derive(Debug, Deserialize)]
pub struct CategoryQuery {
    after: Option<String>,
    before: Option<String>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    segment: web::Path<String>,
    query: web::Query<CategoryQuery>,
) -> AppResult<HttpResponse> {
    let slug = match address_form(&req, &segment, href)? {
        Ok(slug) => slug,
        Err(moved) => return Ok(moved),
    };
    products::listing(
        &req,
        &state,
        &site,
        Some(&slug),
        query.after.as_deref(),
        query.before.as_deref(),
    )
    .await
}
