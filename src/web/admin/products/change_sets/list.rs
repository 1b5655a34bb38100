//! `GET /admin/products/change-sets`: the newest change sets of the catalog — name, kind, who,
//! when, how many products, and whether it was reverted.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::thorne::change_sets;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::change_sets::kind_label;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// How many change sets the list shows.
const LIST_SIZE: i64 = 100;

pub struct Row {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub who: String,
    pub when: String,
    pub products: i64,
    /// When it was reverted, if it was.
    pub reverted: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/products/change_sets/list.html")]
pub struct ListPage {
    pub layout: AdminLayout,
    pub rows: Vec<Row>,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let scope = user.scope;
    let sets = state
        .db
        .tenant_read(scope, |conn| {
            async move { change_sets::recent_with_counts(conn, scope, LIST_SIZE).await }
                .scope_boxed()
        })
        .await?;
    let rows = sets
        .into_iter()
        .map(|s| Row {
            id: s.set.id.to_string(),
            name: s.set.name,
            kind: kind_label(&s.set.kind),
            who: s.set.created_by_label,
            when: display_time(s.set.created_at),
            products: s.products,
            reverted: s.set.reverted_at.map(display_time),
        })
        .collect();
    let body = response::render(&ListPage {
        layout: AdminLayout::new("Change sets", &site, &user, &session),
        rows,
    })?;
    Ok(response::private_html(body))
}
