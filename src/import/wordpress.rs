//! Reading a WordPress export (WXR 1.1 and 1.2, as *Tools → Export → All content* writes it) as a
//! stream: the channel's authors, categories and tags, and each `<item>` (post, page, attachment,
//! menu item…) handed to the caller as soon as it ends. Memory holds one item at a time (its
//! content and metadata) plus the channel's terms, whatever the file's size; the reader's buffer
//! grows to the largest single element's text.
//!
//! Only the parts an import uses are kept; everything else in the file is skipped. A file that is
//! not well-formed XML, or not a WXR export, is an error that says where.

use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;

/// The channel: what the export says about the whole site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channel {
    /// The site's address (`<link>`), e.g. `http://oldblog.example`.
    pub link: String,
    /// `<wp:wxr_version>`.
    pub wxr_version: String,
    /// Authors: login and display name.
    pub authors: Vec<(String, String)>,
    pub categories: Vec<Term>,
    pub tags: Vec<Term>,
}

/// A category or tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    /// The term's slug (WordPress' `nicename`).
    pub slug: String,
    pub name: String,
    /// The parent category's slug, if any.
    pub parent: Option<String>,
}

/// One `<item>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// Its position among the file's items, from 1 (reports name items by it).
    pub number: usize,
    pub title: String,
    /// Its permalink on the old site.
    pub link: String,
    pub guid: String,
    /// The author's login.
    pub creator: String,
    /// `content:encoded`: the HTML (or block markup, or classic-editor text).
    pub content: String,
    /// `excerpt:encoded`.
    pub excerpt: String,
    pub post_id: u64,
    /// `wp:post_date_gmt`, when set (drafts have none).
    pub date_gmt: Option<DateTime<Utc>>,
    /// `wp:post_name`: the slug, percent-encoded when it is not ASCII.
    pub slug: String,
    /// `wp:status`: `publish`, `draft`, `pending`, `future`, `private`, `trash`, `inherit`…
    pub status: String,
    pub parent: u64,
    /// `wp:post_type`: `post`, `page`, `attachment`, `nav_menu_item`…
    pub post_type: String,
    pub password: String,
    /// For attachments: the file's address.
    pub attachment_url: String,
    /// Categories and tags: (`category` or `post_tag`, slug, name).
    pub terms: Vec<(String, String, String)>,
    /// `wp:postmeta` pairs.
    pub meta: Vec<(String, String)>,
    /// How many comments (`wp:comment`) it has.
    pub comments: usize,
}

impl Item {
    /// The value of a `wp:postmeta` key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file is not well-formed XML (at byte {at}): {reason}")]
    Malformed { at: u64, reason: String },
    #[error("the file is not a WordPress export (no <rss> with WXR items)")]
    NotWxr,
    /// The caller refused an item.
    #[error("{0}")]
    Refused(String),
}

