//! Bulk price changes: selecting active products (by category, by search or by a list of SKUs),
//! computing their new prices exactly, previewing them as a [`Plan`] and applying that plan as one
//! change set.
//!
//! Arithmetic is `BigDecimal` from the user's text to the stored value; no float is involved.
//! Every price the change sets is rounded with the chosen [`Rounding`]:
//! - [`Rounding::Cent`]: to the cent, half up (`1.005` → `1.01`, `1.00499` → `1.00`);
//! - [`Rounding::End99`] / [`Rounding::End95`]: to the nearest price ending in `.99` (`.95`), a
//!   tie going up (`10.49` → `10.99`). A result below the lowest such price (`0.99` / `0.95`)
//!   becomes that lowest price, except an exact `0`, which stays `0` (a free product stays free).
//!
//! A rounded result below 0 or above [`MAX_PRICE`] is an error for that product: it is shown in
//! the preview, and the change cannot be applied while any exists.

use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{Conn, schema::thorne::products};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;
use crate::thorne::change_sets::{self, Kind};
use crate::thorne::products::{Edit, Product};

/// The highest price `NUMERIC(10,2)` holds.
pub const MAX_PRICE: &str = "99999999.99";

/// The most SKUs one list may name.
pub const MAX_SKUS: usize = 10_000;

/// What the preview shows when the catalog moved between preview and apply.
pub const CATALOG_CHANGED: &str = "the catalog changed since the preview";

/// Which active products a change applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every active product of this category.
    Category(String),
    /// Active products whose name or SKU contains this text, any case.
    Search(String),
    /// Active products with one of these SKUs (exact).
    Skus(Vec<String>),
}

impl Selection {
    fn describe(&self) -> serde_json::Value {
        match self {
            Selection::Category(category) => json!({ "category": category }),
            Selection::Search(search) => json!({ "search": search }),
            Selection::Skus(skus) => json!({ "skus": skus }),
        }
    }
}

/// How each selected price changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Up by this percent.
    Raise(BigDecimal),
    /// Down by this percent.
    Lower(BigDecimal),
    /// Plus this amount.
    Add(BigDecimal),
    /// Minus this amount.
    Subtract(BigDecimal),
    /// Exactly this amount.
    Set(BigDecimal),
    /// Retail becomes wholesale times this factor.
    Markup(BigDecimal),
}

impl Operation {
    /// The name used in forms and the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Operation::Raise(_) => "raise",
            Operation::Lower(_) => "lower",
            Operation::Add(_) => "add",
            Operation::Subtract(_) => "subtract",
            Operation::Set(_) => "set",
            Operation::Markup(_) => "markup",
        }
    }

    fn value(&self) -> &BigDecimal {
        match self {
            Operation::Raise(v)
            | Operation::Lower(v)
            | Operation::Add(v)
            | Operation::Subtract(v)
            | Operation::Set(v)
            | Operation::Markup(v) => v,
        }
    }

    /// The exact result for `price` of a product whose wholesale price is `wholesale`.
    fn exact(&self, price: &BigDecimal, wholesale: &BigDecimal) -> BigDecimal {
        let hundredth = BigDecimal::new(1.into(), 2);
        let hundred = BigDecimal::from(100);
        match self {
            Operation::Raise(percent) => price * (&hundred + percent) * hundredth,
            Operation::Lower(percent) => price * (&hundred - percent) * hundredth,
            Operation::Add(amount) => price + amount,
            Operation::Subtract(amount) => price - amount,
            Operation::Set(amount) => amount.clone(),
            Operation::Markup(factor) => wholesale * factor,
        }
    }
}

/// Which price an operation changes. A markup always changes the retail price only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Retail,
    Wholesale,
    Both,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Retail => "retail",
            Target::Wholesale => "wholesale",
            Target::Both => "both",
        }
    }

    fn retail(self) -> bool {
        matches!(self, Target::Retail | Target::Both)
    }

    fn wholesale(self) -> bool {
        matches!(self, Target::Wholesale | Target::Both)
    }
}

