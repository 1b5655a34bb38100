//! The files made from accepted uploads: their widths, formats, alpha, and which are dropped.

use super::super::decode::Pixels;
use super::super::encode::encode;
use super::super::resize::resize;
use super::*;

fn widths(processed: &Processed) -> Vec<u32> {
    let mut widths: Vec<u32> = processed.variants.iter().map(|v| v.width).collect();
    widths.dedup();
    widths
}

/// The RIFF chunk kinds of a WebP, in order.
fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut at = 12;
    while let Some(header) = bytes.get(at..at + 8) {
        kinds.push(String::from_utf8_lossy(&header[..4]).into_owned());
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        at += 8 + size + size % 2;
    }
    kinds
}

#[test]
fn widths_are_never_upscaled() {
    let processed = process(&jpeg(500, 300), &Limits::DEFAULT).unwrap();
    assert_eq!(widths(&processed), [500, 320]);
    assert_eq!(processed.variants[0].role, Role::FullSize);
    assert_eq!(processed.variants[0].format, Format::Jpeg);
    for variant in &processed.variants {
        let image = decoded(&variant.bytes);
        assert_eq!(
            (image.width(), image.height()),
            (variant.width, variant.height)
        );
        assert_eq!(variant.height, if variant.width == 500 { 300 } else { 192 });
    }
}

#[test]
fn a_wide_image_gets_every_width_and_no_full_size_webp() {
    let processed = process(&jpeg(1700, 40), &Limits::DEFAULT).unwrap();
    assert_eq!(widths(&processed), [1700, 1600, 1024, 640, 320]);
    let full: Vec<_> = shapes(&processed)
        .into_iter()
        .filter(|(_, _, role)| *role == Role::FullSize)
        .collect();
    assert_eq!(full, [(Format::Jpeg, 1700, Role::FullSize)]);
    // An image exactly as wide as a responsive width is only that width once.
    let processed = process(&png(640, 20), &Limits::DEFAULT).unwrap();
    assert_eq!(widths(&processed), [640, 320]);
}

#[test]
fn webp_outputs_decode_and_are_lossy() {
    let processed = process(&jpeg(700, 500), &Limits::DEFAULT).unwrap();
    let webps: Vec<_> = processed
        .variants
        .iter()
        .filter(|v| v.format == Format::WebP)
        .collect();
    assert!(webps.len() >= 2, "{:?}", processed.variants);
    for variant in webps {
        assert_eq!(webp_chunks(&variant.bytes), ["VP8 "], "{variant:?}");
        let image = decoded(&variant.bytes);
        assert_eq!(
            (image.width(), image.height()),
            (variant.width, variant.height)
        );
    }
}

#[test]
fn alpha_is_kept_in_png_and_webp() {
    let mut rgba = noise(400, 300, 4);
    for (i, pixel) in rgba.chunks_exact_mut(4).enumerate() {
        pixel[3] = if i % 400 < 200 { 0 } else { 255 };
    }
    let processed = process(
        &png_of(400, 300, &rgba, ExtendedColorType::Rgba8),
        &Limits::DEFAULT,
    )
    .unwrap();
    assert!(processed.variants.iter().any(|v| v.format == Format::WebP));
    for variant in &processed.variants {
        let image = decoded(&variant.bytes).to_rgba8();
        assert_eq!(image.get_pixel(10, 10).0[3], 0, "{variant:?}");
        assert_eq!(image.get_pixel(variant.width - 10, 10).0[3], 255);
        if variant.format == Format::WebP {
            assert_eq!(webp_chunks(&variant.bytes), ["VP8X", "ALPH", "VP8 "]);
        }
    }
}

#[test]
fn an_opaque_alpha_channel_is_dropped() {
    let mut rgba = noise(100, 100, 4);
    rgba.chunks_exact_mut(4).for_each(|pixel| pixel[3] = 255);
    let processed = process(
        &png_of(100, 100, &rgba, ExtendedColorType::Rgba8),
        &Limits::DEFAULT,
    )
    .unwrap();
    let full = decoded(&processed.variants[0].bytes);
    assert_eq!(full.color(), image::ColorType::Rgb8);
}

#[test]
fn a_gif_gives_its_first_frame_as_a_gif_and_pngs() {
    let red = [230, 10, 10, 255];
    let gif = gif(400, 30, &[red, [10, 10, 230, 255], [10, 230, 10, 255]]);
    let processed = process(&gif, &Limits::DEFAULT).unwrap();
    assert_eq!(processed.format, Format::Gif);
    let formats: Vec<_> = shapes(&processed)
        .into_iter()
        .filter(|(format, _, _)| *format != Format::WebP)
        .collect();
    assert_eq!(
        formats,
        [
            (Format::Gif, 400, Role::FullSize),
            (Format::Png, 320, Role::Resized)
        ]
    );
    for variant in &processed.variants {
        let image = decoded(&variant.bytes).to_rgba8();
        assert!(
            image.pixels().all(|p| p.0[0] > 200 && p.0[2] < 60),
            "{variant:?}"
        );
    }
    // The full-size GIF is a single frame.
    let full = &processed.variants[0].bytes;
    let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(full)).unwrap();
    use image::AnimationDecoder;
    assert_eq!(decoder.into_frames().count(), 1);
}

