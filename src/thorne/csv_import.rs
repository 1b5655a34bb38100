//! Importing products from CSV (header `sku,name,description,category,wholesale_price,
//! retail_price,in_stock,images`), matched by SKU within the customer. Only the columns present are
//! updated; a new SKU needs name, category and both prices. `images` is the product's gallery: ids
//! of the customer's media library separated by spaces, the main image first (an empty cell: no
//! images; an id that is not one of the customer's images is a row error). Cells defused against spreadsheet
//! formulas by the export are restored (see [`crate::thorne::csv_export`]). No cell may hold a
//! control character (a description may hold line breaks and tabs), see [`crate::input`].
//!
//! Two steps: [`plan`] reads the catalog and says what the file would do — products to create,
//! products to update with the columns that change, rows that change nothing, and every bad row as
//! `line N, column C: reason` — without writing anything; [`write`] carries out a plan without
//! errors as one change set. All or nothing: with any error, nothing is written.

use std::collections::{HashMap, HashSet};
use std::fmt;

use bigdecimal::BigDecimal;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::input::{self, Shape};
use crate::tenancy::Scope;
use crate::thorne::change_sets::{self, Kind};
use crate::thorne::csv_export::{price_cell, restore_cell};
use crate::thorne::gallery;
use crate::thorne::money::parse_price;
use crate::thorne::products::{self, Edit, NewProduct, Product};

/// The columns a file may have, in export order.
pub const COLUMNS: [&str; 8] = [
    "sku",
    "name",
    "description",
    "category",
    "wholesale_price",
    "retail_price",
    "in_stock",
    "images",
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
    /// The gallery: image ids, the main image first.
    pub images: Option<Vec<Uuid>>,
}

/// A problem with the file, shown as `line N, column C: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The column's name, or its position (from 1) when it has none.
    pub column: String,
    pub reason: String,
}

impl RowError {
    fn new(line: u64, column: impl fmt::Display, reason: impl Into<String>) -> RowError {
        RowError {
            line,
            column: column.to_string(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// A whole file read: the good rows and every problem.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub rows: Vec<CsvRow>,
    pub errors: Vec<RowError>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The change set of the import, when it wrote anything.
    pub change_set: Option<Uuid>,
}

/// Parses a whole file. On any problem returns every `line N, column C: reason`.
pub fn parse(data: &[u8]) -> Result<Vec<CsvRow>, Vec<String>> {
    let parsed = parse_all(data);
    if parsed.errors.is_empty() {
        Ok(parsed.rows)
    } else {
        Err(parsed.errors.iter().map(ToString::to_string).collect())
    }
}

/// Parses a whole file into its good rows and every problem (a bad header leaves no rows).
pub fn parse_all(data: &[u8]) -> Parsed {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            return Parsed {
                rows: Vec::new(),
                errors: vec![RowError::new(1, 1, csv_reason(&e))],
            };
        }
    };
    let positions = match column_positions(&headers) {
        Ok(positions) => positions,
        Err(errors) => {
            return Parsed {
                rows: Vec::new(),
                errors,
            };
        }
    };
    let mut parsed = Parsed::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                parsed.errors.push(RowError::new(line, 1, csv_reason(&e)));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            parsed.errors.push(RowError::new(
                line,
                record.len().min(headers.len()) + 1,
                format!("expected {} fields, found {}", headers.len(), record.len()),
            ));
            continue;
        }
        match parse_row(line, &record, &positions) {
            Ok(row) => match seen.get(&row.sku) {
                Some(first) => parsed.errors.push(RowError::new(
                    line,
                    "sku",
                    format!("SKU {} is already on line {first}", row.sku),
                )),
                None => {
                    seen.insert(row.sku.clone(), line);
                    parsed.rows.push(row);
                }
            },
            Err(mut row_errors) => parsed.errors.append(&mut row_errors),
        }
    }
    parsed
}

/// One column of a product that an import changes, as the file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChange {
    pub column: &'static str,
    pub old: String,
    pub new: String,
}

/// A product the import creates.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCreate {
    pub line: u64,
    pub product: NewProduct,
    /// Its gallery (none when empty).
    pub images: Vec<Uuid>,
}

