//! Applying an import (WordPress or Ghost): the export's images into the media library, each post and page
//! through the posts' one write path (a revision and audit events each, one of which names the
//! import), the old addresses, all in one transaction — all or nothing. Importing the same export
//! again updates what the first import made (matched by the source's GUID) instead of adding it
//! twice.
//!
//! The content is read a second time as a stream while it is written: a reader thread hands
//! items over a channel of [`IN_FLIGHT`] places, so memory holds the index
//! ([`crate::import::index`]) and a handful of items, whatever the export's size.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change as AuditChange};
use crate::content::old_addresses::{self, Leads};
use crate::content::posts::{self, Change, Outcome, PostInput, Status, Target};
use crate::db::Conn;
use crate::db::schema::content::imported_items as ii;
use crate::error::{AppError, AppResult};
use crate::import::convert::{self, Addresses, Source};
use crate::import::index::{self, Arrival, Entry, Index, Kind, old_path, original_of};
use crate::import::wordpress::{self, Item};
use crate::tenancy::{Scope, SiteId};

/// How many items the reader may be ahead of the writer.
pub const IN_FLIGHT: usize = 8;

/// What an import did, or would do.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Report {
    pub posts_created: usize,
    pub posts_updated: usize,
    pub pages_created: usize,
    pub pages_updated: usize,
    /// Items that come across as drafts although the source had them otherwise.
    pub made_drafts: Vec<String>,
    pub skipped: Vec<String>,
    pub comments: usize,
    pub images_added: usize,
    pub images_kept: usize,
    pub missing_images: BTreeSet<String>,
    pub unknown_shortcodes: BTreeMap<String, usize>,
    pub old_addresses: usize,
    /// Items that would stop the import (dry run): `item N "title": reason`.
    pub problems: Vec<String>,
}

impl Report {
    /// The report as lines for a person.
    pub fn lines(&self, dry_run: bool) -> Vec<String> {
        let would = if dry_run { "would be " } else { "" };
        let mut lines = vec![
            format!(
                "posts: {} {would}created, {} {would}updated",
                self.posts_created, self.posts_updated
            ),
            format!(
                "pages: {} {would}created, {} {would}updated",
                self.pages_created, self.pages_updated
            ),
            format!(
                "images: {} {would}added to the media library, {} already there",
                self.images_added, self.images_kept
            ),
            format!("old addresses {would}kept: {}", self.old_addresses),
            format!("comments not imported: {}", self.comments),
        ];
        lines.push(format!("items skipped: {}", self.skipped.len()));
        lines.extend(self.made_drafts.iter().map(|d| format!("draft: {d}")));
        lines.extend(self.skipped.iter().map(|s| format!("skipped: {s}")));
        lines.extend(
            self.missing_images
                .iter()
                .map(|m| format!("image not found (its alt text is kept): {m}")),
        );
        lines.extend(
            self.unknown_shortcodes
                .iter()
                .map(|(name, n)| format!("unknown shortcode removed: [{name}] ×{n}")),
        );
        if dry_run {
            lines.push("dry run: nothing was written".into());
        }
        lines
    }
}

/// The first pass: reads the export's index (no content). Problems: every `item N "title":
/// reason`, or why the file is unreadable.
pub async fn read_index(file: &Path) -> Result<Index, Vec<String>> {
    let path = file.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        let reader = open(&path)?;
        let mut items = Vec::new();
        let channel = wordpress::read(reader, |item| {
            items.push(index::slim(item));
            Ok(())
        })
        .map_err(|e| vec![e.to_string()])?;
        Ok::<_, Vec<String>>(index::index_wordpress(&channel, &items))
    })
    .await
    .map_err(|e| vec![format!("the export could not be read: {e}")])??;
    if read.errors.is_empty() {
        Ok(read)
    } else {
        Err(read.errors.clone())
    }
}

fn open(path: &Path) -> Result<BufReader<std::fs::File>, Vec<String>> {
    std::fs::File::open(path)
        .map(|f| BufReader::with_capacity(64 * 1024, f))
        .map_err(|e| vec![format!("cannot read {}: {e}", path.display())])
}

/// The file behind an attachment's address in an uploads folder (`…/wp-content/uploads/X` is
/// `DIR/X`), if it is there.
pub fn upload_file(uploads: &Path, url: &str) -> Option<PathBuf> {
    let (_, relative) = url.split_once("/wp-content/uploads/")?;
    let relative = urlencoding::decode(relative).ok()?;
    if relative
        .split('/')
        .any(|part| part == ".." || part.is_empty())
    {
        return None;
    }
    let path = uploads.join(relative.as_ref());
    path.is_file().then_some(path)
}

