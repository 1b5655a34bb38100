//! One import of a whole site, around its one transaction: the index, the images stored before,
//! then posts, pages, images and old addresses written together. `agoat import wordpress|ghost`
//! and the owners' import page (`/admin/import`) both run it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::Database;
use crate::error::AppResult;
use crate::import::apply::{self, AddressBook, Report};
use crate::import::convert::Source;
use crate::import::index::{Index, Kind, old_path, original_of};
use crate::import::uploads::{self, Upload};
use crate::import::{ImportError, ghost};
use crate::media::store::Store;
use crate::media::{library, pictures, upload};
use crate::tenancy::{Scope, SiteId};

/// What to import, into which site, and how.
pub struct Options<'a> {
    pub source: Source,
    pub site: SiteId,
    pub file: &'a Path,
    /// The export's name as its owner knows it, for the audit events (`export.xml`).
    pub file_name: &'a str,
    /// WordPress' `wp-content/uploads`, or Ghost's `content/images`, or a folder that holds it
    /// (see [`images_folder`]).
    pub uploads: Option<&'a Path>,
    pub dry_run: bool,
    /// The stored upload this import applies (the import page): marked applied in the import's
    /// transaction, so that it applies once.
    pub upload: Option<&'a Upload>,
}

/// What the first pass read: the index, and for a Ghost export the items (a WordPress export's
/// are read again as a stream).
struct Export {
    index: Index,
    items: Option<Vec<crate::import::wordpress::Item>>,
}

impl Export {
    async fn read(source: Source, file: &Path) -> Result<Export, ImportError> {
        match source {
            Source::WordPress => Ok(Export {
                index: apply::read_index(file).await?,
                items: None,
            }),
            Source::Ghost => {
                let bytes = tokio::fs::read(file).await.map_err(|e| {
                    ImportError::Refused(vec![format!("cannot read {}: {e}", file.display())])
                })?;
                let read = ghost::read(&bytes).map_err(|e| ImportError::Refused(vec![e]))?;
                Ok(Export {
                    index: read.index,
                    items: Some(read.items),
                })
            }
        }
    }

    fn items<'i>(&'i self, file: &Path) -> apply::Items<'i> {
        match &self.items {
            Some(items) => apply::Items::of(items.clone(), &self.index),
            None => apply::Items::open(file, &self.index),
        }
    }
}

/// The file of an image of the export in the folder given.
fn image_file(source: Source, folder: &Path, url: &str) -> Option<PathBuf> {
    match source {
        Source::WordPress => apply::upload_file(folder, url),
        Source::Ghost => ghost::image_file(folder, url),
    }
}

/// The folder under `root` that holds the export's images: `root` itself when any of them is
/// there (the folder named on the command line), else the one at most three levels down where
/// most of them are (an archive of `wp-content/uploads` may hold `uploads/2026/…` or
/// `wp-content/uploads/2026/…`).
fn images_folder(source: Source, index: &Index, root: &Path) -> PathBuf {
    let found_in = |folder: &Path| {
        index
            .attachments
            .iter()
            .filter(|a| image_file(source, folder, &a.url).is_some())
            .count()
    };
    if found_in(root) > 0 {
        return root.to_owned();
    }
    let mut best = (0, root.to_owned());
    for folder in folders_below(root, 3) {
        let found = found_in(&folder);
        if found > best.0 {
            best = (found, folder);
        }
    }
    best.1
}

/// `root` and the folders below it, at most `depth` levels down.
fn folders_below(root: &Path, depth: usize) -> Vec<PathBuf> {
    let mut folders = vec![root.to_owned()];
    let mut level = vec![root.to_owned()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for folder in &level {
            let Ok(entries) = std::fs::read_dir(folder) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(entry.path());
                }
            }
        }
        folders.extend(next.iter().cloned());
        level = next;
    }
    folders
}

/// An image of the export to add: its attachment's key, file and alt text.
struct NewImage {
    key: String,
    path: PathBuf,
    alt: String,
}

