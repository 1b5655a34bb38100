//! `/products/{sku}`: one active product — name, description, category, retail price with the
//! currency symbol (and, when the customer shows it, the lowest retail price of the previous 30
//! days), stock state, its main image large and the rest of its gallery below (each linking to its
//! widest file); the main image is also the page's `og:image`. The category links to its page.
//! A schema.org `Product` with its `Offer` (the retail price as an exact decimal, the currency,
//! the stock state) tells search engines the same. Never the wholesale price.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::db::Conn;
use crate::error::AppResult;
use crate::media::pictures::{self, Loading, Pictures};
use crate::thorne::money::{decimal_string, format_price};
use crate::thorne::{gallery, price_history, products};
use crate::web::pages::products::category_href;
use crate::web::pages::{Layout, ShareImage};
use crate::web::site::RequestSite;
use crate::web::{AppState, json_ld, response};

#[derive(Template)]
#[template(path = "site/product.html")]
pub struct ProductPage {
    pub layout: Layout,
    pub name: String,
    pub sku: String,
    pub description: String,
    pub category: String,
    /// The category's page (none for a name without an address form).
    pub category_href: Option<String>,
    pub price: String,
    /// The lowest retail price of the previous 30 days, when the customer shows it.
    pub lowest_30_day_price: Option<String>,
    pub in_stock: bool,
    /// The main image, large.
    pub main_image: Option<Figure>,
    /// The other images of the gallery, in order.
    pub gallery: Vec<Figure>,
}

/// An image of the product: its `<picture>` (safe HTML), the address of its widest file and its
/// caption.
pub struct Figure {
    pub picture: String,
    pub full_size: String,
    pub caption: String,
}

/// The figures of the images `ids` that are loaded, in order (the first as the main image).
fn figures(pictures: &Pictures, ids: &[uuid::Uuid]) -> Vec<Figure> {
    ids.iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let (media, files) = pictures.with_files(*id)?;
            let (sizes, loading) = if i == 0 {
                (pictures::MAIN_SIZES, Loading::Eager)
            } else {
                (pictures::GALLERY_SIZES, Loading::Lazy)
            };
            let picture =
                pictures::picture_html_with(media, files, &media.alt_text, sizes, loading)?;
            Some(Figure {
                picture,
                full_size: pictures::path(pictures::widest_own_file(media, files)?),
                caption: media.caption.clone(),
            })
        })
        .collect()
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
    let (product, lowest, images, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            let sku = &sku;
            async move {
                // The product, its price changes and its gallery in one flight; the gallery's
                // images in a second when it has any.
                let now = crate::db::now();
                let conn: &Conn = conn;
                let changes = async {
                    if show_lowest {
                        price_history::retail_changes_30_days_of_sku(conn, scope, sku, now)
                            .await
                            .map(Some)
                    } else {
                        Ok(None)
                    }
                };
                let (product, changes, images) = futures_util::try_join!(
                    products::active_by_sku(conn, scope, sku),
                    changes,
                    gallery::of_active_product_sku(conn, scope, sku),
                )?;
                let lowest = changes
                    .map(|changes| price_history::lowest_retail(&product.retail_price, changes));
                let pictures = Pictures::load(conn, scope, &images).await?;
                Ok((product, lowest, images, pictures))
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
    let mut figures = figures(&pictures, &images).into_iter();
    let main_image = figures.next();
    let own_image = images
        .first()
        .and_then(|id| pictures.with_files(*id))
        .and_then(|(media, files)| ShareImage::of(&site, media, files));
    let image_url = own_image.as_ref().map(|image| image.url.clone());
    layout = layout.with_own_image(own_image);
    let price = decimal_string(&product.retail_price);
    let data = json_ld::product(&json_ld::Offered {
        name: &product.name,
        sku: &product.sku,
        description: &product.description,
        category: &product.category,
        url: &layout.canonical,
        image: image_url.as_deref(),
        price: &price,
        currency: &site.ctx.currency,
        in_stock: product.in_stock,
    });
    layout.json_ld = Some(json_ld::script_text(&data));
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
        main_image,
        gallery: figures.collect(),
    })?;
    Ok(response::html(&req, body))
}
