//! `GET /admin/products`: the customer's catalog for pricing staff — search by name or SKU (any
//! case), category filter, active/archived/all, sort by name, retail price or last change, keyset
//! pagination (50 a page, `?after=` and `?before=` a product) with links that keep the filters.
//! Each row shows both prices in the customer's currency, the margin, the stock and an archive or
//! restore button.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use bigdecimal::{BigDecimal, RoundingMode, Zero};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::db::keyset::PageAt;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::thorne::money::format_price;
use crate::thorne::products::{self, ListCursor, ListQuery, Product, Shelf, SortOrder};
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::pagination::{PageLinks, append_position};
use crate::web::admin::products::{Choice, choices};
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The query string of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    category: Option<String>,
    shelf: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

fn parse_shelf(text: &str) -> AppResult<Shelf> {
    match text {
        "" | "active" => Ok(Shelf::Active),
        "archived" => Ok(Shelf::Archived),
        "all" => Ok(Shelf::All),
        other => Err(AppError::BadRequest(format!(
            "unknown shelf {other:?}: use active, archived or all"
        ))),
    }
}

fn shelf_str(shelf: Shelf) -> &'static str {
    match shelf {
        Shelf::Active => "active",
        Shelf::Archived => "archived",
        Shelf::All => "all",
    }
}

fn parse_sort(text: &str) -> AppResult<SortOrder> {
    match text {
        "" | "name" => Ok(SortOrder::Name),
        "price" => Ok(SortOrder::Price),
        "updated" => Ok(SortOrder::Updated),
        other => Err(AppError::BadRequest(format!(
            "unknown sort {other:?}: use name, price or updated"
        ))),
    }
}

fn sort_str(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Name => "name",
        SortOrder::Price => "price",
        SortOrder::Updated => "updated",
    }
}

/// The address of a page of the list with these filters.
fn url(query: &ListQuery, at: &PageAt<ListCursor>) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    if let Some(search) = &query.search {
        pairs.append_pair("q", search);
    }
    if let Some(category) = &query.category {
        pairs.append_pair("category", category);
    }
    if query.shelf != Shelf::Active {
        pairs.append_pair("shelf", shelf_str(query.shelf));
    }
    if query.order != SortOrder::Name {
        pairs.append_pair("sort", sort_str(query.order));
    }
    append_position(&mut pairs, at, ListCursor::encode);
    let pairs = pairs.finish();
    if pairs.is_empty() {
        "/admin/products".to_owned()
    } else {
        format!("/admin/products?{pairs}")
    }
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl ListParams {
    fn query(&self) -> AppResult<ListQuery> {
        let page = PageAt::from_query(self.after.as_deref(), self.before.as_deref(), |text| {
            ListCursor::decode(text).ok_or_else(|| {
                AppError::BadRequest("the page position in the address is not valid".into())
            })
        })?;
        Ok(ListQuery {
            search: non_empty(self.q.as_deref()),
            category: non_empty(self.category.as_deref()),
            shelf: parse_shelf(self.shelf.as_deref().unwrap_or("").trim())?,
            order: parse_sort(self.sort.as_deref().unwrap_or("").trim())?,
            page,
        })
    }
}

/// Retail minus wholesale, and that as a share of the retail price.
fn margin(product: &Product, currency: &str) -> String {
    let amount = &product.retail_price - &product.wholesale_price;
    let money = format_price(&amount, currency);
    if product.retail_price.is_zero() {
        return money;
    }
    let percent = (&amount * BigDecimal::from(100) / &product.retail_price)
        .with_scale_round(1, RoundingMode::HalfUp);
    format!("{money} ({percent}%)")
}

/// A line of the list.
pub struct Row {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub wholesale: String,
    pub retail: String,
    pub margin: String,
    pub negative_margin: bool,
    pub in_stock: bool,
    pub updated: String,
    pub version: i32,
    pub archived: bool,
}