/// What the import made of each source key before (`imported_items`).
pub async fn earlier(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    source: Source,
) -> AppResult<HashMap<String, (String, Uuid)>> {
    let rows: Vec<(String, String, Uuid)> = ii::table
        .filter(ii::customer_id.eq(scope.customer_uuid()))
        .filter(ii::site_id.eq(site.as_uuid()))
        .filter(ii::source.eq(source.as_str()))
        .select((ii::source_key, ii::kind, ii::target_id))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, kind, id)| (key, (kind, id)))
        .collect())
}

async fn remember(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    source: Source,
    key: &str,
    kind: &str,
    target: Uuid,
) -> AppResult<()> {
    let now = crate::db::now();
    diesel::insert_into(ii::table)
        .values((
            ii::customer_id.eq(scope.customer_uuid()),
            ii::site_id.eq(site.as_uuid()),
            ii::source.eq(source.as_str()),
            ii::source_key.eq(key),
            ii::kind.eq(kind),
            ii::target_id.eq(target),
            ii::created_at.eq(now),
            ii::updated_at.eq(now),
        ))
        .on_conflict((ii::customer_id, ii::site_id, ii::source, ii::source_key))
        .do_update()
        .set((
            ii::kind.eq(kind),
            ii::target_id.eq(target),
            ii::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// New addresses of the old site's links and images, for the converter.
pub struct AddressBook {
    origin: String,
    links: HashMap<String, String>,
    images: HashMap<String, Uuid>,
    attachments: HashMap<u64, (Uuid, String)>,
}

impl AddressBook {
    /// The address book of `index`, with the media library images the attachments became.
    pub fn new(index: &Index, media: &HashMap<String, Uuid>) -> AddressBook {
        let mut links = HashMap::new();
        for entry in &index.entries {
            for path in &entry.old_paths {
                links.insert(path.clone(), entry.href());
            }
        }
        for (path, target) in &index.fixed_paths {
            links.entry(path.clone()).or_insert_with(|| target.clone());
        }
        let mut images = HashMap::new();
        let mut attachments = HashMap::new();
        for attachment in &index.attachments {
            let Some(id) = media.get(&attachment.key) else {
                continue;
            };
            if let Some(path) = old_path(&attachment.url, &index.origin) {
                // A link to the file itself goes to its old address on the site, which leads to
                // the image in the media library.
                links.entry(path.clone()).or_insert_with(|| path.clone());
                images.insert(path, *id);
            }
            attachments.insert(attachment.id, (*id, attachment.alt.clone()));
        }
        AddressBook {
            origin: index.origin.clone(),
            links,
            images,
            attachments,
        }
    }
}

impl Addresses for AddressBook {
    fn link(&self, old: &str) -> Option<String> {
        self.links.get(&old_path(old, &self.origin)?).cloned()
    }

    fn image(&self, old: &str) -> Option<Uuid> {
        let path = old_path(old, &self.origin)?;
        self.images
            .get(&path)
            .or_else(|| self.images.get(&original_of(&path)))
            .or_else(|| {
                self.images
                    .get(&crate::import::ghost::original_image(&path))
            })
            .copied()
    }

    fn attachment(&self, id: u64) -> Option<(Uuid, String)> {
        self.attachments.get(&id).cloned()
    }
}

/// The export read again, item by item, for the items the index takes, in file order.
pub struct Items<'i> {
    source: ItemSource,
    by_number: HashMap<usize, &'i Entry>,
}

enum ItemSource {
    /// A WordPress export read on a blocking thread.
    Stream {
        receiver: tokio::sync::mpsc::Receiver<Item>,
        reader: Option<tokio::task::JoinHandle<Result<(), String>>>,
    },
    /// Items already in memory (a Ghost export).
    Memory(std::vec::IntoIter<Item>),
}

impl<'i> Items<'i> {
    /// Starts reading `file` on a blocking thread, at most [`IN_FLIGHT`] items ahead.
    pub fn open(file: &Path, index: &'i Index) -> Items<'i> {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Item>(IN_FLIGHT);
        let path = file.to_owned();
        let reader = tokio::task::spawn_blocking(move || {
            let file = open(&path).map_err(|e| e.join("; "))?;
            wordpress::read(file, |item| {
                sender
                    .blocking_send(item)
                    .map_err(|_| "the import stopped".to_owned())
            })
            .map(drop)
            .map_err(|e| e.to_string())
        });
        Items {
            source: ItemSource::Stream {
                receiver,
                reader: Some(reader),
            },
            by_number: index.entries.iter().map(|e| (e.number, e)).collect(),
        }
    }

    /// Items held in memory.
    pub fn of(items: Vec<Item>, index: &'i Index) -> Items<'i> {
        Items {
            source: ItemSource::Memory(items.into_iter()),
            by_number: index.entries.iter().map(|e| (e.number, e)).collect(),
        }
    }

    /// The next item and its entry; none at the end of the file.
    pub async fn next(&mut self) -> AppResult<Option<(&'i Entry, Item)>> {
        loop {
            let item = match &mut self.source {
                ItemSource::Memory(items) => items.next(),
                ItemSource::Stream { receiver, .. } => receiver.recv().await,
            };
            let Some(item) = item else {
                break;
            };
            if let Some(entry) = self.by_number.get(&item.number) {
                return Ok(Some((entry, item)));
            }
        }
        if let ItemSource::Stream { reader, .. } = &mut self.source
            && let Some(reader) = reader.take()
        {
            reader
                .await
                .map_err(|e| AppError::Internal(format!("the export reader failed: {e}")))?
                .map_err(AppError::Invalid)?;
        }
        Ok(None)
    }
}

/// What one item becomes.
pub fn input_of(
    entry: &Entry,
    item: &Item,
    book: &AddressBook,
    source: Source,
    report: &mut Report,
) -> PostInput {
    let converted = convert::convert(&item.content, source, book);
    for (name, count) in converted.unknown_shortcodes {
        *report.unknown_shortcodes.entry(name).or_default() += count;
    }
    report.missing_images.extend(converted.missing_images);
    let (status, published_at) = match entry.arrival {
        Arrival::Published(at) | Arrival::Scheduled(at) => (Status::Published, Some(at)),
        Arrival::Draft(_) => (Status::Draft, None),
    };
    if let Arrival::Draft(Some(reason)) = entry.arrival {
        report.made_drafts.push(format!(
            "item {} \"{}\": {reason}",
            entry.number, entry.title
        ));
    }
    let featured_media_id = entry.featured_image.as_deref().and_then(|f| {
        if let Some(url) = f.strip_prefix("image:") {
            return book.image(url);
        }
        let id = f.strip_prefix("attachment:")?.parse().ok()?;
        book.attachment(id).map(|(id, _)| id)
    });
    PostInput {
        title: entry.title.clone(),
        slug: entry.slug.clone(),
        body_markdown: converted.markdown,
        description: plain_excerpt(&item.excerpt),
        tags: entry.tags.clone(),
        status,
        published_at,
        featured_media_id,
        byline: entry.author.clone().unwrap_or_default(),
    }
}

/// An excerpt as plain text on one line, at most 300 characters.
fn plain_excerpt(html: &str) -> String {
    let text = ammonia::Builder::empty().clean(html).to_string();
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").chars().take(300).collect()
}

/// The posts (or pages) of the site by slug, whoever made them.
pub async fn slugs_in_use(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
) -> AppResult<HashMap<(String, String), Uuid>> {
    use crate::db::schema::content::posts as p;
    let rows: Vec<(String, String, Uuid)> = p::table
        .filter(p::customer_id.eq(scope.customer_uuid()))
        .filter(p::site_id.eq(site.as_uuid()))
        .select((p::kind, p::slug, p::id))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, slug, id)| ((kind, slug), id))
        .collect())
}

/// Why an item would stop the import, checked without writing: a field the posts' write path
/// refuses, or an address another post of the site (not made by an earlier import of it) has.
pub fn problem_of(
    entry: &Entry,
    input: &PostInput,
    earlier: &HashMap<String, (String, Uuid)>,
    in_use: &HashMap<(String, String), Uuid>,
) -> Option<String> {
    let kind = match entry.kind {
        Kind::Post => posts::Kind::Post,
        Kind::Page => posts::Kind::Page,
    };
    let refused = |reason: String| format!("item {} \"{}\": {reason}", entry.number, entry.title);
    if let Err(error) = posts::validate(kind, input) {
        return Some(refused(error.to_string()));
    }
    let holder = in_use.get(&(kind.as_str().to_owned(), entry.slug.clone()))?;
    let ours = earlier.get(&entry.key).map(|(_, id)| id);
    (ours != Some(holder)).then(|| {
        refused(format!(
            "the address {} is taken by a post the import did not make",
            entry.href()
        ))
    })
}

/// Writes one item: creates it, or updates what an earlier import made of it, through the posts'
/// write path; records what it came from and an audit event naming the import.
#[allow(clippy::too_many_arguments)]
pub async fn write_item(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    entry: &Entry,
    input: &PostInput,
    earlier: &HashMap<String, (String, Uuid)>,
    (source, file_name): (Source, &str),
    actor: &Actor,
    report: &mut Report,
) -> AppResult<Uuid> {
    let refused = |reason: String| {
        AppError::Invalid(format!(
            "item {} \"{}\": {reason}",
            entry.number, entry.title
        ))
    };
    let existing = match earlier.get(&entry.key) {
        Some((_, id)) => match posts::find(conn, scope, *id).await {
            Ok(post) => Some(post),
            Err(AppError::NotFound) => None,
            Err(other) => return Err(other),
        },
        None => None,
    };
    let change = Change::Fields {
        input,
        action: "import",
    };
    let outcome = match (&existing, entry.kind) {
        (Some(post), _) => {
            let target = Target::Existing {
                post,
                expected_version: post.version,
            };
            posts::save(conn, scope, target, change, actor).await
        }
        (None, Kind::Post) => posts::save(conn, scope, Target::New(site), change, actor).await,
        (None, Kind::Page) => posts::save(conn, scope, Target::NewPage(site), change, actor).await,
    }
    .map_err(|e| match e {
        AppError::Invalid(reason) | AppError::BadRequest(reason) => refused(reason),
        other => other,
    })?;
    let post = match outcome {
        Outcome::Saved(post) => post,
        Outcome::SlugTaken { .. } => {
            return Err(refused(format!(
                "the address {} is taken by a post the import did not make",
                entry.href()
            )));
        }
        Outcome::Stale { .. } => {
            return Err(AppError::Conflict(
                "a post changed while the import ran; run it again".into(),
            ));
        }
        other => return Err(refused(format!("{other:?}"))),
    };
    let counter = match (existing.is_some(), entry.kind) {
        (false, Kind::Post) => &mut report.posts_created,
        (true, Kind::Post) => &mut report.posts_updated,
        (false, Kind::Page) => &mut report.pages_created,
        (true, Kind::Page) => &mut report.pages_updated,
    };
    *counter += 1;
    let kind = if entry.kind == Kind::Page {
        "page"
    } else {
        "post"
    };
    remember(conn, scope, site, source, &entry.key, kind, post.id).await?;
    for path in &entry.old_paths {
        old_addresses::record(conn, scope, site, path, &Leads::Post(post.id)).await?;
        report.old_addresses += 1;
    }
    audit::record(
        conn,
        scope,
        actor,
        AuditChange {
            entity: kind,
            entity_id: post.id,
            action: "import",
            before: None,
            after: Some(json!({
                "source": source.as_str(),
                "file": file_name,
                "item": entry.number,
                "key": entry.key,
                "author": entry.author,
            })),
        },
    )
    .await?;
    Ok(post.id)
}

/// Records the old addresses that lead to fixed addresses (tag pages, the home page) and to the
/// imported images.
pub async fn write_fixed_addresses(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    index: &Index,
    image_paths: &[(String, String)],
    report: &mut Report,
) -> AppResult<()> {
    for (path, target) in index
        .fixed_paths
        .iter()
        .chain(image_paths.iter().map(|(p, t)| (p, t)))
    {
        old_addresses::record(conn, scope, site, path, &Leads::To(target.clone())).await?;
        report.old_addresses += 1;
    }
    Ok(())
}

/// Remembers the images an import added, by their attachment's GUID.
pub async fn remember_images(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    source: Source,
    added: &[(String, Uuid)],
) -> AppResult<()> {
    for (key, id) in added {
        remember(conn, scope, site, source, key, "media", *id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_files_are_found_under_the_folder_only() {
        let uploads = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/import/wordpress/uploads"
        ));
        let found = upload_file(
            uploads,
            "http://oldblog.example/wp-content/uploads/2023/03/night-sky.jpg",
        );
        assert!(found.is_some());
        assert_eq!(
            upload_file(
                uploads,
                "http://oldblog.example/wp-content/uploads/../../export.xml"
            ),
            None
        );
        assert_eq!(
            upload_file(uploads, "http://oldblog.example/other/x.jpg"),
            None
        );
    }

    #[test]
    fn excerpts_are_plain_text() {
        assert_eq!(
            plain_excerpt("<p>Fish &amp; <b>chips</b>\n\n</p>"),
            "Fish & chips"
        );
    }
}
