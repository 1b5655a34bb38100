//! `GET /` of the operator console: every customer with its state and sites, and a form to create
//! one; `POST /customers` creates it (recorded in the new customer's audit log with the operator
//! as actor) and leads to its page.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::tenancy::{CustomerId, Scope, customers, sites};
use crate::web::auth::session as flash;
use crate::web::platform::{CurrentOperator, PlatformLayout, see_other};
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "platform/customers.html")]
pub struct CustomersPage {
    pub layout: PlatformLayout,
    pub rows: Vec<Row>,
    pub name: String,
    pub error: Option<String>,
}

/// A line of the list.
pub struct Row {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub sites: usize,
    pub created: String,
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

async fn render(
    state: &AppState,
    operator: &CurrentOperator,
    session: &Session,
    name: &str,
    error: Option<String>,
) -> AppResult<String> {
    let (all, site_counts) = state
        .db
        .platform_read(|conn| {
            async move {
                let all = customers::all(conn).await?;
                let counts = sites::count_by_customer(conn).await?;
                Ok((all, counts))
            }
            .scope_boxed()
        })
        .await?;
    let site_counts: HashMap<Uuid, usize> = site_counts.into_iter().collect();
    let rows = all
        .into_iter()
        .map(|c| Row {
            id: c.id.to_string(),
            sites: site_counts.get(&c.id).copied().unwrap_or(0),
            name: c.name,
            active: c.is_active,
            created: crate::web::pages::display_time(c.created_at),
        })
        .collect();
    response::render(&CustomersPage {
        layout: PlatformLayout::new("Customers", operator, session),
        rows,
        name: name.to_owned(),
        error,
    })
}

pub async fn page(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
) -> AppResult<HttpResponse> {
    let body = render(&state, &operator, &session, "", None).await?;
    Ok(response::private_html(body))
}

pub async fn create(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    form: web::Form<CreateForm>,
) -> AppResult<HttpResponse> {
    let id = CustomerId::new_random();
    let scope = Scope::of(id);
    let actor = &operator.actor;
    let created = state
        .db
        .tenant_tx(scope, |conn| {
            let name = &form.name;
            async move { customers::create(conn, scope, name, actor).await }.scope_boxed()
        })
        .await;
    match created {
        Ok(customer) => {
            flash::flash(&session, &format!("Customer “{}” created.", customer.name));
            Ok(see_other(&format!("/customers/{id}")))
        }
        Err(AppError::Invalid(message)) => {
            let body = render(&state, &operator, &session, &form.name, Some(message)).await?;
            Ok(response::private_html_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                body,
            ))
        }
        Err(other) => Err(other),
    }
}
