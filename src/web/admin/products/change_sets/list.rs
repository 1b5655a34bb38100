//! `GET /admin/products/change-sets`: the change sets of the catalog, newest first, 50 a page
//! (keyset, `?after=` and `?before=` a set) — name, kind, who, when, how many products, and
//! whether it was reverted.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::db::keyset::PageAt;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::thorne::change_sets::{self, SetCursor};
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::pagination::{PageLinks, append_position};
use crate::web::admin::products::change_sets::kind_label;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The query string: the page's position.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    before: Option<String>,
}

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
    pub pages: PageLinks,
}

/// The address of a page of the list.
fn url(at: &PageAt<SetCursor>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    append_position(&mut query, at, SetCursor::encode);
    let query = query.finish();
    if query.is_empty() {
        "/admin/products/change-sets".to_owned()
    } else {
        format!("/admin/products/change-sets?{query}")
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let at = PageAt::from_query(query.after.as_deref(), query.before.as_deref(), |text| {
        SetCursor::decode(text).ok_or_else(|| {
            AppError::BadRequest("the page position in the address is not valid".into())
        })
    })?;
    let scope = user.scope;
    let page = state
        .db
        .tenant_read(scope, |conn| {
            async move { change_sets::page_with_counts(conn, scope, at).await }.scope_boxed()
        })
        .await?;
    let rows = page
        .sets
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
        pages: PageLinks::new(&at, page.previous, page.next, |at| url(&at)),
    })?;
    Ok(response::private_html(body))
}