/// A product the import changes: as it is, as it will be, and what differs.
#[derive(Debug, Clone)]
pub struct PlannedUpdate {
    pub line: u64,
    pub current: Product,
    pub changed: Product,
    pub columns: Vec<ColumnChange>,
    /// The new gallery, when it changes.
    pub images: Option<Vec<Uuid>>,
}

impl PlannedUpdate {
    /// Whether a field of the product itself changes (not only its gallery).
    pub fn changes_fields(&self) -> bool {
        self.columns.iter().any(|c| c.column != "images")
    }
}

/// What a file would do to the catalog, and every problem that stops it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub creates: Vec<PlannedCreate>,
    pub updates: Vec<PlannedUpdate>,
    pub unchanged: usize,
    /// Sorted by line; any error means nothing may be written.
    pub errors: Vec<RowError>,
}

impl Plan {
    /// The counts of the plan (no change set: nothing is written yet).
    pub fn report(&self) -> ImportReport {
        ImportReport {
            created: self.creates.len(),
            updated: self.updates.len(),
            unchanged: self.unchanged,
            change_set: None,
        }
    }

    /// Whether the plan writes anything.
    pub fn has_changes(&self) -> bool {
        !self.creates.is_empty() || !self.updates.is_empty()
    }

    /// Every error as `line N, column C: reason`.
    pub fn error_lines(&self) -> Vec<String> {
        self.errors.iter().map(ToString::to_string).collect()
    }
}

/// What a file is planned against: the products it names that exist (keyed by SKU, archived ones
/// included), their galleries, and the image ids it names that are not the customer's.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub products: HashMap<String, Product>,
    /// Image ids in order, by product id (products without images have no entry).
    pub galleries: HashMap<Uuid, Vec<Uuid>>,
    pub unknown_images: HashSet<Uuid>,
}

/// Plans a parsed file against `catalog`.
pub fn plan_rows(parsed: &Parsed, catalog: &Catalog) -> Plan {
    let mut plan = Plan {
        errors: parsed.errors.clone(),
        ..Plan::default()
    };
    for row in &parsed.rows {
        let unknown: Vec<Uuid> = row
            .images
            .iter()
            .flatten()
            .filter(|id| catalog.unknown_images.contains(id))
            .copied()
            .collect();
        if !unknown.is_empty() {
            plan.errors.push(RowError::new(
                row.line,
                "images",
                gallery::not_in_library(&unknown),
            ));
            if !catalog.products.contains_key(&row.sku)
                && let Err(mut row_errors) = new_product(row)
            {
                plan.errors.append(&mut row_errors);
            }
            continue;
        }
        match catalog.products.get(&row.sku) {
            Some(current) => {
                let changed = merged(current, row);
                let mut columns = column_changes(current, &changed);
                let old_images = catalog
                    .galleries
                    .get(&current.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let images = row
                    .images
                    .as_ref()
                    .filter(|new| new.as_slice() != old_images)
                    .cloned();
                if let Some(new) = &images {
                    columns.push(ColumnChange {
                        column: "images",
                        old: gallery::format_ids(old_images),
                        new: gallery::format_ids(new),
                    });
                }
                if columns.is_empty() {
                    plan.unchanged += 1;
                } else {
                    plan.updates.push(PlannedUpdate {
                        line: row.line,
                        current: current.clone(),
                        changed,
                        columns,
                        images,
                    });
                }
            }
            None => match new_product(row) {
                Ok(product) => plan.creates.push(PlannedCreate {
                    line: row.line,
                    product,
                    images: row.images.clone().unwrap_or_default(),
                }),
                Err(mut row_errors) => plan.errors.append(&mut row_errors),
            },
        }
    }
    plan.errors.sort_by_key(|e| e.line);
    plan
}

/// Plans a parsed file against the catalog of the customer in scope; writes nothing.
pub async fn plan(conn: &mut Conn, scope: Scope, parsed: &Parsed) -> AppResult<Plan> {
    let skus: Vec<String> = parsed.rows.iter().map(|r| r.sku.clone()).collect();
    let mut catalog = Catalog::default();
    if !skus.is_empty() {
        catalog.products = products::by_skus(conn, scope, &skus)
            .await?
            .into_iter()
            .map(|p| (p.sku.clone(), p))
            .collect();
    }
    let with_images: Vec<&CsvRow> = parsed.rows.iter().filter(|r| r.images.is_some()).collect();
    if !with_images.is_empty() {
        let product_ids: Vec<Uuid> = with_images
            .iter()
            .filter_map(|r| catalog.products.get(&r.sku).map(|p| p.id))
            .collect();
        catalog.galleries = gallery::of_products(conn, scope, &product_ids).await?;
        let named: Vec<Uuid> = with_images
            .iter()
            .flat_map(|r| r.images.iter().flatten().copied())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        catalog.unknown_images = gallery::unknown_images(conn, scope, &named)
            .await?
            .into_iter()
            .collect();
    }
    Ok(plan_rows(parsed, &catalog))
}

/// What the change set of an import is called and why its prices changed.
#[derive(Debug, Clone, Copy)]
pub struct ImportNote<'a> {
    pub name: &'a str,
    pub reason: &'a str,
}

