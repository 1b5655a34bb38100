//! The first pass over an export: everything but the content — which items come across and as
//! what (post or page, published, scheduled or draft, or skipped and why), their new addresses,
//! the old addresses that will lead there, their tags and images. The content is read again, one
//! item at a time, when it is converted ([`crate::import::apply`]); the index keeps a few hundred
//! bytes per item, so an export of any size is imported in bounded memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Utc};

use crate::content::front_matter::{MAX_SLUG_CHARS, valid_slug};
use crate::content::pages;
use crate::import::wordpress::{Channel, Item};

/// Whether an item becomes a post or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Post,
    Page,
}

/// How an item comes across.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    Published(DateTime<Utc>),
    Scheduled(DateTime<Utc>),
    /// A draft; the reason when the source had it otherwise (private, password-protected…).
    Draft(Option<&'static str>),
}

/// One item that comes across.
#[derive(Debug, Clone)]
pub struct Entry {
    pub number: usize,
    /// The source's key: its GUID (WordPress) or id (Ghost).
    pub key: String,
    pub source_id: u64,
    pub kind: Kind,
    pub title: String,
    /// The new slug (posts) or address (pages, `about/team`).
    pub slug: String,
    pub arrival: Arrival,
    /// The author's display name, the post's byline.
    pub author: Option<String>,
    pub tags: Vec<String>,
    /// The old address of its featured image.
    pub featured_image: Option<String>,
    /// Its old addresses (paths, decoded, lower case, no trailing slash).
    pub old_paths: Vec<String>,
}

impl Entry {
    /// Its new address on the site.
    pub fn href(&self) -> String {
        match self.kind {
            Kind::Post => format!("/posts/{}", self.slug),
            Kind::Page => pages::href(&self.slug),
        }
    }
}

/// An image of the export.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub key: String,
    pub id: u64,
    /// Its address on the old site.
    pub url: String,
    pub alt: String,
}

/// An item left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub number: usize,
    pub title: String,
    pub reason: String,
}

/// What the first pass found.
#[derive(Debug, Default)]
pub struct Index {
    /// The old site's origin, `http://oldblog.example`.
    pub origin: String,
    pub entries: Vec<Entry>,
    pub attachments: Vec<Attachment>,
    pub skipped: Vec<Skipped>,
    pub comments: usize,
    /// Old addresses that lead to fixed addresses of the site: tag pages, the home page.
    pub fixed_paths: BTreeMap<String, String>,
    /// Problems that stop the import: `item N "title": reason`.
    pub errors: Vec<String>,
}

impl Index {
    /// The entry an old link leads to.
    pub fn entry_for_path(&self, path: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.old_paths.iter().any(|p| p == path))
    }

    /// The attachment of an old image address (also of a size WordPress made of it,
    /// `photo-300x200.jpg`).
    pub fn attachment_for_url(&self, url: &str) -> Option<&Attachment> {
        let wanted = original_of(&old_path(url, &self.origin)?);
        self.attachments
            .iter()
            .find(|a| old_path(&a.url, &self.origin).as_deref() == Some(wanted.as_str()))
    }
}

