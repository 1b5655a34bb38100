//! A site's accent colour: read from `#rrggbb` (or the short `#rgb`, which stands for
//! `#rrggbb` as in CSS), stored lower-case as `#rrggbb`, and accepted only when text on it can
//! be read. The text the templates put on the accent (buttons, the active category) is white or
//! the body text's dark colour, whichever contrasts more; the colour is refused when even that
//! one stays below the 4.5:1 that WCAG 2.x level AA asks for normal text.
//!
//! The accent reaches pages as a small stylesheet of CSS custom properties ([`stylesheet`]),
//! never as an inline `style`: the Content-Security-Policy allows styles from this origin only.
//! Links use the accent only where it is readable on the page's background (light and dark
//! schemes are checked apart); elsewhere they keep the default link colours.

use std::fmt;
use std::str::FromStr;

/// The contrast WCAG 2.x level AA asks of normal text.
pub const MIN_CONTRAST: f64 = 4.5;

/// White, the light text put on an accent.
pub const WHITE: Colour = Colour(0xff, 0xff, 0xff);
/// The body text of the light scheme (`--text` in `static/app.css`), the dark text put on an
/// accent.
pub const BODY_TEXT: Colour = Colour(0x1f, 0x23, 0x28);
/// The page background of the light scheme (`--bg`).
pub const LIGHT_BACKGROUND: Colour = Colour(0xff, 0xff, 0xff);
/// The page background of the dark scheme (`--bg` under `prefers-color-scheme: dark`).
pub const DARK_BACKGROUND: Colour = Colour(0x11, 0x14, 0x18);

/// An sRGB colour of 8 bits a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colour(pub u8, pub u8, pub u8);

/// Why a text is not a colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAColour;

impl fmt::Display for NotAColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be a hex colour such as #0b5cad (or #06c)")
    }
}

impl FromStr for Colour {
    type Err = NotAColour;

    /// `#rrggbb` or `#rgb`, in either case, with white space around it ignored.
    fn from_str(text: &str) -> Result<Colour, NotAColour> {
        let hex = text.trim().strip_prefix('#').ok_or(NotAColour)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NotAColour);
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| NotAColour);
        match hex.len() {
            3 => Ok(Colour(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => {
                let byte =
                    |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| NotAColour);
                Ok(Colour(byte(0)?, byte(2)?, byte(4)?))
            }
            _ => Err(NotAColour),
        }
    }
}

impl fmt::Display for Colour {
    /// `#rrggbb`, lower-case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

impl Colour {
    /// The relative luminance of WCAG 2.x: each channel linearised from sRGB, weighted
    /// 0.2126 red, 0.7152 green, 0.0722 blue; 0 for black, 1 for white. (The sRGB threshold is
    /// 0.04045; WCAG's 0.03928 gives the same result for every 8-bit channel.)
    pub fn relative_luminance(self) -> f64 {
        let linear = |channel: u8| {
            let c = f64::from(channel) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// The contrast ratio of WCAG 2.x between two colours: from 1 (the same) to 21 (black and
    /// white), whichever is in front.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.relative_luminance(), other.relative_luminance());
        let (light, dark) = if a >= b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }

    /// This colour moved `share` (0 to 1) of the way towards `other`.
    pub fn mix(self, other: Colour, share: f64) -> Colour {
        let channel = |a: u8, b: u8| {
            let mixed = f64::from(a) + (f64::from(b) - f64::from(a)) * share;
            mixed.round().clamp(0.0, 255.0) as u8
        };
        Colour(
            channel(self.0, other.0),
            channel(self.1, other.1),
            channel(self.2, other.2),
        )
    }
}

/// An accent colour that passed the contrast check, with the text colour put on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accent {
    pub colour: Colour,
    /// [`WHITE`] or [`BODY_TEXT`].
    pub text: Colour,
}

/// Why an accent colour is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    NotAColour,
    /// Neither white nor the dark body text reaches [`MIN_CONTRAST`] on it.
    LowContrast {
        colour: Colour,
        white: f64,
        dark: f64,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAColour => write!(f, "the accent colour {NotAColour}"),
            Refusal::LowContrast {
                colour,
                white,
                dark,
            } => write!(
                f,
                "the accent colour {colour} is too hard to read text on: white text on it has a \
                 contrast of {}:1 and dark text {}:1, and WCAG AA asks for at least 4.5:1; choose \
                 a darker or a lighter colour",
                ratio(*white),
                ratio(*dark)
            ),
        }
    }
}

/// A ratio with two decimals, cut rather than rounded (so that 4.499 never reads as 4.50).
fn ratio(value: f64) -> String {
    format!("{:.2}", (value * 100.0).floor() / 100.0)
}

impl Accent {
    /// Checks a colour: the text put on it is the one of white and [`BODY_TEXT`] with the higher
    /// contrast, which must reach [`MIN_CONTRAST`].
    pub fn check(colour: Colour) -> Result<Accent, Refusal> {
        let (white, dark) = (colour.contrast(WHITE), colour.contrast(BODY_TEXT));
        let (text, best) = if white >= dark {
            (WHITE, white)
        } else {
            (BODY_TEXT, dark)
        };
        if best < MIN_CONTRAST {
            return Err(Refusal::LowContrast {
                colour,
                white,
                dark,
            });
        }
        Ok(Accent { colour, text })
    }

    /// Reads and checks a colour as typed.
    pub fn parse(text: &str) -> Result<Accent, Refusal> {
        let colour: Colour = text.parse().map_err(|_| Refusal::NotAColour)?;
        Accent::check(colour)
    }