impl Default for ImportNote<'_> {
    fn default() -> Self {
        ImportNote {
            name: "CSV import",
            reason: "CSV import",
        }
    }
}

/// Carries out a plan (call inside the transaction that planned it): one change set for the
/// price and field changes, then the new products, then the galleries that change. A plan with errors writes nothing and fails
/// with [`AppError::Invalid`] listing them; a product changed since the plan fails with
/// [`AppError::Conflict`] and the transaction must roll back.
pub async fn write(
    conn: &mut Conn,
    scope: Scope,
    plan: &Plan,
    note: ImportNote<'_>,
    actor: &Actor,
) -> AppResult<ImportReport> {
    if !plan.errors.is_empty() {
        return Err(AppError::Invalid(plan.error_lines().join("\n")));
    }
    let mut report = plan.report();
    if !plan.has_changes() {
        return Ok(report);
    }
    let change_set = change_sets::open(conn, scope, Kind::Import, note.name, actor).await?;
    report.change_set = Some(change_set.id);
    let edit = Edit {
        action: "import",
        change_set: Some(change_set.id),
        reason: note.reason,
    };
    let updates: Vec<(Product, Product)> = plan
        .updates
        .iter()
        .filter(|u| u.changes_fields())
        .map(|u| (u.current.clone(), u.changed.clone()))
        .collect();
    let mut now: HashMap<Uuid, Product> = products::save_many(conn, scope, &updates, edit, actor)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    report.updated = plan.updates.len();
    let new: Vec<NewProduct> = plan.creates.iter().map(|c| c.product.clone()).collect();
    let created = products::create_many(conn, scope, &new, actor).await?;
    report.created = created.len();
    let created_by_sku: HashMap<&str, &Product> =
        created.iter().map(|p| (p.sku.as_str(), p)).collect();
    let mut galleries: Vec<(Product, Vec<Uuid>)> = Vec::new();
    for update in &plan.updates {
        if let Some(images) = &update.images {
            let product = now
                .remove(&update.current.id)
                .unwrap_or_else(|| update.current.clone());
            galleries.push((product, images.clone()));
        }
    }
    for create in plan.creates.iter().filter(|c| !c.images.is_empty()) {
        if let Some(product) = created_by_sku.get(create.product.sku.as_str()) {
            galleries.push(((*product).clone(), create.images.clone()));
        }
    }
    gallery::set_many(conn, scope, &galleries, actor).await?;
    Ok(report)
}

/// Plans and writes parsed rows for the customer in scope (call inside one transaction). New
/// SKUs missing a required column fail the whole import with `AppError::Invalid` listing every
/// such row.
pub async fn apply(
    conn: &mut Conn,
    scope: Scope,
    rows: &[CsvRow],
    actor: &Actor,
) -> AppResult<ImportReport> {
    let parsed = Parsed {
        rows: rows.to_vec(),
        errors: Vec::new(),
    };
    let plan = plan(conn, scope, &parsed).await?;
    write(conn, scope, &plan, ImportNote::default(), actor).await
}

