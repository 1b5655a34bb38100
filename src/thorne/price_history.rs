//! Price history: old and new wholesale and retail price of every change, who made it, when, why,
//! and the change set it belongs to; and the lowest retail price of the previous 30 days (the EU
//! Omnibus rule for announcing a price reduction).

use std::collections::HashMap;

use bigdecimal::BigDecimal;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::Conn;
use crate::db::schema::thorne::price_changes;
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;
use crate::thorne::products::{Product, active_id_by_sku};

/// One recorded change.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = price_changes)]
pub struct PriceChange {
    pub id: Uuid,
    pub product_id: Uuid,
    pub change_set_id: Uuid,
    pub old_wholesale_price: BigDecimal,
    pub new_wholesale_price: BigDecimal,
    pub old_retail_price: BigDecimal,
    pub new_retail_price: BigDecimal,
    pub reason: String,
    pub changed_by_label: String,
    pub changed_at: DateTime<Utc>,
}

/// Wholesale and retail price together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prices {
    pub wholesale: BigDecimal,
    pub retail: BigDecimal,
}

impl Prices {
    pub fn of(product: &Product) -> Prices {
        Prices {
            wholesale: product.wholesale_price.clone(),
            retail: product.retail_price.clone(),
        }
    }
}

/// What a change set did to one product: its prices before the set's first change of it and
/// after its last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetEffect {
    pub product: Uuid,
    pub before: Prices,
    pub after: Prices,
}

