//! Comparing two revisions of a post: a word-level diff of the Markdown body and a field-level
//! comparison of everything else; and which fields restoring a revision brings back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use similar::{Algorithm, ChangeTag, TextDiff};

use crate::content::posts::{PostInput, Status};
use crate::content::revisions::Revision;
use crate::error::{AppError, AppResult};

/// Longest time spent looking for the smallest diff; past it the diff is still correct, only
/// coarser.
const DIFF_TIMEOUT: Duration = Duration::from_secs(1);

/// What a run of words of a body diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// In both versions.
    Same,
    /// Only in the newer version.
    Inserted,
    /// Only in the older version.
    Deleted,
}

/// A run of consecutive words (with the whitespace between them) of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffPiece {
    pub kind: PieceKind,
    pub text: String,
}

impl DiffPiece {
    pub fn is_inserted(&self) -> bool {
        self.kind == PieceKind::Inserted
    }

    pub fn is_deleted(&self) -> bool {
        self.kind == PieceKind::Deleted
    }
}

/// The word-level diff from `old` to `new`, adjacent words of the same kind merged into one
/// piece. Concatenating the `Same` and `Deleted` pieces gives `old`; the `Same` and `Inserted`
/// pieces give `new`.
pub fn words(old: &str, new: &str) -> Vec<DiffPiece> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DIFF_TIMEOUT)
        .diff_words(old, new);
    let mut pieces: Vec<DiffPiece> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => PieceKind::Same,
            ChangeTag::Insert => PieceKind::Inserted,
            ChangeTag::Delete => PieceKind::Deleted,
        };
        match pieces.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => pieces.push(DiffPiece {
                kind,
                text: change.value().to_owned(),
            }),
        }
    }
    pieces
}

/// One field of two revisions side by side, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
    pub changed: bool,
}

/// Title, slug, description, tags, byline, status, publication time and featured image of `from`
/// and `to`.
pub fn fields(from: &Revision, to: &Revision) -> Vec<FieldChange> {
    let row = |field, old: String, new: String| FieldChange {
        field,
        changed: old != new,
        old,
        new,
    };
    vec![
        row("title", from.title.clone(), to.title.clone()),
        row("slug", from.slug.clone(), to.slug.clone()),
        row(
            "description",
            from.description.clone(),
            to.description.clone(),
        ),
        row("tags", from.tags.join(", "), to.tags.join(", ")),
        row("byline", from.byline.clone(), to.byline.clone()),
        row("status", from.status.clone(), to.status.clone()),
        row(
            "published_at",
            display_time(from.published_at),
            display_time(to.published_at),
        ),
        row(
            "featured_image",
            featured(from.featured_media_id),
            featured(to.featured_media_id),
        ),
    ]
}

/// A featured image's id, or `—` for none.
fn featured(id: Option<uuid::Uuid>) -> String {
    id.map(|id| id.to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// `2026-11-27 14:05:09 UTC`, or `—` for none.
pub fn display_time(time: Option<DateTime<Utc>>) -> String {
    time.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// The field values that restoring `revision` saves over the post: every editable field as it
/// was then.
pub fn restore_input(revision: &Revision) -> AppResult<PostInput> {
    let status = match revision.status.as_str() {
        "draft" => Status::Draft,
        "published" => Status::Published,
        other => {
            return Err(AppError::Internal(format!(
                "revision {} has an unknown status {other:?}",
                revision.revision_number
            )));
        }
    };
    Ok(PostInput {
        title: revision.title.clone(),
        slug: revision.slug.clone(),
        body_markdown: revision.body_markdown.clone(),
        description: revision.description.clone(),
        tags: revision.tags.clone(),
        status,
        published_at: revision.published_at,
        featured_media_id: revision.featured_media_id,
        byline: revision.byline.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn joined(pieces: &[DiffPiece], skip: PieceKind) -> String {
        pieces
            .iter()
            .filter(|p| p.kind != skip)
            .map(|p| p.text.as_str())
            .collect()
    }

    #[test]
    fn marks_changed_words_only() {
        let pieces = words("the quick brown fox", "the slow brown fox");
        assert_eq!(
            pieces,
            vec![
                DiffPiece {
                    kind: PieceKind::Same,
                    text: "the ".into()
                },
                DiffPiece {
                    kind: PieceKind::Deleted,
                    text: "quick".into()
                },
                DiffPiece {
                    kind: PieceKind::Inserted,
                    text: "slow".into()
                },
                DiffPiece {
                    kind: PieceKind::Same,
                    text: " brown fox".into()
                },
            ]
        );
    }

    #[test]
    fn pieces_rebuild_both_sides() {
        let old = "# Title\n\nSome <b>text</b> & more.\n\n- a\n- b\n";
        let new = "# Title!\n\nSome text & less.\n\n- a\n- c\n- b\n";
        let pieces = words(old, new);
        assert_eq!(joined(&pieces, PieceKind::Inserted), old);
        assert_eq!(joined(&pieces, PieceKind::Deleted), new);
        assert!(words("", "").is_empty());
        assert_eq!(words("", "new")[0].kind, PieceKind::Inserted);
    }

    fn revision(number: i32, title: &str, tags: &[&str]) -> Revision {
        Revision {
            id: Uuid::new_v4(),
            post_id: Uuid::nil(),
            revision_number: number,
            title: title.into(),
            slug: "a-slug".into(),
            body_markdown: "body".into(),
            description: "d".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            status: "draft".into(),
            published_at: None,
            editor_label: "e".into(),
            created_at: Utc::now(),
            featured_media_id: None,
            byline: String::new(),
        }
    }

    #[test]
    fn compares_every_field() {
        let changes = fields(
            &revision(1, "Old", &["a"]),
            &revision(2, "New", &["a", "b"]),
        );
        let names: Vec<_> = changes.iter().map(|c| c.field).collect();
        assert_eq!(
            names,
            [
                "title",
                "slug",
                "description",
                "tags",
                "byline",
                "status",
                "published_at",
                "featured_image"
            ]
        );
        let changed: Vec<_> = changes
            .iter()
            .filter(|c| c.changed)
            .map(|c| c.field)
            .collect();
        assert_eq!(changed, ["title", "tags"]);
        assert_eq!(changes[3].new, "a, b");
        assert_eq!(changes[6].old, "—");
    }

    #[test]
    fn restore_takes_every_field() {
        let mut old = revision(1, "Old", &["x"]);
        old.status = "published".into();
        old.published_at = Some(Utc::now());
        let input = restore_input(&old).unwrap();
        assert_eq!(input.title, "Old");
        assert_eq!(input.status, Status::Published);
        assert_eq!(input.published_at, old.published_at);
        old.status = "weird".into();
        assert!(restore_input(&old).is_err());
    }
}