fn column_positions(
    headers: &csv::StringRecord,
) -> Result<HashMap<&'static str, usize>, Vec<RowError>> {
    let mut positions = HashMap::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (index, header) in headers.iter().enumerate() {
        let name = header.trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(column) if seen.insert(*column) => {
                positions.insert(*column, index);
            }
            Some(column) => errors.push(RowError::new(1, column, "the column appears twice")),
            None => errors.push(RowError::new(
                1,
                index + 1,
                format!("unknown column {header:?} (expected {})", COLUMNS.join(",")),
            )),
        }
    }
    if !positions.contains_key("sku") {
        errors.push(RowError::new(1, "sku", "the sku column is required"));
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
) -> Result<CsvRow, Vec<RowError>> {
    let mut errors = control_characters(line, record, positions);
    let field = |name: &str| {
        positions
            .get(name)
            .map(|&i| restore_cell(record.get(i).unwrap_or("").trim()).to_owned())
    };
    let mut text = |name: &'static str, max: usize, required: bool| -> Option<String> {
        let value = field(name)?;
        if required && value.is_empty() {
            errors.push(RowError::new(line, name, "must not be empty"));
        } else if value.chars().count() > max {
            errors.push(RowError::new(
                line,
                name,
                format!("at most {max} characters"),
            ));
        }
        Some(value)
    };
    let sku = text("sku", 64, true).unwrap_or_default();
    let name = text("name", 300, true);
    let description = text("description", 10_000, false);
    let category = text("category", 100, true);
    if !sku.is_empty() && !products::valid_sku(&sku) {
        errors.push(RowError::new(
            line,
            "sku",
            "use letters, digits, '-', '_' and '.' only",
        ));
    }
    let mut price = |name: &'static str| -> Option<BigDecimal> {
        let value = field(name)?;
        parse_price(&value)
            .map_err(|e| errors.push(RowError::new(line, name, e.to_string())))
            .ok()
    };
    let wholesale_price = price("wholesale_price");
    let retail_price = price("retail_price");
    let in_stock = field("in_stock").and_then(|value| match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => {
            errors.push(RowError::new(line, "in_stock", "use true or false"));
            None
        }
    });
    let images = field("images").and_then(|value| {
        let shaped = gallery::parse_ids(&value)
            .and_then(|ids| gallery::shape_error(&ids).map_or(Ok(ids), Err));
        shaped
            .map_err(|reason| errors.push(RowError::new(line, "images", reason)))
            .ok()
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
        images,
    })
}

/// A cell holding a control character, column by column: line breaks and tabs are kept in a
/// description only.
fn control_characters(
    line: u64,
    record: &csv::StringRecord,
    positions: &HashMap<&'static str, usize>,
) -> Vec<RowError> {
    COLUMNS
        .iter()
        .filter_map(|&column| {
            let cell = record.get(*positions.get(column)?)?;
            let shape = if column == "description" {
                Shape::Text
            } else {
                Shape::Line
            };
            input::check(cell, shape)
                .err()
                .map(|reason| RowError::new(line, column, reason))
        })
        .collect()
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

/// The columns that differ between two versions of a product, in file order.
fn column_changes(a: &Product, b: &Product) -> Vec<ColumnChange> {
    let cells = |p: &Product| {
        [
            ("name", p.name.clone()),
            ("description", p.description.clone()),
            ("category", p.category.clone()),
            ("wholesale_price", price_cell(&p.wholesale_price)),
            ("retail_price", price_cell(&p.retail_price)),
            ("in_stock", p.in_stock.to_string()),
        ]
    };
    cells(a)
        .into_iter()
        .zip(cells(b))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((column, old), (_, new))| ColumnChange { column, old, new })
        .collect()
}

