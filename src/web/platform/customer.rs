//! `/customers/{id}` of the operator console: one customer — its usage (sites, posts, products,
//! media bytes), its sites with their domains — and the actions on it: rename (over its version),
//! activate or deactivate, create a site with its primary domain, add a domain to a site (alias
//! or primary), remove an alias, invite an owner by e-mail (the link leads to the chosen site's
//! primary domain; the operator never sees it). Everything is read and written in the customer's own scope and
//! recorded in its audit log with the operator as actor; a bad input re-renders the page with
//! the reason (4xx) and changes nothing. An id that is not a customer is a 404.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::platform::{self, Usage};
use crate::tenancy::customers::{self, Customer};
use crate::tenancy::domains::{self, Domain};
use crate::tenancy::sites::{self, Site};
use crate::tenancy::users::Role;
use crate::tenancy::{CustomerId, Scope, SiteId, host, invitations};
use crate::web::auth::session as flash;
use crate::web::platform::{CurrentOperator, PlatformLayout, see_other};
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "platform/customer.html")]
pub struct CustomerPage {
    pub layout: PlatformLayout,
    pub customer: Customer,
    pub usage: Usage,
    pub media: String,
    pub sites: Vec<SiteView>,
    pub error: Option<String>,
}

/// A site of the customer with its domains, primary first.
pub struct SiteView {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub domains: Vec<Domain>,
}

/// The customer named by the path; anything else is a 404.
fn customer_of(path: &str) -> AppResult<Scope> {
    Uuid::try_parse(path)
        .map(|id| Scope::of(CustomerId::from_uuid(id)))
        .map_err(|_| AppError::NotFound)
}

async fn render(
    state: &AppState,
    operator: &CurrentOperator,
    session: &Session,
    scope: Scope,
    error: Option<String>,
) -> AppResult<String> {
    let (customer, usage, sites) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let customer = customers::current(conn, scope).await?;
                let usage = platform::usage(conn, scope).await?;
                let mut views = Vec::new();
                for site in sites::of_customer(conn, scope).await? {
                    views.push(view(conn, scope, site).await?);
                }
                Ok((customer, usage, views))
            }
            .scope_boxed()
        })
        .await?;
    response::render(&CustomerPage {
        layout: PlatformLayout::new(&customer.name, operator, session),
        media: human_bytes(usage.media_bytes),
        customer,
        usage,
        sites,
        error,
    })
}

async fn view(conn: &mut crate::db::Conn, scope: Scope, site: Site) -> AppResult<SiteView> {
    let mut domains = domains::for_site(conn, scope, SiteId::from_uuid(site.id)).await?;
    domains.sort_by(|a, b| b.is_primary.cmp(&a.is_primary).then(a.host.cmp(&b.host)));
    Ok(SiteView {
        id: site.id.to_string(),
        name: site.name,
        active: site.is_active,
        domains,
    })
}

/// `12.3 MB`: a size for people.
fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub async fn page(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let body = render(&state, &operator, &session, scope, None).await?;
    Ok(response::private_html(body))
}

/// Runs one change of the customer in its scope: done, back to its page with `done` as the
/// flash; refused, its page again with the reason.
async fn change<F>(
    state: &AppState,
    operator: &CurrentOperator,
    session: &Session,
    scope: Scope,
    done: &str,
    work: F,
) -> AppResult<HttpResponse>
where
    F: for<'c> Fn(
            &'c mut crate::db::Conn,
        ) -> scoped_futures::ScopedBoxFuture<'static, 'c, AppResult<()>>
        + Send
        + Sync
        + 'static,
{
    // A customer that does not exist is a 404 before anything about the form is said.
    state
        .db
        .tenant_read(scope, |conn| {
            async move { customers::current(conn, scope).await.map(drop) }.scope_boxed()
        })
        .await?;
    let status = match state.db.tenant_tx(scope, work).await {
        Ok(()) => {
            state.directory.invalidate();
            flash::flash(session, done);
            return Ok(see_other(&format!("/customers/{}", scope.customer_uuid())));
        }
        Err(AppError::Invalid(message)) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(AppError::Conflict(message)) => (StatusCode::CONFLICT, message),
        Err(AppError::NotFound) => (StatusCode::NOT_FOUND, "No such site or domain.".into()),
        Err(other) => return Err(other),
    };
    let body = render(state, operator, session, scope, Some(status.1)).await?;
    Ok(response::private_html_status(status.0, body))
}

#[derive(Debug, Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
    version: Option<String>,
}

