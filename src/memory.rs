//! How the process's memory allocator is set up: large blocks go back to the system when freed.
//!
//! glibc's allocator serves a block of at least its mmap threshold with a mapping of its own and
//! unmaps it when freed, but it raises that threshold to the size of each such block freed (up to
//! 32 MiB). After the first password check — Argon2 fills a 19 MiB block — every later one is
//! carved from the allocator's heaps instead, and each heap a thread touched keeps that memory
//! after it is freed: a server's resident memory steps up by about 19 MiB whenever sign-ins run
//! on a thread they had not run on, as after a database restart (the soak in `bench/soak` showed
//! it). A fixed threshold keeps every block of [`MMAP_THRESHOLD`] or more a mapping of its own,
//! returned to the system as soon as it is freed.

/// Blocks of this size or more are mapped and unmapped on their own (password checks, decoded
/// images, uploads); pages and rows are far smaller and stay in the heaps.
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
