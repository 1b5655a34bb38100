//! Every kind of refused upload, through `inspect` and `process` alike.

use super::*;

/// Refused the same way by `inspect` and `process`.
fn refused(bytes: &[u8], limits: &Limits) -> Refusal {
    let by_inspect = inspect(bytes, limits).unwrap_err();
    let by_process = process(bytes, limits).unwrap_err();
    assert_eq!(by_inspect, by_process);
    by_inspect
}

fn corrupt(bytes: &[u8]) -> String {
    match process(bytes, &Limits::DEFAULT) {
        Err(Refusal::Corrupt(why)) => why,
        other => panic!("not refused as corrupt: {other:?}"),
    }
}

#[test]
fn svg_html_and_pdf_are_refused() {
    let svg = b"\xEF\xBB\xBF\n<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
        onload=\"alert(document.cookie)\"><rect width=\"10\" height=\"10\"/></svg>";
    assert_eq!(refused(svg, &Limits::DEFAULT), Refusal::Svg);
    assert_eq!(
        refused(svg, &Limits::DEFAULT).to_string(),
        "SVG images are not accepted: upload a PNG, JPEG, WebP or GIF"
    );

    let html = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><img src=x \
        onerror=alert(1)></body></html>";
    let refusal = refused(html, &Limits::DEFAULT);
    assert_eq!(
        refusal,
        Refusal::NotAnImage {
            looks_like: Some("HTML")
        }
    );
    assert!(refusal.is_unsupported_type());
    assert!(
        refusal
            .to_string()
            .starts_with("the file is not an image (it looks like HTML)")
    );

    // What an editor's "photo.jpg" holds is all that counts: names are never seen here.
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    assert_eq!(
        refused(pdf, &Limits::DEFAULT),
        Refusal::NotAnImage {
            looks_like: Some("a PDF document")
        }
    );
}

#[test]
fn other_files_are_refused() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    assert_eq!(
        refused(heic, &Limits::DEFAULT),
        Refusal::Unsupported { format: "HEIC" }
    );
    assert_eq!(refused(b"", &Limits::DEFAULT), Refusal::Empty);
    assert_eq!(
        refused(&[0x00, 0x61, 0x73, 0x6D, 1, 0, 0, 0], &Limits::DEFAULT),
        Refusal::NotAnImage { looks_like: None }
    );
}

#[test]
fn files_over_the_byte_limit_are_refused_as_too_large() {
    let png = png(64, 64);
    let limits = Limits {
        max_bytes: png.len() as u64 - 1,
        ..Limits::DEFAULT
    };
    let refusal = refused(&png, &limits);
    assert_eq!(
        refusal,
        Refusal::TooLarge {
            bytes: png.len() as u64,
            limit: png.len() as u64 - 1
        }
    );
    assert!(refusal.is_too_large());
    let exactly = Limits {
        max_bytes: png.len() as u64,
        ..Limits::DEFAULT
    };
    assert!(process(&png, &exactly).is_ok());
}

#[test]
fn a_jpeg_cut_in_half_is_refused_not_half_decoded() {
    let jpeg = jpeg(256, 256);
    assert!(process(&jpeg, &Limits::DEFAULT).is_ok());
    let why = corrupt(&jpeg[..jpeg.len() / 2]);
    assert!(why.contains("cut short"), "{why}");
    // Cut inside the headers, too.
    corrupt(&jpeg[..300]);
    // Without its end marker only.
    corrupt(&jpeg[..jpeg.len() - 2]);
}

#[test]
fn a_truncated_png_is_refused() {
    let png = png(128, 96);
    assert!(process(&png, &Limits::DEFAULT).is_ok());
    for cut in [png.len() / 2, png.len() - 12, 40] {
        let why = corrupt(&png[..cut]);
        assert!(why.contains("cut short"), "{cut}: {why}");
    }
}

#[test]
fn a_png_with_damaged_data_is_refused() {
    let mut png = png(128, 96);
    // A byte in the middle of the (single, large) IDAT chunk.
    let middle = png.len() / 2;
    png[middle] ^= 0x55;
    corrupt(&png);
}

#[test]
fn truncated_gif_and_webp_are_refused() {
    let gif = gif(64, 64, &[[255, 0, 0, 255], [0, 0, 255, 255]]);
    assert!(process(&gif, &Limits::DEFAULT).is_ok());
    // Cut after its first frame: what is shown would still be whole, but the file is not.
    corrupt(&gif[..gif.len() - 1]);
    corrupt(&gif[..gif.len() / 2]);

    let webp = webp(64, 64);
    assert!(process(&webp, &Limits::DEFAULT).is_ok());
    corrupt(&webp[..webp.len() / 2]);
    corrupt(&webp[..24]);
}

#[test]
fn a_png_of_zero_pixels_is_refused() {
    let mut png = png(4, 4);
    png[16..20].copy_from_slice(&0u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        refused(&png, &Limits::DEFAULT),
        Refusal::Corrupt(_)
    ));
}

#[test]
fn damaged_files_are_refused_or_processed_never_a_panic() {
    let originals = [
        jpeg(64, 48),
        png(64, 48),
        webp(64, 48),
        gif(64, 48, &[[1, 2, 3, 255], [200, 100, 0, 0]]),
    ];
    let mut state = 0x1234_5678_u32;
    let mut next = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as usize % below
    };
    for original in &originals {
        for _ in 0..150 {
            let mut damaged = original.clone();
            for _ in 0..=next(4) {
                let at = next(damaged.len());
                damaged[at] = next(256) as u8;
            }
            if next(3) == 0 {
                damaged.truncate(next(damaged.len()));
            }
            if let Ok(processed) = process(&damaged, &Limits::DEFAULT) {
                let full = &processed.variants[0];
                assert_eq!((full.format, full.role), (processed.format, Role::FullSize));
            }
        }
    }
}