/// How a computed price is rounded (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    Cent,
    End99,
    End95,
}

impl Rounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Cent => "cent",
            Rounding::End99 => "99",
            Rounding::End95 => "95",
        }
    }

    /// Rounds an exact, non-negative amount to a price.
    pub fn apply(self, exact: &BigDecimal) -> BigDecimal {
        match self {
            Rounding::Cent => exact.with_scale_round(2, RoundingMode::HalfUp),
            Rounding::End99 => nearest_ending(exact, BigDecimal::new(99.into(), 2)),
            Rounding::End95 => nearest_ending(exact, BigDecimal::new(95.into(), 2)),
        }
    }
}

/// The price `n + ending` (n a whole number ≥ 0) nearest to `exact`, a tie going up; `0` stays
/// `0` and anything else below `ending` becomes `ending`.
fn nearest_ending(exact: &BigDecimal, ending: BigDecimal) -> BigDecimal {
    if exact.is_zero() {
        return BigDecimal::from(0).with_scale(2);
    }
    let below = (exact - &ending).with_scale_round(0, RoundingMode::Floor) + &ending;
    let above = &below + BigDecimal::from(1);
    let chosen = if below.sign() == bigdecimal::num_bigint::Sign::Minus {
        above
    } else if exact - &below < &above - exact {
        below
    } else {
        above
    };
    chosen.with_scale(2)
}

/// Why a product cannot get its new price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the new price would be below 0")]
    Negative,
    #[error("the new price would be above 99999999.99")]
    TooLarge,
}

/// The rounded result of `operation` on `price` (the wholesale price is `wholesale`).
pub fn new_price(
    operation: &Operation,
    rounding: Rounding,
    price: &BigDecimal,
    wholesale: &BigDecimal,
) -> Result<BigDecimal, PriceError> {
    let exact = operation.exact(price, wholesale);
    if exact.sign() == bigdecimal::num_bigint::Sign::Minus {
        return Err(PriceError::Negative);
    }
    let rounded = rounding.apply(&exact);
    if rounded > max_price() {
        return Err(PriceError::TooLarge);
    }
    Ok(rounded)
}

fn max_price() -> BigDecimal {
    BigDecimal::from_str(MAX_PRICE).expect("the maximum price is a decimal")
}

/// A whole bulk change: which products, what happens to which of their prices, and the rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkChange {
    pub selection: Selection,
    pub operation: Operation,
    pub target: Target,
    pub rounding: Rounding,
}

impl BulkChange {
    /// The new wholesale and retail price of `product`.
    pub fn prices_of(&self, product: &Product) -> Result<(BigDecimal, BigDecimal), PriceError> {
        let (wholesale, retail) = (&product.wholesale_price, &product.retail_price);
        let markup = matches!(self.operation, Operation::Markup(_));
        let change =
            |price: &BigDecimal| new_price(&self.operation, self.rounding, price, wholesale);
        let new_wholesale = if self.target.wholesale() && !markup {
            change(wholesale)?
        } else {
            wholesale.clone()
        };
        let new_retail = if self.target.retail() || markup {
            change(retail)?
        } else {
            retail.clone()
        };
        Ok((new_wholesale, new_retail))
    }

    /// The parameters, as the audit log keeps them.
    fn describe(&self) -> serde_json::Value {
        json!({
            "selection": self.selection.describe(),
            "operation": self.operation.as_str(),
            "value": self.operation.value().to_string(),
            "target": if matches!(self.operation, Operation::Markup(_)) { "retail" } else { self.target.as_str() },
            "rounding": self.rounding.as_str(),
        })
    }
}

/// Why a percent or a factor was refused; the text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("a number is required")]
    Empty,
    #[error("use digits with an optional dot, e.g. 10 or 2.5")]
    Malformed,
    #[error("at most four decimals")]
    TooPrecise,
    #[error("no sign: choose raise or lower instead")]
    Signed,
    #[error("must be more than 0")]
    Zero,
    #[error("at most 1000")]
    TooLarge,
}

