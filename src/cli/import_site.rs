//! `agoat import wordpress` and `agoat import ghost`: the steps of an import around its one
//! transaction — the index, the images stored before, then posts, pages, images and old
//! addresses written together.

use std::collections::HashMap;
use std::path::Path;

use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::audit::Actor;
use crate::cli::Failure;
use crate::cli::tenants::site_scope;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::import::apply::{self, AddressBook, Report};
use crate::import::convert::Source;
use crate::import::ghost;
use crate::import::index::{Index, Kind, old_path, original_of};
use crate::media::{library, pictures, upload};
use crate::tenancy::{Scope, SiteId};

pub struct Options<'a> {
    pub source: Source,
    pub site: SiteId,
    pub file: &'a Path,
    /// WordPress' `wp-content/uploads`, or Ghost's `content/images`.
    pub uploads: Option<&'a Path>,
    pub dry_run: bool,
}

/// What the first pass read: the index, and for a Ghost export the items (a WordPress export's
/// are read again as a stream).
struct Export {
    index: Index,
    items: Option<Vec<crate::import::wordpress::Item>>,
}

impl Export {
    async fn read(source: Source, file: &Path) -> Result<Export, Failure> {
        match source {
            Source::WordPress => Ok(Export {
                index: apply::read_index(file).await?,
                items: None,
            }),
            Source::Ghost => {
                let bytes = std::fs::read(file).map_err(|e| {
                    Failure::from(AppError::Invalid(format!(
                        "cannot read {}: {e}",
                        file.display()
                    )))
                })?;
                let read = ghost::read(&bytes).map_err(AppError::Invalid)?;
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
fn image_file(source: Source, folder: &Path, url: &str) -> Option<std::path::PathBuf> {
    match source {
        Source::WordPress => apply::upload_file(folder, url),
        Source::Ghost => ghost::image_file(folder, url),
    }
}

/// An image of the export to add: its attachment's key, file and alt text.
struct NewImage {
    key: String,
    path: std::path::PathBuf,
    alt: String,
}

pub async fn run(db: &Database, data_dir: &Path, options: Options<'_>) -> Result<Report, Failure> {
    let source = options.source;
    let export = Export::read(source, options.file).await?;
    let index = &export.index;
    let scope = site_scope(db, options.site).await?;
    let site = options.site;
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
        let report = dry_run(
            &export,
            &earlier,
            &in_use,
            kept,
            &new_images,
            report,
            options,
        )
        .await?;
        if !report.problems.is_empty() {
            return Err(Failure::from(report.problems));
        }
        return Ok(report);
    }
    let prepared = if new_images.is_empty() {
        None
    } else {
        let store = crate::cli::media_store(data_dir)?;
        let paths: Vec<_> = new_images.iter().map(|i| i.path.clone()).collect();
        Some(super::prepare_images(store.as_ref(), scope, &paths).await?)
    };
    let actor = Actor::cli(match source {
        Source::WordPress => "import wordpress",
        Source::Ghost => "import ghost",
    });
    let file_name = options
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let store = crate::cli::media_store(data_dir)?;
    let written = db
        .tenant_tx(scope, |conn| {
            let (export, earlier, kept, new_images) = (&export, &earlier, &kept, &new_images);
            let (prepared, actor, file_name, report) = (&prepared, &actor, &file_name, &report);
            let file = options.file;
            let uploads = options.uploads;
            async move {
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
                let mut items = export.items(file);
                while let Some((entry, item)) = items.next().await? {
                    let input = apply::input_of(entry, &item, &book, source, &mut report);
                    let origin = (source, file_name.as_str());
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
                    image_addresses(conn, scope, source, index, &media, uploads).await?;
                apply::write_fixed_addresses(conn, scope, site, index, &image_paths, &mut report)
                    .await?;
                Ok(report)
            }
            .scope_boxed()
        })
        .await;
    if let (Err(_), Some(prepared)) = (&written, &prepared) {
        upload::discard(db, store.as_ref(), scope, prepared).await;
    }
    Ok(written?)
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
) -> Result<Report, Failure> {
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
