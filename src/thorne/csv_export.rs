//! Exporting the catalog as UTF-8 CSV in the format the import reads (header
//! `sku,name,description,category,wholesale_price,retail_price,in_stock,images`, prices with two
//! decimals, `true`/`false`, the gallery's image ids separated by spaces with the main image
//! first), ordered by SKU and read in batches.
//!
//! Spreadsheet formulas: a cell that a spreadsheet would read as a formula (first character `=`,
//! `+`, `-`, `@`, tab or carriage return) is written with a leading `'`. So that export → import
//! is exact, a cell made of one or more `'` followed by such a character gets one more `'` too,
//! and the import removes one leading `'` exactly when the rest of the cell is of that form
//! ([`restore_cell`]). Any other `'` is left alone both ways.

use std::borrow::Cow;
use std::collections::HashMap;

use bigdecimal::RoundingMode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{Conn, schema::thorne::products};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;
use crate::thorne::csv_import::COLUMNS;
use crate::thorne::gallery;
use crate::thorne::products::Product;

/// Products read per query.
pub const BATCH_SIZE: i64 = 1_000;

/// What a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell needs a leading `'` on export: it starts like a formula, possibly behind `'`s.
fn needs_quote(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A cell as written to the file: defused if a spreadsheet would run it.
pub fn defuse_cell(text: &str) -> Cow<'_, str> {
    if needs_quote(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A cell as read from the file: the exact inverse of [`defuse_cell`].
pub fn restore_cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => text,
    }
}

/// Which products an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    /// Products that are not archived.
    #[default]
    Active,
    /// Archived products too.
    WithArchived,
}

/// A price as the file holds it: two decimals.
pub fn price_cell(price: &bigdecimal::BigDecimal) -> String {
    price.with_scale_round(2, RoundingMode::HalfUp).to_string()
}

/// The cells of one product with its gallery, in [`COLUMNS`] order.
fn row(product: &Product, images: &[Uuid]) -> [String; 8] {
    [
        product.sku.clone(),
        product.name.clone(),
        product.description.clone(),
        product.category.clone(),
        price_cell(&product.wholesale_price),
        price_cell(&product.retail_price),
        product.in_stock.to_string(),
        gallery::format_ids(images),
    ]
}

/// The next batch of products after `after_sku`, by SKU.
async fn batch(
    conn: &mut Conn,
    scope: Scope,
    selection: Selection,
    after_sku: Option<&str>,
) -> AppResult<Vec<Product>> {
    let mut query = products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .select(Product::as_select())
        .order(products::sku.asc())
        .limit(BATCH_SIZE)
        .into_boxed();
    if selection == Selection::Active {
        query = query.filter(products::archived_at.is_null());
    }
    if let Some(sku) = after_sku {
        query = query.filter(products::sku.gt(sku.to_owned()));
    }
    query.load(conn).await.map_err(AppError::from)
}

/// Writes the header and every selected product of the customer in scope; returns the number of
/// products written.
pub async fn write_catalog(
    conn: &mut Conn,
    scope: Scope,
    selection: Selection,
    out: &mut Vec<u8>,
) -> AppResult<usize> {
    let failed = |e: csv::Error| AppError::Internal(format!("cannot write the CSV: {e}"));
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS).map_err(failed)?;
    let mut written = 0;
    let mut last_sku: Option<String> = None;
    loop {
        let products = batch(conn, scope, selection, last_sku.as_deref()).await?;
        let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
        let galleries: HashMap<Uuid, Vec<Uuid>> = gallery::of_products(conn, scope, &ids).await?;
        for product in &products {
            let images = galleries.get(&product.id).map(Vec::as_slice);
            let cells = row(product, images.unwrap_or_default());
            writer
                .write_record(cells.iter().map(|cell| defuse_cell(cell).into_owned()))
                .map_err(failed)?;
        }
        written += products.len();
        match <[Product]>::last(&products) {
            Some(last) if products.len() as i64 == BATCH_SIZE => last_sku = Some(last.sku.clone()),
            _ => break,
        }
    }
    writer
        .flush()
        .map_err(|e| AppError::Internal(format!("cannot write the CSV: {e}")))?;
    Ok(written)
}

/// The catalog of the customer in scope as a CSV file, with an audit event for the export (call
/// inside one transaction).
pub async fn export(
    conn: &mut Conn,
    scope: Scope,
    selection: Selection,
    actor: &Actor,
) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    let rows = write_catalog(conn, scope, selection, &mut out).await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "catalog",
            entity_id: scope.customer_uuid(),
            action: "export",
            before: None,
            after: Some(json!({
                "products": rows,
                "archived_included": selection == Selection::WithArchived,
            })),
        },
    )
    .await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse_cell(text), format!("'{text}"));
        }
        for text in ["plain", "", "a=b", " =1", "'quoted", "''"] {
            assert_eq!(defuse_cell(text), text);
        }
        assert_eq!(defuse_cell("'=1"), "''=1");
    }

    #[test]
    fn restoring_undoes_defusing_exactly() {
        let cells = [
            "=1+1",
            "+1",
            "-1",
            "@x",
            "\tx",
            "\rx",
            "'=1",
            "''=1",
            "'",
            "''",
            "'plain",
            "plain",
            "",
            "=",
            "'-",
            "x'=",
            "a\nb",
            "Ünïcödé",
        ];
        for cell in cells {
            assert_eq!(restore_cell(&defuse_cell(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn a_hand_written_quote_is_kept_unless_it_defuses_a_formula() {
        assert_eq!(restore_cell("'hello"), "'hello");
        assert_eq!(restore_cell("'12.00"), "'12.00");
        assert_eq!(restore_cell("'=SUM(A1)"), "=SUM(A1)");
    }

    #[test]
    fn prices_have_two_decimals() {
        assert_eq!(price_cell(&"12".parse().unwrap()), "12.00");
        assert_eq!(price_cell(&"1234.5".parse().unwrap()), "1234.50");
    }
}