/// Parses a positive decimal of at most four decimals and at most 1000: `10`, `2.5`, ` 10 `.
/// Refuses signs, exponents (`1e3`), `NaN`, commas and an empty value.
fn parse_positive(text: &str) -> Result<BigDecimal, NumberError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    if text.starts_with('-') || text.starts_with('+') {
        return Err(NumberError::Signed);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(NumberError::Malformed);
    }
    if fraction.is_some_and(|f| f.len() > 4) {
        return Err(NumberError::TooPrecise);
    }
    if whole.trim_start_matches('0').len() > 4 {
        return Err(NumberError::TooLarge);
    }
    let value = BigDecimal::from_str(text).map_err(|_| NumberError::Malformed)?;
    if value.is_zero() {
        return Err(NumberError::Zero);
    }
    if value > 1000 {
        return Err(NumberError::TooLarge);
    }
    Ok(value)
}

/// Parses a percent: a positive number (`10`, `2.5`), optionally followed by `%`.
pub fn parse_percent(text: &str) -> Result<BigDecimal, NumberError> {
    let text = text.trim();
    parse_positive(text.strip_suffix('%').unwrap_or(text))
}

/// Parses a markup factor: a positive number such as `1.8`.
pub fn parse_factor(text: &str) -> Result<BigDecimal, NumberError> {
    parse_positive(text)
}

/// Splits a pasted SKU list on whitespace, commas and semicolons; no duplicates, in order.
pub fn split_skus(text: &str) -> Vec<String> {
    let mut skus: Vec<String> = Vec::new();
    for sku in text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
    {
        if !skus.iter().any(|s| s == sku) {
            skus.push(sku.to_owned());
        }
    }
    skus
}

/// One product whose prices change.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    /// The product as read.
    pub product: Product,
    pub new_wholesale: BigDecimal,
    pub new_retail: BigDecimal,
}

impl PlannedChange {
    /// Retail minus wholesale after the change.
    pub fn margin(&self) -> BigDecimal {
        &self.new_retail - &self.new_wholesale
    }

    /// The margin as a percent of the new retail price, one decimal; none for a free product.
    pub fn margin_percent(&self) -> Option<BigDecimal> {
        if self.new_retail.is_zero() {
            return None;
        }
        Some(
            (self.margin() * BigDecimal::from(100) / &self.new_retail)
                .with_scale_round(1, RoundingMode::HalfUp),
        )
    }

    /// Whether the product would sell below its wholesale price.
    pub fn negative_margin(&self) -> bool {
        self.new_retail < self.new_wholesale
    }
}

/// A product the change cannot be applied to.
#[derive(Debug, Clone)]
pub struct PlannedError {
    pub product: Product,
    pub error: PriceError,
}

