//! How the process's memory allocators are set up.
//!
//! The binary's global allocator is mimalloc (`src/main.rs`): a page rendered for a visitor
//! allocates and frees many small blocks (rows decoded into strings, the page's buffers, header
//! maps), and with glibc's allocator `malloc`, `realloc` and `free` took about a fifth of the
//! server's CPU under uniform random posts; with mimalloc a miss costs about a fifth less CPU.
//! mimalloc gives blocks of more than 16 MiB (a password check's 19 MiB Argon2 block) a mapping of
//! their own, and hands freed memory back to the system itself after a short delay, so a server's
//! resident memory does not step up with each thread that checks a password (`bench/soak` runs
//! sign-ins on new threads after a database restart and reports the servers' memory).
//!
//! C libraries linked into the binary (libwebp, OpenSSL) still allocate from glibc. glibc serves
//! a block of at least its mmap threshold with a mapping of its own and unmaps it when freed, but
//! it raises that threshold to the size of each such block freed (up to 32 MiB), after which large
//! blocks are carved from heaps that keep the memory. A fixed threshold keeps every block of
//! [`MMAP_THRESHOLD`] or more (a decoded image's pixels in libwebp) a mapping of its own, returned
//! to the system as soon as it is freed (and the same for the test binaries, which link the library
//! without the binary's allocator).

/// Blocks of this size or more that glibc serves are mapped and unmapped on their own (decoded
/// images in C codecs); smaller ones stay in its heaps.
pub const MMAP_THRESHOLD: usize = 1024 * 1024;

/// Fixes the allocator's mmap threshold at [`MMAP_THRESHOLD`] (glibc only; elsewhere nothing).
/// Called once, first thing in `main`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only changes the allocator's settings; it is called before any other
    // thread exists.
    let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) };
    if set != 1 {
        eprintln!("warning: the allocator's mmap threshold could not be set");
    }
}

/// Fixes the allocator's mmap threshold at [`MMAP_THRESHOLD`] (glibc only; elsewhere nothing).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks_to_the_system() {}
