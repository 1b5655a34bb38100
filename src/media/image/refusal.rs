//! Why an upload is refused, in sentences an editor reads, and which refusals are the upload's size.

const MIB: u64 = 1024 * 1024;

/// What every refusal of a kind of file suggests instead.
const ACCEPTED: &str = "upload a PNG, JPEG, WebP or GIF";

/// Why an upload is refused. Each `Display` is a sentence an editor sees, starting in lower case so
/// that the page can put it after the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The file has more bytes than [`Limits::max_bytes`](super::Limits): answered with 413.
    #[error("the file is {} MiB: at most {} MiB is accepted", mib_up(*.bytes), mib_down(*.limit))]
    TooLarge { bytes: u64, limit: u64 },
    /// The file holds nothing.
    #[error("the file is empty: {ACCEPTED}")]
    Empty,
    /// The file is not an image at all; what it seems to be instead, when that is known.
    #[error("{}", not_an_image(*.looks_like))]
    NotAnImage { looks_like: Option<&'static str> },
    /// An SVG drawing: it can carry scripts, so it is never accepted.
    #[error("SVG images are not accepted: {ACCEPTED}")]
    Svg,
    /// An image in a format that is not accepted (HEIC, AVIF, TIFF, BMP, …), named.
    #[error("{format} images are not accepted: {ACCEPTED}")]
    Unsupported { format: &'static str },
    /// An accepted format using a feature its decoder does not have (a 12-bit or arithmetic-coded
    /// JPEG, for instance).
    #[error(
        "the image uses a feature that cannot be read ({0}): save it again as an ordinary PNG, JPEG, WebP or GIF"
    )]
    UnsupportedFeature(String),
    /// More pixels than [`Limits::max_pixels`](super::Limits), as declared by the file's header.
    #[error("the image is {width} × {height} pixels: at most {} megapixels are accepted", megapixels(*.limit))]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    /// The file starts like an accepted image but cannot be read through to its end.
    #[error("the image is truncated or corrupt: {0}")]
    Corrupt(String),
    /// Not the upload's fault as far as can be told (an encoder failed): the web layer answers 500.
    #[error("the image could not be processed: {0}")]
    Failed(String),
}

impl Refusal {
    /// Whether the refusal is about the upload's size in bytes (HTTP 413); the others are about its
    /// content (415 for a kind of file not accepted, 422 for the rest).
    pub fn is_too_large(&self) -> bool {
        matches!(self, Refusal::TooLarge { .. })
    }

    /// Whether the kind of file is not accepted at all (HTTP 415).
    pub fn is_unsupported_type(&self) -> bool {
        matches!(
            self,
            Refusal::NotAnImage { .. } | Refusal::Svg | Refusal::Unsupported { .. }
        )
    }

    /// Whether the fault is ours rather than the upload's (HTTP 500).
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Refusal::Failed(_))
    }
}

fn not_an_image(looks_like: Option<&str>) -> String {
    match looks_like {
        Some(kind) => format!("the file is not an image (it looks like {kind}): {ACCEPTED}"),
        None => format!("the file is not an image: {ACCEPTED}"),
    }
}

/// A size in MiB rounded up to a tenth, so that a file one byte over the limit does not read as
/// exactly the limit.
fn mib_up(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10).div_ceil(MIB);
    tenths_text(tenths)
}

/// A limit in MiB rounded down to a tenth.
fn mib_down(bytes: u64) -> String {
    tenths_text(bytes.saturating_mul(10) / MIB)
}

fn megapixels(pixels: u64) -> String {
    tenths_text(pixels / 100_000)
}

/// `253` → `25.3`, `200` → `20`.
fn tenths_text(tenths: u64) -> String {
    match tenths % 10 {
        0 => (tenths / 10).to_string(),
        rest => format!("{}.{rest}", tenths / 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_the_editor_expects() {
        let limit = 20 * MIB;
        let refusal = Refusal::TooLarge {
            bytes: 25 * MIB + 3 * MIB / 10,
            limit,
        };
        assert_eq!(
            refusal.to_string(),
            "the file is 25.3 MiB: at most 20 MiB is accepted"
        );
        let just_over = Refusal::TooLarge {
            bytes: limit + 1,
            limit,
        };
        assert_eq!(
            just_over.to_string(),
            "the file is 20.1 MiB: at most 20 MiB is accepted"
        );
        assert!(refusal.is_too_large() && !refusal.is_unsupported_type());
    }

    #[test]
    fn every_refusal_is_a_sentence() {
        let cases = [
            (
                Refusal::Svg,
                "SVG images are not accepted: upload a PNG, JPEG, WebP or GIF",
            ),
            (
                Refusal::NotAnImage {
                    looks_like: Some("HTML"),
                },
                "the file is not an image (it looks like HTML): upload a PNG, JPEG, WebP or GIF",
            ),
            (
                Refusal::TooManyPixels {
                    width: 100_000,
                    height: 100_000,
                    limit: 50_000_000,
                },
                "the image is 100000 × 100000 pixels: at most 50 megapixels are accepted",
            ),
            (
                Refusal::TooManyPixels {
                    width: 5000,
                    height: 5000,
                    limit: 12_500_000,
                },
                "the image is 5000 × 5000 pixels: at most 12.5 megapixels are accepted",
            ),
            (
                Refusal::Unsupported { format: "HEIC" },
                "HEIC images are not accepted: upload a PNG, JPEG, WebP or GIF",
            ),
        ];
        for (refusal, text) in cases {
            assert_eq!(refusal.to_string(), text);
            assert!(!refusal.is_too_large());
        }
    }
}
