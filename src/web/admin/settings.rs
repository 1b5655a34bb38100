//! Customer settings under `/admin/settings` (owners): the currency prices are shown in, and
//! whether public product pages show the lowest retail price of the previous 30 days.
//!
//! A saved change is visible on the next request to this server (the host directory is
//! invalidated) and within the directory's lifetime on every other one.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::tenancy::customers::{self, CURRENCIES, Customer, Settings};
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::{see_other, version};
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(page))
        .route("/settings", web::post().to(save));
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    pub layout: AdminLayout,
    pub customer_name: String,
    pub currencies: Vec<&'static str>,
    pub currency: String,
    pub show_lowest_30_day_price: bool,
    pub version: i32,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    currency: String,
    /// Present (any value) when the box is ticked.
    show_lowest_30_day_price: Option<String>,
    version: Option<String>,
}

fn render(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    customer: &Customer,
    shown: Settings,
    error: Option<String>,
) -> AppResult<String> {
    response::render(&SettingsPage {
        layout: AdminLayout::new("Settings", site, user, session),
        customer_name: customer.name.clone(),
        currencies: CURRENCIES.to_vec(),
        currency: shown.currency,
        show_lowest_30_day_price: shown.show_lowest_30_day_price,
        version: customer.version,
        error,
    })
}

async fn load(state: &AppState, user: &CurrentUser) -> AppResult<Customer> {
    let scope = user.scope;
    state
        .db
        .tenant_read(scope, |conn| {
            async move { customers::current(conn, scope).await }.scope_boxed()
        })
        .await
}

fn stored(customer: &Customer) -> Settings {
    Settings {
        currency: customer.currency.trim().to_owned(),
        show_lowest_30_day_price: customer.show_lowest_30_day_price,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let customer = load(&state, &user).await?;
    let body = render(&site, &user, &session, &customer, stored(&customer), None)?;
    Ok(response::private_html(body))
}

pub async fn save(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<SettingsForm>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let version = version(form.version.as_deref())?;
    let wanted = Settings {
        currency: form.currency.trim().to_owned(),
        show_lowest_30_day_price: form.show_lowest_30_day_price.is_some(),
    };
    let (scope, actor) = (user.scope, user.actor.clone());
    let saved = state
        .db
        .tenant_tx(scope, |conn| {
            let (wanted, actor) = (&wanted, &actor);
            async move { customers::update_settings(conn, scope, version, wanted, actor).await }
                .scope_boxed()
        })
        .await;
    let status = match saved {
        Ok(_) => {
            state.directory.invalidate();
            session::flash(&session, "Settings saved.");
            return Ok(see_other("/admin/settings"));
        }
        Err(AppError::Invalid(message)) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            format!("{message}: the form now shows the stored settings, with your choice kept."),
        ),
        Err(other) => return Err(other),
    };
    let customer = load(&state, &user).await?;
    let body = render(&site, &user, &session, &customer, wanted, Some(status.1))?;
    Ok(response::private_html_status(status.0, body))
}
