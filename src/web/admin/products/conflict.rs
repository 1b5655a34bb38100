//! The 409 page when a product was saved by someone else after the form was loaded: what the user
//! typed next to what is stored now, so nothing typed is lost, with two explicit choices — reload
//! (discard mine) or overwrite (resubmit mine over the current version).

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use uuid::Uuid;

use crate::error::AppResult;
use crate::thorne::products::Product;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::form::{FormView, ProductForm};
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::response;
use crate::web::site::RequestSite;

/// One field of both versions.
pub struct FieldPair {
    pub label: &'static str,
    pub mine: String,
    pub current: String,
    pub differs: bool,
}

#[derive(Template)]
#[template(path = "admin/products/conflict.html")]
pub struct ConflictPage {
    pub layout: AdminLayout,
    pub product_id: String,
    /// What the user typed, to resubmit over `current_version`.
    pub mine: FormView,
    pub fields: Vec<FieldPair>,
    pub current_version: i32,
    /// When the stored version was saved.
    pub current_updated: String,
}

fn stock(in_stock: bool) -> String {
    if in_stock { "In stock" } else { "Out of stock" }.to_owned()
}

fn pairs(mine: &FormView, current: &FormView) -> Vec<FieldPair> {
    let pair = |label, mine: &str, current: &str| FieldPair {
        label,
        differs: mine.trim() != current.trim(),
        mine: mine.to_owned(),
        current: current.to_owned(),
    };
    vec![
        pair("SKU", &mine.sku, &current.sku),
        pair("Name", &mine.name, &current.name),
        pair("Category", &mine.category, &current.category),
        pair(
            "Wholesale price",
            &mine.wholesale_price,
            &current.wholesale_price,
        ),
        pair("Retail price", &mine.retail_price, &current.retail_price),
        pair("Stock", &stock(mine.in_stock), &stock(current.in_stock)),
        pair("Description", &mine.description, &current.description),
        pair(
            "Images (ids, main first)",
            mine.images.as_deref().unwrap_or(""),
            current.images.as_deref().unwrap_or(""),
        ),
    ]
}

/// Answers 409 with both versions of the product.
pub fn respond(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    current: &Product,
    current_images: &[Uuid],
    form: &ProductForm,
) -> AppResult<HttpResponse> {
    let mut mine = FormView::of_form(form, Some(current.version), Default::default());
    let stored = FormView::of_product(current, current_images);
    if mine.images.is_none() {
        // A form without a gallery leaves it as it is.
        mine.images.clone_from(&stored.images);
    }
    let page = ConflictPage {
        layout: AdminLayout::new("Conflicting changes", site, user, session),
        product_id: current.id.to_string(),
        fields: pairs(&mine, &stored),
        mine,
        current_version: current.version,
        current_updated: display_time(current.updated_at),
    };
    response::private_page(StatusCode::CONFLICT, &page)
}
