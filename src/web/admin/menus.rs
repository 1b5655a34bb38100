//! `/admin/menus` (owners): the site's header menu and footer links, each edited as a whole
//! without JavaScript — a row per link (label, where it leads, its position, a box to remove
//! it) and empty rows to add links. `POST /admin/menus/{placement}` saves one menu over the
//! version the form was loaded at; bad links re-render the form with every problem (422, nothing
//! saved), a menu saved by someone else meanwhile answers 409 with the typed rows kept.
//!
//! A saved menu shows on the next request to this server (the host directory, which keeps the
//! menus with the site's context, is invalidated) and within a second on every other one.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::content::menus::{self, Item, MAX_ITEMS, Menu, Placement, Target};
use crate::content::pages;
use crate::error::{AppError, AppResult};
use crate::thorne::products;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::see_other;
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/menus", web::get().to(page))
        .route("/menus/{placement}", web::post().to(save));
}

/// Empty rows offered below a menu's links.
const BLANK_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "admin/menus.html")]
pub struct MenusPage {
    pub layout: AdminLayout,
    pub menus: Vec<MenuForm>,
    /// What a link can lead to.
    pub choices: Vec<Choice>,
}

/// The form of one menu.
pub struct MenuForm {
    pub placement: &'static str,
    pub heading: &'static str,
    pub version: i32,
    pub rows: Vec<Row>,
    pub problems: Vec<String>,
}

/// One row of a menu's form.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub n: usize,
    pub label: String,
    /// The chosen [`Choice::value`].
    pub target: String,
    /// The tag's name or the external address, for those targets.
    pub value: String,
    pub order: String,
}

/// An option of the "leads to" list.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The options every row offers: fixed places, the site's pages, the catalog's categories, and
/// a tag or an address typed beside.
async fn choices(
    state: &AppState,
    user: &CurrentUser,
    site: &RequestSite,
) -> AppResult<Vec<Choice>> {
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let (pages, categories) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let pages = pages::of_site(conn, scope, site_id).await?;
                let categories = products::active_categories(conn, scope).await?;
                Ok((pages, categories))
            }
            .scope_boxed()
        })
        .await?;
    let choice = |value: String, label: String| Choice { value, label };
    let mut all = vec![
        choice("home".into(), "Home page".into()),
        choice("products".into(), "Product list".into()),
        choice("tag".into(), "Tag (name it beside)".into()),
        choice("url".into(), "External https:// address (beside)".into()),
    ];
    all.extend(pages.into_iter().map(|(id, title, address)| {
        choice(format!("page:{id}"), format!("Page: {title} (/{address})"))
    }));
    all.extend(categories.into_iter().filter_map(|c| {
        let slug = c.slug?;
        Some(choice(
            format!("category:{slug}"),
            format!("Category: {}", c.name),
        ))
    }));
    Ok(all)
}

/// The rows of a stored menu, with blank rows to add links.
fn rows_of(menu: &Menu) -> Vec<Row> {
    let mut rows: Vec<Row> = menu
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let (target, value) = match &item.target {
                Target::Home => ("home".to_owned(), String::new()),
                Target::Products => ("products".to_owned(), String::new()),
                Target::Page(id) => (format!("page:{id}"), String::new()),
                Target::Category(slug) => (format!("category:{slug}"), String::new()),
                Target::Tag(tag) => ("tag".to_owned(), tag.clone()),
                Target::Url(url) => ("url".to_owned(), url.clone()),
            };
            Row {
                n: i,
                label: item.label.clone(),
                target,
                value,
                order: (i + 1).to_string(),
            }
        })
        .collect();
    with_blank_rows(&mut rows);
    rows
}

fn with_blank_rows(rows: &mut Vec<Row>) {
    let start = rows.iter().map(|r| r.n + 1).max().unwrap_or(0);
    rows.extend((start..start + BLANK_ROWS).map(|n| Row {
        n,
        ..Row::default()
    }));
}

async fn render(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    typed: Option<MenuForm>,
) -> AppResult<String> {
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let stored = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let mut all = Vec::new();
                for placement in Placement::ALL {
                    all.push((
                        placement,
                        menus::for_editing(conn, scope, site_id, placement).await?,
                    ));
                }
                Ok(all)
            }
            .scope_boxed()
        })
        .await?;
    let mut typed = typed;
    let forms = stored
        .into_iter()
        .map(|(placement, menu)| match typed.take() {
            Some(form) if form.placement == placement.as_str() => form,
            other => {
                typed = other;
                MenuForm {
                    placement: placement.as_str(),
                    heading: placement.label(),
                    version: menu.version,
                    rows: rows_of(&menu),
                    problems: Vec::new(),
                }
            }
        })
        .collect();
    response::render(&MenusPage {
        layout: AdminLayout::new("Menus", site, user, session),
        menus: forms,
        choices: choices(state, user, site).await?,
    })
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let body = render(&state, &site, &user, &session, None).await?;
    Ok(response::private_html(body))
}

