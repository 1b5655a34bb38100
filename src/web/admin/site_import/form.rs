//! `GET /admin/import`: the upload form — which system the export comes from, the export, the
//! archive of its images — with what each system's export is and where its images are, and the
//! site's earlier imports.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::import::uploads;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::uploads::human_size;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// Earlier imports listed under the form.
const LISTED: i64 = 20;

/// An earlier import.
pub struct Earlier {
    pub id: String,
    pub source: &'static str,
    pub export_name: String,
    pub uploaded: String,
    pub uploaded_by: String,
    /// `applied 6 December 2026, 14:05 UTC`, or `not applied`.
    pub state: String,
}

#[derive(Template)]
#[template(path = "admin/site_import/form.html")]
pub struct FormPage {
    pub layout: AdminLayout,
    pub max_size: String,
    /// The system chosen (`wordpress`, `ghost`), kept after a refusal.
    pub source: String,
    pub error: Option<String>,
    pub earlier: Vec<Earlier>,
}

impl FormPage {
    /// The form with the site's earlier imports, and why the last upload was refused.
    pub async fn load(
        state: &AppState,
        site: &RequestSite,
        user: &CurrentUser,
        session: &Session,
        source: &str,
        error: Option<String>,
    ) -> AppResult<FormPage> {
        let (scope, site_id) = (user.scope, site.ctx.site_id);
        let recent = state
            .db
            .tenant_read(scope, |conn| {
                async move { uploads::recent(conn, scope, site_id, LISTED).await }.scope_boxed()
            })
            .await?;
        Ok(FormPage {
            layout: AdminLayout::new("Import a site", site, user, session),
            max_size: human_size(state.max_site_import_bytes as i64),
            source: source.to_owned(),
            error,
            earlier: recent
                .iter()
                .map(|u| Earlier {
                    id: u.id.to_string(),
                    source: u.source().label(),
                    export_name: u.export_name.clone(),
                    uploaded: display_time(u.uploaded_at),
                    uploaded_by: u.uploaded_by_label.clone(),
                    state: match u.applied_at {
                        Some(at) => format!("imported {}", display_time(at)),
                        None => "not imported".to_owned(),
                    },
                })
                .collect(),
        })
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let page = FormPage::load(&state, &site, &user, &session, "wordpress", None).await?;
    response::private_page(StatusCode::OK, &page)
}
