//! The audit log: an append-only record of every change (who, which customer, what, when, from
//! where, and the before/after of the fields that changed), written in the same transaction as the
//! change itself.

pub mod export;
pub mod query;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::{Conn, schema::audit::events};
use crate::error::AppResult;
use crate::tenancy::{Scope, UserId};

/// Who made a change and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The signed-in user, if a user made it.
    pub user_id: Option<UserId>,
    /// A readable name: the user's e-mail, or `cli` / `import` for operator commands.
    pub label: String,
    /// The client address, for changes made over HTTP.
    pub ip: Option<String>,
    /// The request id, for changes made over HTTP.
    pub request_id: Option<String>,
}

impl Actor {
    /// An operator working on the command line.
    pub fn cli(command: &str) -> Actor {
        Actor {
            user_id: None,
            label: format!("cli:{command}"),
            ip: None,
            request_id: None,
        }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The kind of thing changed: `customer`, `site`, `domain`, `post`, `product`, `user`…
    pub entity: &'a str,
    pub entity_id: Uuid,
    /// What happened: `create`, `update`, `deactivate`, `import`…
    pub action: &'a str,
    /// The fields before the change (`None` for a creation).
    pub before: Option<Value>,
    /// The fields after the change (`None` for a removal).
    pub after: Option<Value>,
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEvent<'a> {
    customer_id: Uuid,
    id: Uuid,
    occurred_at: chrono::DateTime<chrono::Utc>,
    actor_id: Option<Uuid>,
    actor_label: &'a str,
    entity: &'a str,
    entity_id: Uuid,
    action: &'a str,
    before: Option<Value>,
    after: Option<Value>,
    ip: Option<&'a str>,
    request_id: Option<&'a str>,
}

/// Records `change`, keeping of `before` and `after` only the fields that differ.
pub async fn record(
    conn: &mut Conn,
    scope: Scope,
    actor: &Actor,
    change: Change<'_>,
) -> AppResult<()> {
    let (before, after) = changed_fields(change.before, change.after);
    let event = NewEvent {
        customer_id: scope.customer_uuid(),
        id: Uuid::new_v4(),
        occurred_at: crate::db::now(),
        actor_id: actor.user_id.map(|id| id.as_uuid()),
        actor_label: &actor.label,
        entity: change.entity,
        entity_id: change.entity_id,
        action: change.action,
        before,
        after,
        ip: actor.ip.as_deref(),
        request_id: actor.request_id.as_deref(),
    };
    diesel::insert_into(events::table)
        .values(&event)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records many changes by one actor at once (bulk changes and imports), in batches.
pub async fn record_many(
    conn: &mut Conn,
    scope: Scope,
    actor: &Actor,
    changes: Vec<Change<'_>>,
) -> AppResult<()> {
    let occurred_at = crate::db::now();
    let events: Vec<NewEvent<'_>> = changes
        .into_iter()
        .map(|change| {
            let (before, after) = changed_fields(change.before, change.after);
            NewEvent {
                customer_id: scope.customer_uuid(),
                id: Uuid::new_v4(),
                occurred_at,
                actor_id: actor.user_id.map(|id| id.as_uuid()),
                actor_label: &actor.label,
                entity: change.entity,
                entity_id: change.entity_id,
                action: change.action,
                before,
                after,
                ip: actor.ip.as_deref(),
                request_id: actor.request_id.as_deref(),
            }
        })
        .collect();
    // PostgreSQL takes at most 65,535 bound values per statement; an event binds 12.
    for batch in events.chunks(4_000) {
        diesel::insert_into(events::table)
            .values(batch)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Drops the fields that are equal on both sides when both are JSON objects.
fn changed_fields(before: Option<Value>, after: Option<Value>) -> (Option<Value>, Option<Value>) {
    match (before, after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut old = Map::new();
            let mut new = Map::new();
            for (key, value) in &after {
                if before.get(key) != Some(value) {
                    new.insert(key.clone(), value.clone());
                    if let Some(previous) = before.get(key) {
                        old.insert(key.clone(), previous.clone());
                    }
                }
            }
            for (key, value) in &before {
                if !after.contains_key(key) {
                    old.insert(key.clone(), value.clone());
                }
            }
            (Some(Value::Object(old)), Some(Value::Object(new)))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_only_changed_fields() {
        let (before, after) = changed_fields(
            Some(json!({"title": "A", "slug": "a", "body": "x"})),
            Some(json!({"title": "B", "slug": "a", "body": "x"})),
        );
        assert_eq!(before, Some(json!({"title": "A"})));
        assert_eq!(after, Some(json!({"title": "B"})));
    }

    #[test]
    fn creation_keeps_everything() {
        let (before, after) = changed_fields(None, Some(json!({"name": "N"})));
        assert_eq!(before, None);
        assert_eq!(after, Some(json!({"name": "N"})));
    }
}