    /// The background of a button under the pointer: further from the text colour, so its
    /// contrast only grows.
    pub fn hover(self) -> Colour {
        let away = if self.text == WHITE {
            Colour(0, 0, 0)
        } else {
            WHITE
        };
        self.colour.mix(away, 0.15)
    }

    /// The stylesheet that applies this accent (see the module's documentation): the custom
    /// properties `static/app.css` reads.
    pub fn stylesheet(self) -> String {
        let mut css = format!(
            "/* The site's accent colour, with the text colour that contrasts on it. */\n\
             :root {{ --accent: {}; --accent-hover: {}; --accent-contrast: {}; }}\n",
            self.colour,
            self.hover(),
            self.text
        );
        // Links are text on the page's background: the accent only where it is readable there,
        // and darker (light scheme) or lighter (dark scheme) under the pointer.
        for (scheme, background, hover_towards) in [
            ("light", LIGHT_BACKGROUND, Colour(0, 0, 0)),
            ("dark", DARK_BACKGROUND, WHITE),
        ] {
            if self.colour.contrast(background) >= MIN_CONTRAST {
                css.push_str(&format!(
                    "@media (prefers-color-scheme: {scheme}) {{ :root {{ --link: {}; \
                     --link-hover: {}; }} }}\n",
                    self.colour,
                    self.colour.mix(hover_towards, 0.2)
                ));
            }
        }
        css
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(text: &str) -> Colour {
        text.parse().unwrap()
    }

    #[test]
    fn colours_are_read_in_long_and_short_form_and_written_long_in_lower_case() {
        assert_eq!(colour("#0B5CAD").to_string(), "#0b5cad");
        assert_eq!(colour(" #06c ").to_string(), "#0066cc");
        for bad in [
            "0b5cad",
            "#0b5ca",
            "#0b5cadd",
            "#ggg",
            "#",
            "",
            "blue",
            "#+12345",
            "#１２３",
        ] {
            assert_eq!(bad.parse::<Colour>(), Err(NotAColour), "{bad:?}");
        }
    }

    #[test]
    fn luminance_and_contrast_follow_wcag() {
        assert_eq!(WHITE.relative_luminance(), 1.0);
        assert_eq!(Colour(0, 0, 0).relative_luminance(), 0.0);
        assert!((Colour(0, 0, 0).contrast(WHITE) - 21.0).abs() < 1e-9);
        assert!((WHITE.contrast(WHITE) - 1.0).abs() < 1e-9);
        // Known pairs: #767676 on white is the lightest grey that passes AA (4.54:1).
        assert!((colour("#767676").contrast(WHITE) - 4.54).abs() < 0.01);
        assert!(colour("#777777").contrast(WHITE) < 4.5);
        // Order does not matter.
        let (a, b) = (colour("#0b5cad"), colour("#ffd700"));
        assert_eq!(a.contrast(b), b.contrast(a));
    }

    #[test]
    fn the_text_on_an_accent_is_whichever_reads_better_and_mid_tones_are_refused() {
        let dark_blue = Accent::parse("#0b5cad").unwrap();
        assert_eq!(dark_blue.text, WHITE);
        let yellow = Accent::parse("#ffd700").unwrap();
        assert_eq!(yellow.text, BODY_TEXT);
        let Err(Refusal::LowContrast { white, dark, .. }) = Accent::parse("#808080") else {
            panic!("mid grey passes");
        };
        assert!(white < 4.5 && dark < 4.5);
        let message = Accent::parse("#808080").unwrap_err().to_string();
        assert!(message.contains("#808080"), "{message}");
        assert!(message.contains("3.94:1"), "{message}");
        assert!(message.contains("4.5:1"), "{message}");
        assert_eq!(Accent::parse("red!"), Err(Refusal::NotAColour));
    }

    #[test]
    fn ratios_are_cut_not_rounded() {
        assert_eq!(ratio(4.499), "4.49");
        assert_eq!(ratio(21.0), "21.00");
    }

    #[test]
    fn the_hover_shade_keeps_the_text_readable() {
        for text in [
            "#0b5cad", "#ffd700", "#000000", "#ffffff", "#767676", "#2a9d8f",
        ] {
            let Ok(accent) = Accent::parse(text) else {
                continue;
            };
            assert!(
                accent.hover().contrast(accent.text) >= accent.colour.contrast(accent.text),
                "{text}"
            );
        }
    }

    #[test]
    fn the_stylesheet_sets_the_accent_and_links_only_where_they_read() {
        let css = Accent::parse("#0b5cad").unwrap().stylesheet();
        assert!(css.contains("--accent: #0b5cad;"), "{css}");
        assert!(css.contains("--accent-contrast: #ffffff;"), "{css}");
        assert!(css.contains("prefers-color-scheme: light) { :root { --link: #0b5cad;"));
        assert!(
            !css.contains("prefers-color-scheme: dark"),
            "too dark on dark: {css}"
        );
        let css = Accent::parse("#ffd700").unwrap().stylesheet();
        assert!(css.contains("--accent-contrast: #1f2328;"), "{css}");
        assert!(
            !css.contains("prefers-color-scheme: light"),
            "too light on white: {css}"
        );
        assert!(css.contains("prefers-color-scheme: dark) { :root { --link: #ffd700;"));
        assert!(!css.contains('<') && !css.contains("url("), "{css}");
    }
}
