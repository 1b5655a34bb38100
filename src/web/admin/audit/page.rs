//! `GET /admin/audit`: the audit log, newest first, 50 events a page (keyset by
//! `(occurred_at, id)`, `?after=` and `?before=` an event, links that keep the filters), filtered
//! by actor, entity, entity id and a range of UTC days.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use super::AuditQuery;
use crate::audit::query::{self, Cursor, ENTITY_KINDS, FieldChange};
use crate::db::keyset::PageAt;
use crate::error::AppResult;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::pagination::{PageLinks, append_position};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// One event as shown.
pub struct Row {
    /// As shown: `2026-11-27 14:05:09 UTC`.
    pub time: String,
    /// As the `<time>` element's `datetime`: `2026-11-27T14:05:09Z`.
    pub datetime: String,
    pub actor: String,
    pub actor_id: Option<String>,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub changes: Vec<FieldChange>,
    pub ip: String,
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "admin/audit/list.html")]
pub struct AuditPage {
    pub layout: AdminLayout,
    pub actor: String,
    pub actor_id: String,
    pub entity_id: String,
    pub from: String,
    pub to: String,
    /// (kind, selected)
    pub entities: Vec<(String, bool)>,
    pub rows: Vec<Row>,
    pub pages: PageLinks,
    pub csv_link: String,
}

/// The address of `base` with the query's filters, at `at` (a page of the log).
fn url(query: &AuditQuery, base: &str, at: &PageAt<Cursor>) -> String {
    let mut pairs = form_urlencoded::Serializer::new(query.filter_query());
    append_position(&mut pairs, at, Cursor::encode);
    let pairs = pairs.finish();
    if pairs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{pairs}")
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let filter = query.filter_input().parse()?;
    let at = PageAt::from_query(Some(&query.after), Some(&query.before), Cursor::decode)?;
    let scope = user.scope;
    let page = state
        .db
        .tenant_read(scope, |conn| {
            let filter = &filter;
            async move { query::listing(conn, scope, filter, at).await }.scope_boxed()
        })
        .await?;
    let pages = PageLinks::new(
        &at,
        page.previous(Cursor::of),
        page.next(Cursor::of),
        |at| url(&query, "/admin/audit", &at),
    );
    let mut entities: Vec<(String, bool)> = ENTITY_KINDS
        .iter()
        .map(|kind| (kind.to_string(), filter.entity.as_deref() == Some(kind)))
        .collect();
    if let Some(entity) = &filter.entity
        && !ENTITY_KINDS.contains(&entity.as_str())
    {
        entities.push((entity.clone(), true));
    }
    let rows = page
        .rows
        .iter()
        .map(|event| Row {
            time: event
                .occurred_at
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
            datetime: event.occurred_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            actor: event.actor_label.clone(),
            actor_id: event.actor_id.map(|id| id.to_string()),
            entity: event.entity.clone(),
            entity_id: event.entity_id.to_string(),
            action: event.action.clone(),
            changes: event.changes(),
            ip: event.ip.clone().unwrap_or_default(),
            request_id: event.request_id.clone().unwrap_or_default(),
        })
        .collect();
    let body = response::render(&AuditPage {
        layout: AdminLayout::new("Audit log", &site, &user, &session),
        actor: query.actor.trim().to_owned(),
        actor_id: query.actor_id.trim().to_owned(),
        entity_id: query.entity_id.trim().to_owned(),
        from: query.from.trim().to_owned(),
        to: query.to.trim().to_owned(),
        entities,
        rows,
        pages,
        csv_link: url(&query, "/admin/audit.csv", &PageAt::First),
    })?;
    Ok(response::private_html(body))
}
