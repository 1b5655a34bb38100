//! CSV files uploaded to the products admin, kept in the database between the dry run and the
//! apply so that any app server can apply them; applied at most once, then linked to the change
//! set they made.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::{Conn, schema::thorne::csv_uploads};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// Longest file name kept (longer ones are cut).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// A stored upload.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = csv_uploads)]
pub struct Upload {
    pub id: Uuid,
    pub file_name: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded_by_label: String,
    pub uploaded_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    pub change_set_id: Option<Uuid>,
    pub version: i32,
}

/// The name a file is kept under: without any folder part, at most [`MAX_FILE_NAME_CHARS`],
/// `upload.csv` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    crate::input::file_name(name, MAX_FILE_NAME_CHARS, "upload.csv")
}

/// Stores an upload for the customer in scope, with an audit event carrying `summary` (what the
/// dry run found).
pub async fn store(
    conn: &mut Conn,
    scope: Scope,
    file_name: &str,
    content: &[u8],
    summary: serde_json::Value,
    actor: &Actor,
) -> AppResult<Upload> {
    let sha256 = hex::encode(Sha256::digest(content));
    let upload: Upload = diesel::insert_into(csv_uploads::table)
        .values((
            csv_uploads::customer_id.eq(scope.customer_uuid()),
            csv_uploads::id.eq(Uuid::new_v4()),
            csv_uploads::file_name.eq(clean_file_name(file_name)),
            csv_uploads::content.eq(content),
            csv_uploads::sha256.eq(&sha256),
            csv_uploads::size_bytes.eq(content.len() as i64),
            csv_uploads::uploaded_by.eq(actor.user_id.map(|u| u.as_uuid())),
            csv_uploads::uploaded_by_label.eq(&actor.label),
            csv_uploads::uploaded_at.eq(crate::db::now()),
        ))
        .returning(Upload::as_returning())
        .get_result(conn)
        .await?;
    let mut after = json!({
        "file_name": upload.file_name,
        "size_bytes": upload.size_bytes,
        "sha256": upload.sha256,
    });
    if let (Some(after), serde_json::Value::Object(summary)) = (after.as_object_mut(), summary) {
        after.extend(summary);
    }
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "csv_upload",
            entity_id: upload.id,
            action: "upload",
            before: None,
            after: Some(after),
        },
    )
    .await?;
    Ok(upload)
}

/// An upload of the customer in scope.
pub async fn find(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Upload> {
    csv_uploads::table
        .filter(csv_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(csv_uploads::id.eq(id))
        .select(Upload::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// The refusal of an upload that was applied already.
fn already_applied(upload: &Upload) -> AppError {
    AppError::Conflict(format!(
        "The file “{}” was already applied; upload it again to import it once more.",
        upload.file_name
    ))
}

/// Refuses an upload that was applied already.
pub fn ensure_not_applied(upload: &Upload) -> AppResult<()> {
    match upload.applied_at {
        Some(_) => Err(already_applied(upload)),
        None => Ok(()),
    }
}

/// Marks an upload applied, if it still is at the version it was read at and not applied yet;
/// otherwise [`AppError::Conflict`]. Call first in the transaction that applies it: a second apply
/// running at the same time waits here, then fails.
pub async fn claim(conn: &mut Conn, scope: Scope, upload: &Upload) -> AppResult<()> {
    ensure_not_applied(upload)?;
    let claimed = diesel::update(csv_uploads::table)
        .filter(csv_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(csv_uploads::id.eq(upload.id))
        .filter(csv_uploads::version.eq(upload.version))
        .filter(csv_uploads::applied_at.is_null())
        .set((
            csv_uploads::applied_at.eq(Some(crate::db::now())),
            csv_uploads::version.eq(csv_uploads::version + 1),
        ))
        .execute(conn)
        .await?;
    if claimed == 1 {
        Ok(())
    } else {
        Err(already_applied(upload))
    }
}

/// Records the outcome of applying a claimed upload: its change set (none when nothing changed)
/// and an audit event with `summary`.
pub async fn mark_applied(
    conn: &mut Conn,
    scope: Scope,
    upload: &Upload,
    change_set: Option<Uuid>,
    summary: serde_json::Value,
    actor: &Actor,
) -> AppResult<()> {
    diesel::update(csv_uploads::table)
        .filter(csv_uploads::customer_id.eq(scope.customer_uuid()))
        .filter(csv_uploads::id.eq(upload.id))
        .set(csv_uploads::change_set_id.eq(change_set))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "csv_upload",
            entity_id: upload.id,
            action: "apply",
            before: None,
            after: Some(summary),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_folders_and_control_characters() {
        assert_eq!(clean_file_name("C:\\fakepath\\prices.csv"), "prices.csv");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b.csv"), "ab.csv");
        assert_eq!(clean_file_name(""), "upload.csv");
        assert_eq!(clean_file_name("dir/"), "upload.csv");
        assert_eq!(
            clean_file_name(&"x".repeat(300)).chars().count(),
            MAX_FILE_NAME_CHARS
        );
    }
}