fn new_product(row: &CsvRow) -> Result<NewProduct, Vec<RowError>> {
    let missing = |column: &str| RowError::new(row.line, column, "required for a new product");
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
    fn cells_with_control_characters_are_refused() {
        let data = format!(
            "{HEADER}A-1,Na\0me,\"Tab\tand\r\nlines\",Vitamins,1.00,2.00,true\nA-2,\"Two\nlines\",Bell\u{7},Vita\u{1b}mins,1,2,true\n"
        );
        let errors = parse(data.as_bytes()).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "line 2, column name: contains a control character (U+0000)".to_owned(),
                "line 4, column name: contains a control character (U+000A)".to_owned(),
                "line 4, column description: contains a control character (U+0007)".to_owned(),
                "line 4, column category: contains a control character (U+001B)".to_owned(),
            ]
        );
        let ok = format!("{HEADER}A-1,Name,\"Tab\tand\r\nlines\",Vitamins,1.00,2.00,true\n");
        assert!(parse(ok.as_bytes()).is_ok());
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

    fn stored(sku: &str, retail: &str) -> Product {
        let now = chrono::Utc::now();
        Product {
            customer_id: Uuid::nil(),
            id: Uuid::new_v4(),
            sku: sku.to_owned(),
            name: format!("Product {sku}"),
            description: String::new(),
            category: "Vitamins".to_owned(),
            wholesale_price: "5.00".parse().unwrap(),
            retail_price: retail.parse().unwrap(),
            in_stock: true,
            archived_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn plans_creates_updates_of_present_columns_and_unchanged_rows() {
        let existing: HashMap<String, Product> = [stored("A-1", "10.00"), stored("A-2", "20.00")]
            .into_iter()
            .map(|p| (p.sku.clone(), p))
            .collect();
        let catalog = Catalog {
            products: existing,
            ..Catalog::default()
        };
        let parsed = parse_all(b"sku,retail_price,in_stock\nA-1,12.5,true\nA-2,20,true\n");
        let plan = plan_rows(&parsed, &catalog);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.updates.len(), 1);
        assert_eq!(
            plan.updates[0].columns,
            vec![ColumnChange {
                column: "retail_price",
                old: "10.00".into(),
                new: "12.50".into()
            }]
        );
        assert_eq!(
            plan.updates[0].changed.name, "Product A-1",
            "name not in the file"
        );
        assert!(plan.creates.is_empty());
        assert!(plan.errors.is_empty());
    }

    #[test]
    fn a_new_sku_needs_every_required_column_and_errors_come_in_line_order() {
        let parsed = parse_all(b"sku,retail_price\nNEW-1,3.00\nBAD!,1\n");
        let plan = plan_rows(&parsed, &Catalog::default());
        assert_eq!(
            plan.error_lines(),
            vec![
                "line 2, column name: required for a new product",
                "line 2, column category: required for a new product",
                "line 2, column wholesale_price: required for a new product",
                "line 3, column sku: use letters, digits, '-', '_' and '.' only",
            ]
        );
        assert!(!plan.has_changes());
    }

    #[test]
    fn image_cells_are_checked_as_they_are_read() {
        let a = Uuid::from_u128(1);
        let data = format!("sku,images\nA-1,x\nA-2,{a} {a}\nA-3,\nA-4,media:{a}\n");
        let parsed = parse_all(data.as_bytes());
        assert_eq!(
            parsed
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "line 2, column images: “x” is not an image id".to_owned(),
                format!("line 3, column images: the image {a} is listed twice"),
            ]
        );
        assert_eq!(parsed.rows[0].images, Some(Vec::new()), "empty: no images");
        assert_eq!(parsed.rows[1].images, Some(vec![a]));
        assert_eq!(parse_all(b"sku,name\nA-1,N\n").rows[0].images, None);
    }

    #[test]
    fn images_are_planned_against_the_galleries_and_the_library() {
        let [a, b, foreign] = [1, 2, 3].map(Uuid::from_u128);
        let (one, two) = (stored("A-1", "10.00"), stored("A-2", "10.00"));
        let catalog = Catalog {
            galleries: [(one.id, vec![a, b])].into_iter().collect(),
            products: [one, two].into_iter().map(|p| (p.sku.clone(), p)).collect(),
            unknown_images: [foreign].into_iter().collect(),
        };
        let data = format!("sku,images\nA-1,{a} {b}\nA-2,{b} {a}\nNEW,{foreign}\n");
        let plan = plan_rows(&parse_all(data.as_bytes()), &catalog);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.updates.len(), 1);
        let update = &plan.updates[0];
        assert_eq!(update.images, Some(vec![b, a]));
        assert!(!update.changes_fields());
        assert_eq!(
            update.columns,
            vec![ColumnChange {
                column: "images",
                old: String::new(),
                new: format!("{b} {a}"),
            }]
        );
        assert_eq!(
            plan.error_lines()[0],
            format!("line 4, column images: no image {foreign} in the media library")
        );
        assert!(plan.creates.is_empty());
    }

    #[test]
    fn defused_cells_are_restored() {
        let parsed = parse_all(b"sku,name\n'-A1,'=1+1\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.rows[0].sku, "-A1");
        assert_eq!(parsed.rows[0].name.as_deref(), Some("=1+1"));
    }
}
