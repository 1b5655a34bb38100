//! Importing products from CSV (header `sku,name,description,category,wholesale_price,
//! retail_price,in_stock`), matched by SKU within the customer. Only the columns present are
//! updated; a new SKU needs name, category and both prices. All or nothing: every bad row is
//! reported as `line N, column C: reason` and nothing is written.

use std::collections::{HashMap, HashSet};

use bigdecimal::BigDecimal;

use crate::audit::Actor;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;
use crate::thorne::change_sets::{self, Kind};
use crate::thorne::money::parse_price;
use crate::thorne::products::{self, Edit, NewProduct, Product};

/// The columns a file may have, in export order.
pub const COLUMNS: [&str; 7] = [
    "sku",
    "name",
    "description",
    "category",
    "wholesale_price",
    "retail_price",
    "in_stock",
];

/// One parsed row; `None` where the file has no such column.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    pub line: u64,
    pub sku: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub wholesale_price: Option<BigDecimal>,
    pub retail_price: Option<BigDecimal>,
    pub in_stock: Option<bool>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Parses a whole file. On any problem returns every `line N, column C: reason`.
pub fn parse(data: &[u8]) -> Result<Vec<CsvRow>, Vec<String>> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => return Err(vec![format!("line 1, column 1: {}", csv_reason(&e))]),
    };
    let positions = column_positions(&headers)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(format!("line {line}, column 1: {}", csv_reason(&e)));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            errors.push(format!(
                "line {line}, column {}: expected {} fields, found {}",
                record.len().min(headers.len()) + 1,
                headers.len(),
                record.len()
            ));
            continue;
        }
        match parse_row(line, &record, &positions) {
            Ok(row) => match seen.get(&row.sku) {
                Some(first) => errors.push(format!(
                    "line {line}, column sku: SKU {} is already on line {first}",
                    row.sku
                )),
                None => {
                    seen.insert(row.sku.clone(), line);
                    rows.push(row);
                }
            },
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Applies parsed rows to the customer in scope (call inside one transaction). New SKUs missing a
/// required column fail the whole import with `AppError::Invalid` listing every such row.
pub async fn apply(
    conn: &mut Conn,
    scope: Scope,
    rows: &[CsvRow],
    actor: &Actor,
) -> AppResult<ImportReport> {
    let skus: Vec<String> = rows.iter().map(|r| r.sku.clone()).collect();
    let existing: HashMap<String, Product> = products::by_skus(conn, scope, &skus)
        .await?
        .into_iter()
        .map(|p| (p.sku.clone(), p))
        .collect();
    let mut report = ImportReport::default();
    let mut new = Vec::new();
    let mut updates = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match existing.get(&row.sku) {
            Some(current) => {
                let changed = merged(current, row);
                if changed_fields_differ(current, &changed) {
                    updates.push((current, changed));
                } else {
                    report.unchanged += 1;
                }
            }
            None => match new_product(row) {
                Ok(product) => new.push(product),
                Err(mut row_errors) => errors.append(&mut row_errors),
            },
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors.join("\n")));
    }
    if !updates.is_empty() {
        let change_set = change_sets::open(conn, scope, Kind::Import, "CSV import", actor).await?;
        let edit = Edit {
            action: "import",
            change_set: change_set.id,
            reason: "CSV import",
        };
        let updates: Vec<(Product, Product)> = updates
            .into_iter()
            .map(|(current, changed)| (current.clone(), changed))
            .collect();
        report.updated = products::save_many(conn, scope, &updates, edit, actor)
            .await?
            .len();
    }
    report.created = products::create_many(conn, scope, &new, actor).await?.len();
    Ok(report)
}

fn column_positions(
    headers: &csv::StringRecord,
) -> Result<HashMap<&'static str, usize>, Vec<String>> {
    let mut positions = HashMap::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, header) in headers.iter().enumerate() {
        let name = header.trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(column) if seen.insert(*column) => {
                positions.insert(*column, index);
            }
            Some(column) => {
                errors.push(format!("line 1, column {column}: the column appears twice"))
            }
            None => errors.push(format!(
                "line 1, column {}: unknown column {header:?} (expected {})",
                index + 1,
                COLUMNS.join(",")
            )),
        }
    }
    if !positions.contains_key("sku") {
        errors.push("line 1, column sku: the sku column is required".to_owned());
    }
    if errors.is_empty() {
        Ok(positions)
    } else {
        Err(errors)
    }
}

fn parse_row(
    line: u64,
    record: &csv::StringRecord,
    positions: &HashMap<&'static str, usize>,
) -> Result<CsvRow, Vec<String>> {
    let mut errors = Vec::new();
    let field = |name: &str| {
        positions
            .get(name)
            .map(|&i| record.get(i).unwrap_or("").trim().to_owned())
    };
    let mut text = |name: &'static str, max: usize, required: bool| -> Option<String> {
        let value = field(name)?;
        if required && value.is_empty() {
            errors.push(format!("line {line}, column {name}: must not be empty"));
        } else if value.chars().count() > max {
            errors.push(format!(
                "line {line}, column {name}: at most {max} characters"
            ));
        }
        Some(value)
    };
    let sku = text("sku", 64, true).unwrap_or_default();
    let name = text("name", 300, true);
    let description = text("description", 10_000, false);
    let category = text("category", 100, true);
    if !sku.is_empty() && !products::valid_sku(&sku) {
        errors.push(format!(
            "line {line}, column sku: use letters, digits, '-', '_' and '.' only"
        ));
    }
    let mut price = |name: &'static str| -> Option<BigDecimal> {
        let value = field(name)?;
        parse_price(&value)
            .map_err(|e| errors.push(format!("line {line}, column {name}: {e}")))
            .ok()
    };
    let wholesale_price = price("wholesale_price");
    let retail_price = price("retail_price");
    let in_stock = field("in_stock").and_then(|value| match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => {
            errors.push(format!("line {line}, column in_stock: use true or false"));
            None
        }
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CsvRow {
        line,
        sku,
        name,
        description,
        category,
        wholesale_price,
        retail_price,
        in_stock,
    })
}