impl Row {
    fn of(product: &Product, currency: &str) -> Row {
        Row {
            id: product.id.to_string(),
            sku: product.sku.clone(),
            name: product.name.clone(),
            category: product.category.clone(),
            wholesale: format_price(&product.wholesale_price, currency),
            retail: format_price(&product.retail_price, currency),
            margin: margin(product, currency),
            negative_margin: product.retail_price < product.wholesale_price,
            in_stock: product.in_stock,
            updated: display_time(product.updated_at),
            version: product.version,
            archived: product.archived_at.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/products/list.html")]
pub struct ListPage {
    pub layout: AdminLayout,
    pub search: String,
    pub categories: Vec<Choice>,
    pub shelves: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub rows: Vec<Row>,
    /// This page's address, to come back to after archiving or restoring.
    pub this_url: String,
    pub pages: PageLinks,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let query = params.query()?;
    let scope = user.scope;
    let (page, all_categories) = state
        .db
        .tenant_read(scope, |conn| {
            let query = &query;
            async move {
                let page = products::admin_list(conn, scope, query).await?;
                let categories = products::all_categories(conn, scope).await?;
                Ok((page, categories))
            }
            .scope_boxed()
        })
        .await?;
    let currency = site.ctx.currency.as_str();
    let category = query.category.clone().unwrap_or_default();
    let mut categories = vec![Choice {
        value: String::new(),
        label: "All categories".into(),
        selected: category.is_empty(),
    }];
    categories.extend(all_categories.into_iter().map(|name| Choice {
        selected: name == category,
        label: name.clone(),
        value: name,
    }));
    let body = response::render(&ListPage {
        layout: AdminLayout::new("Products", &site, &user, &session),
        search: query.search.clone().unwrap_or_default(),
        categories,
        shelves: choices(
            &[
                ("active", "Active"),
                ("archived", "Archived"),
                ("all", "All"),
            ],
            shelf_str(query.shelf),
        ),
        sorts: choices(
            &[
                ("name", "Name"),
                ("price", "Retail price"),
                ("updated", "Last changed"),
            ],
            sort_str(query.order),
        ),
        rows: page.products.iter().map(|p| Row::of(p, currency)).collect(),
        this_url: url(&query, &query.page),
        pages: PageLinks::new(&query.page, page.previous, page.next, |at| url(&query, &at)),
    })?;
    Ok(response::private_html(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn product(wholesale: &str, retail: &str) -> Product {
        let now = chrono::Utc::now();
        Product {
            customer_id: uuid::Uuid::nil(),
            id: uuid::Uuid::nil(),
            sku: "S".into(),
            name: "N".into(),
            description: String::new(),
            category: "C".into(),
            wholesale_price: BigDecimal::from_str(wholesale).unwrap(),
            retail_price: BigDecimal::from_str(retail).unwrap(),
            in_stock: true,
            archived_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn margin_is_an_amount_and_a_share_of_retail() {
        assert_eq!(margin(&product("10.00", "18.00"), "USD"), "$8.00 (44.4%)");
        assert_eq!(margin(&product("20.00", "15.00"), "EUR"), "-€5.00 (-33.3%)");
        assert_eq!(margin(&product("0.00", "0.00"), "USD"), "$0.00");
    }

    #[test]
    fn page_links_keep_the_filters() {
        let query = ListQuery {
            search: Some("d3 & co".into()),
            category: Some("Vitamins".into()),
            shelf: Shelf::All,
            order: SortOrder::Price,
            page: PageAt::First,
        };
        assert_eq!(
            url(&query, &PageAt::First),
            "/admin/products?q=d3+%26+co&category=Vitamins&shelf=all&sort=price"
        );
        let position = ListCursor {
            key: "12.50".into(),
            id: uuid::Uuid::nil(),
        };
        assert_eq!(
            url(&query, &PageAt::Before(position)),
            "/admin/products?q=d3+%26+co&category=Vitamins&shelf=all&sort=price\
             &before=00000000000000000000000000000000.12.50"
        );
        assert_eq!(
            url(&ListQuery::default(), &PageAt::First),
            "/admin/products"
        );
    }

    #[test]
    fn unknown_shelf_or_sort_is_a_bad_request() {
        assert!(parse_shelf("trash").is_err());
        assert!(parse_sort("sku").is_err());
    }
}
