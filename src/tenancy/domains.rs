//! The domain directory: which host name belongs to which site of which customer, and whether it
//! is served yet. A name is served by one customer at most (`verified`, or `failing` within its
//! grace period); a customer keeps the names under its domains (no other customer may add a
//! subdomain or a parent of them without verifying it); the directory is readable without a
//! tenant (it maps public names), and written only inside the owning customer's scope.
//!
//! Owners *claim* a domain ([`claim`]): it stays `pending` until verified
//! ([`crate::tenancy::domain_checks`]). Operators *add* one ([`add`]): they vouch for it, so it is
//! served at once and never checked. Also the list of every host served, which the in-memory set
//! of [`crate::tenancy::served_hosts`] is loaded from.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::Conn;
use crate::db::schema::tenancy::{self as t, customers, domains};
use crate::error::{AppError, AppResult};
use crate::tenancy::served_hosts::HostSite;
use crate::tenancy::{CustomerId, Scope, SiteId, sites};

/// Where a domain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Claimed by an owner, not verified yet: not served.
    Pending,
    /// Verified (or vouched for by an operator): served.
    Verified,
    /// Verified, but the last check failed: still served until the grace period ends.
    Failing,
    /// Its checks kept failing past the grace period: not served until a check succeeds.
    Lapsed,
}

impl State {
    pub const SERVED: [&'static str; 2] = ["verified", "failing"];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Verified => "verified",
            State::Failing => "failing",
            State::Lapsed => "lapsed",
        }
    }

    pub fn parse(text: &str) -> State {
        match text {
            "pending" => State::Pending,
            "failing" => State::Failing,
            "lapsed" => State::Lapsed,
            _ => State::Verified,
        }
    }

    /// Whether a domain in this state answers visitors and gets certificates.
    pub fn is_served(self) -> bool {
        matches!(self, State::Verified | State::Failing)
    }
}

/// How a domain was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// An operator added it: never checked.
    Operator,
    /// A TXT record at `_agoat.<domain>` holds the domain's token.
    Dns,
    /// The domain answers `/.well-known/agoat-verification/<token>` from this product.
    Http,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Operator => "operator",
            Method::Dns => "dns",
            Method::Http => "http",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        match text {
            "operator" => Some(Method::Operator),
            "dns" => Some(Method::Dns),
            "http" => Some(Method::Http),
            _ => None,
        }
    }
}

type Time = chrono::DateTime<chrono::Utc>;

/// A directory entry.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = domains)]
pub struct Domain {
    pub host: String,
    pub customer_id: Uuid,
    pub site_id: Uuid,
    pub is_primary: bool,
    pub created_at: Time,
    state: String,
    verified_by: Option<String>,
    /// The value a TXT record or the HTTP answer must hold (public by design: it is published in
    /// DNS); none for a domain an operator added.
    pub token: Option<String>,
    pub verified_at: Option<Time>,
    pub checked_at: Option<Time>,
    pub next_check_at: Option<Time>,
    pub failing_since: Option<Time>,
    /// Why the last check failed, in words for the owner.
    pub check_error: Option<String>,
}

impl Domain {
    pub fn state(&self) -> State {
        State::parse(&self.state)
    }

    pub fn verified_by(&self) -> Option<Method> {
        self.verified_by.as_deref().and_then(Method::parse)
    }

    pub fn is_served(&self) -> bool {
        self.state().is_served()
    }
}

