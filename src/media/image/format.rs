//! What a file is, from its first bytes only: the four accepted image formats, and for anything
//! else the refusal that names what it seems to be (SVG, another image format, HTML, PDF, …).

use super::Refusal;

/// What an upload is, decided by its content (magic bytes) only — never by the name or a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl Format {
    /// The media type it is served with.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
        }
    }

    /// The format served with `mime` (as [`Format::mime`] gives it), to read back what was stored.
    pub fn from_mime(mime: &str) -> Option<Format> {
        [Format::Jpeg, Format::Png, Format::WebP, Format::Gif]
            .into_iter()
            .find(|format| format.mime().eq_ignore_ascii_case(mime.trim()))
    }

    /// The format of `bytes` if it starts like one of the four accepted.
    pub fn from_magic(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Format::Gif)
        } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
            Some(Format::WebP)
        } else {
            None
        }
    }

    pub(super) fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::WebP => image::ImageFormat::WebP,
            Format::Gif => image::ImageFormat::Gif,
        }
    }
}

/// The accepted format of `bytes`, or why it is refused.
pub(super) fn detect(bytes: &[u8]) -> Result<Format, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    Format::from_magic(bytes).ok_or_else(|| refusal_for(bytes))
}

/// Why a file that is none of the accepted formats is refused: it is SVG, another image format,
/// or names what it looks like when that can be told.
fn refusal_for(bytes: &[u8]) -> Refusal {
    if let Some(format) = other_image_format(bytes) {
        return Refusal::Unsupported { format };
    }
    if let Some(refusal) = markup(bytes) {
        return refusal;
    }
    Refusal::NotAnImage {
        looks_like: binary_kind(bytes).or_else(|| is_text(bytes).then_some("text")),
    }
}

/// Image formats that are recognised but not accepted.
fn other_image_format(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(4, b"ftyp") {
        return iso_image_brand(bytes.get(8..12)?);
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        Some("TIFF")
    } else if at(0, b"BM") && is_bmp_header(bytes) {
        Some("BMP")
    } else if at(0, &[0xFF, 0x0A]) || at(4, b"JXL \r\n\x87\n") {
        Some("JPEG XL")
    } else if at(0, b"8BPS") {
        Some("Photoshop")
    } else if at(4, b"jP  \r\n\x87\n") {
        Some("JPEG 2000")
    } else {
        None
    }
}

/// HEIC (what phones take) and AVIF: ISO media files whose brand names an image.
fn iso_image_brand(brand: &[u8]) -> Option<&'static str> {
    match brand {
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
            Some("HEIC")
        }
        b"avif" | b"avis" => Some("AVIF"),
        _ => None,
    }
}

/// A BMP's second header starts with its own size, one of a few known values.
fn is_bmp_header(bytes: &[u8]) -> bool {
    let Some(size) = bytes.get(14..18) else {
        return false;
    };
    let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
    matches!(size, 12 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// SVG, HTML or other XML, from the start of a text (after a byte order mark, white space, an XML
/// prolog, comments or a doctype).
fn markup(bytes: &[u8]) -> Option<Refusal> {
    let head = text_head(bytes);
    let start = head.trim_start();
    if !start.starts_with('<') {
        return None;
    }
    let html = || Refusal::NotAnImage {
        looks_like: Some("HTML"),
    };
    if start.starts_with("<svg") || start.starts_with("<!doctype svg") {
        return Some(Refusal::Svg);
    }
    if ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|tag| start.starts_with(tag))
    {
        return Some(html());
    }
    if head.contains("<svg") {
        Some(Refusal::Svg)
    } else if head.contains("<html") || head.contains("<script") {
        Some(html())
    } else if start.starts_with("<?xml") {
        Some(Refusal::NotAnImage {
            looks_like: Some("an XML document"),
        })
    } else {
        None
    }
}

/// How far into a file markup is looked for.
const HEAD: usize = 4096;

/// The start of a file as lower-case text, whatever its byte order mark: UTF-16 is read one code
/// unit at a time and only its ASCII kept, which is all the tags looked for need.
fn text_head(bytes: &[u8]) -> String {
    let ascii = |units: &mut dyn Iterator<Item = u16>| -> String {
        units
            .take(HEAD)
            .filter_map(|unit| u8::try_from(unit).ok())
            .map(|byte| char::from(byte.to_ascii_lowercase()))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        ascii(
            &mut rest
                .chunks_exact(2)
                .map(|u| u16::from_le_bytes([u[0], u[1]])),
        )
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        ascii(
            &mut rest
                .chunks_exact(2)
                .map(|u| u16::from_be_bytes([u[0], u[1]])),
        )
    } else {
        let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        ascii(&mut rest.iter().map(|&b| u16::from(b)))
    }
}

/// Other kinds of file an editor may pick by mistake.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        Some("a PDF document")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive or an Office document")
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        Some("a compressed (gzip) file")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("a video")
    } else if bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"MZ") {
        Some("a program")
    } else {
        None
    }
}