/// Reads a WXR file, calling `on_item` for each item as it ends; answers the channel.
pub fn read(
    source: impl BufRead,
    mut on_item: impl FnMut(Item) -> Result<(), String>,
) -> Result<Channel, ReadError> {
    let mut reader = Reader::from_reader(source);
    reader.config_mut().trim_text(false);
    let mut state = State::default();
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ReadError::Malformed {
                at: reader.error_position(),
                reason: e.to_string(),
            })?;
        let malformed = |reason: String| ReadError::Malformed {
            at: reader.buffer_position(),
            reason,
        };
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for attr in start.attributes().flatten() {
                    let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                    let value = attr
                        .unescape_value()
                        .map_err(|e| malformed(e.to_string()))?
                        .into_owned();
                    attrs.push((key, value));
                }
                state.open(name, attrs);
            }
            Event::Empty(_) => {}
            Event::Text(text) => {
                let text = text.xml_content().map_err(|e| malformed(e.to_string()))?;
                state.text.push_str(&text);
            }
            Event::CData(data) => {
                let text = data.xml_content().map_err(|e| malformed(e.to_string()))?;
                state.text.push_str(&text);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = reference.decode().map_err(|e| malformed(e.to_string()))?;
                        predefined_entity(&name)
                            .ok_or_else(|| malformed(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                state.text.push_str(&resolved);
            }
            Event::End(_) => {
                if let Some(item) = state.close() {
                    on_item(item).map_err(ReadError::Refused)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !state.saw_rss {
        return Err(ReadError::NotWxr);
    }
    Ok(state.channel)
}

fn predefined_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// Where the reader is and what it has gathered.
#[derive(Default)]
struct State {
    saw_rss: bool,
    /// The open elements, outermost first, with their attributes.
    path: Vec<(String, Vec<(String, String)>)>,
    /// Text of the innermost element since it opened.
    text: String,
    channel: Channel,
    item: Option<Item>,
    items: usize,
    /// Fields of the element group being read (`wp:author`, `wp:category`, `wp:tag`,
    /// `wp:postmeta`).
    group: Vec<(String, String)>,
}

impl State {
    fn open(&mut self, name: String, attrs: Vec<(String, String)>) {
        if name == "rss" {
            self.saw_rss = true;
        }
        if name == "item" && self.parent_is("channel") {
            self.items += 1;
            self.item = Some(Item {
                number: self.items,
                ..Item::default()
            });
        }
        if matches!(
            name.as_str(),
            "wp:author" | "wp:category" | "wp:tag" | "wp:postmeta"
        ) {
            self.group.clear();
        }
        self.path.push((name, attrs));
        self.text.clear();
    }

    fn parent_is(&self, name: &str) -> bool {
        self.path.last().is_some_and(|(n, _)| n == name)
    }

    /// Closes the innermost element; answers an item that has just ended.
    fn close(&mut self) -> Option<Item> {
        let (name, attrs) = self.path.pop()?;
        let text = std::mem::take(&mut self.text);
        let parent = self.path.last().map(|(n, _)| n.clone()).unwrap_or_default();
        match (parent.as_str(), name.as_str()) {
            ("channel", "item") => return self.item.take(),
            ("channel", "link") => self.channel.link = text.trim().to_owned(),
            ("channel", "wp:wxr_version") => self.channel.wxr_version = text.trim().to_owned(),
            ("channel", "wp:author") => {
                let login = self.field("wp:author_login");
                let display = self.field("wp:author_display_name");
                self.channel.authors.push((login, display));
            }
            ("channel", "wp:category") => {
                let parent = self.field("wp:category_parent");
                let term = Term {
                    slug: self.field("wp:category_nicename"),
                    name: self.field("wp:cat_name"),
                    parent: (!parent.is_empty()).then_some(parent),
                };
                self.channel.categories.push(term);
            }
            ("channel", "wp:tag") => {
                let term = Term {
                    slug: self.field("wp:tag_slug"),
                    name: self.field("wp:tag_name"),
                    parent: None,
                };
                self.channel.tags.push(term);
            }
            ("wp:author" | "wp:category" | "wp:tag" | "wp:postmeta", field) => {
                self.group.push((field.to_owned(), text));
            }
            ("item", field) => self.item_field(field, text, &attrs),
            _ => {}
        }
        if name == "wp:postmeta" && parent == "item" {
            let pair = (self.field("wp:meta_key"), self.field("wp:meta_value"));
            if let Some(item) = self.item.as_mut() {
                item.meta.push(pair);
            }
        }
        None
    }

    fn field(&self, name: &str) -> String {
        self.group
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn item_field(&mut self, field: &str, text: String, attrs: &[(String, String)]) {
        let Some(item) = self.item.as_mut() else {
            return;
        };
        let trimmed = || text.trim().to_owned();
        match field {
            "title" => item.title = trimmed(),
            "link" => item.link = trimmed(),
            "guid" => item.guid = trimmed(),
            "dc:creator" => item.creator = trimmed(),
            "content:encoded" => item.content = text,
            "excerpt:encoded" => item.excerpt = trimmed(),
            "wp:post_id" => item.post_id = text.trim().parse().unwrap_or(0),
            "wp:post_date_gmt" => item.date_gmt = gmt_date(&text),
            "wp:post_name" => item.slug = trimmed(),
            "wp:status" => item.status = trimmed(),
            "wp:post_parent" => item.parent = text.trim().parse().unwrap_or(0),
            "wp:post_type" => item.post_type = trimmed(),
            "wp:post_password" => item.password = text,
            "wp:attachment_url" => item.attachment_url = trimmed(),
            "wp:comment" => item.comments += 1,
            "category" => {
                let attr = |key: &str| {
                    attrs
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                item.terms
                    .push((attr("domain"), attr("nicename"), text.trim().to_owned()));
            }
            _ => {}
        }
    }
}

/// `2023-03-14 08:30:00` as UTC; none for WordPress' empty date (`0000-00-00 00:00:00`).
fn gmt_date(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/import/wordpress/export.xml"
    );

    fn fixture() -> (Channel, Vec<Item>) {
        let file = std::io::BufReader::new(std::fs::File::open(FIXTURE).unwrap());
        let mut items = Vec::new();
        let channel = read(file, |item| {
            items.push(item);
            Ok(())
        })
        .unwrap();
        (channel, items)
    }

    #[test]
    fn reads_the_channel_of_a_real_export() {
        let (channel, _) = fixture();
        assert_eq!(channel.link, "http://oldblog.example");
        assert_eq!(channel.wxr_version, "1.2");
        assert!(
            channel
                .authors
                .contains(&("kenji".into(), "山田 健二".into()))
        );
        let sleep = channel
            .categories
            .iter()
            .find(|c| c.slug == "sleep")
            .unwrap();
        assert_eq!(sleep.parent.as_deref(), Some("health"));
        assert!(
            channel
                .tags
                .iter()
                .any(|t| t.slug == "cafe" && t.name == "Café")
        );
    }

    #[test]
    fn reads_every_item_of_a_real_export() {
        let (_, items) = fixture();
        let by_id = |id: u64| items.iter().find(|i| i.post_id == id).unwrap();
        let classic = by_id(10);
        assert_eq!(classic.slug, "why-we-sleep-badly-in-spring");
        assert_eq!(classic.status, "publish");
        assert_eq!(classic.post_type, "post");
        assert_eq!(classic.comments, 3);
        assert!(classic.content.contains("[caption"));
        assert!(
            classic
                .link
                .starts_with("http://oldblog.example/2023/03/14/")
        );
        assert!(classic.date_gmt.is_some());
        assert!(
            classic
                .terms
                .iter()
                .any(|(d, s, _)| d == "category" && s == "sleep")
        );
        assert_eq!(by_id(16).meta("_thumbnail_id"), Some("11"));
        assert_eq!(by_id(8).parent, 7);
        assert_eq!(by_id(8).post_type, "page");
        assert_eq!(by_id(11).post_type, "attachment");
        assert!(
            by_id(11)
                .attachment_url
                .ends_with("/wp-content/uploads/2023/03/night-sky.jpg")
        );
        assert_eq!(by_id(23).status, "future");
        assert_eq!(by_id(21).date_gmt, None, "a draft has no date");
        assert_eq!(by_id(25).password, "hunter2");
        let numbers: Vec<usize> = items.iter().map(|i| i.number).collect();
        assert_eq!(numbers, (1..=items.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_file_that_is_not_xml_or_not_wxr_says_so() {
        let broken = "<rss><channel><item><title>Unclosed</channel></rss>";
        assert!(matches!(
            read(broken.as_bytes(), |_| Ok(())),
            Err(ReadError::Malformed { .. })
        ));
        assert_eq!(
            read("<html><body/></html>".as_bytes(), |_| Ok(())),
            Err(ReadError::NotWxr)
        );
    }

    #[test]
    fn entities_and_character_references_are_text() {
        let xml = "<rss><channel><item><title>Fish &amp; chips &#8212; &#x263A;</title></item></channel></rss>";
        let mut titles = Vec::new();
        read(xml.as_bytes(), |item| {
            titles.push(item.title);
            Ok(())
        })
        .unwrap();
        assert_eq!(titles, ["Fish & chips — ☺"]);
    }

    #[test]
    fn a_refused_item_stops_the_reading() {
        let xml = "<rss><channel><item><title>A</title></item><item><title>B</title></item></channel></rss>";
        let mut seen = 0;
        let result = read(xml.as_bytes(), |item| {
            seen += 1;
            Err(format!("item {} refused", item.number))
        });
        assert_eq!(result, Err(ReadError::Refused("item 1 refused".into())));
        assert_eq!(seen, 1);
    }
}
