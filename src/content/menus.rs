//! Navigation menus of a site: the header's and the footer's, each an ordered list of links that
//! owners edit as a whole ([`save`], versioned and audited) and that every public page shows
//! ([`visible`], kept with the site's context by [`crate::tenancy::directory`]).
//!
//! A link leads to the home page, the product list, a page of the site (by id: it follows the
//! page's address and is hidden while the page is not visible), a tag or a product category (by
//! address form), or an external `https://` address.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::content::posts::{Kind, visible_pages_on};
use crate::db::Conn;
use crate::db::schema::content::{menu_items, menus, posts};
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// Most links of one menu.
pub const MAX_ITEMS: usize = 20;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest external address, in bytes.
pub const MAX_URL_BYTES: usize = 2000;

/// Where a menu is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    Header,
    Footer,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::Header, Placement::Footer];

    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Header => "header",
            Placement::Footer => "footer",
        }
    }

    pub fn parse(text: &str) -> Option<Placement> {
        Placement::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// How the admin names it.
    pub fn label(self) -> &'static str {
        match self {
            Placement::Header => "Header menu",
            Placement::Footer => "Footer links",
        }
    }
}

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Home,
    Products,
    /// A page of the site, by id.
    Page(Uuid),
    /// A tag, by address form.
    Tag(String),
    /// A product category, by address form.
    Category(String),
    /// An external `https://` address.
    Url(String),
}

impl Target {
    fn kind(&self) -> &'static str {
        match self {
            Target::Home => "home",
            Target::Products => "products",
            Target::Page(_) => "page",
            Target::Tag(_) => "tag",
            Target::Category(_) => "category",
            Target::Url(_) => "url",
        }
    }

    fn value(&self) -> &str {
        match self {
            Target::Tag(v) | Target::Category(v) | Target::Url(v) => v,
            Target::Home | Target::Products | Target::Page(_) => "",
        }
    }

    fn page_id(&self) -> Option<Uuid> {
        match self {
            Target::Page(id) => Some(*id),
            _ => None,
        }
    }

    /// The target of a stored row.
    fn of_row(row: &ItemRow) -> Option<Target> {
        Some(match row.target.as_str() {
            "home" => Target::Home,
            "products" => Target::Products,
            "page" => Target::Page(row.page_id?),
            "tag" => Target::Tag(row.target_value.clone()),
            "category" => Target::Category(row.target_value.clone()),
            "url" => Target::Url(row.target_value.clone()),
            _ => return None,
        })
    }
}

/// One link of a menu as owners edit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub target: Target,
}

/// A menu as owners edit it: its links in order and the version they were read at (0 for a
/// menu never saved).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Menu {
    pub version: i32,
    pub items: Vec<Item>,
}

/// A link as visitors see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    /// A path on the site, or an external address.
    pub href: String,
    pub external: bool,
}

/// The menus of a site as visitors see them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteMenus {
    pub header: Vec<Link>,
    pub footer: Vec<Link>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = menu_items)]
struct ItemRow {
    placement: String,
    label: String,
    target: String,
    page_id: Option<Uuid>,
    target_value: String,
}

/// The stored links of the site's menus (or of one of them), in order.
async fn rows(
    mut conn: &Conn,
    scope: Scope,
    site: SiteId,
    placement: Option<Placement>,
) -> AppResult<Vec<ItemRow>> {
    let mut query = menu_items::table
        .filter(menu_items::customer_id.eq(scope.customer_uuid()))
        .filter(menu_items::site_id.eq(site.as_uuid()))
        .order((menu_items::placement.asc(), menu_items::ordinal.asc()))
        .select(ItemRow::as_select())
        .into_boxed();
    if let Some(placement) = placement {
        query = query.filter(menu_items::placement.eq(placement.as_str()));
    }
    query.load(&mut conn).await.map_err(AppError::from)
}

/// The site's menus as visitors see them: a link to a page that visitors cannot see (a draft, a
/// page in the trash) is left out until they can.
pub async fn visible(mut conn: &Conn, scope: Scope, site: SiteId) -> AppResult<SiteMenus> {
    let rows = rows(conn, scope, site, None).await?;
    let page_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.page_id).collect();
    let addresses: HashMap<Uuid, String> = if page_ids.is_empty() {
        HashMap::new()
    } else {
        posts::table
            .filter(visible_pages_on(scope.customer_uuid(), site.as_uuid()))
            .filter(posts::id.eq_any(&page_ids))
            .select((posts::id, posts::slug))
            .load::<(Uuid, String)>(&mut conn)
            .await?
            .into_iter()
            .collect()
    };
    let mut menus = SiteMenus::default();
    for row in &rows {
        let Some(link) = Target::of_row(row).and_then(|t| link_to(&t, &row.label, &addresses))
        else {
            continue;
        };
        match Placement::parse(&row.placement) {
            Some(Placement::Header) => menus.header.push(link),
            Some(Placement::Footer) => menus.footer.push(link),
            None => {}
        }
    }
    Ok(menus)
}

