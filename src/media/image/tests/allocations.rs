//! Decompression bombs are refused from their header, before a pixel buffer exists: an allocator
//! that counts what the current thread allocates (passing every call on to the system allocator)
//! shows that `inspect` allocates nothing for them.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use super::*;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

fn note(size: usize) {
    // `try_with`: a thread being torn down still allocates.
    let _ = COUNT.try_with(|count| count.set(count.get() + 1));
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call goes to the system allocator unchanged; counting touches only thread-local
// cells that need no allocation and have no destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// How many allocations `work` made on this thread, and the largest, in bytes.
fn allocations<T>(work: impl FnOnce() -> T) -> (T, usize, usize) {
    COUNT.set(0);
    LARGEST.set(0);
    let result = work();
    (result, COUNT.get(), LARGEST.get())
}

/// A PNG of nothing but its header declaring `width` × `height` (with a valid CRC), an IDAT of a
/// few bytes, and IEND.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, adaptive, not interlaced
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

/// A JPEG header (SOI, a quantization-table-less baseline frame) declaring `width` × `height`,
/// then an end marker.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[1, 1, 0x11, 0, 0xFF, 0xD9]);
    jpeg
}

/// An extended WebP header declaring `width` × `height`.
fn webp_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut webp = b"RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    webp.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    webp.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    webp
}

#[test]
fn a_small_png_declaring_ten_gigapixels_is_refused_by_inspect_without_allocating() {
    let bomb = png_declaring(100_000, 100_000);
    assert_eq!(crc32(&bomb[12..29]).to_be_bytes(), bomb[29..33]);
    assert!(bomb.len() < 100);
    let started = Instant::now();
    let (result, count, _) = allocations(|| inspect(&bomb, &Limits::DEFAULT));
    assert!(started.elapsed() < Duration::from_millis(50));
    assert_eq!(
        result,
        Err(Refusal::TooManyPixels {
            width: 100_000,
            height: 100_000,
            limit: 50_000_000
        })
    );
    assert_eq!(count, 0, "inspect allocated");
    assert_eq!(
        result.unwrap_err().to_string(),
        "the image is 100000 × 100000 pixels: at most 50 megapixels are accepted"
    );
}

#[test]
fn process_refuses_a_bomb_before_decoding_it() {
    for bomb in [
        png_declaring(100_000, 100_000),
        jpeg_declaring(65_000, 65_000),
        webp_declaring(16_384, 16_384),
    ] {
        let (result, _, largest) = allocations(|| process(&bomb, &Limits::DEFAULT));
        assert!(
            matches!(result, Err(Refusal::TooManyPixels { .. })),
            "{result:?}"
        );
        assert!(largest < 64 * 1024, "allocated {largest} bytes at once");
    }
}

#[test]
fn the_pixel_limit_is_the_configured_one() {
    let limits = Limits {
        max_pixels: 640 * 480 - 1,
        ..Limits::DEFAULT
    };
    let refused = inspect(&png_declaring(640, 480), &limits);
    assert!(matches!(refused, Err(Refusal::TooManyPixels { .. })));
    assert!(inspect(&png_declaring(640, 480), &Limits::DEFAULT).is_ok());
}

#[test]
fn a_gif_frame_larger_than_its_screen_is_refused() {
    // A 1 × 1 screen whose only frame declares 65535 × 65535.
    let mut gif = b"GIF89a\x01\0\x01\0\0\0\0".to_vec();
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0]);
    gif.extend_from_slice(&[2, 2, 0x4C, 0x01, 0, 0x3B]);
    let (result, _, largest) = allocations(|| process(&gif, &Limits::DEFAULT));
    assert!(
        matches!(result, Err(Refusal::TooManyPixels { .. })),
        "{result:?}"
    );
    assert!(largest < 64 * 1024);
}