#[test]
fn a_webp_upload_gives_one_webp_at_each_width() {
    let processed = process(&webp(700, 100), &Limits::DEFAULT).unwrap();
    assert_eq!(processed.format, Format::WebP);
    let shapes = shapes(&processed);
    assert!(shapes.iter().all(|(format, _, _)| *format == Format::WebP));
    assert_eq!(widths(&processed), [700, 640, 320]);
    assert_eq!(shapes.len(), 3);
}

#[test]
fn the_format_comes_from_the_content_not_from_what_follows_it() {
    // A PNG followed by markup, and a JPEG carrying markup in a comment, are still images; what
    // comes out is re-encoded from the pixels, so the markup does not.
    let mut png = png(50, 50);
    png.extend_from_slice(b"<svg onload=alert(1)><html><script>alert(2)</script>");
    let jpeg = jpeg(50, 50);
    let comment = b"\xFF\xFE\x00\x1a<html><script>x</script>";
    let jpeg = [&jpeg[..2], &comment[..], &jpeg[2..]].concat();
    for (bytes, format) in [(png, Format::Png), (jpeg, Format::Jpeg)] {
        let processed = process(&bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(processed.format, format);
        assert_eq!(
            inspect(&bytes, &Limits::DEFAULT).unwrap(),
            Inspected {
                format,
                width: 50,
                height: 50
            }
        );
        for variant in &processed.variants {
            assert!(!contains(&variant.bytes, b"<script"));
            assert_ne!(variant.bytes, bytes, "the upload itself is never kept");
        }
    }
}

/// A black and white checkerboard of single pixels: PNG stores it in almost nothing, lossy WebP
/// cannot, and scaling it down to a near width makes a moiré that PNG stores badly.
fn checkerboard(width: u32, height: u32) -> Pixels {
    let mut data = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let value = if (x + y) % 2 == 0 { 0 } else { 255 };
            data.extend_from_slice(&[value, value, value]);
        }
    }
    Pixels {
        width,
        height,
        alpha: false,
        data,
    }
}

fn png_of_pixels(pixels: &Pixels) -> Vec<u8> {
    png_of(
        pixels.width,
        pixels.height,
        &pixels.data,
        ExtendedColorType::Rgb8,
    )
}

#[test]
fn a_webp_heavier_than_the_png_of_the_same_width_is_dropped() {
    let board = checkerboard(330, 330);
    let png_size = encode(&board, Format::Png).unwrap().len();
    let webp_size = encode(&board, Format::WebP).unwrap().len();
    assert!(webp_size > png_size, "the case needs a heavier WebP");
    let processed = process(&png_of_pixels(&board), &Limits::DEFAULT).unwrap();
    assert!(
        !shapes(&processed).contains(&(Format::WebP, 330, Role::FullSize)),
        "{:?}",
        processed.variants
    );
}

#[test]
fn a_resized_copy_heavier_than_the_full_size_is_dropped() {
    let board = checkerboard(330, 330);
    let full_size = encode(&board, Format::Png).unwrap().len();
    let resized_size = encode(&resize(&board, 320).unwrap(), Format::Png)
        .unwrap()
        .len();
    assert!(resized_size > full_size, "the case needs a heavier resize");
    let processed = process(&png_of_pixels(&board), &Limits::DEFAULT).unwrap();
    assert!(!shapes(&processed).contains(&(Format::Png, 320, Role::Resized)));
    assert_eq!(processed.variants[0].format, Format::Png);
    assert_eq!(processed.variants[0].role, Role::FullSize);
}

#[test]
fn no_variant_is_superseded_by_another() {
    let uploads = [jpeg(900, 600), png(700, 400), webp(800, 300)];
    for upload in uploads {
        let processed = process(&upload, &Limits::DEFAULT).unwrap();
        for a in &processed.variants {
            for b in &processed.variants {
                let servable = a.format != Format::WebP || b.format == Format::WebP;
                let same = a.width == b.width && a.format == b.format;
                assert!(
                    same || !(servable && a.width >= b.width && a.bytes.len() <= b.bytes.len()),
                    "{a:?} supersedes {b:?}"
                );
            }
        }
    }
}
