//! `GET /admin/domains`: the site's domains with their state, what to publish to verify a pending
//! one, and why a check failed; also the page an add or a change that was refused is shown on.

use std::time::Duration;

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::domains::{self, Domain, Method, Nesting, State};
use crate::tenancy::verification::{HTTP_PATH, txt_name};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// One row of the list.
pub struct Row {
    pub host: String,
    pub is_primary: bool,
    /// The home page's address, on the domain the site's pages are on.
    pub url: Option<String>,
    /// `verified`, `pending`, `failing` or `lapsed`.
    pub state: &'static str,
    /// The state in words.
    pub status: &'static str,
    /// How and when it was verified, in words.
    pub verified: Option<String>,
    /// Why the last check failed.
    pub reason: Option<String>,
    /// When a failing domain stops being served.
    pub served_until: Option<String>,
    /// When it was last checked.
    pub checked: Option<String>,
    /// What to publish (for a domain an owner added and that is not verified).
    pub instructions: Option<Instructions>,
    pub can_check: bool,
    pub can_make_primary: bool,
    pub can_remove: bool,
}

/// What verifies a domain.
pub struct Instructions {
    pub txt_name: String,
    pub token: String,
    /// The address the HTTP token is fetched from; none when only DNS can verify the name.
    pub http_url: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/domains.html")]
pub struct DomainsPage {
    pub layout: AdminLayout,
    pub rows: Vec<Row>,
    /// What the add form holds, after a refusal.
    pub domain: String,
    pub domain_error: Option<String>,
    /// Why a change was refused.
    pub error: Option<String>,
    pub grace: String,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let shown = DomainsPage::load(&state, &site, &user, &session).await?;
    response::private_page(StatusCode::OK, &shown)
}

impl DomainsPage {
    /// The page with the site's domains as they are now.
    pub async fn load(
        state: &AppState,
        site: &RequestSite,
        user: &CurrentUser,
        session: &Session,
    ) -> AppResult<DomainsPage> {
        let (scope, site_id) = (user.scope, site.ctx.site_id);
        let (found, under_another) = state
            .db
            .tenant_read(scope, |conn| {
                async move {
                    let found = domains::for_site(conn, scope, site_id).await?;
                    let mut under_another = Vec::new();
                    for domain in found.iter().filter(|d| !d.is_served()) {
                        if domains::nested_elsewhere(conn, scope, &domain.host).await?
                            == Some(Nesting::Under)
                        {
                            under_another.push(domain.host.clone());
                        }
                    }
                    Ok((found, under_another))
                }
                .scope_boxed()
            })
            .await?;
        let grace = state.domain_checks.settings.grace;
        let canonical = domains::canonical_host(&found).map(|d| d.host.clone());
        let served_count = found.iter().filter(|d| d.is_served()).count();
        let rows = found
            .iter()
            .map(|d| {
                let mut row = row(d, grace, !under_another.contains(&d.host));
                row.url = (canonical.as_deref() == Some(d.host.as_str()))
                    .then(|| format!("{}/", state.public_origin.base_url(&d.host)));
                row.can_remove = !d.is_primary && (served_count > 1 || !d.is_served());
                row
            })
            .collect();
        Ok(DomainsPage {
            layout: AdminLayout::new("Domains", site, user, session),
            rows,
            domain: String::new(),
            domain_error: None,
            error: None,
            grace: duration_words(grace),
        })
    }
}

fn row(d: &Domain, grace: Duration, http_allowed: bool) -> Row {
    let state = d.state();
    let checked_by_us = d.verified_by() != Some(Method::Operator);
    Row {
        host: d.host.clone(),
        is_primary: d.is_primary,
        url: None,
        state: state.as_str(),
        status: match state {
            State::Pending => "Pending verification",
            State::Verified => "Verified",
            State::Failing => "Verification failing",
            State::Lapsed => "Lapsed: not served",
        },
        verified: match (d.verified_by(), d.verified_at) {
            (Some(Method::Operator), _) => Some("Added by the platform".into()),
            (Some(Method::Dns), Some(at)) => Some(format!("By DNS record, {}", when(at))),
            (Some(Method::Http), Some(at)) => Some(format!("By HTTP token, {}", when(at))),
            _ => None,
        },
        reason: d.check_error.clone(),
        served_until: (state == State::Failing)
            .then_some(d.failing_since)
            .flatten()
            .map(|since| when(since + grace)),
        checked: d.checked_at.map(when),
        instructions: match (&d.token, state) {
            (Some(token), State::Pending | State::Failing | State::Lapsed) => Some(Instructions {
                txt_name: txt_name(&d.host),
                token: token.clone(),
                http_url: http_allowed.then(|| format!("http://{}{HTTP_PATH}{token}", d.host)),
            }),
            _ => None,
        },
        can_check: checked_by_us && d.token.is_some(),
        can_make_primary: !d.is_primary && state.is_served(),
        can_remove: false,
    }
}

/// A time as the admin shows it: `2026-12-06 10:00 UTC`.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `72 hours`, `3 days`, `90 seconds`.
fn duration_words(span: Duration) -> String {
    let secs = span.as_secs();
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

fn plural(count: u64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_periods_in_words() {
        assert_eq!(duration_words(Duration::from_secs(259_200)), "3 days");
        assert_eq!(duration_words(Duration::from_secs(7_200)), "2 hours");
        assert_eq!(duration_words(Duration::from_secs(2)), "2 seconds");
        assert_eq!(duration_words(Duration::from_secs(60)), "1 minute");
    }
}