fn merged(current: &Product, row: &CsvRow) -> Product {
    let mut changed = current.clone();
    if let Some(name) = &row.name {
        changed.name = name.clone();
    }
    if let Some(description) = &row.description {
        changed.description = description.clone();
    }
    if let Some(category) = &row.category {
        changed.category = category.clone();
    }
    if let Some(price) = &row.wholesale_price {
        changed.wholesale_price = price.clone();
    }
    if let Some(price) = &row.retail_price {
        changed.retail_price = price.clone();
    }
    if let Some(in_stock) = row.in_stock {
        changed.in_stock = in_stock;
    }
    changed
}

fn changed_fields_differ(a: &Product, b: &Product) -> bool {
    a.name != b.name
        || a.description != b.description
        || a.category != b.category
        || a.wholesale_price != b.wholesale_price
        || a.retail_price != b.retail_price
        || a.in_stock != b.in_stock
}

fn new_product(row: &CsvRow) -> Result<NewProduct, Vec<String>> {
    let missing = |column: &str| {
        format!(
            "line {}, column {column}: required for a new product",
            row.line
        )
    };
    let mut errors = Vec::new();
    if row.name.is_none() {
        errors.push(missing("name"));
    }
    if row.category.is_none() {
        errors.push(missing("category"));
    }
    if row.wholesale_price.is_none() {
        errors.push(missing("wholesale_price"));
    }
    if row.retail_price.is_none() {
        errors.push(missing("retail_price"));
    }
    match (
        &row.name,
        &row.category,
        &row.wholesale_price,
        &row.retail_price,
    ) {
        (Some(name), Some(category), Some(wholesale), Some(retail)) if errors.is_empty() => {
            Ok(NewProduct {
                sku: row.sku.clone(),
                name: name.clone(),
                description: row.description.clone().unwrap_or_default(),
                category: category.clone(),
                wholesale_price: wholesale.clone(),
                retail_price: retail.clone(),
                in_stock: row.in_stock.unwrap_or(true),
            })
        }
        _ => Err(errors),
    }
}

fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_owned(),
        csv::ErrorKind::Io(e) => format!("cannot read the file ({e})"),
        _ => "malformed CSV".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "sku,name,description,category,wholesale_price,retail_price,in_stock\n";

    #[test]
    fn parses_quoted_commas_newlines_and_bom() {
        let data = format!(
            "\u{feff}{HEADER}THR-1,\"Vitamin D-5,000\",\"Line one\nline \"\"two\"\"\",Vitamins,12.00,20,true\n"
        );
        let rows = parse(data.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].name.as_deref(), Some("Vitamin D-5,000"));
        assert_eq!(
            rows[0].description.as_deref(),
            Some("Line one\nline \"two\"")
        );
        assert_eq!(
            rows[0]
                .retail_price
                .as_ref()
                .map(|p| p.to_string())
                .as_deref(),
            Some("20.00")
        );
    }

    #[test]
    fn reports_every_bad_row_with_line_and_column() {
        let data = format!(
            "{HEADER}A-1,Ok,,Vitamins,1.00,2.00,true\nA-2,Bad,,Vitamins,12,50,2,true\nA-3,Bad,,Vitamins,1e3,2.00,maybe\nA-1,Dup,,Vitamins,1,2,true\n"
        );
        let errors = parse(data.as_bytes()).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "line 3, column 8: expected 7 fields, found 8".to_owned(),
                "line 4, column wholesale_price: use digits with an optional dot and at most two decimals, e.g. 12.50".to_owned(),
                "line 4, column in_stock: use true or false".to_owned(),
                "line 5, column sku: SKU A-1 is already on line 2".to_owned(),
            ]
        );
    }

    #[test]
    fn needs_a_sku_column_and_known_columns() {
        let errors = parse(b"name,colour\nX,red\n").unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("column 2: unknown column \"colour\"")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("the sku column is required")),
            "{errors:?}"
        );
    }

    #[test]
    fn partial_columns_parse_as_absent() {
        let rows = parse(b"sku,retail_price\nA-1,9.99\n").unwrap();
        assert_eq!(rows[0].name, None);
        assert_eq!(
            rows[0]
                .retail_price
                .as_ref()
                .map(|p| p.to_string())
                .as_deref(),
            Some("9.99")
        );
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let mut seed: u64 = 42;
        for _ in 0..500 {
            let len = (seed % 200) as usize;
            let mut bytes = HEADER.as_bytes().to_vec();
            bytes.extend((0..len).map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1442695040888963407);
                b",\n\"ab1.-"[(seed >> 60) as usize % 8]
            }));
            let _ = parse(&bytes);
        }
    }
}