/// The link visitors see for `target`, given the addresses of the visible pages.
fn link_to(target: &Target, label: &str, pages: &HashMap<Uuid, String>) -> Option<Link> {
    let href = match target {
        Target::Home => "/".to_owned(),
        Target::Products => "/products".to_owned(),
        Target::Page(id) => crate::content::pages::href(pages.get(id)?),
        Target::Tag(form) => format!("/tags/{form}"),
        Target::Category(form) => format!("/products/category/{form}"),
        Target::Url(url) => url.clone(),
    };
    Some(Link {
        label: label.to_owned(),
        external: matches!(target, Target::Url(_)),
        href,
    })
}

/// One menu of the site as owners edit it.
pub async fn for_editing(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    placement: Placement,
) -> AppResult<Menu> {
    let version: Option<i32> = menus::table
        .filter(menus::customer_id.eq(scope.customer_uuid()))
        .filter(menus::site_id.eq(site.as_uuid()))
        .filter(menus::placement.eq(placement.as_str()))
        .select(menus::version)
        .first(conn)
        .await
        .optional()?;
    let items = rows(conn, scope, site, Some(placement))
        .await?
        .iter()
        .filter_map(|row| {
            Target::of_row(row).map(|target| Item {
                label: row.label.clone(),
                target,
            })
        })
        .collect();
    Ok(Menu {
        version: version.unwrap_or(0),
        items,
    })
}

/// What is wrong with a menu's links, if anything, each problem naming its link by position.
pub fn problems(items: &[Item]) -> Vec<String> {
    let mut problems = Vec::new();
    if items.len() > MAX_ITEMS {
        problems.push(format!("A menu holds at most {MAX_ITEMS} links."));
    }
    for (n, item) in items.iter().enumerate() {
        let n = n + 1;
        let label = item.label.trim();
        if label.is_empty() {
            problems.push(format!("Link {n}: enter a label."));
        } else if label.chars().count() > MAX_LABEL_CHARS {
            problems.push(format!(
                "Link {n}: the label is too long (at most {MAX_LABEL_CHARS} characters)."
            ));
        }
        match &item.target {
            Target::Tag(form) | Target::Category(form) if !crate::address::usable(form) => {
                problems.push(format!("Link {n}: name the tag or category."));
            }
            Target::Url(url) => {
                if let Err(problem) = check_url(url) {
                    problems.push(format!("Link {n}: {problem}."));
                }
            }
            _ => {}
        }
    }
    problems
}

/// An external address a menu may link: `https://` with a host, without spaces or credentials.
fn check_url(text: &str) -> Result<(), &'static str> {
    if text.len() > MAX_URL_BYTES {
        return Err("the address is too long");
    }
    if text.chars().any(char::is_whitespace) {
        return Err("the address must not contain spaces");
    }
    let url = url::Url::parse(text).map_err(|_| "the address is not valid")?;
    if url.scheme() != "https" {
        return Err("external addresses must start with https://");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the address names no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the address must not carry a user name or password");
    }
    Ok(())
}

