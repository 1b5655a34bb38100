//! Change sets: every price change belongs to one — a single edit, a bulk change or an import —
//! so that history says what went together and a set can be reverted as a whole.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::{Conn, schema::thorne::change_sets};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// What made a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Edit,
    Bulk,
    Import,
    Revert,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Bulk => "bulk",
            Kind::Import => "import",
            Kind::Revert => "revert",
        }
    }
}

/// A stored change set.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change_sets)]
pub struct ChangeSet {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub created_by_label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub reverted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Opens a change set for the changes about to be made in this transaction.
pub async fn open(
    conn: &mut Conn,
    scope: Scope,
    kind: Kind,
    name: &str,
    actor: &Actor,
) -> AppResult<ChangeSet> {
    let name = name.trim();
    if name.chars().count() > 200 {
        return Err(AppError::Invalid(
            "the change set name must be at most 200 characters".into(),
        ));
    }
    diesel::insert_into(change_sets::table)
        .values((
            change_sets::customer_id.eq(scope.customer_uuid()),
            change_sets::id.eq(Uuid::new_v4()),
            change_sets::name.eq(if name.is_empty() { kind.as_str() } else { name }),
            change_sets::kind.eq(kind.as_str()),
            change_sets::created_by.eq(actor.user_id.map(|u| u.as_uuid())),
            change_sets::created_by_label.eq(&actor.label),
            change_sets::created_at.eq(crate::db::now()),
        ))
        .returning(ChangeSet::as_returning())
        .get_result(conn)
        .await
        .map_err(AppError::from)
}
