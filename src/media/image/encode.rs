//! Encoding pixels into a file of each served format, carrying nothing but the pixels (no EXIF,
//! XMP, ICC profile or comment): JPEG at quality 82, PNG with balanced compression, GIF with the
//! exact palette when the pixels have at most 256 colours, and lossy WebP at quality 80 through
//! libwebp (alpha kept, compressed losslessly).

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::Format;
use super::decode::Pixels;

pub(super) const JPEG_QUALITY: u8 = 82;
pub(super) const WEBP_QUALITY: f32 = 80.0;
/// The largest width or height a WebP can have.
pub(super) const WEBP_MAX_SIDE: u32 = 16_383;
/// How hard GIF's quantizer works when the pixels have more than 256 colours (1 best, 30 fastest).
const GIF_SPEED: i32 = 10;

/// `pixels` as a file of `format`.
pub(super) fn encode(pixels: &Pixels, format: Format) -> Result<Vec<u8>, String> {
    let mut bytes = match format {
        Format::Jpeg => jpeg(pixels),
        Format::Png => png(pixels),
        Format::Gif => gif(pixels),
        Format::WebP => webp(pixels),
    }
    .map_err(|error| format!("encoding a {} failed: {error}", format.extension()))?;
    // The encoders grow their output by doubling: what is kept until stored should be no more.
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// Whether a WebP can hold pixels of this size.
pub(super) fn fits_webp(width: u32, height: u32) -> bool {
    width <= WEBP_MAX_SIDE && height <= WEBP_MAX_SIDE
}

fn color_type(pixels: &Pixels) -> ExtendedColorType {
    if pixels.alpha {
        ExtendedColorType::Rgba8
    } else {
        ExtendedColorType::Rgb8
    }
}

fn jpeg(pixels: &Pixels) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    let result = if pixels.alpha {
        let rgb: Vec<u8> = pixels
            .data
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        encoder.write_image(&rgb, pixels.width, pixels.height, ExtendedColorType::Rgb8)
    } else {
        encoder.write_image(
            &pixels.data,
            pixels.width,
            pixels.height,
            ExtendedColorType::Rgb8,
        )
    };
    result.map_err(|e| e.to_string())?;
    Ok(out)
}

fn png(pixels: &Pixels) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            &pixels.data,
            pixels.width,
            pixels.height,
            color_type(pixels),
        )
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn gif(pixels: &Pixels) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    GifEncoder::new_with_speed(&mut out, GIF_SPEED)
        .encode(
            &pixels.data,
            pixels.width,
            pixels.height,
            color_type(pixels),
        )
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn webp(pixels: &Pixels) -> Result<Vec<u8>, String> {
    if !fits_webp(pixels.width, pixels.height) {
        return Err(format!("{} × {} is too large", pixels.width, pixels.height));
    }
    let encoder = if pixels.alpha {
        webp::Encoder::from_rgba(&pixels.data, pixels.width, pixels.height)
    } else {
        webp::Encoder::from_rgb(&pixels.data, pixels.width, pixels.height)
    };
    let memory = encoder
        .encode_simple(false, WEBP_QUALITY)
        .map_err(|e| format!("{e:?}"))?;
    Ok(memory.to_vec())
}
