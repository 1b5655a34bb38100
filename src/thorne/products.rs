//! Products of a customer's catalog: the stored row, what visitors may see of it (never the
//! wholesale price), and writes with versioning and audit.

use std::collections::HashMap;

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::dsl::{AsSelect, SqlTypeOf};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::keyset::{PageAt, Window};
use crate::db::schema::thorne::sql_types::Tsvector as ProductVector;
use crate::db::{Conn, schema::thorne::products};
use crate::error::{AppError, AppResult};
use crate::search::vector::{PRODUCT_LANGUAGE, Weighted, product_fields, product_vector_sql};
use crate::tenancy::Scope;
use crate::thorne::price_history;

/// A product as stored.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = products)]
pub struct Product {
    pub customer_id: Uuid,
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub wholesale_price: BigDecimal,
    pub retail_price: BigDecimal,
    pub in_stock: bool,
    pub archived_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What visitors may see of a product: no wholesale price is even selected.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct PublicProduct {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub retail_price: BigDecimal,
    pub in_stock: bool,
    pub updated_at: DateTime<Utc>,
}

/// The fields of a new product.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub wholesale_price: BigDecimal,
    pub retail_price: BigDecimal,
    pub in_stock: bool,
}

/// A SKU is 1–64 characters of letters, digits, `-`, `_` and `.`.
pub fn valid_sku(sku: &str) -> bool {
    !sku.is_empty()
        && sku.len() <= 64
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The filter of the customer's active products: what visitors may see of its catalog.
#[diesel::dsl::auto_type]
pub(crate) fn active_of(customer: Uuid) -> _ {
    products::customer_id
        .eq(customer)
        .and(products::archived_at.is_null())
}

/// The id of the customer's active product `sku`, as a subquery: what a product page reads with
/// the product itself, keyed by SKU, goes in the same flight of statements.
#[diesel::dsl::auto_type]
pub(crate) fn active_id_by_sku<'a>(customer: Uuid, sku: &'a str) -> _ {
    let active: active_of = active_of(customer);
    products::table
        .filter(active)
        .filter(products::sku.eq(sku))
        .select(products::id)
}

/// A place in the public listing's order (category, name, SKU): a page starts after it.
#[derive(Debug, Clone, Queryable)]
pub struct ListingCursor {
    pub category: String,
    pub name: String,
    pub sku: String,
}

/// The place of the product with this SKU in the listing order; archived products keep theirs,
/// so a link made before an archive still leads on. `None`: the customer has no such SKU.
pub async fn listing_cursor(
    conn: &mut Conn,
    scope: Scope,
    sku: &str,
) -> AppResult<Option<ListingCursor>> {
    products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .filter(products::sku.eq(sku))
        .select((products::category, products::name, products::sku))
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// A page of `size` active products at `at` in the listing order (category, name, SKU); only the
/// categories spelt `categories`, when given.
pub async fn active_listing(
    conn: &mut Conn,
    scope: Scope,
    categories: Option<&[String]>,
    at: &PageAt<ListingCursor>,
    size: usize,
) -> AppResult<Window<PublicProduct>> {
    let mut query = products::table
        .filter(active_of(scope.customer_uuid()))
        .select(PublicProduct::as_select())
        .limit(size as i64 + 1)
        .into_boxed();
    if let Some(categories) = categories {
        query = query.filter(products::category.eq_any(categories));
    }
    query = match at {
        PageAt::First => query.order((
            products::category.asc(),
            products::name.asc(),
            products::sku.asc(),
        )),
        PageAt::After(c) => query
            .filter(
                products::category
                    .gt(&c.category)
                    .or(products::category.eq(&c.category).and(
                        products::name
                            .gt(&c.name)
                            .or(products::name.eq(&c.name).and(products::sku.gt(&c.sku))),
                    )),
            )
            .order((
                products::category.asc(),
                products::name.asc(),
                products::sku.asc(),
            )),
        PageAt::Before(c) => query
            .filter(
                products::category
                    .lt(&c.category)
                    .or(products::category.eq(&c.category).and(
                        products::name
                            .lt(&c.name)
                            .or(products::name.eq(&c.name).and(products::sku.lt(&c.sku))),
                    )),
            )
            .order((
                products::category.desc(),
                products::name.desc(),
                products::sku.desc(),
            )),
    };
    let rows = query.load(conn).await?;
    Ok(Window::of(at, rows, size))
}

/// A category of the customer's active products, as visitors see it: every spelling of one
/// address form is one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The address form of its name ([`crate::address::form`]); `None` when the name has none
    /// that can be a path segment.
    pub slug: Option<String>,
    /// Its name: the first spelling in sort order.
    pub name: String,
    /// Every spelling its products use.
    pub spellings: Vec<String>,
}

