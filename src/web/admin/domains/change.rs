//! `POST /admin/domains/{host}/check`, `…/primary` and `…/remove`: checking a domain of the site
//! now, making a verified one the primary, and removing one. A domain of another site or customer
//! is a 404; a refused change (the primary, the last domain, an unverified primary) a 409 that
//! shows the list and why.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use super::page::DomainsPage;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::domains::{self, Domain};
use crate::tenancy::{Scope, SiteId, host};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;

pub async fn check(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let host = host_in(&path)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    state
        .db
        .tenant_read(scope, |conn| {
            let host = &host;
            async move { of_site(conn, scope, site_id, host).await }.scope_boxed()
        })
        .await?;
    let checked = state
        .domain_checks
        .check_now(&state.db, scope, &host)
        .await?;
    state.directory.invalidate();
    let message = match (&checked.check_error, checked.is_served()) {
        (None, _) => format!("{} is verified.", checked.host),
        (Some(reason), true) => format!("{} failed its check: {reason}", checked.host),
        (Some(reason), false) => format!("{} is not verified: {reason}", checked.host),
    };
    Ok(back_with(&session, &message))
}

pub async fn make_primary(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let request = (state, site, user, session, path);
    change(request, Change::MakePrimary, |d| {
        format!(
            "{} is now the primary domain: the site's pages are there.",
            d.host
        )
    })
    .await
}

pub async fn remove(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let request = (state, site, user, session, path);
    change(request, Change::Remove, |d| {
        format!("{} was removed.", d.host)
    })
    .await
}

/// A change of one domain of the site.
#[derive(Clone, Copy)]
enum Change {
    MakePrimary,
    Remove,
}

type Request = (
    web::Data<AppState>,
    web::ReqData<RequestSite>,
    CurrentUser,
    Session,
    web::Path<String>,
);

/// Makes `change` to the site's domain the address names, in the customer's transaction; back to
/// the list with `message`, or the list with the reason it was refused.
async fn change(
    (state, site, user, session, path): Request,
    change: Change,
    message: impl FnOnce(&Domain) -> String,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let host = host_in(&path)?;
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, user.actor.clone());
    let changed = state
        .db
        .tenant_tx(scope, |conn| {
            let (host, actor) = (&host, &actor);
            async move {
                of_site(conn, scope, site_id, host).await?;
                match change {
                    Change::MakePrimary => domains::make_primary(conn, scope, host, actor).await,
                    Change::Remove => domains::remove(conn, scope, host, actor).await,
                }
            }
            .scope_boxed()
        })
        .await;
    done(&state, &site, &user, &session, changed, message).await
}

/// The host named in the address, normalised; a malformed one names no domain of the site.
fn host_in(path: &str) -> AppResult<String> {
    host::normalize_domain(path).map_err(|_| AppError::NotFound)
}

/// The customer's domain `host`, if it belongs to `site`; else not found.
async fn of_site(conn: &mut Conn, scope: Scope, site: SiteId, host: &str) -> AppResult<Domain> {
    domains::find(conn, scope, host)
        .await?
        .filter(|d| d.site_id == site.as_uuid())
        .ok_or(AppError::NotFound)
}

/// Back to the list with a message, or the list with the reason a change was refused.
async fn done(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    result: AppResult<Domain>,
    message: impl FnOnce(&Domain) -> String,
) -> AppResult<HttpResponse> {
    match result {
        Ok(domain) => {
            state.directory.invalidate();
            Ok(back_with(session, &message(&domain)))
        }
        Err(AppError::Conflict(reason)) => {
            let mut shown = DomainsPage::load(state, site, user, session).await?;
            shown.error = Some(reason);
            crate::web::response::private_page(StatusCode::CONFLICT, &shown)
        }
        Err(other) => Err(other),
    }
}

fn back_with(session: &Session, message: &str) -> HttpResponse {
    session::flash(session, message);
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/admin/domains"))
        .finish()
}
