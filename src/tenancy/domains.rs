//! The domain directory: which host name belongs to which site of which customer. Host names are
//! globally unique, and a customer keeps the names under its domains (no other customer may add
//! a subdomain or a parent of them); the directory is readable without a tenant (it maps public
//! names), and written only inside the owning customer's scope. Also the list of every host
//! served, which the in-memory set of [`crate::tenancy::served_hosts`] is loaded from.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::Conn;
use crate::db::schema::tenancy::{self as t, customers, domains};
use crate::error::{AppError, AppResult};
use crate::tenancy::{CustomerId, Scope, SiteId, sites};

/// A directory entry.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = domains)]
pub struct Domain {
    pub host: String,
    pub customer_id: Uuid,
    pub site_id: Uuid,
    pub is_primary: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The directory entry for a normalised host, whoever owns it.
pub async fn lookup(conn: &mut Conn, host: &str) -> AppResult<Option<Domain>> {
    domains::table
        .filter(domains::host.eq(host))
        .select(Domain::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// Every host the product serves: each domain (primary or alias) of an active site of an active
/// customer, whoever owns it. Needs a transaction that may see every customer's activity
/// ([`crate::db::Database::served_hosts_read`]).
pub async fn served_hosts(conn: &mut Conn) -> AppResult<Vec<String>> {
    domains::table
        .inner_join(
            t::sites::table.on(t::sites::customer_id
                .eq(domains::customer_id)
                .and(t::sites::id.eq(domains::site_id))),
        )
        .inner_join(customers::table.on(customers::id.eq(domains::customer_id)))
        .filter(t::sites::is_active.eq(true))
        .filter(customers::is_active.eq(true))
        .select(domains::host)
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The customer that owns a site, found through the site's domains (every site has one).
pub async fn owner_of_site(conn: &mut Conn, site: SiteId) -> AppResult<Option<CustomerId>> {
    let owner: Option<Uuid> = domains::table
        .filter(domains::site_id.eq(site.as_uuid()))
        .select(domains::customer_id)
        .first(conn)
        .await
        .optional()?;
    Ok(owner.map(CustomerId::from_uuid))
}

/// Every domain of a site, the primary first.
pub async fn for_site(conn: &mut Conn, scope: Scope, site: SiteId) -> AppResult<Vec<Domain>> {
    domains::table
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::site_id.eq(site.as_uuid()))
        .order((domains::is_primary.desc(), domains::host.asc()))
        .select(Domain::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Adds `host` (normalised) to a site of the customer in scope. The first domain of a site is its
/// primary; `make_primary` moves the primary to this host (also for an alias the site already has).
pub async fn add(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    host: &str,
    make_primary: bool,
    actor: &Actor,
) -> AppResult<Domain> {
    sites::find(conn, scope, site).await?;
    let existing = for_site(conn, scope, site).await?;
    if let Some(taken) = lookup(conn, host).await? {
        let own_alias =
            taken.site_id == site.as_uuid() && taken.customer_id == scope.customer_uuid();
        if !(own_alias && make_primary) {
            return Err(AppError::Conflict(format!(
                "the domain {host} is already in use"
            )));
        }
        if taken.is_primary {
            return Ok(taken);
        }
    }
    match nested_elsewhere(conn, scope, host).await? {
        Some(Nesting::Under) => {
            return Err(AppError::Conflict(format!(
                "{host} is under a domain another customer uses"
            )));
        }
        Some(Nesting::Above) => {
            return Err(AppError::Conflict(format!(
                "another customer uses a domain under {host}"
            )));
        }
        None => {}
    }
    let becomes_primary = make_primary || !existing.iter().any(|d| d.is_primary);
    if becomes_primary {
        diesel::update(domains::table)
            .filter(domains::customer_id.eq(scope.customer_uuid()))
            .filter(domains::site_id.eq(site.as_uuid()))
            .filter(domains::is_primary.eq(true))
            .set(domains::is_primary.eq(false))
            .execute(conn)
            .await?;
    }
    let domain: Domain = diesel::insert_into(domains::table)
        .values((
            domains::host.eq(host),
            domains::customer_id.eq(scope.customer_uuid()),
            domains::site_id.eq(site.as_uuid()),
            domains::is_primary.eq(becomes_primary),
            domains::created_at.eq(crate::db::now()),
        ))
        .on_conflict(domains::host)
        .do_update()
        .set(domains::is_primary.eq(becomes_primary))
        .returning(Domain::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "domain",
            entity_id: site.as_uuid(),
            action: if becomes_primary {
                "add_primary"
            } else {
                "add_alias"
            },
            before: None,
            after: Some(json!({"host": domain.host, "is_primary": domain.is_primary})),
        },
    )
    .await?;
    Ok(domain)
}

/// How a host sits in another customer's part of the name space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nesting {
    /// It is a subdomain of another customer's domain (`www.b.test` while `b.test` is theirs).
    Under,
    /// Another customer has a subdomain of it (`b.test` while `www.b.test` is theirs).
    Above,
}

/// Whether `host` is a subdomain of a domain another customer has, or the parent of one. Each
/// customer keeps the names under its domains: another one could otherwise take a name visitors
/// take for the first one's and share its cookies (a site may set them for its parent domain).
async fn nested_elsewhere(conn: &mut Conn, scope: Scope, host: &str) -> AppResult<Option<Nesting>> {
    let parents = parent_domains(host);
    let under: i64 = domains::table
        .filter(domains::host.eq_any(&parents))
        .filter(domains::customer_id.ne(scope.customer_uuid()))
        .count()
        .get_result(conn)
        .await?;
    if under > 0 {
        return Ok(Some(Nesting::Under));
    }
    // A normalised host holds letters, digits, dashes, underscores and dots: only `_` is special
    // in a LIKE pattern.
    let below = format!("%.{}", host.replace('_', "\\_"));
    let above: i64 = domains::table
        .filter(domains::host.like(below))
        .filter(domains::customer_id.ne(scope.customer_uuid()))
        .count()
        .get_result(conn)
        .await?;
    Ok((above > 0).then_some(Nesting::Above))
}

/// The domains a host is under: `a.b.test` → `b.test`, `test`.
fn parent_domains(host: &str) -> Vec<&str> {
    host.match_indices('.')
        .map(|(i, _)| &host[i + 1..])
        .collect()
}

/// Removes an alias. The primary domain stays until another one is made primary.
pub async fn remove(conn: &mut Conn, scope: Scope, host: &str, actor: &Actor) -> AppResult<Domain> {
    let domain = lookup(conn, host)
        .await?
        .filter(|d| d.customer_id == scope.customer_uuid())
        .ok_or(AppError::NotFound)?;
    if domain.is_primary {
        return Err(AppError::Conflict(format!(
            "{host} is the primary domain of its site: make another domain primary first"
        )));
    }
    diesel::delete(domains::table)
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::host.eq(host))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "domain",
            entity_id: domain.site_id,
            action: "remove",
            before: Some(json!({"host": domain.host, "is_primary": domain.is_primary})),
            after: None,
        },
    )
    .await?;
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parents_of_a_domain() {
        assert_eq!(parent_domains("a.b.test"), ["b.test", "test"]);
        assert_eq!(parent_domains("test"), Vec::<&str>::new());
    }
}