/// The categories that have active products, sorted by name.
pub async fn active_categories(conn: &mut Conn, scope: Scope) -> AppResult<Vec<Category>> {
    let names: Vec<String> = products::table
        .filter(active_of(scope.customer_uuid()))
        .select(products::category)
        .distinct()
        .order(products::category.asc())
        .load(conn)
        .await?;
    let mut categories: Vec<Category> = Vec::new();
    for name in names {
        let form = crate::address::form(&name);
        let slug = crate::address::usable(&form).then_some(form);
        match categories
            .iter_mut()
            .find(|c| slug.is_some() && c.slug == slug)
        {
            Some(category) => category.spellings.push(name),
            None => categories.push(Category {
                slug,
                spellings: vec![name.clone()],
                name,
            }),
        }
    }
    Ok(categories)
}

/// The active product with this SKU.
pub async fn active_by_sku(mut conn: &Conn, scope: Scope, sku: &str) -> AppResult<PublicProduct> {
    products::table
        .filter(active_of(scope.customer_uuid()))
        .filter(products::sku.eq(sku))
        .select(PublicProduct::as_select())
        .first(&mut conn)
        .await
        .map_err(AppError::from)
}

/// The active products among these ids.
pub async fn active_by_ids(
    conn: &mut Conn,
    scope: Scope,
    ids: &[Uuid],
) -> AppResult<Vec<PublicProduct>> {
    products::table
        .filter(active_of(scope.customer_uuid()))
        .filter(products::id.eq_any(ids))
        .select(PublicProduct::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// How many active products the customer has.
pub async fn active_count(conn: &mut Conn, scope: Scope) -> AppResult<i64> {
    products::table
        .filter(active_of(scope.customer_uuid()))
        .count()
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// SKUs and modification times of active products by SKU, `limit` of them after skipping
/// `offset` (for the sitemap).
pub async fn active_skus(
    conn: &mut Conn,
    scope: Scope,
    offset: i64,
    limit: i64,
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    products::table
        .filter(active_of(scope.customer_uuid()))
        .order(products::sku.asc())
        .offset(offset)
        .limit(limit)
        .select((products::sku, products::updated_at))
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Every product (active or archived) with one of these SKUs.
pub async fn by_skus(conn: &mut Conn, scope: Scope, skus: &[String]) -> AppResult<Vec<Product>> {
    products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .filter(products::sku.eq_any(skus))
        .select(Product::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The search vector of a product (see [`crate::search::vector`]).
fn search_vector(product: &NewProduct) -> Weighted<'_, ProductVector, 3> {
    Weighted::new(
        PRODUCT_LANGUAGE,
        product_fields(
            &product.name,
            &product.category,
            &product.sku,
            &product.description,
        ),
    )
}

/// Inserts new products in bulk, with an audit event each.
pub async fn create_many(
    conn: &mut Conn,
    scope: Scope,
    new: &[NewProduct],
    actor: &Actor,
) -> AppResult<Vec<Product>> {
    let now = crate::db::now();
    let mut created = Vec::with_capacity(new.len());
    for chunk in new.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|p| {
                (
                    products::customer_id.eq(scope.customer_uuid()),
                    products::id.eq(Uuid::new_v4()),
                    products::sku.eq(&p.sku),
                    products::name.eq(&p.name),
                    products::description.eq(&p.description),
                    products::category.eq(&p.category),
                    products::wholesale_price.eq(&p.wholesale_price),
                    products::retail_price.eq(&p.retail_price),
                    products::in_stock.eq(p.in_stock),
                    products::created_at.eq(now),
                    products::updated_at.eq(now),
                    products::search_vector.eq(search_vector(p)),
                )
            })
            .collect();
        let inserted: Vec<Product> = diesel::insert_into(products::table)
            .values(rows)
            .returning(Product::as_returning())
            .get_results(conn)
            .await
            .map_err(|e| match AppError::from(e) {
                e if e.violates_unique("products_sku_per_customer") => {
                    AppError::Conflict("a SKU of the import already exists".into())
                }
                other => other,
            })?;
        created.extend(inserted);
    }
    let events = created
        .iter()
        .map(|product| Change {
            entity: "product",
            entity_id: product.id,
            action: "create",
            before: None,
            after: Some(audit_fields(product)),
        })
        .collect();
    audit::record_many(conn, scope, actor, events).await?;
    Ok(created)
}

/// Why a product is being saved: the audit action, and for price changes the change set and the
/// reason recorded in the price history.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub action: &'a str,
    /// The change set of a price change; `None` when the prices stay as they are.
    pub change_set: Option<Uuid>,
    pub reason: &'a str,
}

/// Saves a changed product if it is still at the version `current` was read at; otherwise
/// [`AppError::Conflict`] and nothing changes. A price change is recorded in the price history.
pub async fn save(
    conn: &mut Conn,
    scope: Scope,
    current: &Product,
    changed: &Product,
    edit: Edit<'_>,
    actor: &Actor,
) -> AppResult<Product> {
    let mut saved = save_many(
        conn,
        scope,
        &[(current.clone(), changed.clone())],
        edit,
        actor,
    )
    .await?;
    saved.pop().ok_or_else(|| {
        AppError::Conflict(format!(
            "the product {} was changed by someone else",
            current.sku
        ))
    })
}

/// The fields of a product that the audit log compares.
fn audit_fields(product: &Product) -> serde_json::Value {
    json!({
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "wholesale_price": product.wholesale_price.to_string(),
        "retail_price": product.retail_price.to_string(),
        "in_stock": product.in_stock,
        "archived_at": product.archived_at,
    })
}

/// Which products the admin list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shelf {
    #[default]
    Active,
    Archived,
    All,
}

/// How the admin list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Name,
    /// Retail price, lowest first.
    Price,
    /// Most recently changed first.
    Updated,
}

