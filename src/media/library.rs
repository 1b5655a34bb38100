//! The media library's records: one [`Media`] per upload (what editors see and edit: name, alt
//! text, caption) and the [`MediaFile`]s made from it, each named by the SHA-256 of its own bytes
//! and served to visitors. Every function takes the tenant [`Scope`] and adds `customer_id`
//! itself; every change is an audit event.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::keyset::{PageAt, TimeCursor, Window};
use crate::db::schema::content::{media, media_files, posts};
use crate::db::{Conn, like_contains};
use crate::error::{AppError, AppResult};
use crate::input::{self, Shape};
use crate::tenancy::Scope;

/// Items per page of the library.
pub const PAGE_SIZE: i64 = 24;
/// Longest alt text kept.
pub const MAX_ALT_CHARS: usize = 1000;
/// Longest caption kept.
pub const MAX_CAPTION_CHARS: usize = 2000;
/// Longest original file name kept (longer ones are cut).
pub const MAX_NAME_CHARS: usize = 255;

/// One upload of the library.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: Uuid,
    pub sha256: String,
    pub original_name: String,
    pub format: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    pub alt_text: String,
    pub caption: String,
    pub uploaded_by_label: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A file made from an upload and served to visitors as `/media/{name}`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = media_files)]
pub struct MediaFile {
    pub customer_id: Uuid,
    pub media_id: Uuid,
    /// `{sha256 of the bytes}.{extension}`.
    pub name: String,
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
}

/// What an upload adds to the library (its files are made and stored before).
#[derive(Debug, Clone)]
pub struct NewMedia<'a> {
    pub id: Uuid,
    pub sha256: &'a str,
    pub original_name: &'a str,
    pub format: &'a str,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    pub alt_text: &'a str,
}

/// A file of a new upload: its name, format, pixel size and bytes.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
}

/// Which uploads the library lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words searched in the original name and the alt text.
    pub search: String,
    /// One format (`jpeg`, `png`, `webp`, `gif`), or all.
    pub format: Option<String>,
}

/// A post or page whose body or featured image uses an upload.
#[derive(Debug, Clone, Queryable)]
pub struct Use {
    pub post_id: Uuid,
    pub site_id: Uuid,
    pub title: String,
    /// `post` or `page`.
    pub kind: String,
}

/// The name a file is kept under: without any folder part or control character, at most
/// [`MAX_NAME_CHARS`], `image` when nothing is left.
pub fn clean_name(name: &str) -> String {
    input::file_name(name, MAX_NAME_CHARS, "image")
}

/// Checks an alt text and a caption an editor typed.
pub fn validate_text(alt_text: &str, caption: &str) -> AppResult<()> {
    input::check(alt_text, Shape::Line)
        .map_err(|reason| AppError::Invalid(format!("the alt text {reason}")))?;
    input::check(caption, Shape::Text)
        .map_err(|reason| AppError::Invalid(format!("the caption {reason}")))?;
    if alt_text.chars().count() > MAX_ALT_CHARS {
        return Err(AppError::Invalid(format!(
            "the alt text must be at most {MAX_ALT_CHARS} characters"
        )));
    }
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(AppError::Invalid(format!(
            "the caption must be at most {MAX_CAPTION_CHARS} characters"
        )));
    }
    Ok(())
}

