//! Sites of a customer. Each site has one primary domain and any number of aliases.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{Conn, schema::tenancy::sites};
use crate::error::{AppError, AppResult};
use crate::search::Language;
use crate::tenancy::customers::valid_name;
use crate::tenancy::{Scope, SiteId, domains};

/// A site as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = sites)]
pub struct Site {
    pub customer_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub is_active: bool,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Creates a site with its primary domain (already normalised by the caller).
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    id: SiteId,
    name: &str,
    primary_host: &str,
    actor: &Actor,
) -> AppResult<Site> {
    let name = valid_name(name)?;
    let now = crate::db::now();
    let site: Site = diesel::insert_into(sites::table)
        .values((
            sites::customer_id.eq(scope.customer_uuid()),
            sites::id.eq(id.as_uuid()),
            sites::name.eq(&name),
            sites::created_at.eq(now),
            sites::updated_at.eq(now),
        ))
        .returning(Site::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match AppError::from(e) {
            error if error.is_foreign_key_violation() => {
                AppError::Invalid(format!("customer {} does not exist", scope.customer_id()))
            }
            other => other,
        })?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "site",
            entity_id: site.id,
            action: "create",
            before: None,
            after: Some(json!({"name": site.name, "is_active": true})),
        },
    )
    .await?;
    domains::add(conn, scope, id, primary_host, true, actor).await?;
    Ok(site)
}

/// One site of the customer in scope.
pub async fn find(mut conn: &Conn, scope: Scope, id: SiteId) -> AppResult<Site> {
    sites::table
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .filter(sites::id.eq(id.as_uuid()))
        .select(Site::as_select())
        .first(&mut conn)
        .await
        .map_err(AppError::from)
}

/// Deactivates a site: its domains answer 404 from then on.
pub async fn deactivate(conn: &mut Conn, scope: Scope, id: SiteId, actor: &Actor) -> AppResult<()> {
    let site = find(conn, scope, id).await?;
    diesel::update(sites::table)
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .filter(sites::id.eq(id.as_uuid()))
        .set((
            sites::is_active.eq(false),
            sites::version.eq(sites::version + 1),
            sites::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "site",
            entity_id: site.id,
            action: "deactivate",
            before: Some(json!({"is_active": site.is_active})),
            after: Some(json!({"is_active": false})),
        },
    )
    .await
}

/// Renames a site and sets the language its posts are searched in, if the site is still at
/// `expected_version`; `None` (nothing written) otherwise. The caller (the branding's write path)
/// audits the change and reindexes the posts when the language changed.
pub async fn save_details(
    conn: &mut Conn,
    scope: Scope,
    id: SiteId,
    expected_version: i32,
    name: &str,
    search_language: Language,
) -> AppResult<Option<Site>> {
    let name = valid_name(name)?;
    diesel::update(sites::table)
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .filter(sites::id.eq(id.as_uuid()))
        .filter(sites::version.eq(expected_version))
        .set((
            sites::name.eq(&name),
            sites::search_language.eq(search_language.config()),
            sites::version.eq(sites::version + 1),
            sites::updated_at.eq(crate::db::now()),
        ))
        .returning(Site::as_returning())
        .get_result(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// Gives a site a new version (something of it changed, such as its branding): a form loaded
/// before is stale.
pub async fn bump_version(conn: &mut Conn, scope: Scope, id: SiteId) -> AppResult<()> {
    diesel::update(sites::table)
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .filter(sites::id.eq(id.as_uuid()))
        .set((
            sites::version.eq(sites::version + 1),
            sites::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The language the site's posts are searched in.
pub async fn search_language(conn: &mut Conn, scope: Scope, id: SiteId) -> AppResult<Language> {
    let name: String = sites::table
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .filter(sites::id.eq(id.as_uuid()))
        .select(sites::search_language)
        .first(conn)
        .await?;
    language(&name)
}

/// The search language of each of these sites of the customer in scope, by site id.
pub async fn search_languages(
    conn: &mut Conn,
    scope: Scope,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Language>> {
    let rows: Vec<(Uuid, String)> = sites::table
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .filter(sites::id.eq_any(ids))
        .select((sites::id, sites::search_language))
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|(id, name)| Ok((id, language(&name)?)))
        .collect()
}

/// A stored language name (the column's CHECK constraint allows only known ones).
fn language(name: &str) -> AppResult<Language> {
    name.parse()
        .map_err(|e| AppError::Internal(format!("site search language: {e}")))
}

/// The sites of the customer in scope, by name.
pub async fn of_customer(conn: &mut Conn, scope: Scope) -> AppResult<Vec<Site>> {
    sites::table
        .filter(sites::customer_id.eq(scope.customer_uuid()))
        .order((sites::name.asc(), sites::id.asc()))
        .select(Site::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// How many sites each customer has (a platform transaction only: in a tenant's, its own).
pub async fn count_by_customer(conn: &mut Conn) -> AppResult<Vec<(Uuid, usize)>> {
    let counts: Vec<(Uuid, i64)> = sites::table
        .group_by(sites::customer_id)
        .select((sites::customer_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(customer, n)| (customer, usize::try_from(n).unwrap_or(0)))
        .collect())
}
