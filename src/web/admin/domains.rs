//! `/admin/domains` (owners): the domains of the site the admin runs on — its primary domain,
//! where its pages are, and the aliases that answer with a redirect to it. Read-only here: the
//! platform's operators add and remove domains (`agoat domain`, the operator console).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::domains::{self, Domain};
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/domains", web::get().to(page));
}

/// One row of the list.
pub struct Row {
    pub host: String,
    pub is_primary: bool,
    /// The home page's address, on the primary domain only.
    pub url: Option<String>,
    /// When it was added, `YYYY-MM-DD` in UTC.
    pub added: String,
}

#[derive(Template)]
#[template(path = "admin/domains.html")]
pub struct DomainsPage {
    pub layout: AdminLayout,
    pub rows: Vec<Row>,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let found: Vec<Domain> = state
        .db
        .tenant_read(scope, |conn| {
            async move { domains::for_site(conn, scope, site_id).await }.scope_boxed()
        })
        .await?;
    let rows = found
        .into_iter()
        .map(|d| Row {
            url: d
                .is_primary
                .then(|| format!("{}/", state.public_origin.base_url(&d.host))),
            host: d.host,
            is_primary: d.is_primary,
            added: d.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let body = response::render(&DomainsPage {
        layout: AdminLayout::new("Domains", &site, &user, &session),
        rows,
    })?;
    Ok(response::private_html(body))
}
