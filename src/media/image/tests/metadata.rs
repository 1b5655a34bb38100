//! No metadata survives, and the EXIF orientation is applied to the pixels before anything else.

use super::*;

/// The GPS seconds of latitude and longitude, as rationals over 10⁸: distinctive byte patterns.
const LATITUDE_SECONDS: u32 = 1_234_567_891;
const LONGITUDE_SECONDS: u32 = 987_654_321;

/// One little-endian IFD entry whose value fits in its 4 bytes.
fn entry(tag: u16, kind: u16, count: u32, value: [u8; 4]) -> Vec<u8> {
    let mut entry = tag.to_le_bytes().to_vec();
    entry.extend_from_slice(&kind.to_le_bytes());
    entry.extend_from_slice(&count.to_le_bytes());
    entry.extend_from_slice(&value);
    entry
}

/// Three rationals: degrees, minutes, seconds over 10⁸.
fn degrees(degrees: u32, minutes: u32, seconds: u32) -> Vec<u8> {
    [(degrees, 1), (minutes, 1), (seconds, 100_000_000)]
        .iter()
        .flat_map(|&(n, d): &(u32, u32)| [n.to_le_bytes(), d.to_le_bytes()])
        .flatten()
        .collect()
}

/// A TIFF structure as EXIF carries it: IFD0 with the orientation and a pointer to a GPS IFD that
/// holds a latitude and a longitude.
fn exif_tiff(orientation: u16) -> Vec<u8> {
    const IFD0: u32 = 8;
    const GPS_IFD: u32 = IFD0 + 2 + 2 * 12 + 4;
    const GPS_DATA: u32 = GPS_IFD + 2 + 4 * 12 + 4;
    let mut tiff = b"II\x2a\0".to_vec();
    tiff.extend_from_slice(&IFD0.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    let [o0, o1] = orientation.to_le_bytes();
    tiff.extend(entry(0x0112, 3, 1, [o0, o1, 0, 0])); // Orientation, SHORT
    tiff.extend(entry(0x8825, 4, 1, GPS_IFD.to_le_bytes())); // GPS IFD pointer, LONG
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, *b"N\0\0\0")); // GPSLatitudeRef
    tiff.extend(entry(0x0002, 5, 3, GPS_DATA.to_le_bytes())); // GPSLatitude, RATIONAL × 3
    tiff.extend(entry(0x0003, 2, 2, *b"E\0\0\0")); // GPSLongitudeRef
    tiff.extend(entry(0x0004, 5, 3, (GPS_DATA + 24).to_le_bytes())); // GPSLongitude
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend(degrees(48, 51, LATITUDE_SECONDS));
    tiff.extend(degrees(2, 17, LONGITUDE_SECONDS));
    tiff
}

/// A JPEG segment with `marker` and `data`.
fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&(data.len() as u16 + 2).to_be_bytes());
    segment.extend_from_slice(data);
    segment
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `jpeg` with EXIF (orientation 6 and GPS), XMP with GPS, an ICC profile naming a place and a
/// comment inserted after its JFIF segment.
fn jpeg_with_metadata(jpeg: &[u8]) -> Vec<u8> {
    let after_app0 = 2 + 2 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    assert_eq!(&jpeg[2..4], [0xFF, 0xE0], "image writes JFIF first");
    let exif = segment(0xE1, &concat(&[b"Exif\0\0", &exif_tiff(6)]));
    let xmp = segment(0xE1, &concat(&[b"http://ns.adobe.com/xap/1.0/\0", XMP]));
    let icc = segment(0xE2, &concat(&[b"ICC_PROFILE\0\x01\x01", ICC]));
    let comment = segment(0xFE, b"shot at home, 12 Rue Secrete");
    concat(&[
        &jpeg[..after_app0],
        &exif,
        &xmp,
        &icc,
        &comment,
        &jpeg[after_app0..],
    ])
}

const XMP: &[u8] = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description \
    exif:GPSLatitude=\"48,51.2057N\" exif:GPSLongitude=\"2,17.9876E\"/></rdf:RDF></x:xmpmeta>";
const ICC: &[u8] = b"\0\0\x02\x0cnoneGPS 48.8514N 2.2997E desc Rue Secrete";

/// Nothing that identifies the metadata (its markers or its values) is in `bytes`.
fn assert_no_metadata(bytes: &[u8], what: &str) {
    let traces: [&[u8]; 9] = [
        b"Exif",
        b"xap/1.0",
        b"GPSLatitude",
        b"ICC_PROFILE",
        b"Rue Secrete",
        b"eXIf",
        b"iCCP",
        &LATITUDE_SECONDS.to_le_bytes(),
        &LONGITUDE_SECONDS.to_le_bytes(),
    ];
    for trace in traces {
        assert!(
            !contains(bytes, trace),
            "{what} carries {:?}",
            String::from_utf8_lossy(trace)
        );
    }
}

/// 200 × 100: the left half red, the right half blue.
fn red_then_blue() -> Vec<u8> {
    let mut rgb = Vec::new();
    for _ in 0..100 {
        for x in 0..200 {
            rgb.extend_from_slice(if x < 100 {
                &[220, 20, 20]
            } else {
                &[20, 20, 220]
            });
        }
    }
    rgb
}

