//! The audit log under `/admin/audit` (owners only): the filtered, paged list (`page`) and the
//! same filters as a CSV download (`export`).

mod export;
mod page;

use actix_web::web;
use serde::Deserialize;

use crate::audit::query::FilterInput;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(page::page))
        .route("/audit.csv", web::get().to(export::export));
}

/// The query string of both: the filters, and on the list the page's position (after or before
/// an event).
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    actor_id: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

impl AuditQuery {
    fn filter_input(&self) -> FilterInput {
        FilterInput {
            actor: self.actor.clone(),
            actor_id: self.actor_id.clone(),
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    /// The filters (without the page) as a query string, for links.
    fn filter_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("actor", &self.actor),
            ("actor_id", &self.actor_id),
            ("entity", &self.entity),
            ("entity_id", &self.entity_id),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.trim().is_empty() {
                out.append_pair(name, value.trim());
            }
        }
        out.finish()
    }
}
