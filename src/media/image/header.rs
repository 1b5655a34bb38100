//! Reading an accepted file's structure without decoding it: the pixel size its header declares,
//! and that it is whole (a PNG reaches its IEND chunk, a JPEG its end marker, a GIF its trailer, a
//! WebP the length its RIFF header declares). Nothing here allocates.

use super::{Format, Limits, Refusal};

/// The width and height `bytes` (of `format`) declares, before any orientation.
pub(super) fn dimensions(format: Format, bytes: &[u8]) -> Result<(u32, u32), Refusal> {
    let (width, height) = match format {
        Format::Png => png_dimensions(bytes)?,
        Format::Jpeg => jpeg_dimensions(bytes)?,
        Format::Gif => gif_dimensions(bytes)?,
        Format::WebP => webp_dimensions(bytes)?,
    };
    if width == 0 || height == 0 {
        return Err(corrupt(format!("it declares {width} × {height} pixels")));
    }
    Ok((width, height))
}

/// Refuses a file that stops before its end, and a GIF with a frame of too many pixels.
pub(super) fn check_whole(format: Format, bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    match format {
        Format::Png => png_whole(bytes),
        Format::Jpeg => jpeg_whole(bytes),
        Format::Gif => gif_whole(bytes, limits),
        Format::WebP => webp_whole(bytes),
    }
}

fn corrupt(why: impl Into<String>) -> Refusal {
    Refusal::Corrupt(why.into())
}

fn cut_short(what: &str) -> Refusal {
    corrupt(format!(
        "the {what} ends before its end (it was probably cut short)"
    ))
}

fn be16(bytes: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([bytes[0], bytes[1]]))
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn le16(bytes: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn le24(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], 0])
}

fn le32(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

// PNG: the signature, then chunks (length, type, data, CRC), IHDR first and IEND last.

fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), Refusal> {
    let ihdr = bytes.get(8..24).ok_or_else(|| cut_short("PNG"))?;
    if &ihdr[4..8] != b"IHDR" {
        return Err(corrupt("the PNG does not start with its header chunk"));
    }
    Ok((be32(&ihdr[8..12]), be32(&ihdr[12..16])))
}

fn png_whole(bytes: &[u8]) -> Result<(), Refusal> {
    let mut at = 8;
    loop {
        let chunk = bytes.get(at..at + 8).ok_or_else(|| cut_short("PNG"))?;
        let length = usize::try_from(be32(&chunk[..4])).unwrap_or(usize::MAX);
        let end = length
            .checked_add(at + 12)
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| cut_short("PNG"))?;
        if &chunk[4..8] == b"IEND" {
            return Ok(());
        }
        at = end;
    }
}

// JPEG: SOI, then segments (a marker, and for most a length and data) up to the first scan (SOS),
// entropy-coded data, and EOI.

/// One JPEG marker and where its data lies.
struct Segment {
    marker: u8,
    data: std::ops::Range<usize>,
}

const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;

/// The segment whose marker starts at `at`.
fn jpeg_segment(bytes: &[u8], mut at: usize) -> Result<Segment, Refusal> {
    if bytes.get(at) != Some(&0xFF) {
        return Err(match bytes.get(at) {
            None => cut_short("JPEG"),
            Some(_) => corrupt("a JPEG marker is missing"),
        });
    }
    while bytes.get(at) == Some(&0xFF) {
        at += 1;
    }
    let marker = *bytes.get(at).ok_or_else(|| cut_short("JPEG"))?;
    at += 1;
    if matches!(marker, 0x01 | 0xD0..=0xD9) {
        return Ok(Segment {
            marker,
            data: at..at,
        });
    }
    let length = bytes
        .get(at..at + 2)
        .map(be16)
        .ok_or_else(|| cut_short("JPEG"))?;
    if length < 2 || at + length > bytes.len() {
        return Err(cut_short("JPEG"));
    }
    Ok(Segment {
        marker,
        data: at + 2..at + length,
    })
}

/// The start-of-frame markers (baseline, progressive, lossless, …): C0 to CF but DHT, JPG, DAC.
fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), Refusal> {
    let mut at = 2;
    loop {
        let segment = jpeg_segment(bytes, at)?;
        if is_start_of_frame(segment.marker) {
            let frame = &bytes[segment.data];
            if frame.len() < 6 {
                return Err(corrupt("the JPEG's frame header is too short"));
            }
            let (height, width) = (be16(&frame[1..3]), be16(&frame[3..5]));
            return Ok((width as u32, height as u32));
        }
        if matches!(segment.marker, SOS | EOI) {
            return Err(corrupt("the JPEG has no frame header before its data"));
        }
        at = segment.data.end;
    }
}

