//! `/products/{sku}`: one active product — name, description, category, retail price with the
//! currency symbol (and, when the customer shows it, the lowest retail price of the previous 30
//! days), stock state. Never the wholesale price.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::thorne::money::format_price;
use crate::thorne::{price_history, products};
use crate::web::pages::Layout;
use crate::web::pages::products::category_href;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "site/product.html")]
pub struct ProductPage {
    pub layout: Layout,
    pub name: String,
    pub sku: String,
    pub description: String,
    pub category: String,
    pub category_href: String,
    pub price: String,
    /// The lowest retail price of the previous 30 days, when the customer shows it.
    pub lowest_30_day_price: Option<String>,
    pub in_stock: bool,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    sku: web::Path<String>,
) -> AppResult<HttpResponse> {
    let scope = site.ctx.scope;
    let sku = sku.into_inner();
    let show_lowest = site.ctx.show_lowest_30_day_price;
    let (product, lowest) = state
        .db
        .tenant_read(scope, |conn| {
            let sku = &sku;
            async move {
                let product = products::active_by_sku(conn, scope, sku).await?;
                let lowest = if show_lowest {
                    let now = crate::db::now();
                    let price = &product.retail_price;
                    Some(
                        price_history::lowest_retail_30_days_of(
                            conn, scope, product.id, price, now,
                        )
                        .await?,
                    )
                } else {
                    None
                };
                Ok((product, lowest))
            }
            .scope_boxed()
        })
        .await?;
    let mut layout = Layout::new(
        &site,
        &format!("{} · {}", product.name, site.ctx.site_name),
        &product.description,
        &format!("/products/{}", urlencoding::encode(&product.sku)),
    );
    layout.og_type = "product";
    let body = response::render(&ProductPage {
        layout,
        price: format_price(&product.retail_price, &site.ctx.currency),
        lowest_30_day_price: lowest.map(|low| format_price(&low, &site.ctx.currency)),
        category_href: category_href(&product.category),
        name: product.name,
        sku: product.sku,
        description: product.description,
        category: product.category,
        in_stock: product.in_stock,
    })?;
    Ok(response::html(&req, body))
}
