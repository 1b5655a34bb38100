//! Decoding an inspected upload into 8-bit sRGB or sRGBA pixels, upright: the decoder is held to
//! the size the header declared and to a memory budget, a GIF gives its first frame, an ICC
//! profile is applied, the EXIF orientation too, and an alpha channel that is opaque everywhere is
//! dropped. Nothing of the file but its pixels comes out.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, RgbImage, RgbaImage};

use super::{Inspected, Limits, Refusal, colour};

/// Upright 8-bit pixels, RGB (3 bytes a pixel) or RGBA (4).
#[derive(Clone)]
pub(super) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub data: Vec<u8>,
}

/// What a decoder may allocate beside its output, for its own buffers.
const DECODER_SLACK: u64 = 64 * 1024 * 1024;

/// Decodes `bytes`, already inspected as `inspected`.
pub(super) fn decode(
    bytes: &[u8],
    inspected: &Inspected,
    limits: &Limits,
) -> Result<Pixels, Refusal> {
    let too_many = || Refusal::TooManyPixels {
        width: inspected.width,
        height: inspected.height,
        limit: limits.max_pixels,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), inspected.format.image_format());
    reader.limits(decoder_limits(inspected));
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    if decoder.dimensions() != (inspected.width, inspected.height) {
        return Err(Refusal::Corrupt(
            "its header and its data disagree on its size".to_owned(),
        ));
    }
    if decoder.total_bytes() > output_budget(inspected) {
        return Err(too_many());
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(|error| match error {
        ImageError::Limits(_) => too_many(),
        other => refusal(other),
    })?;
    let mut pixels = eight_bit(image);
    if let Some(icc) = icc {
        colour::to_srgb(&mut pixels, &icc);
    }
    Ok(upright(pixels, orientation))
}

/// The decoder may produce no more than the inspected size, and allocate no more than its output
/// (at most 8 bytes a pixel, for 16-bit RGBA) and some slack.
fn decoder_limits(inspected: &Inspected) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(inspected.width);
    limits.max_image_height = Some(inspected.height);
    limits.max_alloc = Some(output_budget(inspected) + DECODER_SLACK);
    limits
}

fn output_budget(inspected: &Inspected) -> u64 {
    u64::from(inspected.width) * u64::from(inspected.height) * 8
}

/// The refusal for a decoder's error.
fn refusal(error: ImageError) -> Refusal {
    match error {
        ImageError::Unsupported(e) => Refusal::UnsupportedFeature(e.to_string()),
        ImageError::Limits(e) => {
            Refusal::Corrupt(format!("it needs too much memory to read ({e})"))
        }
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Refusal::Corrupt("it ends before its end (it was probably cut short)".to_owned())
        }
        other => Refusal::Corrupt(other.to_string()),
    }
}

/// 8-bit RGB, or RGBA when some pixel is not opaque.
fn eight_bit(image: DynamicImage) -> Pixels {
    if image.color().has_alpha() {
        let rgba = image.into_rgba8();
        if rgba.pixels().any(|pixel| pixel.0[3] != u8::MAX) {
            return rgba_pixels(rgba);
        }
        return rgb_pixels(DynamicImage::ImageRgba8(rgba).into_rgb8());
    }
    rgb_pixels(image.into_rgb8())
}

fn rgb_pixels(image: RgbImage) -> Pixels {
    Pixels {
        width: image.width(),
        height: image.height(),
        alpha: false,
        data: image.into_raw(),
    }
}

fn rgba_pixels(image: RgbaImage) -> Pixels {
    Pixels {
        width: image.width(),
        height: image.height(),
        alpha: true,
        data: image.into_raw(),
    }
}

/// The pixels turned as the EXIF orientation says.
fn upright(pixels: Pixels, orientation: Orientation) -> Pixels {
    if orientation == Orientation::NoTransforms {
        return pixels;
    }
    let Pixels {
        width,
        height,
        alpha,
        data,
    } = pixels;
    let mut image = match alpha {
        true => RgbaImage::from_raw(width, height, data).map(DynamicImage::ImageRgba8),
        false => RgbImage::from_raw(width, height, data).map(DynamicImage::ImageRgb8),
    }
    .expect("the buffer holds width × height pixels");
    image.apply_orientation(orientation);
    match alpha {
        true => rgba_pixels(image.into_rgba8()),
        false => rgb_pixels(image.into_rgb8()),
    }
}
