//! Compressed copies of the page cache's bodies: a page is compressed once per encoding when a
//! client first asks for it that way, and every later request that accepts the same encoding is
//! sent the stored copy. (The response compression middleware would otherwise compress the same
//! page again for every visitor, which costs many times what serving the page does.) The copies
//! count against the page cache's byte limit: each set of copies adds what it holds to a counter
//! the cache shares, and takes it off again when it is dropped.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use actix_web::HttpRequest;
use actix_web::http::header::{ACCEPT_ENCODING, HeaderMap};
use actix_web::http::header::{ContentEncoding, Encoding, Header};
use actix_web::web::Bytes;

/// Bodies smaller than this are sent as they are (compression would save next to nothing).
const MIN_BYTES: usize = 1024;
/// Brotli quality: slower to make than the per-request default, but a copy is made once per page
/// and sent many times.
const BROTLI_QUALITY: u32 = 6;
/// The largest brotli window (4 MiB); a page gets the smallest window that holds it, since the
/// encoder's memory grows with the window.
const BROTLI_MAX_WINDOW: u32 = 22;
const BROTLI_MIN_WINDOW: u32 = 16;
const GZIP_LEVEL: u32 = 6;

/// The encodings offered, in the order preferred when the client likes them equally.
const OFFERED: [Encoding; 3] = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];

/// The compressed copies of one body, each made on first use.
#[derive(Default)]
pub struct Copies {
    brotli: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
    /// Bytes of the copies alive, shared with every other set of copies of the same cache.
    held: Arc<AtomicUsize>,
}

/// Which stored copy suits a request: `Brotli`, `Gzip`, or `None` for the body as it is (also
/// when the client prefers an encoding only the compression middleware offers).
pub fn choose(req: &HttpRequest, body: &Bytes, headers: &HeaderMap) -> Option<ContentEncoding> {
    if body.len() < MIN_BYTES
        || !req.headers().contains_key(ACCEPT_ENCODING)
        || !compressible(headers)
    {
        return None;
    }
    let accepted = actix_web::http::header::AcceptEncoding::parse(req).ok()?;
    match accepted.negotiate(OFFERED.iter())? {
        Encoding::Known(ContentEncoding::Brotli) => Some(ContentEncoding::Brotli),
        Encoding::Known(ContentEncoding::Gzip) => Some(ContentEncoding::Gzip),
        _ => None,
    }
}

impl Copies {
    /// No copies yet; those made are counted in `held` while they live.
    pub fn counted(held: Arc<AtomicUsize>) -> Copies {
        Copies {
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
            held,
        }
    }

    /// The body in `encoding` (`Brotli` or `Gzip`), made now if this is the first request for it.
    pub fn get(&self, encoding: ContentEncoding, body: &Bytes) -> Bytes {
        let make = |compress: fn(&[u8]) -> Bytes| {
            let copy = compress(body);
            self.held.fetch_add(copy.len(), Ordering::Relaxed);
            copy
        };
        match encoding {
            ContentEncoding::Brotli => self.brotli.get_or_init(|| make(brotli)).clone(),
            ContentEncoding::Gzip => self.gzip.get_or_init(|| make(gzip)).clone(),
            _ => body.clone(),
        }
    }

    /// Bytes of the copies made so far.
    pub fn bytes(&self) -> usize {
        [&self.brotli, &self.gzip]
            .iter()
            .filter_map(|copy| copy.get())
            .map(Bytes::len)
            .sum()
    }
}

impl Drop for Copies {
    fn drop(&mut self) {
        self.held.fetch_sub(self.bytes(), Ordering::Relaxed);
    }
}

fn compressible(headers: &HeaderMap) -> bool {
    let content_type = headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    content_type.starts_with("text/")
        || content_type.contains("xml")
        || content_type.contains("json")
        || content_type.contains("javascript")
}

fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(
            &mut out,
            4096,
            BROTLI_QUALITY,
            brotli_window(body.len()),
        );
        writer
            .write_all(body)
            .expect("compressing into memory cannot fail");
    }
    Bytes::from(out)
}

/// The base-2 logarithm of the smallest window that holds `len` bytes, within brotli's bounds.
fn brotli_window(len: usize) -> u32 {
    let needed = usize::BITS - len.saturating_sub(1).leading_zeros();
    needed.clamp(BROTLI_MIN_WINDOW, BROTLI_MAX_WINDOW)
}

fn gzip(body: &[u8]) -> Bytes {
    let mut writer = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(GZIP_LEVEL),
    );
    writer
        .write_all(body)
        .expect("compressing into memory cannot fail");
    Bytes::from(
        writer
            .finish()
            .expect("compressing into memory cannot fail"),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
    use actix_web::test::TestRequest;

    use super::*;

    fn html_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers
    }

    fn page() -> Bytes {
        Bytes::from("<p>A paragraph of a post.</p>\n".repeat(100))
    }

    fn chosen(accept: Option<&str>) -> Option<ContentEncoding> {
        let mut request = TestRequest::get();
        if let Some(accept) = accept {
            request = request.insert_header(("Accept-Encoding", accept));
        }
        choose(&request.to_http_request(), &page(), &html_headers())
    }

    #[test]
    fn the_client_s_preference_picks_the_copy() {
        assert_eq!(
            chosen(Some("gzip, deflate, br, zstd")),
            Some(ContentEncoding::Brotli)
        );
        assert_eq!(chosen(Some("gzip")), Some(ContentEncoding::Gzip));
        assert_eq!(chosen(Some("br;q=0.5, gzip")), Some(ContentEncoding::Gzip));
        assert_eq!(chosen(Some("identity")), None);
        assert_eq!(chosen(Some("deflate")), None);
        assert_eq!(chosen(None), None);
    }

    #[test]
    fn small_or_binary_bodies_are_sent_as_they_are() {
        let request = TestRequest::get()
            .insert_header(("Accept-Encoding", "br"))
            .to_http_request();
        assert_eq!(
            choose(&request, &Bytes::from("<p>short</p>"), &html_headers()),
            None
        );
        let mut png = HeaderMap::new();
        png.insert(CONTENT_TYPE, HeaderValue::from_static("image/png"));
        assert_eq!(choose(&request, &page(), &png), None);
    }

    #[test]
    fn the_window_fits_the_page() {
        assert_eq!(brotli_window(100), 16);
        assert_eq!(brotli_window(1 << 18), 18);
        assert_eq!(brotli_window((1 << 18) + 1), 19);
        assert_eq!(brotli_window(100 << 20), 22);
    }

    #[test]
    fn copies_decode_to_the_body_and_are_made_once() {
        let copies = Copies::default();
        let body = page();
        let br = copies.get(ContentEncoding::Brotli, &body);
        assert!(br.len() < body.len() / 4);
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        let gz = copies.get(ContentEncoding::Gzip, &body);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        let again = copies.get(ContentEncoding::Brotli, &body);
        assert_eq!(again.as_ptr(), br.as_ptr(), "the stored copy is reused");
    }

    #[test]
    fn copies_are_counted_while_they_live() {
        let held = Arc::new(AtomicUsize::new(0));
        let copies = Copies::counted(held.clone());
        let body = page();
        let br = copies.get(ContentEncoding::Brotli, &body);
        let gz = copies.get(ContentEncoding::Gzip, &body);
        copies.get(ContentEncoding::Gzip, &body);
        assert_eq!(held.load(Ordering::Relaxed), br.len() + gz.len());
        assert_eq!(copies.bytes(), br.len() + gz.len());
        drop(copies);
        assert_eq!(held.load(Ordering::Relaxed), 0);
    }
}
