//! Importing posts from Markdown files with YAML front matter (as Hugo and Jekyll write them).
//!
//! A batch is read and checked completely before anything is written; any bad file is reported as
//! `file:line: reason` and nothing of the batch is imported. Re-importing a slug updates that post
//! as a new revision.
//!
//! Images the posts show from files beside them (`![cat](images/cat.jpg)`, relative to the post's
//! file) are found by [`local_images`]; the caller adds them to the media library and
//! [`use_library_images`] points the posts at them (`media:{id}`). Addresses with a scheme, from
//! the site's root (`/…`) or already `media:` are left as written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::audit::Actor;
use crate::content::front_matter::{self, ParsedPost};
use crate::content::markdown;
use crate::content::posts::{self, Change, PostInput, Status, Target};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::{Scope, SiteId};

/// One checked file of a batch.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub path: PathBuf,
    pub input: PostInput,
}

/// What an applied batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// Reads and checks every Markdown file named by `paths` (files, or folders searched
/// recursively for `*.md` and `*.markdown`). On any problem returns every `file:line: reason`.
pub fn read_batch(paths: &[PathBuf], now: DateTime<Utc>) -> Result<Vec<ImportFile>, Vec<String>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        collect_markdown(path, &mut files, &mut errors);
    }
    if files.is_empty() && errors.is_empty() {
        errors.push("no Markdown files (*.md, *.markdown) found".to_owned());
    }
    let mut sources = Vec::new();
    for path in files {
        match read_text(&path) {
            Ok(text) => sources.push((path, text)),
            Err(error) => errors.push(error),
        }
    }
    match check_sources(sources, now) {
        Ok(batch) if errors.is_empty() => Ok(batch),
        Ok(_) => Err(errors),
        Err(mut more) => {
            errors.append(&mut more);
            Err(errors)
        }
    }
}

/// Checks a batch of `(file name, text)` pairs. On any problem returns every `file:line: reason`.
pub fn check_sources(
    sources: Vec<(PathBuf, String)>,
    now: DateTime<Utc>,
) -> Result<Vec<ImportFile>, Vec<String>> {
    let mut batch = Vec::new();
    let mut errors = Vec::new();
    let mut slugs: HashMap<String, PathBuf> = HashMap::new();
    for (path, source) in sources {
        match check_file(&path, &source, now) {
            Ok(file) => match slugs.get(&file.input.slug) {
                Some(first) => errors.push(format!(
                    "{}:1: slug \"{}\" is also used by {}",
                    path.display(),
                    file.input.slug,
                    first.display()
                )),
                None => {
                    slugs.insert(file.input.slug.clone(), path.clone());
                    batch.push(file);
                }
            },
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(errors)
    }
}

/// Writes a checked batch to a site of the customer in scope (call inside one transaction).
pub async fn apply(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    batch: &[ImportFile],
    actor: &Actor,
) -> AppResult<ImportSummary> {
    crate::tenancy::sites::find(conn, scope, site).await?;
    let mut summary = ImportSummary::default();
    for file in batch {
        let existing = posts::by_slug(conn, scope, site, &file.input.slug).await?;
        let target = match &existing {
            Some(post) => Target::Existing {
                post,
                expected_version: post.version,
            },
            None => Target::New(site),
        };
        let change = Change::Fields {
            input: &file.input,
            action: "update",
        };
        posts::save(conn, scope, target, change, actor)
            .await?
            .saved()
            .map_err(|e| in_file(e, &file.path))?;
        match existing {
            Some(_) => summary.updated += 1,
            None => summary.created += 1,
        }
    }
    Ok(summary)
}

/// The local image files a batch's posts show, each once (canonical paths), in order; a missing
/// one is reported as `post file: reason` for every post that shows it.
pub fn local_images(batch: &[ImportFile]) -> Result<Vec<PathBuf>, Vec<String>> {
    let mut images: Vec<PathBuf> = Vec::new();
    let mut errors = Vec::new();
    for file in batch {
        for address in local_addresses(&file.input.body_markdown) {
            match resolve(&file.path, &address) {
                Ok(path) if !images.contains(&path) => images.push(path),
                Ok(_) => {}
                Err(reason) => errors.push(format!("{}: {reason}", file.path.display())),
            }
        }
    }
    if errors.is_empty() {
        Ok(images)
    } else {
        Err(errors)
    }
}

/// Points every post's local images at the library's copies: `ids` gives the id of each image
/// file [`local_images`] found.
pub fn use_library_images(batch: &mut [ImportFile], ids: &HashMap<PathBuf, uuid::Uuid>) {
    for file in batch {
        let post = file.path.clone();
        file.input.body_markdown =
            markdown::replace_image_addresses(&file.input.body_markdown, &|address| {
                if !is_local(address) {
                    return None;
                }
                let path = resolve(&post, address).ok()?;
                ids.get(&path)
                    .map(|id| format!("{}{id}", markdown::MEDIA_SCHEME))
            });
    }
}

/// The image addresses of a body that name files beside it.
fn local_addresses(body: &str) -> Vec<String> {
    markdown::image_addresses(body)
        .into_iter()
        .filter(|address| is_local(address))
        .collect()
}

/// Whether an image address is a path relative to the post's file (no scheme, not from the
/// root, not a fragment).
fn is_local(address: &str) -> bool {
    let address = address.trim();
    !(address.is_empty()
        || address.starts_with('/')
        || address.starts_with('#')
        || address.starts_with("//")
        || address.starts_with(markdown::MEDIA_SCHEME)
        || address.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }))
}

