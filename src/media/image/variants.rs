//! Which files are made from an upright image: the full-size copy in the upload's format, and each
//! responsive width below the image's own in that format and as WebP; then the files that another
//! one makes useless (wider or as wide, no heavier, and servable wherever it is) are dropped.

use super::decode::Pixels;
use super::encode::{encode, fits_webp};
use super::resize::resize;
use super::{Format, Refusal, Role, Variant};

/// The responsive widths, for `srcset`.
pub const WIDTHS: [u32; 4] = [320, 640, 1024, 1600];

/// The format the full-size copy of an upload of `format` is made in: its own.
fn full_size_format(format: Format) -> Format {
    format
}

/// The format the resized copies of an upload of `format` are made in besides WebP: its own, but
/// PNG for a GIF (re-quantizing the filtered pixels to 256 colours would band and dither them).
fn resized_format(format: Format) -> Format {
    match format {
        Format::Gif => Format::Png,
        other => other,
    }
}

/// All the files for `pixels` (upright) from an upload of `format`, widest first.
pub(super) fn make(pixels: Pixels, format: Format) -> Result<Vec<Variant>, Refusal> {
    let mut variants = Vec::new();
    let full_width = pixels.width;
    variants.push(variant(&pixels, full_size_format(format), Role::FullSize)?);
    // A full-size WebP only where it is one of the widths a page asks for.
    if full_width <= WIDTHS[WIDTHS.len() - 1] && format != Format::WebP {
        variants.extend(webp_variant(&pixels, Role::FullSize)?);
    }
    let mut source = pixels;
    for &width in WIDTHS.iter().rev().filter(|&&width| width < full_width) {
        // Each width from the next wider one: as sharp, and much cheaper than from the full size.
        source = resize(&source, width).map_err(Refusal::Failed)?;
        variants.push(variant(&source, resized_format(format), Role::Resized)?);
        if resized_format(format) != Format::WebP {
            variants.extend(webp_variant(&source, Role::Resized)?);
        }
    }
    drop_useless(&mut variants);
    Ok(variants)
}

fn variant(pixels: &Pixels, format: Format, role: Role) -> Result<Variant, Refusal> {
    Ok(Variant {
        format,
        width: pixels.width,
        height: pixels.height,
        bytes: encode(pixels, format).map_err(Refusal::Failed)?,
        role,
    })
}

/// The WebP copy, unless the pixels are too large for a WebP.
fn webp_variant(pixels: &Pixels, role: Role) -> Result<Option<Variant>, Refusal> {
    if !fits_webp(pixels.width, pixels.height) {
        return Ok(None);
    }
    variant(pixels, Format::WebP, role).map(Some)
}

/// Whether a browser that takes `b` also takes `a`: anything is served where WebP is, WebP only
/// where WebP is asked for.
fn servable_instead(a: &Variant, b: &Variant) -> bool {
    a.format != Format::WebP || b.format == Format::WebP
}

/// Whether `a` makes `b` useless: at least as wide, no heavier, servable instead of it (and not
/// `b` itself: the same width in the same format is the same file).
fn supersedes(a: &Variant, b: &Variant) -> bool {
    let same = a.width == b.width && a.format == b.format;
    !same && a.width >= b.width && a.bytes.len() <= b.bytes.len() && servable_instead(a, b)
}

/// Drops every variant another supersedes (the relation is transitive and never mutual, so the
/// full-size copy in the upload's format always stays).
pub(super) fn drop_useless(variants: &mut Vec<Variant>) {
    let useless: Vec<bool> = variants
        .iter()
        .map(|b| variants.iter().any(|a| supersedes(a, b)))
        .collect();
    let mut flags = useless.into_iter();
    variants.retain(|_| !flags.next().unwrap_or(false));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(format: Format, width: u32, size: usize, role: Role) -> Variant {
        Variant {
            format,
            width,
            height: width / 2,
            bytes: vec![0; size],
            role,
        }
    }

    fn kept(variants: Vec<Variant>) -> Vec<(Format, u32)> {
        let mut variants = variants;
        drop_useless(&mut variants);
        variants.iter().map(|v| (v.format, v.width)).collect()
    }

    #[test]
    fn a_webp_heavier_than_the_same_width_in_the_uploads_format_is_dropped() {
        let variants = vec![
            fake(Format::Png, 800, 5000, Role::FullSize),
            fake(Format::WebP, 800, 9000, Role::FullSize),
            fake(Format::Png, 320, 1000, Role::Resized),
            fake(Format::WebP, 320, 800, Role::Resized),
        ];
        assert_eq!(
            kept(variants),
            [(Format::Png, 800), (Format::Png, 320), (Format::WebP, 320)]
        );
    }

    #[test]
    fn a_resized_copy_heavier_than_a_wider_one_is_dropped() {
        let variants = vec![
            fake(Format::Jpeg, 700, 3000, Role::FullSize),
            fake(Format::Jpeg, 640, 3100, Role::Resized),
            fake(Format::WebP, 640, 2000, Role::Resized),
            fake(Format::Jpeg, 320, 1000, Role::Resized),
            fake(Format::WebP, 320, 2500, Role::Resized),
        ];
        // The 320 WebP is heavier than the 640 WebP, and than the 320 JPEG.
        assert_eq!(
            kept(variants),
            [
                (Format::Jpeg, 700),
                (Format::WebP, 640),
                (Format::Jpeg, 320)
            ]
        );
    }

    #[test]
    fn a_webp_never_replaces_a_file_every_browser_takes() {
        let variants = vec![
            fake(Format::Gif, 500, 9000, Role::FullSize),
            fake(Format::WebP, 500, 100, Role::FullSize),
            fake(Format::Png, 320, 9500, Role::Resized),
            fake(Format::WebP, 320, 90, Role::Resized),
        ];
        // The resized PNG is heavier than the full-size GIF, which any browser takes.
        assert_eq!(
            kept(variants),
            [(Format::Gif, 500), (Format::WebP, 500), (Format::WebP, 320)]
        );
    }
}
