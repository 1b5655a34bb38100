//! `GET /admin/audit`: the audit log, newest first, 50 events a page (keyset by
//! `(occurred_at, id)`), filtered by actor, entity, entity id and a range of UTC days.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use super::AuditQuery;
use crate::audit::query::{self, Cursor, ENTITY_KINDS, FieldChange, PAGE_SIZE};
use crate::error::AppResult;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// One event as shown.
pub struct Row {
    pub time: String,
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
    pub is_first_page: bool,
    pub newest_link: String,
    pub older_link: Option<String>,
    pub csv_link: String,
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
    let cursor = Some(query.after.trim())
        .filter(|a| !a.is_empty())
        .map(Cursor::decode)
        .transpose()?;
    let scope = user.scope;
    let mut events = state
        .db
        .tenant_read(scope, |conn| {
            let filter = &filter;
            async move { query::page(conn, scope, filter, cursor, PAGE_SIZE + 1).await }
                .scope_boxed()
        })
        .await?;
    let has_more = events.len() as i64 > PAGE_SIZE;
    events.truncate(PAGE_SIZE as usize);
    let filters = query.filter_query();
    let link = |base: &str, extra: Option<String>| {
        let mut parts: Vec<String> = Vec::new();
        if !filters.is_empty() {
            parts.push(filters.clone());
        }
        if let Some(extra) = extra {
            parts.push(extra);
        }
        if parts.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    };
    let older_link = events.last().filter(|_| has_more).map(|last| {
        link(
            "/admin/audit",
            Some(format!(
                "after={}",
                urlencoding::encode(&Cursor::after(last).encode())
            )),
        )
    });
    let mut entities: Vec<(String, bool)> = ENTITY_KINDS
        .iter()
        .map(|kind| (kind.to_string(), filter.entity.as_deref() == Some(kind)))
        .collect();
    if let Some(entity) = &filter.entity
        && !ENTITY_KINDS.contains(&entity.as_str())
    {
        entities.push((entity.clone(), true));
    }
    let rows = events
        .iter()
        .map(|event| Row {
            time: event
                .occurred_at
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
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
        is_first_page: cursor.is_none(),
        newest_link: link("/admin/audit", None),
        older_link,
        csv_link: link("/admin/audit.csv", None),
    })?;
    Ok(response::private_html(body))
}
