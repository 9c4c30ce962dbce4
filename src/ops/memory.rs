//! The process's allocator settings. With glibc, a freed block larger than the mmap threshold
//! raises that threshold to its own size (the "dynamic mmap threshold"), so after the first
//! argon2id hash (a 19 MiB block) every later one is carved from a malloc arena instead of
//! mmap, and freed into the arena instead of to the kernel. Hashes run on the blocking pool's
//! many threads, each with its own arena: a server that had signed in a few users kept about
//! 300 MB resident for nothing (issue 7, fan-out row). A fixed threshold keeps large blocks
//! (argon2 buffers, 256 KiB envelopes) on mmap, returned to the kernel when freed.

/// Bytes from which an allocation is served by its own mapping: above the envelopes (256 KiB,
/// reused in the arenas as before), below argon2id's 19 MiB (mapped and returned when freed).
pub const MMAP_THRESHOLD: i32 = 4 * 1024 * 1024;

/// Fixes glibc's mmap threshold; a no-op on other C libraries. Call once at start, before
/// threads allocate.
#[allow(unsafe_code)]
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before the runtime
    // starts other threads and with a documented parameter and value.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
