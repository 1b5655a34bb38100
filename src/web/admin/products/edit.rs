//! `GET /admin/products/{id}`: the edit form of a product of this customer, loaded with its
//! version and its gallery, with its price history, the lowest retail price of the previous 30 days
//! and its archive or restore button; also the form page that the new page, failed saves and the
//! gallery buttons render.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use bigdecimal::BigDecimal;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::error::AppResult;
use crate::tenancy::Scope;
use crate::tenancy::users::Role;
use crate::thorne::gallery;
use crate::thorne::money::format_price;
use crate::thorne::price_history::{self, PriceChange};
use crate::thorne::products::{self, Product};
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::form::{FormView, negative_margin_warning};
use crate::web::admin::products::gallery::{self as gallery_field, GalleryView};
use crate::web::admin::products::product_id;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// A stored product with what its edit page shows besides the form.
pub struct Stored {
    pub product: Product,
    /// The gallery's image ids, the main image first.
    pub images: Vec<uuid::Uuid>,
    /// Newest first, each with the name of its change set.
    pub history: Vec<(PriceChange, String)>,
    pub lowest_retail_30_days: BigDecimal,
}

/// Reads a product of the customer in scope and its price history.
pub async fn load(state: &AppState, scope: Scope, id: Uuid) -> AppResult<Stored> {
    state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let product = products::find(conn, scope, id).await?;
                let images = gallery::of_product(conn, scope, id).await?;
                let history = price_history::for_product_with_set_names(conn, scope, id).await?;
                let lowest_retail_30_days =
                    price_history::lowest_retail_30_days(conn, scope, &product, crate::db::now())
                        .await?;
                Ok(Stored {
                    product,
                    images,
                    history,
                    lowest_retail_30_days,
                })
            }
            .scope_boxed()
        })
        .await
}

/// A line of the price history.
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub wholesale: String,
    pub retail: String,
    pub reason: String,
    pub change_set: String,
    pub change_set_url: String,
}

impl HistoryRow {
    fn of(change: &PriceChange, set_name: &str, currency: &str) -> HistoryRow {
        let step = |old: &BigDecimal, new: &BigDecimal| {
            if old == new {
                format_price(new, currency)
            } else {
                format!(
                    "{} → {}",
                    format_price(old, currency),
                    format_price(new, currency)
                )
            }
        };
        HistoryRow {
            when: display_time(change.changed_at),
            who: change.changed_by_label.clone(),
            wholesale: step(&change.old_wholesale_price, &change.new_wholesale_price),
            retail: step(&change.old_retail_price, &change.new_retail_price),
            reason: change.reason.clone(),
            change_set: set_name.to_owned(),
            change_set_url: format!("/admin/products/change-sets/{}", change.change_set_id),
        }
    }
}

/// What only the edit page of a stored product shows.
pub struct StoredView {
    pub id: String,
    pub version: i32,
    pub archived: bool,
    pub history: Vec<HistoryRow>,
    pub lowest_retail_30_days: String,
    pub public_url: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/products/form.html")]
pub struct FormPage {
    pub layout: AdminLayout,
    pub heading: String,
    pub form: FormView,
    /// Where the form posts.
    pub action_url: String,
    /// The product being edited (none on the new page).
    pub stored: Option<StoredView>,
    /// The stored prices give a negative margin (shown on the form as loaded).
    pub stored_margin_warning: Option<String>,
    pub show_margin_confirmation: bool,
    pub currency: String,
    pub gallery: GalleryView,
}

impl FormPage {
    fn new(
        heading: String,
        layout: AdminLayout,
        form: FormView,
        action_url: String,
        stored: Option<(StoredView, Option<String>)>,
        currency: &str,
        gallery: GalleryView,
    ) -> FormPage {
        let (stored, stored_margin_warning) = match stored {
            Some((view, warning)) => (Some(view), warning.filter(|_| !form.errors.any())),
            None => (None, None),
        };
        FormPage {
            show_margin_confirmation: form.errors.negative_margin.is_some()
                || form.confirm_negative_margin
                || stored_margin_warning.is_some(),
            layout,
            heading,
            form,
            action_url,
            stored,
            stored_margin_warning,
            currency: currency.to_owned(),
            gallery,
        }
    }
}

/// The form page of a new product.
pub fn new_product_page(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    form: FormView,
    gallery: GalleryView,
) -> FormPage {
    FormPage::new(
        "New product".into(),
        AdminLayout::new("New product", site, user, session),
        form,
        "/admin/products".into(),
        None,
        &site.ctx.currency,
        gallery,
    )
}

/// The form page of a stored product, showing `form` (its fields, or what was typed).
pub fn edit_product_page(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    stored: &Stored,
    form: FormView,
    gallery: GalleryView,
) -> FormPage {
    let product = &stored.product;
    let currency = site.ctx.currency.as_str();
    let heading = format!("Edit “{}”", product.name);
    let view = StoredView {
        id: product.id.to_string(),
        version: product.version,
        archived: product.archived_at.is_some(),
        history: stored
            .history
            .iter()
            .map(|(change, set)| HistoryRow::of(change, set, currency))
            .collect(),
        lowest_retail_30_days: format_price(&stored.lowest_retail_30_days, currency),
        public_url: product
            .archived_at
            .is_none()
            .then(|| format!("/products/{}", product.sku)),
    };
    let warning = (product.retail_price < product.wholesale_price).then(|| {
        negative_margin_warning(&product.wholesale_price, &product.retail_price, currency)
    });
    FormPage::new(
        heading.clone(),
        AdminLayout::new(&heading, site, user, session),
        form,
        format!("/admin/products/{}", product.id),
        Some((view, warning)),
        currency,
        gallery,
    )
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let id = product_id(&path)?;
    let stored = load(&state, user.scope, id).await?;
    let form = FormView::of_product(&stored.product, &stored.images);
    let gallery = gallery_field::load(&state, user.scope, &stored.images).await?;
    response::private_page(
        StatusCode::OK,
        &edit_product_page(&site, &user, &session, &stored, form, gallery),
    )
}
