//! `GET /admin/products/change-sets/{id}`: one change set of the catalog and its price changes
//! (SKU, product, old → new prices, who, reason), with the revert button.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::thorne::change_sets;
use crate::thorne::money::format_price;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::products::change_sets::kind_label;
use crate::web::admin::products::product_id;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

pub struct ChangeRow {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub old_wholesale: String,
    pub new_wholesale: String,
    pub old_retail: String,
    pub new_retail: String,
    pub who: String,
    pub when: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin/products/change_sets/show.html")]
pub struct ShowPage {
    pub layout: AdminLayout,
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub who: String,
    pub when: String,
    pub reverted: Option<String>,
    pub changes: Vec<ChangeRow>,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let id = product_id(&path)?;
    let scope = user.scope;
    let (set, changes) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let set = change_sets::find(conn, scope, id).await?;
                let changes = change_sets::price_changes_of(conn, scope, id).await?;
                Ok((set, changes))
            }
            .scope_boxed()
        })
        .await?;
    let currency = &site.ctx.currency;
    let changes = changes
        .into_iter()
        .map(|c| ChangeRow {
            product_id: c.change.product_id.to_string(),
            sku: c.sku,
            name: c.name,
            old_wholesale: format_price(&c.change.old_wholesale_price, currency),
            new_wholesale: format_price(&c.change.new_wholesale_price, currency),
            old_retail: format_price(&c.change.old_retail_price, currency),
            new_retail: format_price(&c.change.new_retail_price, currency),
            who: c.change.changed_by_label,
            when: display_time(c.change.changed_at),
            reason: c.change.reason,
        })
        .collect();
    let body = response::render(&ShowPage {
        layout: AdminLayout::new(
            &format!("Change set “{}”", set.name),
            &site,
            &user,
            &session,
        ),
        id: set.id.to_string(),
        kind: kind_label(&set.kind),
        who: set.created_by_label,
        when: display_time(set.created_at),
        reverted: set.reverted_at.map(display_time),
        name: set.name,
        changes,
    })?;
    Ok(response::private_html(body))
}
