//! Uploaded images: what is accepted (JPEG, PNG, WebP and GIF, told by their content alone), what
//! is refused and why, and the files made from an accepted one to be stored and served — always
//! re-encoded from its pixels, upright, with none of its metadata, at the full size and at the
//! responsive widths. No database, no web: the callers store and serve what comes out.
//!
//! [`inspect`] reads only headers and structure, in bounded memory, so that a refusal costs
//! nothing; [`process`] decodes and encodes (CPU-bound, blocking); [`process_bounded`] runs it on
//! tokio's blocking pool, a few at a time, so that memory stays bounded however many uploads
//! arrive together.

mod bounded;
mod colour;
mod decode;
mod encode;
mod format;
mod header;
mod limits;
mod refusal;
mod resize;
mod variants;

#[cfg(test)]
mod tests;

pub use bounded::process_bounded;
pub use format::Format;
pub use limits::Limits;
pub use refusal::Refusal;
pub use variants::WIDTHS;

/// What [`inspect`] learnt of an upload from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub format: Format,
    /// The size as stored, before the EXIF orientation turns it.
    pub width: u32,
    pub height: u32,
}

/// What a file made from an upload is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The whole image at its own size, re-encoded (never the uploaded bytes themselves).
    FullSize,
    /// A copy scaled down to one of the [`WIDTHS`].
    Resized,
}

impl Role {
    /// A name to store.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FullSize => "full",
            Role::Resized => "resized",
        }
    }
}

/// One file made from the upload, to be stored and served.
#[derive(Clone, PartialEq, Eq)]
pub struct Variant {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub role: Role,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .field("role", &self.role)
            .finish()
    }
}

/// What [`process`] made of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// The upload's format, as detected.
    pub format: Format,
    /// The size once the EXIF orientation is applied.
    pub width: u32,
    pub height: u32,
    /// Widest first; at each width the upload's format (PNG for a resized GIF) before WebP. The
    /// first is the full-size copy in the upload's format.
    pub variants: Vec<Variant>,
}

/// Cheap check from the header, before any decoding, in bounded memory (nothing is allocated to
/// read an accepted format, a few kilobytes at most to word a refusal): the size in bytes, the
/// format, the pixel size, and that the file is whole.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, Refusal> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(Refusal::TooLarge {
            bytes: size,
            limit: limits.max_bytes,
        });
    }
    let format = format::detect(bytes)?;
    let (width, height) = header::dimensions(format, bytes)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Refusal::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    header::check_whole(format, bytes, limits)?;
    Ok(Inspected {
        format,
        width,
        height,
    })
}

/// Decodes (the first frame of a GIF), converts to sRGB from an embedded ICC profile, applies the
/// EXIF orientation, and re-encodes: the full-size
/// copy in the upload's format and, at each of the [`WIDTHS`] narrower than the image, a copy in
/// the upload's format (PNG for a GIF) and one as lossy WebP; a full-size WebP too when the image
/// is no wider than the widest of the [`WIDTHS`]. No metadata survives. A file no lighter than a
/// wider-or-as-wide one that can be served instead is dropped. Blocking and CPU-bound.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, Refusal> {
    let inspected = inspect(bytes, limits)?;
    let pixels = decode::decode(bytes, &inspected, limits)?;
    let (width, height) = (pixels.width, pixels.height);
    Ok(Processed {
        format: inspected.format,
        width,
        height,
        variants: variants::make(pixels, inspected.format)?,
    })
}