/// The served directory entry for a normalised host, whoever owns it.
pub async fn lookup(conn: &mut Conn, host: &str) -> AppResult<Option<Domain>> {
    domains::table
        .filter(domains::host.eq(host))
        .filter(domains::state.eq_any(State::SERVED))
        .select(Domain::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// One customer's entry for a host, in any state.
pub async fn find(conn: &mut Conn, scope: Scope, host: &str) -> AppResult<Option<Domain>> {
    domains::table
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::host.eq(host))
        .select(Domain::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// Whether this product should answer `token` on `host` for the HTTP verification: a customer
/// has claimed the host with that token, and no other customer's site serves the host or a domain
/// it is under (the product may already answer for such names: only DNS verifies them).
pub async fn answers_token(conn: &mut Conn, host: &str, token: &str) -> AppResult<bool> {
    let claimant: Option<Uuid> = domains::table
        .filter(domains::host.eq(host))
        .filter(domains::token.eq(token))
        .select(domains::customer_id)
        .first(conn)
        .await
        .optional()?;
    let Some(claimant) = claimant else {
        return Ok(false);
    };
    let served_by = lookup(conn, host).await?.map(|d| d.customer_id);
    if served_by.is_some_and(|owner| owner != claimant) {
        return Ok(false);
    }
    let parent_of_another: i64 = domains::table
        .filter(domains::host.eq_any(parent_domains(host)))
        .filter(domains::state.eq_any(State::SERVED))
        .filter(domains::customer_id.ne(claimant))
        .count()
        .get_result(conn)
        .await?;
    Ok(parent_of_another == 0)
}

/// Every host the product serves: each served domain (primary or alias) of an active site of an
/// active customer, whoever owns it. Needs a transaction that may see every customer's activity
/// ([`crate::db::Database::served_hosts_read`]).
pub async fn served_hosts(conn: &mut Conn) -> AppResult<Vec<(String, HostSite)>> {
    let rows = domains::table
        .inner_join(
            t::sites::table.on(t::sites::customer_id
                .eq(domains::customer_id)
                .and(t::sites::id.eq(domains::site_id))),
        )
        .inner_join(customers::table.on(customers::id.eq(domains::customer_id)))
        .filter(domains::state.eq_any(State::SERVED))
        .filter(t::sites::is_active.eq(true))
        .filter(customers::is_active.eq(true))
        .select((domains::host, domains::customer_id, domains::site_id))
        .load::<(String, Uuid, Uuid)>(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(host, customer, site)| {
            let site = HostSite {
                customer: CustomerId::from_uuid(customer),
                site: SiteId::from_uuid(site),
            };
            (host, site)
        })
        .collect())
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

/// Every domain of a site in any state, the primary first, then the served ones.
pub async fn for_site(mut conn: &Conn, scope: Scope, site: SiteId) -> AppResult<Vec<Domain>> {
    let mut found: Vec<Domain> = domains::table
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::site_id.eq(site.as_uuid()))
        .order((domains::is_primary.desc(), domains::host.asc()))
        .select(Domain::as_select())
        .load(&mut conn)
        .await?;
    found.sort_by_key(|d| (!d.is_primary, !d.is_served()));
    Ok(found)
}

/// The host a site's pages are on: its primary domain while that is served, else its first
/// served alias (a lapsed primary does not take the site down with it); none if nothing is served.
pub fn canonical_host(domains: &[Domain]) -> Option<&Domain> {
    domains
        .iter()
        .find(|d| d.is_primary && d.is_served())
        .or_else(|| domains.iter().find(|d| d.is_served()))
}

/// Adds `host` (normalised) to a site of the customer in scope, on an operator's word: served at
/// once, never checked. The first domain of a site is its primary; `make_primary` moves the
/// primary to this host (also for an alias the site already has).
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
        clear_primary(conn, scope, site).await?;
    }
    let now = crate::db::now();
    let domain: Domain = diesel::insert_into(domains::table)
        .values((
            domains::host.eq(host),
            domains::customer_id.eq(scope.customer_uuid()),
            domains::site_id.eq(site.as_uuid()),
            domains::is_primary.eq(becomes_primary),
            domains::created_at.eq(now),
            domains::state.eq(State::Verified.as_str()),
            domains::verified_by.eq(Method::Operator.as_str()),
            domains::verified_at.eq(now),
        ))
        .on_conflict((domains::customer_id, domains::host))
        .do_update()
        .set((
            domains::site_id.eq(site.as_uuid()),
            domains::is_primary.eq(becomes_primary),
            domains::state.eq(State::Verified.as_str()),
            domains::verified_by.eq(Method::Operator.as_str()),
            domains::verified_at.eq(now),
            domains::next_check_at.eq(None::<Time>),
            domains::failing_since.eq(None::<Time>),
            domains::check_error.eq(None::<String>),
        ))
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

/// The most domains (in any state) one site may have.
pub const MAX_PER_SITE: i64 = 20;

/// An owner claims `host` (normalised, [`check_claimable`]) for a site of the customer in scope:
/// it is added `pending`, with a new token, and due for its first check at once. Refused when the
/// customer already has the name, when another customer's site serves it (without naming them),
/// and past [`MAX_PER_SITE`]. A pending claim of another customer does not stand in the way.
pub async fn claim(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    host: &str,
    actor: &Actor,
) -> AppResult<Domain> {
    sites::find(conn, scope, site).await?;
    if find(conn, scope, host).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "{host} is already one of your domains"
        )));
    }
    if lookup(conn, host).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "{host} is already in use by another site"
        )));
    }
    let count: i64 = domains::table
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::site_id.eq(site.as_uuid()))
        .count()
        .get_result(conn)
        .await?;
    if count >= MAX_PER_SITE {
        return Err(AppError::Conflict(format!(
            "a site has at most {MAX_PER_SITE} domains: remove one first"
        )));
    }
    let now = crate::db::now();
    let domain: Domain = diesel::insert_into(domains::table)
        .values((
            domains::host.eq(host),
            domains::customer_id.eq(scope.customer_uuid()),
            domains::site_id.eq(site.as_uuid()),
            domains::is_primary.eq(false),
            domains::created_at.eq(now),
            domains::state.eq(State::Pending.as_str()),
            domains::token.eq(crate::token::new_token()),
            domains::next_check_at.eq(now),
        ))
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
            action: "claim",
            before: None,
            after: Some(json!({"host": domain.host, "state": "pending"})),
        },
    )
    .await?;
    Ok(domain)
}

