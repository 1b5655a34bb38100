//! `/admin`: where a signed-in user starts; links to what their role may use, and for owners a
//! warning about any domain of the site that is not verified, failing its checks or lapsed.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::domains::{self, State};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub layout: AdminLayout,
    /// For owners: what needs their attention about the site's domains.
    pub domain_alerts: Vec<String>,
}

pub async fn page(
    _req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    let layout = AdminLayout::new("Dashboard", &site, &user, &session);
    let domain_alerts = if layout.is_owner {
        domain_alerts(&state, &user, &site).await?
    } else {
        Vec::new()
    };
    let body = response::render(&DashboardPage {
        layout,
        domain_alerts,
    })?;
    Ok(response::private_html(body))
}

async fn domain_alerts(
    state: &AppState,
    user: &CurrentUser,
    site: &RequestSite,
) -> AppResult<Vec<String>> {
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let found = state
        .db
        .tenant_read(scope, |conn| {
            async move { domains::for_site(conn, scope, site_id).await }.scope_boxed()
        })
        .await?;
    let reason = |r: &Option<String>| r.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
    Ok(found
        .iter()
        .filter_map(|d| match d.state() {
            State::Verified => None,
            State::Pending => Some(format!("{} is waiting to be verified.", d.host)),
            State::Failing => Some(format!(
                "{} failed its verification check and stops being served unless it passes again.{}",
                d.host,
                reason(&d.check_error)
            )),
            State::Lapsed => Some(format!(
                "{} is no longer served: its verification kept failing.{}",
                d.host,
                reason(&d.check_error)
            )),
        })
        .collect())
}
