//! The image module's behaviour end to end, on files the tests make themselves: well-formed images
//! of each format, and hand-built headers, metadata and damage.

mod allocations;
mod metadata;
mod outputs;
mod refusals;

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ExtendedColorType, Frame, ImageEncoder, RgbaImage};

use super::*;

/// Deterministic noise over a gradient: photographs compress about as badly.
pub(super) fn noise(width: u32, height: u32, channels: usize) -> Vec<u8> {
    let mut state = 0x2545_F491_u32;
    let mut data = Vec::with_capacity(width as usize * height as usize * channels);
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let gradient = (x * 255 / width.max(1) + y * 255 / height.max(1)) / 2;
                let value = gradient as usize + (state % 48) as usize + c * 20;
                data.push(u8::try_from(value.min(255)).unwrap_or(u8::MAX));
            }
        }
    }
    data
}

pub(super) fn jpeg_of(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(rgb, width, height, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub(super) fn jpeg(width: u32, height: u32) -> Vec<u8> {
    jpeg_of(width, height, &noise(width, height, 3))
}

pub(super) fn png_of(width: u32, height: u32, data: &[u8], color: ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(data, width, height, color)
        .unwrap();
    out
}

pub(super) fn png(width: u32, height: u32) -> Vec<u8> {
    png_of(
        width,
        height,
        &noise(width, height, 3),
        ExtendedColorType::Rgb8,
    )
}

pub(super) fn webp(width: u32, height: u32) -> Vec<u8> {
    let rgb = noise(width, height, 3);
    webp::Encoder::from_rgb(&rgb, width, height)
        .encode_simple(false, 90.0)
        .unwrap()
        .to_vec()
}

/// A GIF whose frames are each of one colour.
pub(super) fn gif(width: u32, height: u32, colours: &[[u8; 4]]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        for &colour in colours {
            let frame = RgbaImage::from_pixel(width, height, image::Rgba(colour));
            encoder.encode_frame(Frame::new(frame)).unwrap();
        }
    }
    out
}

pub(super) fn decoded(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// The variants as (format, width, role).
pub(super) fn shapes(processed: &Processed) -> Vec<(Format, u32, Role)> {
    processed
        .variants
        .iter()
        .map(|v| (v.format, v.width, v.role))
        .collect()
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// CRC-32 as PNG chunks carry it.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk: length, type, data, CRC.
pub(super) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
    chunk
}

/// `png` with `chunks` inserted right after its IHDR chunk.
pub(super) fn png_with_chunks(png: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
    let after_ihdr = 8 + 12 + 13;
    let mut out = png[..after_ihdr].to_vec();
    for chunk in chunks {
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&png[after_ihdr..]);
    out
}