pub async fn save(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    placement: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let placement = Placement::parse(&placement).ok_or(AppError::NotFound)?;
    let fields = form.into_inner();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let expected = menu_version(field("version"))?;
    let rows = typed_rows(&fields)?;
    let items = items_of(&rows);
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, &user.actor);
    let saved = match items {
        Err(problems) => Err(AppError::Invalid(problems.join(" "))),
        Ok(items) => {
            state
                .db
                .tenant_tx(scope, |conn| {
                    let items = &items;
                    async move {
                        menus::save(conn, scope, site_id, placement, expected, items, actor).await
                    }
                    .scope_boxed()
                })
                .await
        }
    };
    let (status, problem) = match saved {
        Ok(()) => {
            state.directory.invalidate();
            session::flash(&session, &format!("{} saved.", placement.label()));
            return Ok(see_other("/admin/menus"));
        }
        Err(AppError::Invalid(problems)) => (StatusCode::UNPROCESSABLE_ENTITY, problems),
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            format!(
                "{message}. The form now holds your links over the saved version: save again to keep them."
            ),
        ),
        Err(other) => return Err(other),
    };
    let current = state
        .db
        .tenant_read(scope, |conn| {
            async move { menus::for_editing(conn, scope, site_id, placement).await }.scope_boxed()
        })
        .await?;
    let mut rows = rows;
    with_blank_rows(&mut rows);
    let typed = MenuForm {
        placement: placement.as_str(),
        heading: placement.label(),
        // After a conflict the next save goes over the version now stored.
        version: current.version,
        rows,
        problems: vec![problem],
    };
    let body = render(&state, &site, &user, &session, Some(typed)).await?;
    Ok(response::private_html_status(status, body))
}

/// The version a menu's form was loaded at: 0 for a menu never saved.
fn menu_version(text: Option<&str>) -> AppResult<i32> {
    text.map(str::trim)
        .and_then(|t| t.parse::<i32>().ok())
        .filter(|v| *v >= 0)
        .ok_or_else(|| AppError::BadRequest("the form carries no valid version".into()))
}

/// The rows of the form as typed, in the order their positions give (ties and blank positions
/// keep the form's order); empty rows and rows marked for removal are left out.
fn typed_rows(fields: &[(String, String)]) -> AppResult<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
    let mut removed: Vec<usize> = Vec::new();
    for (name, value) in fields {
        let Some((kind, n)) = name.rsplit_once('_') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else {
            continue;
        };
        if n >= MAX_ITEMS + BLANK_ROWS {
            return Err(AppError::BadRequest(format!(
                "a menu form has at most {} rows",
                MAX_ITEMS + BLANK_ROWS
            )));
        }
        let row = match rows.iter_mut().find(|r| r.n == n) {
            Some(row) => row,
            None => {
                rows.push(Row {
                    n,
                    ..Row::default()
                });
                rows.last_mut().expect("just pushed")
            }
        };
        match kind {
            "label" => row.label = value.trim().to_owned(),
            "target" => row.target = value.trim().to_owned(),
            "value" => row.value = value.trim().to_owned(),
            "order" => row.order = value.trim().to_owned(),
            "remove" => removed.push(n),
            _ => {}
        }
    }
    let is_empty = |r: &Row| r.label.is_empty() && r.value.is_empty() && r.target.is_empty();
    rows.retain(|r| !removed.contains(&r.n) && !is_empty(r));
    rows.sort_by_key(|r| (r.order.parse::<u32>().unwrap_or(u32::MAX), r.n));
    for (i, row) in rows.iter_mut().enumerate() {
        row.n = i;
        row.order = (i + 1).to_string();
    }
    Ok(rows)
}

/// The links the rows ask for, or every problem found.
fn items_of(rows: &[Row]) -> Result<Vec<Item>, Vec<String>> {
    let mut problems = Vec::new();
    let mut items = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        match target_of(row) {
            Ok(target) => items.push(Item {
                label: row.label.clone(),
                target,
            }),
            Err(problem) => problems.push(format!("Link {}: {problem}.", i + 1)),
        }
    }
    problems.extend(menus::problems(&items));
    if problems.is_empty() {
        Ok(items)
    } else {
        Err(problems)
    }
}

/// Where a row leads.
fn target_of(row: &Row) -> Result<Target, &'static str> {
    let (kind, rest) = row.target.split_once(':').unwrap_or((&row.target, ""));
    match kind {
        "home" => Ok(Target::Home),
        "products" => Ok(Target::Products),
        "page" => Uuid::try_parse(rest)
            .map(Target::Page)
            .map_err(|_| "choose the page from the list"),
        "category" if !rest.is_empty() => Ok(Target::Category(crate::address::form(rest))),
        "tag" if !row.value.is_empty() => Ok(Target::Tag(crate::address::form(&row.value))),
        "tag" => Err("name the tag beside"),
        "url" if !row.value.is_empty() => Ok(Target::Url(row.value.clone())),
        "url" => Err("enter the https:// address beside"),
        _ => Err("choose where the link leads"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn rows_follow_their_positions_and_drop_empty_and_removed_ones() {
        let rows = typed_rows(&fields(&[
            ("version", "3"),
            ("label_0", "Shop"),
            ("target_0", "products"),
            ("order_0", "2"),
            ("label_1", "Home"),
            ("target_1", "home"),
            ("order_1", "1"),
            ("label_2", "Gone"),
            ("target_2", "home"),
            ("remove_2", "1"),
            ("label_3", ""),
            ("target_3", ""),
        ]))
        .unwrap();
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Home", "Shop"]);
        assert!(typed_rows(&fields(&[("label_999", "x")])).is_err());
    }

    #[test]
    fn targets_of_rows() {
        let row = |target: &str, value: &str| Row {
            label: "x".into(),
            target: target.into(),
            value: value.into(),
            ..Row::default()
        };
        assert_eq!(
            target_of(&row("tag", "Vitamin D")),
            Ok(Target::Tag("vitamin-d".into()))
        );
        assert!(target_of(&row("tag", "")).is_err());
        assert!(target_of(&row("page:nope", "")).is_err());
        assert!(target_of(&row("", "")).is_err());
        assert!(target_of(&row("url", "")).is_err());
        assert_eq!(
            target_of(&row("url", "https://e.org")),
            Ok(Target::Url("https://e.org".into()))
        );
    }
}