/// A hash over the id, version and new prices of every selected product: what the preview showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The hex form carried by the apply form; anything else is a bad request.
    pub fn parse(text: &str) -> AppResult<Fingerprint> {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Fingerprint(text.to_ascii_lowercase()))
        } else {
            Err(AppError::BadRequest(
                "the form carries no valid preview fingerprint".into(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a bulk change would do, computed without writing anything.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Products whose prices change, by SKU.
    pub changes: Vec<PlannedChange>,
    /// Products whose new price would be out of range.
    pub errors: Vec<PlannedError>,
    /// Selected products whose prices stay the same.
    pub unchanged: usize,
    /// SKUs of the list that are not active products of the customer.
    pub not_found: Vec<String>,
    pub fingerprint: Fingerprint,
}

impl Plan {
    /// How many products would sell below their wholesale price.
    pub fn negative_margins(&self) -> usize {
        self.changes.iter().filter(|c| c.negative_margin()).count()
    }

    /// Whether the change can be applied as it is (confirmation of negative margins aside).
    pub fn applicable(&self) -> bool {
        self.errors.is_empty() && !self.changes.is_empty()
    }
}

/// The selected active products of the customer in scope, by SKU, in one query.
async fn selected(conn: &mut Conn, scope: Scope, selection: &Selection) -> AppResult<Vec<Product>> {
    let mut query = products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .filter(products::archived_at.is_null())
        .select(Product::as_select())
        .order((products::sku.asc(), products::id.asc()))
        .into_boxed();
    query = match selection {
        Selection::Category(category) => query.filter(products::category.eq(category.clone())),
        Selection::Search(search) => {
            let pattern = crate::db::like_contains(search.trim());
            query.filter(
                products::name
                    .ilike(pattern.clone())
                    .or(products::sku.ilike(pattern)),
            )
        }
        Selection::Skus(skus) => query.filter(products::sku.eq_any(skus.clone())),
    };
    query.load(conn).await.map_err(AppError::from)
}

/// Computes the plan of `change` over `found`, the selected products.
pub fn plan_of(change: &BulkChange, found: Vec<Product>) -> Plan {
    let mut hasher = Sha256::new();
    let mut plan = Plan {
        changes: Vec::new(),
        errors: Vec::new(),
        unchanged: 0,
        not_found: match &change.selection {
            Selection::Skus(skus) => skus
                .iter()
                .filter(|sku| !found.iter().any(|p| &p.sku == *sku))
                .cloned()
                .collect(),
            _ => Vec::new(),
        },
        fingerprint: Fingerprint(String::new()),
    };
    for product in found {
        match change.prices_of(&product) {
            Ok((new_wholesale, new_retail)) => {
                hasher.update(format!(
                    "{}|{}|{}|{}\n",
                    product.id, product.version, new_wholesale, new_retail
                ));
                if new_wholesale == product.wholesale_price && new_retail == product.retail_price {
                    plan.unchanged += 1;
                } else {
                    plan.changes.push(PlannedChange {
                        product,
                        new_wholesale,
                        new_retail,
                    });
                }
            }
            Err(error) => {
                hasher.update(format!("{}|{}|{error}\n", product.id, product.version));
                plan.errors.push(PlannedError { product, error });
            }
        }
    }
    plan.fingerprint = Fingerprint(hex::encode(hasher.finalize()));
    plan
}

/// What `change` would do to the customer's catalog now. Reads only.
pub async fn plan(conn: &mut Conn, scope: Scope, change: &BulkChange) -> AppResult<Plan> {
    let found = selected(conn, scope, &change.selection).await?;
    Ok(plan_of(change, found))
}

/// What a bulk change is applied as: the change set's name, the reason recorded with each price
/// change, and whether negative margins were confirmed.
#[derive(Debug, Clone, Copy)]
pub struct Approval<'a> {
    pub name: &'a str,
    pub reason: &'a str,
    pub confirm_negative: bool,
}

/// Applies `change` if the catalog still gives the plan the preview showed (`expected`); otherwise
/// [`AppError::Conflict`] with [`CATALOG_CHANGED`] and nothing changes. Opens one bulk change set,
/// saves every changed product through [`crate::thorne::products::save_many`] (version checks,
/// price history, audit) and records one audit event for the set. Call inside one transaction;
/// returns the id of the change set.
pub async fn apply(
    conn: &mut Conn,
    scope: Scope,
    change: &BulkChange,
    expected: &Fingerprint,
    approval: Approval<'_>,
    actor: &Actor,
) -> AppResult<Uuid> {
    if approval.name.trim().is_empty() {
        return Err(AppError::Invalid("a change set name is required".into()));
    }
    let plan = plan(conn, scope, change).await?;
    if plan.fingerprint != *expected {
        return Err(AppError::Conflict(CATALOG_CHANGED.into()));
    }
    if !plan.errors.is_empty() {
        return Err(AppError::Invalid(format!(
            "{} product(s) would get a price below 0 or above {MAX_PRICE}",
            plan.errors.len()
        )));
    }
    if plan.changes.is_empty() {
        return Err(AppError::Invalid("no price would change".into()));
    }
    if plan.negative_margins() > 0 && !approval.confirm_negative {
        return Err(AppError::Invalid(format!(
            "{} product(s) would sell below their wholesale price: confirm to apply",
            plan.negative_margins()
        )));
    }
    let set = change_sets::open(conn, scope, Kind::Bulk, approval.name, actor).await?;
    let pairs: Vec<(Product, Product)> = plan
        .changes
        .iter()
        .map(|c| {
            let mut changed = c.product.clone();
            changed.wholesale_price = c.new_wholesale.clone();
            changed.retail_price = c.new_retail.clone();
            (c.product.clone(), changed)
        })
        .collect();
    let edit = Edit {
        action: "bulk_price_change",
        change_set: Some(set.id),
        reason: approval.reason,
    };
    crate::thorne::products::save_many(conn, scope, &pairs, edit, actor).await?;
    let mut after = change.describe();
    after["name"] = json!(set.name);
    after["reason"] = json!(approval.reason.trim());
    after["products"] = json!(pairs.len());
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "change_set",
            entity_id: set.id,
            action: "bulk_price_change",
            before: None,
            after: Some(after),
        },
    )
    .await?;
    Ok(set.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> BigDecimal {
        BigDecimal::from_str(text).unwrap()
    }

    /// A price as text with exactly two decimals, checking that it has no more.
    fn cents(value: &BigDecimal) -> String {
        assert!(
            value.fractional_digit_count() <= 2,
            "{value} has more than cents"
        );
        let rounded = value.with_scale(2);
        if rounded.is_zero() {
            "0.00".to_owned()
        } else {
            rounded.to_string()
        }
    }

    fn price(op: Operation, rounding: Rounding, old: &str) -> Result<String, PriceError> {
        new_price(&op, rounding, &d(old), &d("10.00")).map(|p| cents(&p))
    }

    #[test]
    fn each_operation_both_directions() {
        let cases = [
            (Operation::Raise(d("10")), "18.00", "19.80"),
            (Operation::Raise(d("2.5")), "18.00", "18.45"),
            (Operation::Lower(d("10")), "18.00", "16.20"),
            (Operation::Lower(d("2.5")), "18.00", "17.55"),
            (Operation::Lower(d("100")), "18.00", "0.00"),
            (Operation::Add(d("1.25")), "18.00", "19.25"),
            (Operation::Subtract(d("1.25")), "18.00", "16.75"),
            (Operation::Subtract(d("18.00")), "18.00", "0.00"),
            (Operation::Set(d("7.5")), "18.00", "7.50"),
            (Operation::Markup(d("1.8")), "99.00", "18.00"),
            (Operation::Markup(d("1.75")), "0.00", "17.50"),
        ];
        for (op, old, expected) in cases {
            assert_eq!(
                price(op.clone(), Rounding::Cent, old).as_deref(),
                Ok(expected),
                "{op:?} on {old}"
            );
        }
    }

    #[test]
    fn cents_round_half_up() {
        let cases = [
            // 10.05 × 1.1 = 11.055 → up
            (Operation::Raise(d("10")), "10.05", "11.06"),
            // 10.05 × 0.9 = 9.045 → up
            (Operation::Lower(d("10")), "10.05", "9.05"),
            // 0.01 × 1.5 = 0.015 → up
            (Operation::Raise(d("50")), "0.01", "0.02"),
            // 9.99 × 1.00005 = 9.9904995 → down
            (Operation::Raise(d("0.005")), "9.99", "9.99"),
            // 12.34 × 1.0001 = 12.341234 → down
            (Operation::Raise(d("0.01")), "12.34", "12.34"),
        ];
        for (op, old, expected) in cases {
            assert_eq!(
                price(op.clone(), Rounding::Cent, old).as_deref(),
                Ok(expected),
                "{op:?} on {old}"
            );
        }
        assert_eq!(cents(&Rounding::Cent.apply(&d("1.005"))), "1.01");
        assert_eq!(cents(&Rounding::Cent.apply(&d("1.004999"))), "1.00");
        assert_eq!(cents(&Rounding::Cent.apply(&d("1.015"))), "1.02");
        assert_eq!(cents(&Rounding::Cent.apply(&d("0"))), "0.00");
    }

    #[test]
    fn endings_take_the_nearest_price_ties_up() {
        let cases = [
            (Rounding::End99, "10.00", "9.99"),
            (Rounding::End99, "10.48", "9.99"),
            (Rounding::End99, "10.4899", "9.99"),
            (Rounding::End99, "10.49", "10.99"),
            (Rounding::End99, "10.50", "10.99"),
            (Rounding::End99, "10.99", "10.99"),
            (Rounding::End99, "11.00", "10.99"),
            (Rounding::End99, "0.98", "0.99"),
            (Rounding::End99, "0.01", "0.99"),
            (Rounding::End99, "0", "0.00"),
            (Rounding::End99, "1.49", "1.99"),
            (Rounding::End99, "1.4899", "0.99"),
            (Rounding::End99, "99999999.99", "99999999.99"),
            (Rounding::End95, "10.00", "9.95"),
            (Rounding::End95, "10.4499", "9.95"),
            (Rounding::End95, "10.45", "10.95"),
            (Rounding::End95, "10.96", "10.95"),
            (Rounding::End95, "0.50", "0.95"),
            (Rounding::End95, "0", "0.00"),
            (Rounding::End95, "99999999.99", "99999999.95"),
        ];
        for (rounding, exact, expected) in cases {
            assert_eq!(
                cents(&rounding.apply(&d(exact))),
                expected,
                "{rounding:?} of {exact}"
            );
        }
    }

    #[test]
    fn endings_apply_to_raise_and_lower() {
        assert_eq!(
            price(Operation::Raise(d("10")), Rounding::End99, "18.00").as_deref(),
            Ok("19.99")
        );
        assert_eq!(
            price(Operation::Lower(d("10")), Rounding::End95, "18.00").as_deref(),
            Ok("15.95")
        );
    }

    #[test]
    fn out_of_range_results_are_refused() {
        assert_eq!(
            price(Operation::Subtract(d("20.00")), Rounding::Cent, "18.00"),
            Err(PriceError::Negative)
        );
        assert_eq!(
            price(Operation::Subtract(d("0.01")), Rounding::End99, "0.00"),
            Err(PriceError::Negative)
        );
        assert_eq!(
            price(Operation::Add(d("0.01")), Rounding::Cent, MAX_PRICE),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            price(Operation::Raise(d("1000")), Rounding::Cent, "50000000.00"),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            price(Operation::Set(d(MAX_PRICE)), Rounding::Cent, "1.00").as_deref(),
            Ok(MAX_PRICE)
        );
        // 99999999.994 rounds down to the maximum; 99999999.995 rounds up past it.
        assert_eq!(
            price(Operation::Add(d("0.004")), Rounding::Cent, MAX_PRICE).as_deref(),
            Ok(MAX_PRICE)
        );
        assert_eq!(
            price(Operation::Add(d("0.005")), Rounding::Cent, MAX_PRICE),
            Err(PriceError::TooLarge)
        );
        // Past the maximum, the nearest .99 is past it too; just below, it is the maximum.
        assert_eq!(
            price(Operation::Add(d("1.00")), Rounding::End99, MAX_PRICE),
            Err(PriceError::TooLarge)
        );
        assert_eq!(
            price(Operation::Set(d("99999999.50")), Rounding::End99, "1.00").as_deref(),
            Ok(MAX_PRICE)
        );
    }

    #[test]
    fn targets_choose_the_prices_and_markup_is_retail_only() {
        let product = Product {
            customer_id: Uuid::nil(),
            id: Uuid::nil(),
            sku: "A".into(),
            name: "A".into(),
            description: String::new(),
            category: "C".into(),
            wholesale_price: d("10.00"),
            retail_price: d("18.00"),
            in_stock: true,
            archived_at: None,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let change = |operation, target| BulkChange {
            selection: Selection::Category("C".into()),
            operation,
            target,
            rounding: Rounding::Cent,
        };
        let prices = |c: BulkChange| {
            let (w, r) = c.prices_of(&product).unwrap();
            (cents(&w), cents(&r))
        };
        let pair = |w: &str, r: &str| (w.to_owned(), r.to_owned());
        assert_eq!(
            prices(change(Operation::Add(d("1")), Target::Retail)),
            pair("10.00", "19.00")
        );
        assert_eq!(
            prices(change(Operation::Add(d("1")), Target::Wholesale)),
            pair("11.00", "18.00")
        );
        assert_eq!(
            prices(change(Operation::Add(d("1")), Target::Both)),
            pair("11.00", "19.00")
        );
        assert_eq!(
            prices(change(Operation::Markup(d("2")), Target::Both)),
            pair("10.00", "20.00")
        );
    }

    #[test]
    fn percents_and_factors_parse_exactly() {
        let good = [
            ("10", "10"),
            ("2.5", "2.5"),
            (" 10 ", "10"),
            ("0.0001", "0.0001"),
            ("1000", "1000"),
            ("007", "7"),
        ];
        for (text, expected) in good {
            assert_eq!(parse_percent(text), Ok(d(expected)), "{text:?}");
            assert_eq!(parse_factor(text), Ok(d(expected)), "{text:?}");
        }
        assert_eq!(parse_percent("10%"), Ok(d("10")));
        assert_eq!(parse_percent(" 2.5 % "), Ok(d("2.5")));
        assert_eq!(parse_factor("1.8%"), Err(NumberError::Malformed));
        let bad = [
            ("", NumberError::Empty),
            ("   ", NumberError::Empty),
            ("1e3", NumberError::Malformed),
            ("NaN", NumberError::Malformed),
            ("inf", NumberError::Malformed),
            ("10,5", NumberError::Malformed),
            ("1.", NumberError::Malformed),
            (".5", NumberError::Malformed),
            ("-5", NumberError::Signed),
            ("+5", NumberError::Signed),
            ("0", NumberError::Zero),
            ("0.00", NumberError::Zero),
            ("1.00001", NumberError::TooPrecise),
            ("1000.01", NumberError::TooLarge),
            ("99999", NumberError::TooLarge),
            ("１０", NumberError::Malformed),
        ];
        for (text, expected) in bad {
            assert_eq!(parse_factor(text), Err(expected.clone()), "{text:?}");
            assert_eq!(parse_percent(text), Err(expected), "{text:?}");
        }
        assert_eq!(parse_percent("%"), Err(NumberError::Empty));
    }

    #[test]
    fn sku_lists_split_on_spaces_commas_and_lines() {
        assert_eq!(
            split_skus(" A-1, B-2\nC-3;\r\nA-1\t D-4 ,,"),
            vec!["A-1", "B-2", "C-3", "D-4"]
        );
        assert!(split_skus(" \n , ").is_empty());
    }

    #[test]
    fn the_fingerprint_follows_versions_and_new_prices() {
        let product = |version: i32, retail: &str| Product {
            customer_id: Uuid::nil(),
            id: Uuid::from_u128(7),
            sku: "A".into(),
            name: "A".into(),
            description: String::new(),
            category: "C".into(),
            wholesale_price: d("10.00"),
            retail_price: d(retail),
            in_stock: true,
            archived_at: None,
            version,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let change = BulkChange {
            selection: Selection::Skus(vec!["A".into(), "B".into()]),
            operation: Operation::Raise(d("10")),
            target: Target::Retail,
            rounding: Rounding::Cent,
        };
        let first = plan_of(&change, vec![product(1, "18.00")]);
        assert_eq!(first.changes.len(), 1);
        assert_eq!(first.not_found, vec!["B"]);
        assert_eq!(first.fingerprint.as_str().len(), 64);
        let same = plan_of(&change, vec![product(1, "18.00")]);
        assert_eq!(first.fingerprint, same.fingerprint);
        let edited = plan_of(&change, vec![product(2, "18.00")]);
        assert_ne!(first.fingerprint, edited.fingerprint);
        assert_eq!(
            Fingerprint::parse(first.fingerprint.as_str()).unwrap(),
            first.fingerprint
        );
        assert!(Fingerprint::parse("xyz").is_err());
    }
}
