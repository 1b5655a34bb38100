//! `/feed.xml`: an Atom feed of the site's newest published posts (as many as its branding's
//! feed length, ten unless chosen), with full bodies (the featured image first, and as the
//! entry's enclosure); relative addresses in them resolve against the site (`xml:base`). A tag's
//! feed (`tag_feed.rs`) is written by the same [`render`].
//!
//! A body is written as a CDATA section ([`Cdata`]): the same text as the escaped form to any XML
//! parser, copied as it is instead of escaped character by character (most of a feed's bytes).

use std::fmt;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::posts::{self, PublicPost};
use crate::error::AppResult;
use crate::media::pictures::{BODY_SIZES, Pictures};
use crate::web::pages::iso_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

pub struct FeedEntry {
    pub id: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    /// The featured image's markup, written before the body.
    pub featured_html: Option<String>,
    pub body_html: String,
    /// The featured image's file: absolute address, content type and size.
    pub enclosure: Option<(String, &'static str, i64)>,
    pub published: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "site/feed.xml")]
pub struct Feed {
    pub title: String,
    pub site_name: String,
    pub home_url: String,
    /// The page the feed follows (the home page, a tag page); also the feed's id.
    pub alternate_url: String,
    pub self_url: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
    /// The site's language (`xml:lang`), tagline (`<subtitle>`), favicon (`<icon>`) and logo
    /// (`<logo>`, absolute addresses).
    pub lang: String,
    pub subtitle: String,
    pub icon_url: Option<String>,
    pub logo_url: Option<String>,
}

/// What a feed is of: its title and the paths of the page it follows and of itself.
pub struct Source<'a> {
    pub title: String,
    pub alternate_path: &'a str,
    pub self_path: &'a str,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
) -> AppResult<HttpResponse> {
    let (scope, site_id, length) = (site.ctx.scope, site.ctx.site_id, site.ctx.brand.feed_length);
    let (recent, pictures) = state
        .db
        .visitor_read(scope, |conn| {
            async move {
                let recent = posts::visible_recent(conn, scope, site_id, None, length).await?;
                let featured: Vec<_> = recent.iter().filter_map(|p| p.featured_media_id).collect();
                let pictures = Pictures::load(conn, scope, &featured).await?;
                Ok((recent, pictures))
            }
            .scope_boxed()
        })
        .await?;
    let source = Source {
        title: site.ctx.site_name.clone(),
        alternate_path: "/",
        self_path: "/feed.xml",
    };
    render(&req, &site, source, recent, &pictures)
}

/// The Atom feed of `recent` (newest first) with their featured images from `pictures`.
pub fn render(
    req: &HttpRequest,
    site: &RequestSite,
    source: Source<'_>,
    recent: Vec<PublicPost>,
    pictures: &Pictures,
) -> AppResult<HttpResponse> {
    let updated = recent
        .iter()
        .map(|p| p.updated_at.max(p.published_at))
        .max()
        .map(iso_time)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
    let brand = &site.ctx.brand;
    let feed = Feed {
        lang: brand.language.clone(),
        subtitle: brand.tagline.clone(),
        icon_url: brand.favicon.as_ref().map(|image| site.url(&image.path)),
        logo_url: brand.logo.as_ref().map(|image| site.url(&image.path)),
        title: source.title,
        site_name: site.ctx.site_name.clone(),
        home_url: site.url("/"),
        alternate_url: site.url(source.alternate_path),
        self_url: site.url(source.self_path),
        updated,
        entries: recent
            .into_iter()
            .map(|p| {
                let featured = p
                    .featured_media_id
                    .and_then(|id| pictures.shown(id, BODY_SIZES));
                FeedEntry {
                    id: format!("urn:uuid:{}", p.id),
                    url: site.url(&format!("/posts/{}", p.slug)),
                    title: p.title,
                    summary: p.description,
                    enclosure: featured.as_ref().map(|shown| {
                        (
                            site.url(&shown.preview_path),
                            shown.preview_type,
                            shown.preview_bytes,
                        )
                    }),
                    featured_html: featured.map(|shown| shown.html),
                    body_html: p.body_html,
                    published: iso_time(p.published_at),
                    updated: iso_time(p.updated_at.max(p.published_at)),
                }
            })
            .collect(),
    };
    let room = feed
        .entries
        .iter()
        .map(|entry| {
            entry.body_html.len()
                + entry
                    .featured_html
                    .as_ref()
                    .map_or(0, |html| html.len() + 1)
        })
        .sum();
    Ok(response::conditional(
        req,
        response::render_with_room(&feed, room)?,
        "application/atom+xml; charset=utf-8",
    ))
}