impl SortOrder {
    /// Whether the list runs from smaller keys to larger ones.
    fn ascending(self) -> bool {
        !matches!(self, SortOrder::Updated)
    }
}

/// A position in the admin list: the sort key of a row and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub key: String,
    pub id: Uuid,
}

impl ListCursor {
    /// The URL form: `<id>.<key>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.id.simple(), self.key)
    }

    pub fn decode(text: &str) -> Option<ListCursor> {
        let (id, key) = text.split_once('.')?;
        Some(ListCursor {
            id: Uuid::try_parse(id).ok()?,
            key: key.to_owned(),
        })
    }

    fn of(product: &Product, order: SortOrder) -> ListCursor {
        let key = match order {
            SortOrder::Name => product.name.clone(),
            SortOrder::Price => product.retail_price.to_string(),
            SortOrder::Updated => product.updated_at.timestamp_micros().to_string(),
        };
        ListCursor {
            key,
            id: product.id,
        }
    }

    /// The key as a price (for [`SortOrder::Price`]); anything else is a 400.
    fn price(&self) -> AppResult<BigDecimal> {
        self.key.parse().map_err(|_| bad_page_link())
    }

    /// The key as a time (for [`SortOrder::Updated`]); anything else is a 400.
    fn time(&self) -> AppResult<DateTime<Utc>> {
        let micros: i64 = self.key.parse().map_err(|_| bad_page_link())?;
        DateTime::from_timestamp_micros(micros).ok_or_else(bad_page_link)
    }
}