/// Runs an import into `options.site` of the customer in `scope`. A dry run writes nothing and
/// returns the report with every problem it found; otherwise the report of what was written.
pub async fn run(
    db: &Database,
    store: &dyn Store,
    scope: Scope,
    options: Options<'_>,
    actor: &Actor,
) -> Result<Report, ImportError> {
    let source = options.source;
    let export = Export::read(source, options.file).await?;
    let index = &export.index;
    let site = options.site;
    let images = options
        .uploads
        .map(|root| images_folder(source, index, root));
    let options = Options {
        uploads: images.as_deref(),
        ..options
    };
    let earlier = db
        .tenant_read(scope, |conn| {
            async move { apply::earlier(conn, scope, site, source).await }.scope_boxed()
        })
        .await?;
    let mut report = Report {
        comments: index.comments,
        skipped: index
            .skipped
            .iter()
            .map(|s| format!("item {} \"{}\": {}", s.number, s.title, s.reason))
            .collect(),
        ..Report::default()
    };
    let mut kept: HashMap<String, Uuid> = HashMap::new();
    let mut new_images = Vec::new();
    for attachment in &index.attachments {
        if let Some((_, id)) = earlier.get(&attachment.key) {
            kept.insert(attachment.key.clone(), *id);
            report.images_kept += 1;
            continue;
        }
        match options
            .uploads
            .and_then(|dir| image_file(source, dir, &attachment.url))
        {
            Some(path) => new_images.push(NewImage {
                key: attachment.key.clone(),
                path,
                alt: attachment.alt.clone(),
            }),
            None => {
                report.missing_images.insert(attachment.url.clone());
            }
        }
    }
    if options.dry_run {
        let in_use = db
            .tenant_read(scope, |conn| {
                async move { apply::slugs_in_use(conn, scope, site).await }.scope_boxed()
            })
            .await?;
        return dry_run(
            &export,
            &earlier,
            &in_use,
            kept,
            &new_images,
            report,
            options,
        )
        .await;
    }
    let prepared = if new_images.is_empty() {
        None
    } else {
        let files: Vec<_> = new_images
            .iter()
            .map(|i| (shown_name(&i.path, options.uploads), i.path.clone()))
            .collect();
        Some(
            upload::prepare_files(store, scope, &files)
                .await
                .map_err(ImportError::from)?,
        )
    };
    let written = db
        .tenant_tx(scope, |conn| {
            let (export, earlier, kept, new_images) = (&export, &earlier, &kept, &new_images);
            let (prepared, report, options) = (&prepared, &report, &options);
            async move {
                if let Some(stored) = options.upload {
                    uploads::claim(conn, scope, stored).await?;
                }
                let mut report = report.clone();
                let mut media = kept.clone();
                let mut added = Vec::new();
                if let Some(prepared) = prepared {
                    let recorded = upload::record(conn, scope, prepared, actor).await?;
                    for (image, made) in new_images.iter().zip(recorded) {
                        if !image.alt.trim().is_empty() {
                            library::update_text(
                                conn,
                                scope,
                                made.id,
                                made.version,
                                &image.alt,
                                "",
                                actor,
                            )
                            .await?;
                        }
                        media.insert(image.key.clone(), made.id);
                        added.push((image.key.clone(), made.id));
                    }
                    report.images_added = added.len();
                }
                apply::remember_images(conn, scope, site, source, &added).await?;
                let index = &export.index;
                let book = AddressBook::new(index, &media);
                let mut items = export.items(options.file);
                while let Some((entry, item)) = items.next().await? {
                    let input = apply::input_of(entry, &item, &book, source, &mut report);
                    let origin = (source, options.file_name);
                    apply::write_item(
                        conn,
                        scope,
                        site,
                        entry,
                        &input,
                        earlier,
                        origin,
                        actor,
                        &mut report,
                    )
                    .await?;
                }
                let image_paths =
                    image_addresses(conn, scope, source, index, &media, options.uploads).await?;
                apply::write_fixed_addresses(conn, scope, site, index, &image_paths, &mut report)
                    .await?;
                if let Some(stored) = options.upload {
                    uploads::mark_applied(conn, scope, stored, &report, actor).await?;
                }
                Ok(report)
            }
            .scope_boxed()
        })
        .await;
    if let (Err(_), Some(prepared)) = (&written, &prepared) {
        upload::discard(db, store, scope, prepared).await;
    }
    Ok(written?)
}

