//! `POST /admin/domains`: an owner adds a domain to the site. It is added pending, with the token
//! to publish, and checked within seconds by the background checks (or at once with "Check now").

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use super::page::DomainsPage;
use crate::error::{AppError, AppResult};
use crate::tenancy::{domains, host};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    domain: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<AddForm>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let typed = form.domain.trim();
    let host = match claimable(typed, state.platform_host.as_deref()) {
        Ok(host) => host,
        Err(reason) => return refused(&state, &site, &user, &session, typed, reason, 400).await,
    };
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, user.actor.clone());
    let claimed = state
        .db
        .tenant_tx(scope, |conn| {
            let (host, actor) = (&host, &actor);
            async move { domains::claim(conn, scope, site_id, host, actor).await }.scope_boxed()
        })
        .await;
    match claimed {
        Ok(domain) => {
            session::flash(
                &session,
                &format!(
                    "{} was added. It is served once verified: publish the record shown below.",
                    domain.host
                ),
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((LOCATION, "/admin/domains"))
                .finish())
        }
        Err(AppError::Conflict(reason)) => {
            refused(&state, &site, &user, &session, typed, reason, 409).await
        }
        Err(other) => Err(other),
    }
}

/// The normalised name, or why it cannot be added.
fn claimable(typed: &str, platform_host: Option<&str>) -> Result<String, String> {
    if typed.is_empty() {
        return Err("Give the domain to add, such as blog.example.com.".into());
    }
    let typed = typed
        .strip_prefix("https://")
        .or_else(|| typed.strip_prefix("http://"))
        .unwrap_or(typed);
    let host = host::normalize_domain(typed.strip_suffix('/').unwrap_or(typed))
        .map_err(|_| "That is not a valid domain name.".to_owned())?;
    domains::check_claimable(&host, platform_host)?;
    Ok(host)
}

async fn refused(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    typed: &str,
    reason: String,
    status: u16,
) -> AppResult<HttpResponse> {
    let mut shown = DomainsPage::load(state, site, user, session).await?;
    shown.domain = typed.chars().take(300).collect();
    shown.domain_error = Some(reason);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    crate::web::response::private_page(status, &shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_owner_may_type() {
        assert_eq!(
            claimable("Blog.Example.COM", None).unwrap(),
            "blog.example.com"
        );
        assert_eq!(
            claimable("https://example.com/", None).unwrap(),
            "example.com"
        );
        assert_eq!(
            claimable("bücher.example", None).unwrap(),
            "xn--bcher-kva.example"
        );
        for bad in [
            "",
            "example",
            "exa mple.com",
            "example.com/path",
            "example.com:8080",
            "1.2.3.4",
        ] {
            assert!(claimable(bad, None).is_err(), "{bad}");
        }
    }
}
