//! Structured data for search engines: the schema.org JSON-LD that public pages carry in a
//! `<script type="application/ld+json">` — a `BlogPosting` on a post page and a `Product` with its
//! `Offer` on a product page — and how it is written so that it is safe inside the page.
//!
//! The script is a data block, not a script a browser runs, so the Content-Security-Policy's
//! `script-src` does not apply to it and it needs no nonce (the policy has none). What could
//! end it early is text that reads as markup: every `<`, `>` and `&` in the JSON is written as a
//! `\u003c`-style escape, which JSON reads back as the same character, so no title or description
//! can close the script.

use serde_json::{Map, Value, json};

/// The JSON text to put between `<script type="application/ld+json">` and `</script>`.
pub fn script_text(data: &Value) -> String {
    const ESCAPED: [char; 5] = ['<', '>', '&', '\u{2028}', '\u{2029}'];
    let text = data.to_string();
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

/// A schema.org `BlogPosting`.
pub fn blog_posting(article: &Article<'_>) -> Value {
    let mut data = Map::new();
    data.insert("@context".into(), json!("https://schema.org"));
    data.insert("@type".into(), json!("BlogPosting"));
    data.insert("headline".into(), json!(article.headline));
    if !article.description.is_empty() {
        data.insert("description".into(), json!(article.description));
    }
    data.insert("datePublished".into(), json!(article.published));
    data.insert("dateModified".into(), json!(article.modified));
    data.insert("url".into(), json!(article.url));
    data.insert(
        "mainEntityOfPage".into(),
        json!({ "@type": "WebPage", "@id": article.url }),
    );
    if let Some(image) = article.image {
        data.insert("image".into(), json!(image));
    }
    if let Some(author) = article.author {
        data.insert(
            "author".into(),
            json!({ "@type": "Person", "name": author }),
        );
    }
    if !article.keywords.is_empty() {
        data.insert("keywords".into(), json!(article.keywords));
    }
    data.insert(
        "publisher".into(),
        json!({ "@type": "Organization", "name": article.site_name }),
    );
    Value::Object(data)
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
pub fn product(offered: &Offered<'_>) -> Value {
    let availability = if offered.in_stock {
        "https://schema.org/InStock"
    } else {
        "https://schema.org/OutOfStock"
    };
    let mut data = Map::new();
    data.insert("@context".into(), json!("https://schema.org"));
    data.insert("@type".into(), json!("Product"));
    data.insert("name".into(), json!(offered.name));
    data.insert("sku".into(), json!(offered.sku));
    if !offered.description.is_empty() {
        data.insert("description".into(), json!(offered.description));
    }
    data.insert("category".into(), json!(offered.category));
    data.insert("url".into(), json!(offered.url));
    if let Some(image) = offered.image {
        data.insert("image".into(), json!(image));
    }
    data.insert(
        "offers".into(),
        json!({
            "@type": "Offer",
            "price": offered.price,
            "priceCurrency": offered.currency,
            "availability": availability,
            "url": offered.url,
        }),
    );
    Value::Object(data)
}

#[cfg(test)]
mod tests {
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
        let data = blog_posting(&Article {
            headline: "H",
            description: "",
            published: "2026-01-01T00:00:00Z",
            modified: "2026-01-02T00:00:00Z",
            url: "http://a.test/posts/h",
            image: None,
            author: None,
            site_name: "A",
            keywords: &[],
        });
        for absent in ["image", "author", "description", "keywords"] {
            assert!(data.get(absent).is_none(), "{absent}");
        }
        assert_eq!(data["mainEntityOfPage"]["@id"], "http://a.test/posts/h");
    }
}