/// Adds an upload and its files, with an audit event.
pub async fn create(
    conn: &mut Conn,
    scope: Scope,
    new: &NewMedia<'_>,
    files: &[NewFile],
    actor: &Actor,
) -> AppResult<Media> {
    validate_text(new.alt_text, "")?;
    let now = crate::db::now();
    let created: Media = diesel::insert_into(media::table)
        .values((
            media::customer_id.eq(scope.customer_uuid()),
            media::id.eq(new.id),
            media::sha256.eq(new.sha256),
            media::original_name.eq(clean_name(new.original_name)),
            media::format.eq(new.format),
            media::size_bytes.eq(new.size_bytes),
            media::width.eq(new.width),
            media::height.eq(new.height),
            media::alt_text.eq(new.alt_text.trim()),
            media::uploaded_by.eq(actor.user_id.map(|u| u.as_uuid())),
            media::uploaded_by_label.eq(&actor.label),
            media::created_at.eq(now),
            media::updated_at.eq(now),
        ))
        .returning(Media::as_returning())
        .get_result(conn)
        .await?;
    let rows: Vec<MediaFile> = files
        .iter()
        .map(|file| MediaFile {
            customer_id: scope.customer_uuid(),
            media_id: created.id,
            name: file.name.clone(),
            format: file.format.clone(),
            width: file.width,
            height: file.height,
            size_bytes: file.size_bytes,
        })
        .collect();
    diesel::insert_into(media_files::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    record(
        conn,
        scope,
        actor,
        created.id,
        "upload",
        None,
        Some(snapshot(&created)),
    )
    .await?;
    Ok(created)
}

/// An upload of the customer in scope; [`AppError::NotFound`] otherwise.
pub async fn find(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Media> {
    media::table
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .filter(media::id.eq(id))
        .select(Media::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// The uploads among `ids` that exist, in no particular order.
pub async fn find_many(mut conn: &Conn, scope: Scope, ids: &[Uuid]) -> AppResult<Vec<Media>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    media::table
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .filter(media::id.eq_any(ids))
        .select(Media::as_select())
        .load(&mut conn)
        .await
        .map_err(AppError::from)
}

/// The files of the uploads `ids`, narrowest first.
pub async fn files_of(mut conn: &Conn, scope: Scope, ids: &[Uuid]) -> AppResult<Vec<MediaFile>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    media_files::table
        .filter(media_files::customer_id.eq(scope.customer_uuid()))
        .filter(media_files::media_id.eq_any(ids))
        .order((media_files::width.asc(), media_files::size_bytes.asc()))
        .select(MediaFile::as_select())
        .load(&mut conn)
        .await
        .map_err(AppError::from)
}

/// The served file called `name`, if the customer in scope has one.
pub async fn file_named(conn: &mut Conn, scope: Scope, name: &str) -> AppResult<Option<MediaFile>> {
    media_files::table
        .filter(media_files::customer_id.eq(scope.customer_uuid()))
        .filter(media_files::name.eq(name))
        .select(MediaFile::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(AppError::from)
}

/// The newest `limit` uploads of the customer in scope, newest first (what a picker offers).
pub async fn newest(conn: &mut Conn, scope: Scope, limit: i64) -> AppResult<Vec<Media>> {
    media::table
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .order((media::created_at.desc(), media::id.desc()))
        .select(Media::as_select())
        .limit(limit)
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// The position of a listed upload.
pub fn cursor_of(media: &Media) -> TimeCursor {
    TimeCursor {
        at: media.created_at,
        id: media.id,
    }
}

/// A page of the library, newest first (keyset pagination on `(created_at, id)`).
pub async fn list(
    conn: &mut Conn,
    scope: Scope,
    filter: &Filter,
    at: PageAt<TimeCursor>,
) -> AppResult<Window<Media>> {
    let mut query = media::table
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .select(Media::as_select())
        .into_boxed();
    let search = filter.search.trim();
    if !search.is_empty() {
        let pattern = like_contains(search);
        query = query.filter(
            media::original_name
                .ilike(pattern.clone())
                .or(media::alt_text.ilike(pattern)),
        );
    }
    if let Some(format) = &filter.format {
        query = query.filter(media::format.eq(format.clone()));
    }
    query = match at {
        PageAt::First => query.order((media::created_at.desc(), media::id.desc())),
        PageAt::After(c) => query
            .filter(
                media::created_at
                    .lt(c.at)
                    .or(media::created_at.eq(c.at).and(media::id.lt(c.id))),
            )
            .order((media::created_at.desc(), media::id.desc())),
        PageAt::Before(c) => query
            .filter(
                media::created_at
                    .gt(c.at)
                    .or(media::created_at.eq(c.at).and(media::id.gt(c.id))),
            )
            .order((media::created_at.asc(), media::id.asc())),
    };
    let rows = query.limit(PAGE_SIZE + 1).load(conn).await?;
    Ok(Window::of(&at, rows, PAGE_SIZE as usize))
}

/// Changes the alt text and caption of an upload read at `expected_version`; a
/// [`AppError::Conflict`] when someone changed it since.
pub async fn update_text(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    expected_version: i32,
    alt_text: &str,
    caption: &str,
    actor: &Actor,
) -> AppResult<Media> {
    validate_text(alt_text, caption)?;
    let before = find(conn, scope, id).await?;
    if before.version != expected_version {
        return Err(stale());
    }
    let updated: Media = diesel::update(media::table)
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .filter(media::id.eq(id))
        .filter(media::version.eq(expected_version))
        .set((
            media::alt_text.eq(alt_text.trim()),
            media::caption.eq(caption.trim()),
            media::updated_at.eq(crate::db::now()),
            media::version.eq(expected_version + 1),
        ))
        .returning(Media::as_returning())
        .get_result(conn)
        .await
        .optional()?
        .ok_or_else(stale)?;
    let (old, new) = (snapshot(&before), snapshot(&updated));
    record(conn, scope, actor, id, "update", Some(old), Some(new)).await?;
    Ok(updated)
}

/// The posts and pages (not in the trash) that show an upload: as their featured image, or in their
/// Markdown (`media:{id}`).
pub async fn uses(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<Vec<Use>> {
    posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::trashed_at.is_null())
        .filter(
            posts::featured_media_id
                .eq(id)
                .or(posts::body_markdown.like(like_contains(&reference(id)))),
        )
        .order((posts::updated_at.desc(), posts::id.desc()))
        .select((posts::id, posts::site_id, posts::title, posts::kind))
        .limit(200)
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// How Markdown names an upload: `media:{id}`.
pub fn reference(id: Uuid) -> String {
    format!("media:{}", id.hyphenated())
}

/// Removes an upload read at `expected_version` and its files' records (the caller removes the
/// bytes from the store after the commit), after taking it out of every site's branding; returns
/// the names of the files it had.
pub async fn delete(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    expected_version: i32,
    actor: &Actor,
) -> AppResult<Vec<String>> {
    let before = find(conn, scope, id).await?;
    if before.version != expected_version {
        return Err(stale());
    }
    let names: Vec<String> = media_files::table
        .filter(media_files::customer_id.eq(scope.customer_uuid()))
        .filter(media_files::media_id.eq(id))
        .select(media_files::name)
        .load(conn)
        .await?;
    crate::branding::forget_media(conn, scope, id, actor).await?;
    let deleted = diesel::delete(media::table)
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .filter(media::id.eq(id))
        .filter(media::version.eq(expected_version))
        .execute(conn)
        .await?;
    if deleted == 0 {
        return Err(stale());
    }
    record(
        conn,
        scope,
        actor,
        id,
        "delete",
        Some(snapshot(&before)),
        None,
    )
    .await?;
    Ok(names)
}

/// Whether another upload of the customer still has a file called `name` (files are shared when
/// the same image is uploaded twice, so its bytes stay while one of them is left).
pub async fn is_file_used(conn: &mut Conn, scope: Scope, name: &str) -> AppResult<bool> {
    Ok(file_named(conn, scope, name).await?.is_some())
}

/// Whether an image of the customer in scope was uploaded as the file with this SHA-256 (its
/// original is kept under that hash).
pub async fn is_original_used(conn: &mut Conn, scope: Scope, sha256: &str) -> AppResult<bool> {
    let found: i64 = media::table
        .filter(media::customer_id.eq(scope.customer_uuid()))
        .filter(media::sha256.eq(sha256))
        .count()
        .get_result(conn)
        .await?;
    Ok(found > 0)
}

fn stale() -> AppError {
    AppError::Conflict("the image was changed by someone else since it was loaded".into())
}

fn snapshot(media: &Media) -> serde_json::Value {
    json!({
        "original_name": media.original_name,
        "format": media.format,
        "size_bytes": media.size_bytes,
        "width": media.width,
        "height": media.height,
        "sha256": media.sha256,
        "alt_text": media.alt_text,
        "caption": media.caption,
    })
}

async fn record(
    conn: &mut Conn,
    scope: Scope,
    actor: &Actor,
    id: Uuid,
    action: &'static str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AppResult<()> {
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "media",
            entity_id: id,
            action,
            before,
            after,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_and_control_characters() {
        assert_eq!(clean_name("C:\\photos\\cat.jpg"), "cat.jpg");
        assert_eq!(clean_name("a/b/dog\u{7}.png"), "dog.png");
        assert_eq!(clean_name("  "), "image");
        assert_eq!(clean_name(&"x".repeat(300)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn references_are_the_hyphenated_id() {
        let id = Uuid::nil();
        assert_eq!(reference(id), "media:00000000-0000-0000-0000-000000000000");
    }
}