fn bad_page_link() -> AppError {
    AppError::BadRequest("The page link is not valid.".into())
}

/// What the admin list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Part of the name or the SKU, any case.
    pub search: Option<String>,
    pub category: Option<String>,
    pub shelf: Shelf,
    pub order: SortOrder,
    pub page: PageAt<ListCursor>,
}

/// Rows per page of the admin list.
pub const ADMIN_PAGE_SIZE: i64 = 50;

/// A page of the admin list and the positions of its neighbours.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub products: Vec<Product>,
    /// Where the previous page ends, if there is one.
    pub previous: Option<ListCursor>,
    /// Where the next page starts, if there is one.
    pub next: Option<ListCursor>,
}

/// The admin list's query before its order.
type ListRows = products::BoxedQuery<'static, Pg, SqlTypeOf<AsSelect<Product, Pg>>>;

/// A page of the customer's products for the admin (keyset pagination in the chosen order; the
/// page before a position is read in reverse order and turned around).
pub async fn admin_list(conn: &mut Conn, scope: Scope, query: &ListQuery) -> AppResult<ListPage> {
    let rows = in_order(matching(scope, query), query.order, &query.page)?;
    let found: Vec<Product> = rows.limit(ADMIN_PAGE_SIZE + 1).load(conn).await?;
    let page = Window::of(&query.page, found, ADMIN_PAGE_SIZE as usize);
    let position = |p: &Product| ListCursor::of(p, query.order);
    Ok(ListPage {
        previous: page.previous(position),
        next: page.next(position),
        products: page.rows,
    })
}

/// The customer's products on the shelf, matching the search and the category.
fn matching(scope: Scope, query: &ListQuery) -> ListRows {
    let mut rows = products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .select(Product::as_select())
        .into_boxed();
    rows = match query.shelf {
        Shelf::Active => rows.filter(products::archived_at.is_null()),
        Shelf::Archived => rows.filter(products::archived_at.is_not_null()),
        Shelf::All => rows,
    };
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = crate::db::like_contains(search);
        rows = rows.filter(
            products::name
                .ilike(pattern.clone())
                .or(products::sku.ilike(pattern)),
        );
    }
    if let Some(category) = &query.category {
        rows = rows.filter(products::category.eq(category.clone()));
    }
    rows
}

/// Rows ordered by `$column` then id, towards larger keys when `$up`, past `($key, $id)` when
/// given.
macro_rules! keyset {
    ($rows:expr, $column:expr, $up:expr) => {
        if $up {
            $rows.order(($column.asc(), products::id.asc()))
        } else {
            $rows.order(($column.desc(), products::id.desc()))
        }
    };
    ($rows:expr, $column:expr, $up:expr, $key:expr, $id:expr) => {{
        let (key, id) = ($key, $id);
        let past = if $up {
            $rows.filter(
                $column
                    .gt(key.clone())
                    .or($column.eq(key).and(products::id.gt(id))),
            )
        } else {
            $rows.filter(
                $column
                    .lt(key.clone())
                    .or($column.eq(key).and(products::id.lt(id))),
            )
        };
        keyset!(past, $column, $up)
    }};
}

/// Orders the rows for the page at `at` and keeps those past its position: in the list's order,
/// or against it for the page before a position.
fn in_order(rows: ListRows, order: SortOrder, at: &PageAt<ListCursor>) -> AppResult<ListRows> {
    let up = order.ascending() != at.reversed();
    let cursor = match at {
        PageAt::First => None,
        PageAt::After(c) | PageAt::Before(c) => Some(c),
    };
    Ok(match (order, cursor) {
        (SortOrder::Name, None) => keyset!(rows, products::name, up),
        (SortOrder::Price, None) => keyset!(rows, products::retail_price, up),
        (SortOrder::Updated, None) => keyset!(rows, products::updated_at, up),
        (SortOrder::Name, Some(c)) => keyset!(rows, products::name, up, c.key.clone(), c.id),
        (SortOrder::Price, Some(c)) => {
            keyset!(rows, products::retail_price, up, c.price()?, c.id)
        }
        (SortOrder::Updated, Some(c)) => {
            keyset!(rows, products::updated_at, up, c.time()?, c.id)
        }
    })
}

