//! Structured data for search engines: the schema.org JSON-LD that public pages carry in a
//! `<script type="application/ld+json">` — a `BlogPosting` on a post page and a `Product` with its
//! `Offer` on a product page — and how it is written so that it is safe inside the page.
//!
//! The script is a data block, not a script a browser runs, so the Content-Security-Policy's
//! `script-src` does not apply to it and it needs no nonce (the policy has none). What could
//! end it early is text that reads as markup: every `<`, `>` and `&` in the JSON is written as a
//! `\u003c`-style escape, which JSON reads back as the same character, so no title or description
//! can close the script.

use serde::Serialize;

/// The JSON text of `data` to put between `<script type="application/ld+json">` and `</script>`.
pub fn script_text(data: &impl Serialize) -> String {
    const ESCAPED: [char; 5] = ['<', '>', '&', '\u{2028}', '\u{2029}'];
    // Plain data (strings, numbers, maps with string keys) always serialises.
    let text = serde_json::to_string(data).unwrap_or_default();
    if !text.contains(ESCAPED) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 32);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

/// What a `BlogPosting` says of a post.
pub struct Article<'a> {
    pub headline: &'a str,
    pub description: &'a str,
    /// RFC 3339 times with their zone.
    pub published: &'a str,
    pub modified: &'a str,
    /// The post's canonical address.
    pub url: &'a str,
    /// The absolute address of the featured image, when there is one.
    pub image: Option<&'a str>,
    /// The author's name, when the post has one.
    pub author: Option<&'a str>,
    pub site_name: &'a str,
    pub keywords: &'a [String],
}

const CONTEXT: &str = "https://schema.org";

/// A schema.org thing named by its type and name (an author, a publisher).
#[derive(Serialize)]
pub struct Named<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

/// The page a thing is the main entity of.
#[derive(Serialize)]
pub struct WebPage<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
}

/// A schema.org `BlogPosting`, serialised as it is declared (absent parts left out).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlogPosting<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    headline: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    date_published: &'a str,
    date_modified: &'a str,
    url: &'a str,
    main_entity_of_page: WebPage<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<Named<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    keywords: &'a [String],
    publisher: Named<'a>,
}

/// A schema.org `BlogPosting`.
pub fn blog_posting<'a>(article: &Article<'a>) -> BlogPosting<'a> {
    BlogPosting {
        context: CONTEXT,
        kind: "BlogPosting",
        headline: article.headline,
        description: article.description,
        date_published: article.published,
        date_modified: article.modified,
        url: article.url,
        main_entity_of_page: WebPage {
            kind: "WebPage",
            id: article.url,
        },
        image: article.image,
        author: article.author.map(|name| Named {
            kind: "Person",
            name,
        }),
        keywords: article.keywords,
        publisher: Named {
            kind: "Organization",
            name: article.site_name,
        },
    }
}

/// What a `Product` with its `Offer` says of a product.
pub struct Offered<'a> {
    pub name: &'a str,
    pub sku: &'a str,
    pub description: &'a str,
    pub category: &'a str,
    /// The product's canonical address.
    pub url: &'a str,
    /// The absolute address of the main image, when there is one.
    pub image: Option<&'a str>,
    /// The retail price as an exact decimal string (`12.50`); never the wholesale price.
    pub price: &'a str,
    /// ISO 4217.
    pub currency: &'a str,
    pub in_stock: bool,
}

/// A schema.org `Product` with one `Offer`.
#[derive(Serialize)]
pub struct Product<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    sku: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    category: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    offers: Offer<'a>,
}

/// The one offer of a [`Product`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    price: &'a str,
    price_currency: &'a str,
    availability: &'static str,
    url: &'a str,
}

/// A schema.org `Product` with one `Offer`.
pub fn product<'a>(offered: &Offered<'a>) -> Product<'a> {
    let availability = if offered.in_stock {
        "https://schema.org/InStock"
    } else {
        "https://schema.org/OutOfStock"
    };
    Product {
        context: CONTEXT,
        kind: "Product",
        name: offered.name,
        sku: offered.sku,
        description: offered.description,
        category: offered.category,
        url: offered.url,
        image: offered.image,
        offers: Offer {
            kind: "Offer",
            price: offered.price,
            price_currency: offered.currency,
            availability,
            url: offered.url,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn nothing_in_the_data_can_end_the_script() {
        let data = json!({ "headline": "</script><script>alert(1)</script> & <!-- \u{2028}" });
        let text = script_text(&data);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert!(!text.contains('\u{2028}'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, data);
        for alone in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            let text = script_text(&json!({ "headline": format!("a{alone}b") }));
            assert!(!text.contains(alone), "{text}");
        }
        let plain = json!({ "headline": "Plain words, \"quoted\"" });
        assert_eq!(script_text(&plain), plain.to_string());
    }

    #[test]
    fn a_post_without_image_or_author_leaves_them_out() {
        let data = serde_json::to_value(blog_posting(&Article {
            headline: "H",
            description: "",
            published: "2026-01-01T00:00:00Z",
            modified: "2026-01-02T00:00:00Z",
            url: "http://a.test/posts/h",
            image: None,
            author: None,
            site_name: "A",
            keywords: &[],
        }))
        .unwrap();
        for absent in ["image", "author", "description", "keywords"] {
            assert!(data.get(absent).is_none(), "{absent}");
        }
        assert_eq!(data["mainEntityOfPage"]["@id"], "http://a.test/posts/h");
    }

    #[test]
    fn a_full_post_and_product_say_everything_by_schema_org_names() {
        let keywords = ["Sleep".to_owned()];
        let posting = blog_posting(&Article {
            headline: "H",
            description: "D",
            published: "2026-01-01T00:00:00Z",
            modified: "2026-01-02T00:00:00Z",
            url: "http://a.test/posts/h",
            image: Some("http://a.test/media/i.jpg"),
            author: Some("Ann"),
            site_name: "A",
            keywords: &keywords,
        });
        assert_eq!(
            serde_json::to_value(&posting).unwrap(),
            json!({
                "@context": "https://schema.org",
                "@type": "BlogPosting",
                "headline": "H",
                "description": "D",
                "datePublished": "2026-01-01T00:00:00Z",
                "dateModified": "2026-01-02T00:00:00Z",
                "url": "http://a.test/posts/h",
                "mainEntityOfPage": { "@type": "WebPage", "@id": "http://a.test/posts/h" },
                "image": "http://a.test/media/i.jpg",
                "author": { "@type": "Person", "name": "Ann" },
                "keywords": ["Sleep"],
                "publisher": { "@type": "Organization", "name": "A" },
            })
        );
        let offered = product(&Offered {
            name: "N",
            sku: "S-1",
            description: "",
            category: "C",
            url: "http://a.test/products/S-1",
            image: None,
            price: "12.50",
            currency: "EUR",
            in_stock: false,
        });
        assert_eq!(
            serde_json::to_value(&offered).unwrap(),
            json!({
                "@context": "https://schema.org",
                "@type": "Product",
                "name": "N",
                "sku": "S-1",
                "category": "C",
                "url": "http://a.test/products/S-1",
                "offers": {
                    "@type": "Offer",
                    "price": "12.50",
                    "priceCurrency": "EUR",
                    "availability": "https://schema.org/OutOfStock",
                    "url": "http://a.test/products/S-1",
                },
            })
        );
    }
}