/// An image's name in a refusal: its path inside the images folder.
fn shown_name(path: &Path, folder: Option<&Path>) -> String {
    folder
        .and_then(|f| path.strip_prefix(f).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The old addresses of the imported images (each original and the sizes WordPress made of it
/// that are in the uploads folder) and the address of the image in the media library.
async fn image_addresses(
    conn: &mut crate::db::Conn,
    scope: Scope,
    source: Source,
    index: &Index,
    media: &HashMap<String, Uuid>,
    uploads: Option<&Path>,
) -> AppResult<Vec<(String, String)>> {
    let ids: Vec<Uuid> = media.values().copied().collect();
    let found = library::find_many(conn, scope, &ids).await?;
    let files = library::files_of(conn, scope, &ids).await?;
    let mut addresses = Vec::new();
    for attachment in &index.attachments {
        let Some(id) = media.get(&attachment.key) else {
            continue;
        };
        let Some(item) = found.iter().find(|m| m.id == *id) else {
            continue;
        };
        let own: Vec<_> = files
            .iter()
            .filter(|f| f.media_id == *id)
            .cloned()
            .collect();
        let Some(widest) = pictures::widest_own_file(item, &own) else {
            continue;
        };
        let target = pictures::path(widest);
        let Some(original) = old_path(&attachment.url, &index.origin) else {
            continue;
        };
        let sizes = match source {
            Source::WordPress => sizes_beside(uploads, &attachment.url),
            Source::Ghost => ghost_sizes(uploads, &attachment.url),
        };
        for size in sizes {
            if let Some(path) = old_path(&size, &index.origin) {
                addresses.push((path, target.clone()));
            }
        }
        addresses.push((original, target));
    }
    Ok(addresses)
}

/// The addresses of the sizes WordPress made of an upload (`name-300x200.jpg` beside
/// `name.jpg`) that are in the uploads folder.
fn sizes_beside(uploads: Option<&Path>, url: &str) -> Vec<String> {
    let Some(file) = uploads.and_then(|dir| apply::upload_file(dir, url)) else {
        return Vec::new();
    };
    let (Some(folder), Some(stem), Some(ext)) = (
        file.parent(),
        file.file_stem().and_then(|s| s.to_str()),
        file.extension().and_then(|s| s.to_str()),
    ) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or("");
    let original = format!("{stem}.{ext}");
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| *name != original && original_of(name) == original)
        .map(|name| format!("{base}/{name}"))
        .collect()
}

/// The addresses of the sizes Ghost made of an image (`content/images/size/w600/2026/12/x.png`)
/// that are in the images folder.
fn ghost_sizes(images: Option<&Path>, url: &str) -> Vec<String> {
    let (Some(images), Some((base, relative))) = (images, url.split_once("/content/images/"))
    else {
        return Vec::new();
    };
    let Ok(widths) = std::fs::read_dir(images.join("size")) else {
        return Vec::new();
    };
    widths
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|width| images.join("size").join(width).join(relative).is_file())
        .map(|width| format!("{base}/content/images/size/{width}/{relative}"))
        .collect()
}

/// What the import would do, without writing: the items converted (for the shortcodes and images
/// they name), counted as created or updated by what an earlier import made.
async fn dry_run(
    export: &Export,
    earlier: &HashMap<String, (String, Uuid)>,
    in_use: &HashMap<(String, String), Uuid>,
    mut media: HashMap<String, Uuid>,
    new_images: &[NewImage],
    mut report: Report,
    options: Options<'_>,
) -> Result<Report, ImportError> {
    let index = &export.index;
    for image in new_images {
        media.insert(image.key.clone(), Uuid::new_v4());
        report.images_added += 1;
    }
    let book = AddressBook::new(index, &media);
    let mut items = export.items(options.file);
    while let Some((entry, item)) = items.next().await? {
        let input = apply::input_of(entry, &item, &book, options.source, &mut report);
        if let Some(problem) = apply::problem_of(entry, &input, earlier, in_use) {
            report.problems.push(problem);
        }
        let existing = earlier.contains_key(&entry.key);
        let counter = match (existing, entry.kind) {
            (false, Kind::Post) => &mut report.posts_created,
            (true, Kind::Post) => &mut report.posts_updated,
            (false, Kind::Page) => &mut report.pages_created,
            (true, Kind::Page) => &mut report.pages_updated,
        };
        *counter += 1;
        report.old_addresses += entry.old_paths.len();
    }
    report.old_addresses += index.fixed_paths.len();
    Ok(report)
}