/// Every category the customer uses (active or archived products), sorted.
pub async fn all_categories(conn: &mut Conn, scope: Scope) -> AppResult<Vec<String>> {
    products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .select(products::category)
        .distinct()
        .order(products::category.asc())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Any product of the customer in scope, by id.
pub async fn find(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Product> {
    products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .filter(products::id.eq(id))
        .select(Product::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// Archives or restores a product if it is still at the version `current` was read at.
pub async fn set_archived(
    conn: &mut Conn,
    scope: Scope,
    current: &Product,
    archived: bool,
    actor: &Actor,
) -> AppResult<Product> {
    let mut changed = current.clone();
    changed.archived_at = archived.then(crate::db::now);
    let edit = Edit {
        action: if archived { "archive" } else { "restore" },
        change_set: None,
        reason: "",
    };
    save(conn, scope, current, &changed, edit, actor).await
}

/// Every product of the customer in scope with one of these ids.
pub async fn by_ids(conn: &mut Conn, scope: Scope, ids: &[Uuid]) -> AppResult<Vec<Product>> {
    products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .filter(products::id.eq_any(ids))
        .select(Product::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Saves many changed products in one statement (bulk changes, imports): each only if it is still
/// at the version it was read at — if any is not, [`AppError::Conflict`] names it and the caller's
/// transaction must roll back. Price changes go to the price history and every product gets an
/// audit event, all in batches.
pub async fn save_many(
    conn: &mut Conn,
    scope: Scope,
    changes: &[(Product, Product)],
    edit: Edit<'_>,
    actor: &Actor,
) -> AppResult<Vec<Product>> {
    use diesel::sql_types::{
        Array, Bool, Int4, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
    };
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let now = crate::db::now();
    let saved: Vec<Product> = diesel::sql_query(format!(
        "UPDATE thorne.products AS p
            SET sku = u.sku, name = u.name, description = u.description, category = u.category,
                wholesale_price = u.wholesale_price, retail_price = u.retail_price,
                in_stock = u.in_stock, archived_at = u.archived_at, version = p.version + 1,
                updated_at = $2, search_vector = {}
           FROM unnest($3::uuid[], $4::int4[], $5::text[], $6::text[], $7::text[],
                       $8::numeric[], $9::numeric[], $10::bool[], $11::text[], $12::timestamptz[])
                AS u(id, version, name, description, category, wholesale_price, retail_price,
                     in_stock, sku, archived_at)
          WHERE p.customer_id = $1 AND p.id = u.id AND p.version = u.version
      RETURNING p.*",
        product_vector_sql("u")
    ))
    .bind::<SqlUuid, _>(scope.customer_uuid())
    .bind::<Timestamptz, _>(now)
    .bind::<Array<SqlUuid>, _>(changes.iter().map(|(c, _)| c.id).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(changes.iter().map(|(c, _)| c.version).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        changes
            .iter()
            .map(|(_, n)| n.name.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        changes
            .iter()
            .map(|(_, n)| n.description.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        changes
            .iter()
            .map(|(_, n)| n.category.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Numeric>, _>(
        changes
            .iter()
            .map(|(_, n)| n.wholesale_price.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Numeric>, _>(
        changes
            .iter()
            .map(|(_, n)| n.retail_price.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Bool>, _>(changes.iter().map(|(_, n)| n.in_stock).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        changes
            .iter()
            .map(|(_, n)| n.sku.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(
        changes
            .iter()
            .map(|(_, n)| n.archived_at)
            .collect::<Vec<_>>(),
    )
    .load(conn)
    .await
    .map_err(|e| match AppError::from(e) {
        e if e.violates_unique("products_sku_per_customer") => {
            AppError::Conflict("that SKU is already used by another product".into())
        }
        other => other,
    })?;
    let saved_by_id: HashMap<Uuid, &Product> = saved.iter().map(|p| (p.id, p)).collect();
    if saved.len() != changes.len() {
        let stale: Vec<&str> = changes
            .iter()
            .filter(|(c, _)| !saved_by_id.contains_key(&c.id))
            .map(|(c, _)| c.sku.as_str())
            .collect();
        return Err(AppError::Conflict(format!(
            "changed by someone else meanwhile: {}",
            stale.join(", ")
        )));
    }
    let pairs: Vec<(&Product, &Product)> = changes
        .iter()
        .filter_map(|(current, _)| saved_by_id.get(&current.id).map(|s| (current, *s)))
        .collect();
    price_history::record_many(conn, scope, edit.change_set, &pairs, edit.reason, actor).await?;
    let events = pairs
        .iter()
        .map(|(before, after)| Change {
            entity: "product",
            entity_id: after.id,
            action: edit.action,
            before: Some(audit_fields(before)),
            after: Some(audit_fields(after)),
        })
        .collect();
    audit::record_many(conn, scope, actor, events).await?;
    Ok(saved)
}

/// Saves a product whose prices stay as they are (name, description, category, SKU, stock): an
/// audit event, no change set and no price history. A price change is refused here: it belongs to
/// a change set and goes through [`save`].
pub async fn save_details(
    conn: &mut Conn,
    scope: Scope,
    current: &Product,
    changed: &Product,
    action: &str,
    actor: &Actor,
) -> AppResult<Product> {
    if price_history::prices_differ(current, changed) {
        return Err(AppError::Internal(
            "a price change must be saved with its change set".into(),
        ));
    }
    let edit = Edit {
        action,
        change_set: None,
        reason: "",
    };
    save(conn, scope, current, changed, edit, actor).await
}

/// Whether another product of the customer (not `except`) has this SKU, archived ones included.
pub async fn sku_taken(
    conn: &mut Conn,
    scope: Scope,
    sku: &str,
    except: Option<Uuid>,
) -> AppResult<bool> {
    let mut query = products::table
        .filter(products::customer_id.eq(scope.customer_uuid()))
        .filter(products::sku.eq(sku))
        .select(products::id)
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(products::id.ne(except));
    }
    let found: Option<Uuid> = query.first(conn).await.optional()?;
    Ok(found.is_some())
}

/// Bumps the version (and the time of the last change) of products whose fields stay as they are
/// but whose related rows change (their gallery), each only if it is still at the version it was
/// read at; if any is not, [`AppError::Conflict`] names it and the caller's transaction must roll
/// back. The caller records the audit event of what changed.
pub async fn bump_versions(
    conn: &mut Conn,
    scope: Scope,
    current: &[&Product],
) -> AppResult<Vec<Product>> {
    use diesel::sql_types::{Array, Int4, Timestamptz, Uuid as SqlUuid};
    if current.is_empty() {
        return Ok(Vec::new());
    }
    let saved: Vec<Product> = diesel::sql_query(
        "UPDATE thorne.products AS p
            SET version = p.version + 1, updated_at = $2
           FROM unnest($3::uuid[], $4::int4[]) AS u(id, version)
          WHERE p.customer_id = $1 AND p.id = u.id AND p.version = u.version
      RETURNING p.*",
    )
    .bind::<SqlUuid, _>(scope.customer_uuid())
    .bind::<Timestamptz, _>(crate::db::now())
    .bind::<Array<SqlUuid>, _>(current.iter().map(|p| p.id).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(current.iter().map(|p| p.version).collect::<Vec<_>>())
    .load(conn)
    .await?;
    if saved.len() != current.len() {
        let stale: Vec<&str> = current
            .iter()
            .filter(|c| !saved.iter().any(|s| s.id == c.id))
            .map(|c| c.sku.as_str())
            .collect();
        return Err(AppError::Conflict(format!(
            "changed by someone else meanwhile: {}",
            stale.join(", ")
        )));
    }
    Ok(saved)
}
