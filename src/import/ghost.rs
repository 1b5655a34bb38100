//! Reading a Ghost export (Settings → Labs → Export, Ghost 4 and 5): its posts and pages with their
//! tags, authors and feature images, into the same index as a WordPress export
//! ([`crate::import::index`]) and the items whose content the import converts.
//!
//! Ghost writes the site's own address as `__GHOST_URL__` in content and image addresses, which is
//! the origin old links are recognised by. Internal tags (`#name`, visibility `internal`) are
//! never shown to visitors, so they are not imported; members-only and paid posts come across as
//! drafts. A Ghost export holds no comments.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::import::index::{self, Arrival, Attachment, Entry, Index, Kind, Skipped};
use crate::import::wordpress::Item;

/// The origin Ghost writes for its own site.
pub const GHOST_URL: &str = "__GHOST_URL__";

#[derive(Debug, Deserialize)]
struct Export {
    db: Vec<Database>,
}

#[derive(Debug, Deserialize)]
struct Database {
    data: Data,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Data {
    posts: Vec<Post>,
    tags: Vec<Tag>,
    posts_tags: Vec<PostTag>,
    users: Vec<User>,
    posts_authors: Vec<PostAuthor>,
    posts_meta: Vec<PostMeta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Post {
    id: String,
    title: Option<String>,
    slug: String,
    html: Option<String>,
    feature_image: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: String,
    visibility: Option<String>,
    published_at: Option<String>,
    custom_excerpt: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Tag {
    id: String,
    name: String,
    slug: String,
    visibility: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PostTag {
    post_id: String,
    tag_id: String,
    sort_order: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct User {
    id: String,
    name: String,
    slug: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PostAuthor {
    post_id: String,
    author_id: String,
    sort_order: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PostMeta {
    post_id: String,
    feature_image_alt: Option<String>,
}

/// A Ghost export read: the index and each item's content (numbered as the index's entries).
pub struct Read {
    pub index: Index,
    pub items: Vec<Item>,
}

/// Reads a Ghost export.
pub fn read(json: &[u8]) -> Result<Read, String> {
    let export: Export =
        serde_json::from_slice(json).map_err(|e| format!("the file is not a Ghost export: {e}"))?;
    let data = export
        .db
        .into_iter()
        .next()
        .map(|db| db.data)
        .ok_or("the file is not a Ghost export (no db)")?;
    Ok(index_of(data))
}

fn index_of(data: Data) -> Read {
    let tags: HashMap<&str, &Tag> = data.tags.iter().map(|t| (t.id.as_str(), t)).collect();
    let users: HashMap<&str, &User> = data.users.iter().map(|u| (u.id.as_str(), u)).collect();
    let alts: HashMap<&str, &str> = data
        .posts_meta
        .iter()
        .filter_map(|m| Some((m.post_id.as_str(), m.feature_image_alt.as_deref()?)))
        .collect();
    let mut index = Index {
        origin: GHOST_URL.to_owned(),
        ..Index::default()
    };
    let mut items = Vec::new();
    let mut images: BTreeMap<String, String> = BTreeMap::new();
    let mut slugs = HashSet::new();
    for (position, post) in data.posts.iter().enumerate() {
        let number = position + 1;
        let title = post.title.clone().unwrap_or_default();
        let arrival = match arrival_of(post) {
            Ok(arrival) => arrival,
            Err(reason) => {
                index.skipped.push(Skipped {
                    number,
                    title,
                    reason: reason.into(),
                });
                continue;
            }
        };
        let kind = if post.kind.as_deref() == Some("page") {
            Kind::Page
        } else {
            Kind::Post
        };
        let html = post.html.clone().unwrap_or_default();
        for url in image_urls(&html) {
            images.entry(url).or_default();
        }
        let featured = post.feature_image.clone().filter(|u| is_own_image(u));
        if let Some(url) = &featured {
            let alt = alts.get(post.id.as_str()).copied().unwrap_or_default();
            images.insert(url.clone(), alt.to_owned());
        }
        let mut slug = index::ascii_slug(&post.slug);
        if slug.is_empty() {
            slug = format!("post-{number}");
        }
        let base = slug.clone();
        let mut n = 2;
        while !slugs.insert(slug.clone()) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        let old_path = format!("/{}", post.slug.to_lowercase());
        index.entries.push(Entry {
            number,
            key: post.id.clone(),
            source_id: 0,
            kind,
            title,
            slug,
            arrival,
            author: author_of(&data, &users, &post.id),
            tags: if kind == Kind::Page {
                Vec::new()
            } else {
                tags_of(&data, &tags, &post.id)
            },
            featured_image: featured.map(|url| format!("image:{url}")),
            old_paths: vec![old_path],
        });
        items.push(Item {
            number,
            content: html,
            excerpt: post.custom_excerpt.clone().unwrap_or_default(),
            ..Item::default()
        });
    }
    for (url, alt) in images {
        index.attachments.push(Attachment {
            key: url.clone(),
            id: 0,
            url,
            alt,
        });
    }
    for tag in data.tags.iter().filter(|t| is_public(t)) {
        index.fixed_paths.insert(
            format!("/tag/{}", tag.slug.to_lowercase()),
            index::tag_href(&tag.name),
        );
    }
    for user in &data.users {
        index
            .fixed_paths
            .insert(format!("/author/{}", user.slug.to_lowercase()), "/".into());
    }
    Read { index, items }
}

fn arrival_of(post: &Post) -> Result<Arrival, &'static str> {
    let at = post.published_at.as_deref().and_then(ghost_time);
    let visibility = post.visibility.as_deref().unwrap_or("public");
    Ok(match post.status.as_str() {
        "published" | "scheduled" if visibility == "members" => {
            Arrival::Draft(Some("members-only"))
        }
        "published" | "scheduled" if visibility != "public" => Arrival::Draft(Some("paid")),
        "published" => Arrival::Published(at.ok_or("it has no publication time")?),
        "scheduled" => Arrival::Scheduled(at.ok_or("it has no publication time")?),
        "draft" => Arrival::Draft(None),
        _ => return Err("its status is not one an import takes"),
    })
}

/// `2023-03-05 12:30:00` (Ghost's SQLite form, UTC) or RFC 3339.
fn ghost_time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.and_utc())
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc()))
}

fn is_public(tag: &Tag) -> bool {
    tag.visibility.as_deref() != Some("internal") && !tag.name.starts_with('#')
}

fn tags_of(data: &Data, tags: &HashMap<&str, &Tag>, post: &str) -> Vec<String> {
    let mut links: Vec<&PostTag> = data
        .posts_tags
        .iter()
        .filter(|l| l.post_id == post)
        .collect();
    links.sort_by_key(|l| l.sort_order.unwrap_or(0));
    links
        .iter()
        .filter_map(|l| tags.get(l.tag_id.as_str()))
        .filter(|t| is_public(t))
        .map(|t| t.name.clone())
        .collect()
}

fn author_of(data: &Data, users: &HashMap<&str, &User>, post: &str) -> Option<String> {
    let mut links: Vec<&PostAuthor> = data
        .posts_authors
        .iter()
        .filter(|l| l.post_id == post)
        .collect();
    links.sort_by_key(|l| l.sort_order.unwrap_or(0));
    let names: Vec<String> = links
        .iter()
        .filter_map(|l| users.get(l.author_id.as_str()))
        .map(|u| u.name.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let byline: String = names.join(", ").chars().take(200).collect();
    (!byline.is_empty()).then_some(byline)
}

fn is_own_image(url: &str) -> bool {
    url.starts_with(&format!("{GHOST_URL}/content/images/"))
}

/// The site's own image addresses in some HTML, each once, in the original size.
fn image_urls(html: &str) -> Vec<String> {
    let prefix = format!("{GHOST_URL}/content/images/");
    let mut found = Vec::new();
    for (at, _) in html.match_indices(&prefix) {
        let rest = &html[at..];
        let end = rest
            .find(['"', '\'', ' ', ')', ',', '<'])
            .unwrap_or(rest.len());
        let url = original_image(&rest[..end]);
        if !found.contains(&url) {
            found.push(url);
        }
    }
    found
}

/// `…/content/images/size/w600/2026/12/x.png` → `…/content/images/2026/12/x.png`.
pub fn original_image(url: &str) -> String {
    let marker = "/content/images/size/";
    let Some(at) = url.find(marker) else {
        return url.to_owned();
    };
    let rest = &url[at + marker.len()..];
    match rest.split_once('/') {
        Some((_, path)) => format!("{}/content/images/{path}", &url[..at]),
        None => url.to_owned(),
    }
}

/// The file behind a Ghost image address in an images folder (`…/content/images/X` is `DIR/X`).
pub fn image_file(images: &std::path::Path, url: &str) -> Option<std::path::PathBuf> {
    let (_, relative) = url.split_once("/content/images/")?;
    let relative = urlencoding::decode(relative).ok()?;
    if relative
        .split('/')
        .any(|part| part == ".." || part.is_empty())
    {
        return None;
    }
    let path = images.join(relative.as_ref());
    path.is_file().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Read {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/import/ghost/export.json"
        );
        read(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn reads_a_real_ghost_export() {
        let read = fixture();
        let entry = |slug: &str| read.index.entries.iter().find(|e| e.slug == slug).unwrap();
        let welcome = entry("welcome-to-old-ghost");
        assert!(matches!(welcome.arrival, Arrival::Published(_)));
        assert_eq!(welcome.tags, ["News"], "the internal tag is left out");
        assert_eq!(welcome.author.as_deref(), Some("Ada Lindqvist"));
        assert_eq!(
            entry("kitchen-sink").author.as_deref(),
            Some("Ada Lindqvist, Bruno Okafor")
        );
        assert_eq!(
            entry("members-only-post").arrival,
            Arrival::Draft(Some("members-only"))
        );
        assert_eq!(entry("paid-post").arrival, Arrival::Draft(Some("paid")));
        assert!(matches!(
            entry("scheduled-post").arrival,
            Arrival::Scheduled(_)
        ));
        assert_eq!(entry("about").kind, Kind::Page);
        assert_eq!(welcome.old_paths, ["/welcome-to-old-ghost"]);
        let welcome_image = read
            .index
            .attachments
            .iter()
            .find(|a| a.url.ends_with("welcome-feature.png"))
            .unwrap();
        assert_eq!(welcome_image.alt, "Blue banner with stripes");
        assert!(
            read.index
                .attachments
                .iter()
                .all(|a| !a.url.contains("/size/"))
        );
        assert_eq!(
            read.index.fixed_paths.get("/tag/news").map(String::as_str),
            Some("/tags/news")
        );
        assert!(!read.index.fixed_paths.contains_key("/tag/hash-hidden-tag"));
    }

    #[test]
    fn sizes_lead_to_the_original_image() {
        assert_eq!(
            original_image("__GHOST_URL__/content/images/size/w600/2026/12/x.png"),
            "__GHOST_URL__/content/images/2026/12/x.png"
        );
    }

    #[test]
    fn what_is_not_a_ghost_export_says_so() {
        assert!(read(b"{\"posts\": []}").is_err());
        assert!(read(b"not json").is_err());
    }
}