/// A JPEG is whole when an end marker follows its first scan (what follows the end marker, such as
/// a phone's motion clip, does not matter).
fn jpeg_whole(bytes: &[u8]) -> Result<(), Refusal> {
    let mut at = 2;
    loop {
        let segment = jpeg_segment(bytes, at)?;
        at = segment.data.end;
        if segment.marker == SOS {
            break;
        }
        if segment.marker == EOI {
            return Err(corrupt("the JPEG ends before its image data"));
        }
    }
    // From the end, where the marker nearly always is: a whole file costs a few comparisons.
    if bytes[at..].windows(2).rev().any(|pair| pair == [0xFF, EOI]) {
        Ok(())
    } else {
        Err(cut_short("JPEG"))
    }
}

// GIF: header, logical screen, global palette, then blocks (extensions and images, each carrying
// sub-blocks of at most 255 bytes) up to the trailer.

fn gif_dimensions(bytes: &[u8]) -> Result<(u32, u32), Refusal> {
    let screen = bytes.get(6..10).ok_or_else(|| cut_short("GIF"))?;
    Ok((le16(&screen[..2]), le16(&screen[2..])))
}

/// The bytes a palette announced by `flags` takes.
fn gif_palette(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 7) + 1)
    }
}

/// Where the sub-blocks starting at `at` end.
fn gif_skip_sub_blocks(bytes: &[u8], mut at: usize) -> Result<usize, Refusal> {
    loop {
        let size = usize::from(*bytes.get(at).ok_or_else(|| cut_short("GIF"))?);
        at += 1 + size;
        if size == 0 {
            return Ok(at);
        }
    }
}

fn gif_whole(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let flags = *bytes.get(10).ok_or_else(|| cut_short("GIF"))?;
    let mut at = 13 + gif_palette(flags);
    let mut images = 0;
    loop {
        match bytes.get(at) {
            None => return Err(cut_short("GIF")),
            Some(0x3B) if images > 0 => return Ok(()),
            Some(0x3B) => return Err(corrupt("the GIF holds no image")),
            Some(0x21) => at = gif_skip_sub_blocks(bytes, at + 2)?,
            Some(0x2C) => {
                at = gif_image(bytes, at, limits)?;
                images += 1;
            }
            Some(_) => return Err(corrupt("the GIF holds a block of an unknown kind")),
        }
    }
}

/// Checks the image (frame) whose descriptor starts at `at` and returns where it ends.
fn gif_image(bytes: &[u8], at: usize, limits: &Limits) -> Result<usize, Refusal> {
    let descriptor = bytes.get(at..at + 10).ok_or_else(|| cut_short("GIF"))?;
    let (width, height) = (le16(&descriptor[5..7]), le16(&descriptor[7..9]));
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Refusal::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let data = at + 10 + gif_palette(descriptor[9]) + 1;
    gif_skip_sub_blocks(bytes, data)
}

// WebP: a RIFF file whose first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended).

fn webp_dimensions(bytes: &[u8]) -> Result<(u32, u32), Refusal> {
    let (Some(kind), Some(data)) = (bytes.get(12..16), bytes.get(20..30)) else {
        return Err(cut_short("WebP"));
    };
    match kind {
        b"VP8 " if data[3..6] == [0x9D, 0x01, 0x2A] => {
            Ok((le16(&data[6..8]) & 0x3FFF, le16(&data[8..10]) & 0x3FFF))
        }
        b"VP8L" if data[0] == 0x2F => {
            let bits = le32(&data[1..5]);
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Ok((le24(&data[4..7]) + 1, le24(&data[7..10]) + 1)),
        _ => Err(corrupt("the WebP's first chunk is not an image")),
    }
}

fn webp_whole(bytes: &[u8]) -> Result<(), Refusal> {
    let declared = bytes.get(4..8).map(le32).ok_or_else(|| cut_short("WebP"))?;
    if u64::from(declared) + 8 > bytes.len() as u64 {
        return Err(cut_short("WebP"));
    }
    Ok(())
}