pub async fn rename(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
    form: web::Form<RenameForm>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let version = crate::web::admin::posts::version(form.version.as_deref())?;
    let actor = operator.actor.clone();
    let name = form.name.clone();
    change(
        &state,
        &operator,
        &session,
        scope,
        "Renamed.",
        move |conn| {
            let (actor, name) = (actor.clone(), name.clone());
            async move {
                customers::rename(conn, scope, version, &name, &actor)
                    .await
                    .map(drop)
            }
            .scope_boxed()
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ActiveForm>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("active must be true or false".into())),
    };
    let done = if active {
        "Activated: its sites answer again."
    } else {
        "Deactivated: its sites no longer answer."
    };
    let actor = operator.actor.clone();
    change(&state, &operator, &session, scope, done, move |conn| {
        let actor = actor.clone();
        async move { customers::set_active(conn, scope, active, &actor).await }.scope_boxed()
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: String,
}

pub async fn create_site(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
    form: web::Form<SiteForm>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let actor = operator.actor.clone();
    let name = form.name.clone();
    let host = match domain_of(&form.domain) {
        Ok(host) => host,
        Err(reason) => return refused(&state, &operator, &session, scope, reason).await,
    };
    change(
        &state,
        &operator,
        &session,
        scope,
        "Site created.",
        move |conn| {
            let (actor, name, host) = (actor.clone(), name.clone(), host.clone());
            async move {
                sites::create(conn, scope, SiteId::new_random(), &name, &host, &actor)
                    .await
                    .map(drop)
            }
            .scope_boxed()
        },
    )
    .await
}

/// A domain as typed, normalised; what is wrong with it otherwise.
fn domain_of(typed: &str) -> Result<String, String> {
    host::normalize_domain(typed.trim()).map_err(|_| {
        format!(
            "{:?} is not a domain name (like www.example.com)",
            typed.trim()
        )
    })
}

/// The customer's page again with the reason a form was refused (422); a customer that does not
/// exist is a 404.
async fn refused(
    state: &AppState,
    operator: &CurrentOperator,
    session: &Session,
    scope: Scope,
    reason: String,
) -> AppResult<HttpResponse> {
    let body = render(state, operator, session, scope, Some(reason)).await?;
    Ok(response::private_html_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        body,
    ))
}

#[derive(Debug, Deserialize)]
pub struct DomainForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    domain: String,
    /// Present when the domain is to become the site's primary.
    primary: Option<String>,
}

pub async fn add_domain(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
    form: web::Form<DomainForm>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let actor = operator.actor.clone();
    let Ok(site) = Uuid::try_parse(form.site.trim()).map(SiteId::from_uuid) else {
        let reason = "Choose one of the customer's sites.".to_owned();
        return refused(&state, &operator, &session, scope, reason).await;
    };
    let host = match domain_of(&form.domain) {
        Ok(host) => host,
        Err(reason) => return refused(&state, &operator, &session, scope, reason).await,
    };
    let primary = form.primary.is_some();
    change(
        &state,
        &operator,
        &session,
        scope,
        "Domain added.",
        move |conn| {
            let (actor, host) = (actor.clone(), host.clone());
            async move {
                domains::add(conn, scope, site, &host, primary, &actor)
                    .await
                    .map(drop)
            }
            .scope_boxed()
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    domain: String,
}

pub async fn remove_domain(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
    form: web::Form<RemoveForm>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let actor = operator.actor.clone();
    let host = match domain_of(&form.domain) {
        Ok(host) => host,
        Err(reason) => return refused(&state, &operator, &session, scope, reason).await,
    };
    change(
        &state,
        &operator,
        &session,
        scope,
        "Domain removed.",
        move |conn| {
            let (actor, host) = (actor.clone(), host.clone());
            async move { domains::remove(conn, scope, &host, &actor).await.map(drop) }.scope_boxed()
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    site: String,
    #[serde(default)]
    email: String,
}

pub async fn invite_owner(
    state: web::Data<AppState>,
    operator: CurrentOperator,
    session: Session,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> AppResult<HttpResponse> {
    let scope = customer_of(&path)?;
    let Ok(site) = Uuid::try_parse(form.site.trim()).map(SiteId::from_uuid) else {
        let reason = "Choose the site whose address the invitation links to.".to_owned();
        return refused(&state, &operator, &session, scope, reason).await;
    };
    let actor = operator.actor.clone();
    let email = form.email.clone();
    let origin = state.public_origin.clone();
    let done = format!(
        "An invitation to become an owner was sent to {}.",
        form.email.trim()
    );
    let res = change(&state, &operator, &session, scope, &done, move |conn| {
        let (actor, email, origin) = (actor.clone(), email.clone(), origin.clone());
        async move {
            let site = sites::find(conn, scope, site).await?;
            let primary = domains::for_site(conn, scope, SiteId::from_uuid(site.id))
                .await?
                .into_iter()
                .find(|d| d.is_primary)
                .ok_or_else(|| AppError::Invalid("the site has no primary domain".into()))?;
            let base_url = origin.base_url(&primary.host);
            let link_site = invitations::LinkSite {
                name: &site.name,
                base_url: &base_url,
            };
            invitations::invite(conn, scope, &email, Role::Owner, link_site, &actor)
                .await
                .map(drop)
        }
        .scope_boxed()
    })
    .await;
    state.mailer.wake();
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(12_300_000), "12.3 MB");
    }
}