/// Whether the file starts as text: UTF-8 (a character cut at the end of the sample aside) with
/// no control character but white space.
fn is_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(HEAD)];
    let text = match std::str::from_utf8(sample) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&sample[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks_like(bytes: &[u8]) -> Option<&'static str> {
        match detect(bytes) {
            Err(Refusal::NotAnImage { looks_like }) => looks_like,
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(bytes)),
        }
    }

    #[test]
    fn the_four_formats_are_told_by_their_magic_bytes_alone() {
        let cases: [(&[u8], Format); 5] = [
            (b"\xFF\xD8\xFF\xE0 and then <svg><script>", Format::Jpeg),
            (b"\x89PNG\r\n\x1a\n<html>", Format::Png),
            (b"GIF89a%PDF-1.7", Format::Gif),
            (b"GIF87a", Format::Gif),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Format::WebP),
        ];
        for (bytes, format) in cases {
            assert_eq!(detect(bytes), Ok(format));
        }
        // RIFF alone is a WAV or an AVI.
        assert!(detect(b"RIFF\x10\0\0\0WAVEfmt ").is_err());
    }

    #[test]
    fn svg_is_refused_however_it_starts() {
        let svgs: [&[u8]; 6] = [
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"\xEF\xBB\xBF<svg/onload=alert(1)>",
            b"  \n\t<SVG width=\"10\"></SVG>",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- drawn -->\n<svg></svg>",
            b"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\"><svg/>",
            b"\xFF\xFE<\0s\0v\0g\0>\0<\0/\0s\0v\0g\0>\0",
        ];
        for svg in svgs {
            assert_eq!(detect(svg), Err(Refusal::Svg), "{svg:?}");
        }
    }

    #[test]
    fn other_files_say_what_they_look_like() {
        assert_eq!(looks_like(b"<!DOCTYPE html><html><body>hi"), Some("HTML"));
        assert_eq!(looks_like(b"\xEF\xBB\xBF \n<html lang=en>"), Some("HTML"));
        assert_eq!(
            looks_like(b"<p>hello</p><script>x()</script>"),
            Some("HTML")
        );
        assert_eq!(
            looks_like(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj"),
            Some("a PDF document")
        );
        assert_eq!(
            looks_like(b"<?xml version=\"1.0\"?><feed/>"),
            Some("an XML document")
        );
        assert_eq!(looks_like(b"just some notes\n"), Some("text"));
        assert_eq!(
            looks_like(b"PK\x03\x04\x14\0"),
            Some("a ZIP archive or an Office document")
        );
        assert_eq!(looks_like(&[0, 1, 2, 3, 250, 251]), None);
        assert_eq!(detect(b""), Err(Refusal::Empty));
    }

    #[test]
    fn other_image_formats_are_named() {
        let cases: [(&[u8], &str); 5] = [
            (b"\0\0\0\x18ftypheic\0\0\0\0", "HEIC"),
            (b"\0\0\0\x1cftypavif\0\0\0\0", "AVIF"),
            (b"II*\0\x08\0\0\0", "TIFF"),
            (b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", "BMP"),
            (b"\xFF\x0A\xFA\x7F", "JPEG XL"),
        ];
        for (bytes, name) in cases {
            assert_eq!(detect(bytes), Err(Refusal::Unsupported { format: name }));
        }
    }

    #[test]
    fn mime_and_extension_go_together() {
        for format in [Format::Jpeg, Format::Png, Format::WebP, Format::Gif] {
            assert_eq!(Format::from_mime(format.mime()), Some(format));
            assert!(format.mime().ends_with(format.extension()) || format == Format::Jpeg);
        }
        assert_eq!(Format::Jpeg.extension(), "jpg");
        assert_eq!(Format::from_mime("image/svg+xml"), None);
    }
}
