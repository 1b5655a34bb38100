//! A site's social profile links: at most [`MAX_LINKS`] `https://` addresses, shown in the footer
//! with `rel="me noopener"` and labelled by the network their host names. A Mastodon server (or
//! any other) cannot be told from its host, so an unknown host is its own label.

use url::{Host, Url};

/// Most links a site shows.
pub const MAX_LINKS: usize = 10;
/// Longest address taken.
pub const MAX_URL_LEN: usize = 500;

/// A link as the footer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialLink {
    pub url: String,
    pub label: String,
}

impl SocialLink {
    /// The link of a stored address (checked when it was saved).
    pub fn of(url: &str) -> SocialLink {
        SocialLink {
            url: url.to_owned(),
            label: Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(label_of))
                .unwrap_or_else(|| url.to_owned()),
        }
    }
}

/// The addresses typed (one a line, empty lines ignored), each checked and in its normal form
/// (`https://Example.org` → `https://example.org/`), or why one is refused.
pub fn check(lines: &[&str]) -> Result<Vec<String>, String> {
    let typed: Vec<&str> = lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .collect();
    if typed.len() > MAX_LINKS {
        return Err(format!(
            "a site may show at most {MAX_LINKS} social links, not {}",
            typed.len()
        ));
    }
    let mut links: Vec<String> = Vec::with_capacity(typed.len());
    for text in typed {
        let link = check_one(text)?;
        if links.contains(&link) {
            return Err(format!("the social link {link} is listed twice"));
        }
        links.push(link);
    }
    Ok(links)
}

fn check_one(text: &str) -> Result<String, String> {
    let shown: String = text.chars().take(80).collect();
    if text.len() > MAX_URL_LEN {
        return Err(format!(
            "the social link {shown}… is longer than {MAX_URL_LEN} characters"
        ));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the social link \"{shown}\" holds white space: give one address a line"
        ));
    }
    let url = Url::parse(text)
        .map_err(|_| format!("the social link \"{shown}\" is not a web address"))?;
    if url.scheme() != "https" {
        return Err(format!(
            "the social link \"{shown}\" must start with https:// (not {}:)",
            url.scheme()
        ));
    }
    if !matches!(url.host(), Some(Host::Domain(host)) if host.contains('.')) {
        return Err(format!(
            "the social link \"{shown}\" must name a host such as mastodon.social"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the social link \"{shown}\" must not carry a user name or password"
        ));
    }
    Ok(url.to_string())
}

/// The network a host belongs to, or the host itself (without `www.`).
pub fn label_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .unwrap_or(&host);
    let known = match bare {
        "x.com" | "twitter.com" => "X",
        "facebook.com" | "fb.com" => "Facebook",
        "instagram.com" => "Instagram",
        "linkedin.com" => "LinkedIn",
        "youtube.com" | "youtu.be" => "YouTube",
        "github.com" => "GitHub",
        "gitlab.com" => "GitLab",
        "tiktok.com" => "TikTok",
        "bsky.app" => "Bluesky",
        "threads.net" | "threads.com" => "Threads",
        "pinterest.com" => "Pinterest",
        "reddit.com" => "Reddit",
        "twitch.tv" => "Twitch",
        "vimeo.com" => "Vimeo",
        "medium.com" => "Medium",
        "flickr.com" => "Flickr",
        "tumblr.com" => "Tumblr",
        "soundcloud.com" => "SoundCloud",
        _ => return bare.to_owned(),
    };
    known.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_https_addresses_in_normal_form() {
        assert_eq!(
            check(&[
                "https://Mastodon.Social/@alpha",
                "",
                "  https://www.instagram.com/alpha  "
            ]),
            Ok(vec![
                "https://mastodon.social/@alpha".to_owned(),
                "https://www.instagram.com/alpha".to_owned(),
            ])
        );
        assert_eq!(check(&[]), Ok(vec![]));
    }

    #[test]
    fn other_schemes_hosts_and_too_many_are_refused() {
        for (bad, says) in [
            ("http://example.org/alpha", "must start with https://"),
            ("javascript:alert(1)", "must start with https://"),
            ("ftp://example.org", "must start with https://"),
            ("mailto:a@example.org", "must start with https://"),
            ("example.org/alpha", "is not a web address"),
            ("https://", "is not a web address"),
            ("https://localhost/x", "must name a host"),
            ("https://192.0.2.1/x", "must name a host"),
            ("https://user:pw@example.org/", "user name or password"),
            ("https://example.org/a b", "white space"),
        ] {
            let refused = check(&[bad]).unwrap_err();
            assert!(refused.contains(says), "{bad}: {refused}");
        }
        let many: Vec<String> = (0..11).map(|i| format!("https://e{i}.example/")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(check(&many).unwrap_err().contains("at most 10"));
        assert!(check(&many[..10]).is_ok());
        let twice = check(&["https://example.org/", "https://EXAMPLE.org"]).unwrap_err();
        assert!(twice.contains("listed twice"), "{twice}");
        let long = format!("https://example.org/{}", "a".repeat(500));
        assert!(check(&[&long]).unwrap_err().contains("longer than 500"));
    }

    #[test]
    fn links_are_labelled_by_their_network_or_their_host() {
        let label = |url: &str| SocialLink::of(url).label;
        assert_eq!(label("https://twitter.com/alpha"), "X");
        assert_eq!(label("https://x.com/alpha"), "X");
        assert_eq!(label("https://www.linkedin.com/company/alpha"), "LinkedIn");
        assert_eq!(label("https://m.youtube.com/@alpha"), "YouTube");
        assert_eq!(label("https://bsky.app/profile/alpha"), "Bluesky");
        assert_eq!(label("https://mastodon.social/@alpha"), "mastodon.social");
        assert_eq!(label("https://www.alpha.example/"), "alpha.example");
    }
}