/// The file a relative image address names, from the folder of the post's file.
fn resolve(post: &Path, address: &str) -> Result<PathBuf, String> {
    let decoded = urlencoding::decode(address.trim())
        .map(|d| d.into_owned())
        .unwrap_or_else(|_| address.trim().to_owned());
    let without_query = decoded.split(['?', '#']).next().unwrap_or_default();
    let folder = post.parent().unwrap_or_else(|| Path::new("."));
    let path = folder.join(without_query);
    std::fs::canonicalize(&path)
        .map_err(|e| format!("the image {address} is not at {} ({e})", path.display()))
}

/// A conflict of one file, named by the file.
fn in_file(error: AppError, path: &Path) -> AppError {
    match error {
        AppError::Conflict(reason) => AppError::Conflict(format!("{}: {reason}", path.display())),
        other => other,
    }
}

fn collect_markdown(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    if path.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                return errors.push(format!(
                    "{}:1: cannot read the folder ({e})",
                    path.display()
                ));
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            if child.is_dir() || is_markdown(&child) {
                collect_markdown(&child, files, errors);
            }
        }
    } else if path.exists() {
        files.push(path.to_owned());
    } else {
        errors.push(format!("{}:1: no such file", path.display()));
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("{}:1: cannot read the file ({e})", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        format!("{}:{line}: the file is not UTF-8 text", path.display())
    })
}

fn check_file(path: &Path, source: &str, now: DateTime<Utc>) -> Result<ImportFile, String> {
    let parsed = front_matter::parse(source)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.reason))?;
    let slug = match &parsed.front.slug {
        Some(slug) => slug.clone(),
        None => slug_from_file(path, &parsed),
    };
    if !front_matter::valid_slug(&slug) {
        return Err(format!(
            "{}:1: cannot make a slug from the file name or title; add `slug:` to the front matter",
            path.display()
        ));
    }
    Ok(ImportFile {
        path: path.to_owned(),
        input: to_input(parsed, slug, now),
    })
}

/// Hugo's rule: without a `slug`, the file name (minus extension) names the post.
fn slug_from_file(path: &Path, parsed: &ParsedPost) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let from_stem = front_matter::slugify(stem);
    if from_stem.is_empty() || from_stem == "index" {
        front_matter::slugify(&parsed.front.title)
    } else {
        from_stem
    }
}

fn to_input(parsed: ParsedPost, slug: String, now: DateTime<Utc>) -> PostInput {
    let front = parsed.front;
    let (status, published_at) = if front.draft {
        (Status::Draft, front.date)
    } else {
        // A future date schedules the post.
        (Status::Published, Some(front.date.unwrap_or(now)))
    };
    let description = front
        .description
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| crate::content::markdown::excerpt(&parsed.body, 160));
    PostInput {
        byline: String::new(),
        title: front.title,
        slug,
        body_markdown: parsed.body,
        description,
        tags: front.tags,
        status,
        published_at,
        featured_media_id: None,
    }
}