impl FeedEntry {
    /// The entry's content: the featured image, then the body.
    pub fn content(&self) -> Cdata<'_> {
        Cdata(self.featured_html.as_deref(), &self.body_html)
    }
}

/// HTML as the text of an XML element: a CDATA section holding the optional first part, a line
/// break and the second part, or just the second. A `]]>` inside (the sanitiser leaves none, but
/// this does not rely on it) ends the section after its `]]` and starts a new one for its `>`, so
/// the text is kept whole.
pub struct Cdata<'a>(Option<&'a str>, &'a str);

impl fmt::Display for Cdata<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<![CDATA[")?;
        if let Some(first) = self.0 {
            write_cdata_text(f, first)?;
            f.write_str("\n")?;
        }
        write_cdata_text(f, self.1)?;
        f.write_str("]]>")
    }
}

fn write_cdata_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let mut written = 0;
    for end in memchr::memmem::find_iter(text.as_bytes(), b"]]>") {
        // `]]>` is ASCII, so `end` and `end + 2` fall on character boundaries.
        f.write_str(&text[written..end + 2])?;
        f.write_str("]]><![CDATA[")?;
        written = end + 2;
    }
    f.write_str(&text[written..])
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Cdata;

    /// The text an XML parser reads from an element holding `Cdata(first, second)`.
    fn parsed(first: Option<&str>, second: &str) -> String {
        let xml = format!("<content>{}</content>", Cdata(first, second));
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        doc.root_element()
            .children()
            .filter_map(|node| node.text())
            .collect()
    }

    #[test]
    fn a_body_is_one_section_copied_as_it_is() {
        let body = "<p>Fish &amp; chips <em>\"fresh\"</em> < 5 €</p>";
        assert_eq!(Cdata(None, body).to_string(), format!("<![CDATA[{body}]]>"));
        assert_eq!(parsed(None, body), body);
    }

    #[test]
    fn the_featured_image_comes_first_on_its_own_line() {
        assert_eq!(
            parsed(Some("<img src=\"a.jpg\">"), "<p>Body</p>"),
            "<img src=\"a.jpg\">\n<p>Body</p>"
        );
        assert_eq!(parsed(None, ""), "");
    }

    #[test]
    fn a_section_end_inside_the_text_is_kept_whole() {
        for body in [
            "<a title=\"]]>\">x</a>",
            "]]>",
            "]]>start",
            "end]]>",
            "]]]]>>",
            "a]]>b]]>c",
        ] {
            let written = Cdata(Some(body), body).to_string();
            assert_eq!(
                written.matches("]]>").count(),
                1 + 2 * body.matches("]]>").count()
            );
            assert_eq!(
                parsed(Some(body), body),
                format!("{body}\n{body}"),
                "{written}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_text_reads_back_as_written(
            first in proptest::option::of("[\\]>\\[<&a\n]{0,12}"),
            second in "[\\]>\\[<&a\n]{0,24}",
        ) {
            let expected = match &first {
                Some(first) => format!("{first}\n{second}"),
                None => second.clone(),
            };
            prop_assert_eq!(parsed(first.as_deref(), &second), expected);
        }
    }
}