/// Replaces one menu of the site with `items`, if it is still at `expected_version` (0: never
/// saved); records the change in the audit log. A bad link is [`AppError::Invalid`] with every
/// problem; a menu saved by someone else since is [`AppError::Conflict`]. Call it inside a
/// transaction: on any error nothing was written.
pub async fn save(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    placement: Placement,
    expected_version: i32,
    items: &[Item],
    actor: &Actor,
) -> AppResult<()> {
    let mut problems = problems(items);
    problems.extend(missing_pages(conn, scope, site, items).await?);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems.join(" ")));
    }
    claim_version(conn, scope, site, placement, expected_version).await?;
    let before = for_editing(conn, scope, site, placement).await?;
    diesel::delete(menu_items::table)
        .filter(menu_items::customer_id.eq(scope.customer_uuid()))
        .filter(menu_items::site_id.eq(site.as_uuid()))
        .filter(menu_items::placement.eq(placement.as_str()))
        .execute(conn)
        .await?;
    let rows: Vec<_> = items
        .iter()
        .zip(1..)
        .map(|(item, ordinal)| {
            (
                menu_items::customer_id.eq(scope.customer_uuid()),
                menu_items::id.eq(Uuid::new_v4()),
                menu_items::site_id.eq(site.as_uuid()),
                menu_items::placement.eq(placement.as_str()),
                menu_items::ordinal.eq(ordinal),
                menu_items::label.eq(item.label.trim()),
                menu_items::target.eq(item.target.kind()),
                menu_items::page_id.eq(item.target.page_id()),
                menu_items::target_value.eq(item.target.value()),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(menu_items::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    audit::record(
        conn,
        scope,
        actor,
        audit::Change {
            entity: "menu",
            entity_id: site.as_uuid(),
            action: "update",
            before: Some(audit_fields(placement, &before.items)),
            after: Some(audit_fields(placement, items)),
        },
    )
    .await
}

/// The problems of links to pages that are not pages of this site (or are in the trash).
async fn missing_pages(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    items: &[Item],
) -> AppResult<Vec<String>> {
    let wanted: Vec<Uuid> = items.iter().filter_map(|i| i.target.page_id()).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<Uuid> = posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::site_id.eq(site.as_uuid()))
        .filter(posts::kind.eq(Kind::Page.as_str()))
        .filter(posts::trashed_at.is_null())
        .filter(posts::id.eq_any(&wanted))
        .select(posts::id)
        .load(conn)
        .await?;
    Ok(items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.target.page_id().is_some_and(|id| !found.contains(&id)))
        .map(|(n, _)| format!("Link {}: that page is not a page of this site.", n + 1))
        .collect())
}

/// Moves the menu's version on from `expected` (creating the menu at version 1 when `expected`
/// is 0), or says that someone else saved it first.
async fn claim_version(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    placement: Placement,
    expected: i32,
) -> AppResult<()> {
    let now = crate::db::now();
    let claimed = if expected == 0 {
        diesel::insert_into(menus::table)
            .values((
                menus::customer_id.eq(scope.customer_uuid()),
                menus::site_id.eq(site.as_uuid()),
                menus::placement.eq(placement.as_str()),
                menus::version.eq(1),
                menus::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?
    } else {
        diesel::update(menus::table)
            .filter(menus::customer_id.eq(scope.customer_uuid()))
            .filter(menus::site_id.eq(site.as_uuid()))
            .filter(menus::placement.eq(placement.as_str()))
            .filter(menus::version.eq(expected))
            .set((
                menus::version.eq(menus::version + 1),
                menus::updated_at.eq(now),
            ))
            .execute(conn)
            .await?
    };
    if claimed == 0 {
        return Err(AppError::Conflict(
            "the menu was changed by someone else since it was loaded".into(),
        ));
    }
    Ok(())
}

fn audit_fields(placement: Placement, items: &[Item]) -> serde_json::Value {
    json!({
        "placement": placement.as_str(),
        "items": items
            .iter()
            .map(|i| json!({
                "label": i.label.trim(),
                "target": i.target.kind(),
                "page_id": i.target.page_id(),
                "value": i.target.value(),
            }))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(label: &str, target: Target) -> Item {
        Item {
            label: label.into(),
            target,
        }
    }

    #[test]
    fn external_addresses_are_https_with_a_host() {
        assert!(check_url("https://example.org/path?q=1").is_ok());
        assert!(check_url("http://example.org").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("https://user:pw@example.org").is_err());
        assert!(check_url("https://exa mple.org").is_err());
        assert!(check_url(&format!("https://e.org/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn each_problem_names_its_link() {
        let items = [
            item("Home", Target::Home),
            item(" ", Target::Products),
            item("Blog", Target::Url("ftp://x.org".into())),
            item("News", Target::Tag(String::new())),
        ];
        let found = problems(&items);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("Link 2:"));
        assert!(found[1].starts_with("Link 3:") && found[1].contains("https://"));
        assert!(found[2].starts_with("Link 4:"));
        let many = vec![item("x", Target::Home); MAX_ITEMS + 1];
        assert!(problems(&many).iter().any(|p| p.contains("at most")));
    }

    #[test]
    fn links_follow_their_targets() {
        let page = Uuid::new_v4();
        let pages = HashMap::from([(page, "about/team".to_owned())]);
        let href = |t: Target| link_to(&t, "x", &pages).map(|l| l.href);
        assert_eq!(href(Target::Page(page)).as_deref(), Some("/about/team"));
        assert_eq!(href(Target::Page(Uuid::new_v4())), None);
        assert_eq!(
            href(Target::Tag("news".into())).as_deref(),
            Some("/tags/news")
        );
        assert_eq!(
            href(Target::Category("vitamins".into())).as_deref(),
            Some("/products/category/vitamins")
        );
        let external = link_to(&Target::Url("https://e.org".into()), "x", &pages).unwrap();
        assert!(external.external);
    }
}