/// Whether the pixel at (`x`, `y`) of `image` is mostly red (else mostly blue).
fn is_red(image: &DynamicImage, x: u32, y: u32) -> bool {
    let [r, _, b, _] = image.to_rgba8().get_pixel(x, y).0;
    assert!(r.abs_diff(b) > 100, "neither red nor blue at {x}, {y}");
    r > b
}

#[test]
fn a_jpeg_with_gps_exif_comes_out_upright_and_without_any_metadata() {
    let jpeg = jpeg_with_metadata(&jpeg_of(200, 100, &red_then_blue()));
    assert!(contains(&jpeg, &LATITUDE_SECONDS.to_le_bytes()));
    let processed = process(&jpeg, &Limits::DEFAULT).unwrap();
    // Orientation 6: turned a quarter clockwise, so the left (red) half is now on top.
    assert_eq!((processed.width, processed.height), (100, 200));
    assert_eq!(
        shapes(&processed),
        [
            (Format::Jpeg, 100, Role::FullSize),
            (Format::WebP, 100, Role::FullSize)
        ]
    );
    for variant in &processed.variants {
        assert_eq!((variant.width, variant.height), (100, 200));
        let image = decoded(&variant.bytes);
        assert_eq!((image.width(), image.height()), (100, 200));
        assert!(is_red(&image, 50, 20) && !is_red(&image, 50, 180));
        assert_no_metadata(&variant.bytes, &format!("{variant:?}"));
    }
}

#[test]
fn a_png_with_exif_text_and_colour_profile_comes_out_upright_and_without_them() {
    let png = png_of(200, 100, &red_then_blue(), ExtendedColorType::Rgb8);
    let compressed_icc = {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(ICC).unwrap();
        z.finish().unwrap()
    };
    let png = png_with_chunks(
        &png,
        &[
            png_chunk(b"eXIf", &exif_tiff(6)),
            png_chunk(b"iCCP", &concat(&[b"Rue Secrete\0\0", &compressed_icc])),
            png_chunk(b"tEXt", b"Comment\0GPSLatitude 48.85"),
            png_chunk(b"iTXt", &concat(&[b"XML:com.adobe.xmp\0\0\0\0\0", XMP])),
        ],
    );
    let processed = process(&png, &Limits::DEFAULT).unwrap();
    assert_eq!((processed.width, processed.height), (100, 200));
    assert_eq!(processed.variants[0].format, Format::Png);
    for variant in &processed.variants {
        let image = decoded(&variant.bytes);
        assert!(is_red(&image, 50, 20) && !is_red(&image, 50, 180));
        assert_no_metadata(&variant.bytes, &format!("{variant:?}"));
        assert!(!contains(&variant.bytes, b"tEXt") && !contains(&variant.bytes, b"iTXt"));
    }
}

#[test]
fn every_orientation_is_applied() {
    // Where the red (left) half of the 200 × 100 image ends up: (size, red at the top or left).
    let cases = [
        (1, (200, 100), "left"),
        (2, (200, 100), "right"),
        (3, (200, 100), "right"),
        (4, (200, 100), "left"),
        (5, (100, 200), "top"),
        (6, (100, 200), "top"),
        (7, (100, 200), "bottom"),
        (8, (100, 200), "bottom"),
    ];
    let plain = jpeg_of(200, 100, &red_then_blue());
    let after_app0 = 2 + 2 + usize::from(u16::from_be_bytes([plain[4], plain[5]]));
    for (orientation, size, red) in cases {
        let exif = segment(0xE1, &concat(&[b"Exif\0\0", &exif_tiff(orientation)]));
        let jpeg = concat(&[&plain[..after_app0], &exif, &plain[after_app0..]]);
        let processed = process(&jpeg, &Limits::DEFAULT).unwrap();
        let image = decoded(&processed.variants[0].bytes);
        assert_eq!((image.width(), image.height()), size, "{orientation}");
        let first_red = match size {
            (200, 100) => is_red(&image, 20, 50),
            _ => is_red(&image, 50, 20),
        };
        assert_eq!(first_red, matches!(red, "left" | "top"), "{orientation}");
    }
}

#[test]
fn a_display_p3_photograph_comes_out_in_srgb_without_its_profile() {
    let orange = [230, 120, 40].repeat(64 * 64);
    let plain = jpeg_of(64, 64, &orange);
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let icc = segment(0xE2, &concat(&[b"ICC_PROFILE\0\x01\x01", &p3]));
    let tagged = concat(&[&plain[..2], &icc, &plain[2..]]);
    let centre = |jpeg: &[u8]| {
        let processed = process(jpeg, &Limits::DEFAULT).unwrap();
        assert!(!contains(&processed.variants[0].bytes, b"ICC_PROFILE"));
        decoded(&processed.variants[0].bytes)
            .to_rgb8()
            .get_pixel(32, 32)
            .0
    };
    let [r, g, b] = centre(&plain);
    assert!(r.abs_diff(230) < 4 && g.abs_diff(120) < 4 && b.abs_diff(40) < 4);
    // The same colour takes more saturated values in the smaller sRGB gamut.
    let [r, _, b] = centre(&tagged);
    assert!(r >= 240 && b < 30, "{r} {b}");
}
