//! Customers: the tenants. A customer's row is visible only inside its own scope (and to the
//! platform's operators, whose console lists them all).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{Conn, schema::tenancy::customers};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// A customer as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub is_active: bool,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Whether public product pages show the lowest retail price of the previous 30 days.
    pub show_lowest_30_day_price: bool,
}

/// The currencies a customer can choose (ISO 4217 codes of currencies with cents).
pub const CURRENCIES: [&str; 9] = [
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "DKK",
];

/// What the owner of a customer may change in the admin settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub currency: String,
    pub show_lowest_30_day_price: bool,
}

/// Checks a customer or site name: 1–200 characters once trimmed.
pub fn valid_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid("the name must not be empty".into()));
    }
    if name.chars().count() > 200 {
        return Err(AppError::Invalid(
            "the name must be at most 200 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Creates the customer that `scope` names, with the default currency (USD).
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    name: &str,
    actor: &Actor,
) -> AppResult<Customer> {
    let name = valid_name(name)?;
    let now = crate::db::now();
    let customer: Customer = diesel::insert_into(customers::table)
        .values((
            customers::id.eq(scope.customer_uuid()),
            customers::name.eq(&name),
            customers::created_at.eq(now),
            customers::updated_at.eq(now),
        ))
        .returning(Customer::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "customer",
            entity_id: customer.id,
            action: "create",
            before: None,
            after: Some(
                json!({"name": customer.name, "currency": customer.currency, "is_active": true}),
            ),
        },
    )
    .await?;
    Ok(customer)
}

/// The customer of `scope`.
pub async fn current(mut conn: &Conn, scope: Scope) -> AppResult<Customer> {
    customers::table
        .filter(customers::id.eq(scope.customer_uuid()))
        .select(Customer::as_select())
        .first(&mut conn)
        .await
        .map_err(AppError::from)
}

/// Whether the customer of `scope` exists.
pub async fn exists(conn: &mut Conn, scope: Scope) -> AppResult<bool> {
    match current(conn, scope).await {
        Ok(_) => Ok(true),
        Err(AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Deactivates the customer of `scope`: its sites stop answering at once.
pub async fn deactivate(conn: &mut Conn, scope: Scope, actor: &Actor) -> AppResult<()> {
    set_active(conn, scope, false, actor).await
}

/// Activates or deactivates the customer of `scope` (a deactivated customer's sites answer 404);
/// nothing is recorded when it already is so.
pub async fn set_active(
    conn: &mut Conn,
    scope: Scope,
    active: bool,
    actor: &Actor,
) -> AppResult<()> {
    let customer = current(conn, scope).await?;
    if customer.is_active == active {
        return Ok(());
    }
    diesel::update(customers::table)
        .filter(customers::id.eq(scope.customer_uuid()))
        .set((
            customers::is_active.eq(active),
            customers::version.eq(customers::version + 1),
            customers::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "customer",
            entity_id: customer.id,
            action: if active { "activate" } else { "deactivate" },
            before: Some(json!({"is_active": customer.is_active})),
            after: Some(json!({"is_active": active})),
        },
    )
    .await
}

/// Renames the customer of `scope` if it is still at `version`; otherwise
/// [`AppError::Conflict`] and nothing changes.
pub async fn rename(
    conn: &mut Conn,
    scope: Scope,
    version: i32,
    name: &str,
    actor: &Actor,
) -> AppResult<Customer> {
    let name = valid_name(name)?;
    let before = current(conn, scope).await?;
    let renamed: Customer = diesel::update(customers::table)
        .filter(customers::id.eq(scope.customer_uuid()))
        .filter(customers::version.eq(version))
        .set((
            customers::name.eq(&name),
            customers::version.eq(customers::version + 1),
            customers::updated_at.eq(crate::db::now()),
        ))
        .returning(Customer::as_returning())
        .get_result(conn)
        .await
        .optional()?
        .ok_or_else(|| {
            AppError::Conflict(
                "the customer was changed by someone else since it was loaded".into(),
            )
        })?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "customer",
            entity_id: renamed.id,
            action: "rename",
            before: Some(json!({"name": before.name})),
            after: Some(json!({"name": renamed.name})),
        },
    )
    .await?;
    Ok(renamed)
}

/// Every customer, by name (a platform transaction only: in a tenant's, only its own).
pub async fn all(conn: &mut Conn) -> AppResult<Vec<Customer>> {
    customers::table
        .order((customers::name.asc(), customers::id.asc()))
        .select(Customer::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Changes the settings of the customer of `scope` if it is still at `version`; otherwise
/// [`AppError::Conflict`] and nothing changes. An unknown currency is [`AppError::Invalid`].
pub async fn update_settings(
    conn: &mut Conn,
    scope: Scope,
    version: i32,
    settings: &Settings,
    actor: &Actor,
) -> AppResult<Customer> {
    if !CURRENCIES.contains(&settings.currency.as_str()) {
        return Err(AppError::Invalid(format!(
            "the currency must be one of {}",
            CURRENCIES.join(", ")
        )));
    }
    let before = current(conn, scope).await?;
    let saved: Option<Customer> = diesel::update(customers::table)
        .filter(customers::id.eq(scope.customer_uuid()))
        .filter(customers::version.eq(version))
        .set((
            customers::currency.eq(&settings.currency),
            customers::show_lowest_30_day_price.eq(settings.show_lowest_30_day_price),
            customers::version.eq(customers::version + 1),
            customers::updated_at.eq(crate::db::now()),
        ))
        .returning(Customer::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    let saved = saved.ok_or_else(|| {
        AppError::Conflict("the settings were changed by someone else meanwhile".into())
    })?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "customer",
            entity_id: saved.id,
            action: "update_settings",
            before: Some(settings_json(&before)),
            after: Some(settings_json(&saved)),
        },
    )
    .await?;
    Ok(saved)
}

fn settings_json(customer: &Customer) -> serde_json::Value {
    json!({
        "currency": customer.currency.trim(),
        "show_lowest_30_day_price": customer.show_lowest_30_day_price,
    })
}