/// Why an owner may not claim a name at all, whoever has it: it must be a public name with a dot
/// and a non-numeric top-level label (no IP address, no `localhost`), and not the console's host
/// or a name under it.
pub fn check_claimable(host: &str, platform_host: Option<&str>) -> Result<(), String> {
    let Some((_, top)) = host.rsplit_once('.') else {
        return Err("Give a full domain name, such as example.com.".into());
    };
    if top.bytes().all(|b| b.is_ascii_digit()) || host.contains(':') {
        return Err("Give a domain name, not an IP address.".into());
    }
    if top == "localhost" || top == "local" || top == "internal" {
        return Err("Give a public domain name.".into());
    }
    if let Some(platform) = platform_host
        && (host == platform || host.ends_with(&format!(".{platform}")))
    {
        return Err("That name belongs to the platform.".into());
    }
    Ok(())
}

/// Makes a served domain of the customer in scope its site's primary.
pub async fn make_primary(
    conn: &mut Conn,
    scope: Scope,
    host: &str,
    actor: &Actor,
) -> AppResult<Domain> {
    let domain = find(conn, scope, host).await?.ok_or(AppError::NotFound)?;
    if domain.is_primary {
        return Ok(domain);
    }
    if !domain.is_served() {
        return Err(AppError::Conflict(format!(
            "{host} is not verified: only a verified domain can be primary"
        )));
    }
    let site = SiteId::from_uuid(domain.site_id);
    clear_primary(conn, scope, site).await?;
    let domain: Domain = diesel::update(domains::table)
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::host.eq(host))
        .set(domains::is_primary.eq(true))
        .returning(Domain::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "domain",
            entity_id: domain.site_id,
            action: "make_primary",
            before: None,
            after: Some(json!({"host": domain.host, "is_primary": true})),
        },
    )
    .await?;
    Ok(domain)
}

async fn clear_primary(conn: &mut Conn, scope: Scope, site: SiteId) -> AppResult<()> {
    diesel::update(domains::table)
        .filter(domains::customer_id.eq(scope.customer_uuid()))
        .filter(domains::site_id.eq(site.as_uuid()))
        .filter(domains::is_primary.eq(true))
        .set(domains::is_primary.eq(false))
        .execute(conn)
        .await?;
    Ok(())
}

/// How a host sits in another customer's part of the name space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// It is a subdomain of another customer's domain (`www.b.test` while `b.test` is theirs).
    Under,
    /// Another customer has a subdomain of it (`b.test` while `www.b.test` is theirs).
    Above,
}

/// Whether `host` is a subdomain of a domain another customer has, or the parent of one. Each
/// customer keeps the names under its domains: another one could otherwise take a name visitors
/// take for the first one's and share its cookies (a site may set them for its parent domain).
pub async fn nested_elsewhere(
    conn: &mut Conn,
    scope: Scope,
    host: &str,
) -> AppResult<Option<Nesting>> {
    let parents = parent_domains(host);
    let under: i64 = domains::table
        .filter(domains::host.eq_any(&parents))
        .filter(domains::state.eq_any(State::SERVED))
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
        .filter(domains::state.eq_any(State::SERVED))
        .filter(domains::customer_id.ne(scope.customer_uuid()))
        .count()
        .get_result(conn)
        .await?;
    Ok((above > 0).then_some(Nesting::Above))
}

/// The domains a host is under: `a.b.test` → `b.test`, `test`.
pub fn parent_domains(host: &str) -> Vec<&str> {
    host.match_indices('.')
        .map(|(i, _)| &host[i + 1..])
        .collect()
}

/// Removes a domain of the customer in scope, in any state. A site keeps a served primary
/// domain: the primary goes only once another domain has been made primary, and a site's last
/// domain never goes.
pub async fn remove(conn: &mut Conn, scope: Scope, host: &str, actor: &Actor) -> AppResult<Domain> {
    let domain = find(conn, scope, host).await?.ok_or(AppError::NotFound)?;
    if domain.is_primary {
        let site = SiteId::from_uuid(domain.site_id);
        let others = for_site(conn, scope, site).await?.len() - 1;
        return Err(AppError::Conflict(if others == 0 {
            format!(
                "{host} is the primary and last domain of its site: a site keeps at least one domain"
            )
        } else {
            format!("{host} is the primary domain of its site: make another domain primary first")
        }));
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
            before: Some(json!({"host": domain.host, "is_primary": domain.is_primary, "state": domain.state})),
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

    #[test]
    fn only_public_names_can_be_claimed() {
        assert!(check_claimable("example.com", None).is_ok());
        assert!(check_claimable("blog.example.co.uk", Some("platform.example")).is_ok());
        for refused in [
            "example",
            "127.0.0.1",
            "10.0.0.1",
            "box.localhost",
            "platform.example",
            "x.platform.example",
        ] {
            assert!(
                check_claimable(refused, Some("platform.example")).is_err(),
                "{refused}"
            );
        }
    }
}