/// The path of an old address on the old site (decoded, lower case, no trailing slash; `?p=` and
/// `?page_id=` kept), or none for an address elsewhere.
pub fn old_path(url: &str, origin: &str) -> Option<String> {
    let url = url.trim();
    let rest = if let Some(rest) = url.strip_prefix(origin) {
        rest
    } else if url.starts_with('/') && !url.starts_with("//") {
        url
    } else {
        let host = origin.split("://").nth(1)?;
        let other = url.split("://").nth(1)?;
        other.strip_prefix(host)?
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // The form the public router looks old addresses up in.
    crate::content::old_addresses::normalize(&format!("/{}", path.trim_start_matches('/')), query)
}

/// `…/photo-300x200.jpg` → `…/photo.jpg`: the original of a size WordPress made.
pub fn original_of(path: &str) -> String {
    let Some((stem, ext)) = path.rsplit_once('.') else {
        return path.to_owned();
    };
    if let Some((base, size)) = stem.rsplit_once('-')
        && let Some((w, h)) = size.split_once('x')
        && !w.is_empty()
        && !h.is_empty()
        && w.bytes().chain(h.bytes()).all(|b| b.is_ascii_digit())
    {
        return format!("{base}.{ext}");
    }
    path.to_owned()
}

/// A slug the product accepts made of a source's slug or title: decoded, transliterated to ASCII,
/// lower case, runs of anything else as one dash.
pub fn ascii_slug(text: &str) -> String {
    let decoded = urlencoding::decode(text)
        .map(|d| d.into_owned())
        .unwrap_or_else(|_| text.to_owned());
    let ascii = deunicode::deunicode(&decoded).to_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug
        .trim_matches('-')
        .chars()
        .take(MAX_SLUG_CHARS)
        .collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Builds the index of a WordPress export from its channel and its items (without content).
#[derive(Default)]
pub struct WordPressIndexer {
    index: Index,
    /// Pages by WordPress id: (slug, parent id), to make nested addresses.
    pages: HashMap<u64, (String, u64)>,
    slugs: HashSet<String>,
    categories: HashMap<String, crate::import::wordpress::Term>,
    /// Display names by login.
    authors: HashMap<String, String>,
}

impl WordPressIndexer {
    /// Takes in one item (its content is not kept).
    pub fn add(&mut self, item: &Item) {
        self.index.comments += item.comments;
        match item.post_type.as_str() {
            "attachment" => self.add_attachment(item),
            "post" | "page" => self.add_entry(item),
            // Menu items, reusable blocks, templates, custom CSS…: not content of their own.
            _ => {}
        }
    }

    fn add_attachment(&mut self, item: &Item) {
        self.index.attachments.push(Attachment {
            key: item.guid.clone(),
            id: item.post_id,
            url: item.attachment_url.clone(),
            alt: item
                .meta("_wp_attachment_image_alt")
                .unwrap_or_default()
                .to_owned(),
        });
    }

    fn add_entry(&mut self, item: &Item) {
        let arrival = match arrival_of(item) {
            Ok(arrival) => arrival,
            Err(reason) => {
                self.index.skipped.push(Skipped {
                    number: item.number,
                    title: item.title.clone(),
                    reason: reason.to_owned(),
                });
                return;
            }
        };
        let kind = if item.post_type == "page" {
            Kind::Page
        } else {
            Kind::Post
        };
        let mut slug = ascii_slug(&item.slug);
        if slug.is_empty() {
            slug = ascii_slug(&item.title);
        }
        if slug.is_empty() || !valid_slug(&slug) {
            slug = format!(
                "{}-{}",
                if kind == Kind::Page { "page" } else { "post" },
                item.post_id
            );
        }
        if kind == Kind::Page {
            self.pages.insert(item.post_id, (slug.clone(), item.parent));
        }
        let mut old_paths = Vec::new();
        if let Some(path) = old_path(&item.link, &self.index.origin) {
            old_paths.push(path);
        }
        let id_query = if kind == Kind::Page { "page_id" } else { "p" };
        old_paths.push(format!("/?{id_query}={}", item.post_id));
        if kind == Kind::Post {
            old_paths.push(format!("/archives/{}", item.post_id));
            if let Some(slug_path) = old_path(&format!("/{}", item.slug), &self.index.origin) {
                old_paths.push(slug_path);
            }
        }
        if let (Kind::Post, Arrival::Published(at)) = (kind, &arrival) {
            for archive in [
                format!("/{}", at.year()),
                format!("/{}/{:02}", at.year(), at.month()),
                format!("/{}/{:02}/{:02}", at.year(), at.month(), at.day()),
            ] {
                self.index.fixed_paths.insert(archive, "/".into());
            }
        }
        let featured = item
            .meta("_thumbnail_id")
            .and_then(|id| id.parse::<u64>().ok());
        self.index.entries.push(Entry {
            number: item.number,
            key: item.guid.clone(),
            source_id: item.post_id,
            kind,
            title: item.title.clone(),
            slug,
            arrival,
            author: self.byline_of(&item.creator),
            tags: self.tags_of(item),
            featured_image: featured.map(|id| format!("attachment:{id}")),
            old_paths,
        });
    }

    /// The byline of an author's login: their display name, else the login.
    fn byline_of(&self, login: &str) -> Option<String> {
        let name = self
            .authors
            .get(login)
            .filter(|name| !name.trim().is_empty())
            .map(|name| name.trim().to_owned())
            .unwrap_or_else(|| login.trim().to_owned());
        let name: String = name.chars().take(200).collect();
        (!name.is_empty()).then_some(name)
    }

    /// Categories (with their parents: a post in Health › Sleep is tagged both) and tags.
    fn tags_of(&self, item: &Item) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        let mut push = |name: &str| {
            if !name.is_empty() && !tags.iter().any(|t| t == name) {
                tags.push(name.to_owned());
            }
        };
        for (domain, slug, name) in &item.terms {
            match domain.as_str() {
                "category" if slug == "uncategorized" => {}
                "category" => {
                    push(name);
                    let mut parent = self.categories.get(slug).and_then(|c| c.parent.clone());
                    let mut depth = 0;
                    while let Some(p) = parent.filter(|_| depth < 10) {
                        let Some(term) = self.categories.get(&p) else {
                            break;
                        };
                        push(&term.name);
                        parent = term.parent.clone();
                        depth += 1;
                    }
                }
                "post_tag" => push(name),
                _ => {}
            }
        }
        tags
    }

    /// The channel, taken before the items: its origin is what old links are recognised by, its
    /// categories give each category's parents, its authors their display names.
    pub fn set_channel(&mut self, channel: &Channel) {
        self.index.origin = channel.link.trim_end_matches('/').to_owned();
        for category in &channel.categories {
            self.categories
                .insert(category.slug.clone(), category.clone());
        }
        self.authors = channel.authors.iter().cloned().collect();
    }

    /// The finished index: page addresses nested under their parents, slugs made unique, the old
    /// addresses of authors, categories and tags.
    pub fn finish(mut self, channel: &Channel) -> Index {
        self.set_channel(channel);
        self.nest_pages();
        self.unique_slugs();
        for (login, _) in &channel.authors {
            self.index
                .fixed_paths
                .insert(format!("/author/{}", login.to_lowercase()), "/".into());
        }
        for category in &channel.categories {
            let path = category_path(&self.categories, &category.slug);
            let target = tag_href(&category.name);
            self.index
                .fixed_paths
                .insert(format!("/category/{path}"), target.clone());
            self.index
                .fixed_paths
                .insert(format!("/category/{}", category.slug), target);
        }
        for tag in &channel.tags {
            self.index
                .fixed_paths
                .insert(format!("/tag/{}", tag.slug), tag_href(&tag.name));
        }
        self.index
    }

    fn nest_pages(&mut self) {
        for entry in self
            .index
            .entries
            .iter_mut()
            .filter(|e| e.kind == Kind::Page)
        {
            let mut parts = vec![entry.slug.clone()];
            let mut parent = self
                .pages
                .get(&entry.source_id)
                .map(|(_, p)| *p)
                .unwrap_or(0);
            while parent != 0 && parts.len() < 5 {
                let Some((slug, up)) = self.pages.get(&parent) else {
                    break;
                };
                parts.push(slug.clone());
                parent = *up;
            }
            parts.reverse();
            let mut address = parts.join("/");
            if pages::check_address(&address).is_err() {
                // A first part the product uses itself (`products`, `search`…).
                address = format!("{}-page", address.replacen('/', "-page/", 1));
                if pages::check_address(&address).is_err() {
                    address = format!("page-{}", entry.source_id);
                }
            }
            entry.slug = address;
        }
    }

    fn unique_slugs(&mut self) {
        for entry in &mut self.index.entries {
            let base = entry.slug.clone();
            let mut n = 2;
            while !self.slugs.insert(entry.slug.clone()) {
                entry.slug = format!("{base}-{n}");
                n += 1;
            }
        }
    }
}

/// The index of a WordPress export, from its channel and its items as the first pass kept them
/// ([`slim`]).
pub fn index_wordpress(channel: &Channel, items: &[Item]) -> Index {
    let mut indexer = WordPressIndexer::default();
    indexer.set_channel(channel);
    for item in items {
        indexer.add(item);
    }
    indexer.finish(channel)
}

/// What the first pass keeps of an item: no content, and only the metadata an import reads.
pub fn slim(mut item: Item) -> Item {
    item.content = String::new();
    item.excerpt = String::new();
    item.meta
        .retain(|(key, _)| key == "_thumbnail_id" || key == "_wp_attachment_image_alt");
    item
}

/// `health/sleep` for a category whose parent is `health`.
fn category_path(
    categories: &HashMap<String, crate::import::wordpress::Term>,
    slug: &str,
) -> String {
    let mut parts = vec![slug.to_owned()];
    let mut parent = categories.get(slug).and_then(|c| c.parent.clone());
    while let Some(p) = parent.filter(|_| parts.len() < 10) {
        parent = categories.get(&p).and_then(|c| c.parent.clone());
        parts.push(p);
    }
    parts.reverse();
    parts.join("/")
}

/// The address of a tag's page.
pub fn tag_href(name: &str) -> String {
    format!(
        "/tags/{}",
        crate::address::segment(&crate::address::form(name))
    )
}

/// How a WordPress item comes across, or why it does not.
fn arrival_of(item: &Item) -> Result<Arrival, &'static str> {
    let dated = || item.date_gmt.ok_or("it has no date");
    Ok(match item.status.as_str() {
        "publish" if !item.password.is_empty() => Arrival::Draft(Some("password-protected")),
        "publish" => Arrival::Published(dated()?),
        "future" => Arrival::Scheduled(dated()?),
        "private" => Arrival::Draft(Some("private")),
        "draft" | "pending" | "auto-draft" => Arrival::Draft(None),
        "trash" => return Err("it is in the trash"),
        _ => return Err("its status is not one an import takes"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_paths_are_decoded_lower_case_without_a_trailing_slash() {
        let origin = "http://oldblog.example";
        assert_eq!(
            old_path("http://oldblog.example/2023/03/14/Slug/", origin).as_deref(),
            Some("/2023/03/14/slug")
        );
        assert_eq!(
            old_path("http://oldblog.example/?p=10", origin).as_deref(),
            Some("/?p=10")
        );
        assert_eq!(
            old_path("/?page_id=7&x=1", origin).as_deref(),
            Some("/?page_id=7")
        );
        assert_eq!(
            old_path("https://oldblog.example/%e6%9d%b1/", origin).as_deref(),
            Some("/東")
        );
        assert_eq!(old_path("https://elsewhere.example/a", origin), None);
        assert_eq!(
            old_path("http://oldblog.example", origin).as_deref(),
            Some("/")
        );
    }

    #[test]
    fn sizes_lead_to_their_original() {
        assert_eq!(
            original_of("/u/2023/03/sky-300x200.jpg"),
            "/u/2023/03/sky.jpg"
        );
        assert_eq!(original_of("/u/2023/03/sky.jpg"), "/u/2023/03/sky.jpg");
        assert_eq!(
            original_of("/u/2023/03/night-sky.jpg"),
            "/u/2023/03/night-sky.jpg"
        );
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            ascii_slug("why-we-sleep-badly-in-spring"),
            "why-we-sleep-badly-in-spring"
        );
        assert_eq!(ascii_slug("%e6%9d%b1%e4%ba%ac"), "dong-jing");
        assert_eq!(ascii_slug("Ночь в Токио"), "noch-v-tokio");
        assert_eq!(ascii_slug("--"), "");
    }
}