/// What change set `id` of the customer in scope did to each product it changed, in the order of
/// their first change.
pub async fn effects_of_set(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Vec<SetEffect>> {
    let changes: Vec<PriceChange> = price_changes::table
        .filter(price_changes::customer_id.eq(scope.customer_uuid()))
        .filter(price_changes::change_set_id.eq(id))
        .order((price_changes::changed_at.asc(), price_changes::id.asc()))
        .select(PriceChange::as_select())
        .load(conn)
        .await?;
    Ok(effects(changes))
}

/// Folds changes in time order into one effect per product.
fn effects(changes: Vec<PriceChange>) -> Vec<SetEffect> {
    let mut effects: Vec<SetEffect> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for change in changes {
        let after = Prices {
            wholesale: change.new_wholesale_price,
            retail: change.new_retail_price,
        };
        match index.get(&change.product_id) {
            Some(&i) => effects[i].after = after,
            None => {
                index.insert(change.product_id, effects.len());
                effects.push(SetEffect {
                    product: change.product_id,
                    before: Prices {
                        wholesale: change.old_wholesale_price,
                        retail: change.old_retail_price,
                    },
                    after,
                });
            }
        }
    }
    effects
}

/// Whether either price differs between two versions of a product.
pub fn prices_differ(before: &Product, after: &Product) -> bool {
    before.wholesale_price != after.wholesale_price || before.retail_price != after.retail_price
}

/// The price history of a product, newest first.
pub async fn for_product(
    conn: &mut Conn,
    scope: Scope,
    product: Uuid,
) -> AppResult<Vec<PriceChange>> {
    price_changes::table
        .filter(price_changes::customer_id.eq(scope.customer_uuid()))
        .filter(price_changes::product_id.eq(product))
        .order((price_changes::changed_at.desc(), price_changes::id.desc()))
        .select(PriceChange::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The lowest retail price in effect at any time during the 30 days before `now`: the current
/// price, and the prices before and after each change within the window.
pub async fn lowest_retail_30_days(
    conn: &mut Conn,
    scope: Scope,
    product: &Product,
    now: DateTime<Utc>,
) -> AppResult<BigDecimal> {
    lowest_retail_30_days_of(conn, scope, product.id, &product.retail_price, now).await
}

/// [`lowest_retail_30_days`] for a product known by id and current retail price.
pub async fn lowest_retail_30_days_of(
    conn: &mut Conn,
    scope: Scope,
    product: Uuid,
    current_retail: &BigDecimal,
    now: DateTime<Utc>,
) -> AppResult<BigDecimal> {
    let since = now - Duration::days(30);
    let changes: Vec<(BigDecimal, BigDecimal)> = price_changes::table
        .filter(price_changes::customer_id.eq(scope.customer_uuid()))
        .filter(price_changes::product_id.eq(product))
        .filter(price_changes::changed_at.ge(since))
        .select((
            price_changes::old_retail_price,
            price_changes::new_retail_price,
        ))
        .load(conn)
        .await?;
    Ok(lowest_retail(current_retail, changes))
}

/// The retail prices before and after each change of the active product `sku` within the 30 days
/// before `now`: with its current price, what [`lowest_retail`] takes the lowest of. Keyed by SKU
/// so that a product page can ask for it together with the product.
pub async fn retail_changes_30_days_of_sku(
    mut conn: &Conn,
    scope: Scope,
    sku: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<(BigDecimal, BigDecimal)>> {
    let since = now - Duration::days(30);
    price_changes::table
        .filter(price_changes::customer_id.eq(scope.customer_uuid()))
        .filter(price_changes::product_id.eq_any(active_id_by_sku(scope.customer_uuid(), sku)))
        .filter(price_changes::changed_at.ge(since))
        .select((
            price_changes::old_retail_price,
            price_changes::new_retail_price,
        ))
        .load(&mut conn)
        .await
        .map_err(AppError::from)
}

/// The lowest of the current retail price and the prices before and after each change.
pub fn lowest_retail(current: &BigDecimal, changes: Vec<(BigDecimal, BigDecimal)>) -> BigDecimal {
    changes
        .into_iter()
        .flat_map(|(old, new)| [old, new])
        .fold(
            current.clone(),
            |low, price| if price < low { price } else { low },
        )
}

/// Records the price changes of many products at once (those whose prices differ), in batches.
/// A price change without a change set is refused (and the caller's transaction must roll back).
pub async fn record_many(
    conn: &mut Conn,
    scope: Scope,
    change_set: Option<Uuid>,
    pairs: &[(&Product, &Product)],
    reason: &str,
    actor: &Actor,
) -> AppResult<()> {
    let changed: Vec<&(&Product, &Product)> = pairs
        .iter()
        .filter(|(before, after)| prices_differ(before, after))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let change_set = change_set
        .ok_or_else(|| AppError::Internal("a price change must belong to a change set".into()))?;
    let rows: Vec<_> = changed
        .into_iter()
        .map(|(before, after)| {
            (
                price_changes::customer_id.eq(scope.customer_uuid()),
                price_changes::id.eq(Uuid::new_v4()),
                price_changes::product_id.eq(after.id),
                price_changes::change_set_id.eq(change_set),
                price_changes::old_wholesale_price.eq(before.wholesale_price.clone()),
                price_changes::new_wholesale_price.eq(after.wholesale_price.clone()),
                price_changes::old_retail_price.eq(before.retail_price.clone()),
                price_changes::new_retail_price.eq(after.retail_price.clone()),
                price_changes::reason.eq(reason.trim().to_owned()),
                price_changes::changed_by.eq(actor.user_id.map(|u| u.as_uuid())),
                price_changes::changed_by_label.eq(actor.label.clone()),
                price_changes::changed_at.eq(after.updated_at),
            )
        })
        .collect();
    for batch in rows.chunks(4_000) {
        diesel::insert_into(price_changes::table)
            .values(batch.to_vec())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The price history of a product, newest first, each change with the name of its change set.
pub async fn for_product_with_set_names(
    conn: &mut Conn,
    scope: Scope,
    product: Uuid,
) -> AppResult<Vec<(PriceChange, String)>> {
    use crate::db::schema::thorne::change_sets;
    let changes = for_product(conn, scope, product).await?;
    let mut set_ids: Vec<Uuid> = changes.iter().map(|c| c.change_set_id).collect();
    set_ids.sort_unstable();
    set_ids.dedup();
    let names: Vec<(Uuid, String)> = change_sets::table
        .filter(change_sets::customer_id.eq(scope.customer_uuid()))
        .filter(change_sets::id.eq_any(&set_ids))
        .select((change_sets::id, change_sets::name))
        .load(conn)
        .await?;
    Ok(changes
        .into_iter()
        .map(|change| {
            let name = names
                .iter()
                .find(|(id, _)| *id == change.change_set_id)
                .map(|(_, name)| name.clone())
                .unwrap_or_default();
            (change, name)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn price(text: &str) -> BigDecimal {
        BigDecimal::from_str(text).unwrap()
    }

    #[test]
    fn the_lowest_is_taken_over_the_current_price_and_both_sides_of_each_change() {
        assert_eq!(lowest_retail(&price("18.00"), Vec::new()), price("18.00"));
        let changes = vec![
            (price("18.00"), price("16.50")),
            (price("16.50"), price("21.50")),
        ];
        assert_eq!(lowest_retail(&price("21.50"), changes), price("16.50"));
        let cut_now = vec![(price("18.00"), price("12.005"))];
        assert_eq!(lowest_retail(&price("12.005"), cut_now), price("12.005"));
    }
}
