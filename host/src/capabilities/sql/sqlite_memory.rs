//! How much memory SQLite holds in this process, and the one limit on it:
//! past [`MEMORY_LIMIT`], over every database and connection together,
//! the page caches recycle their least recently used pages instead of
//! growing.
//!
//! Each connection may cache 2 MiB of pages (SQLite's default
//! `cache_size`), and a node opens several per file: the writer, a reader
//! per thread reading at once, the checkpoint thread's. The caches share
//! one budget, the sum of theirs, so the caches of the growing files (the
//! order shards, catalog's reservations) fill the shares of the small ones
//! too. Under a long order load SQLite's memory rose for half an hour
//! towards that sum, 17 connections × 2 MiB (BENCHMARKS.md, issue 12). One
//! limit for the process bounds it, however many connections there are.

use std::sync::Once;

/// SQLite's memory past which its page caches stop growing: a soft
/// limit (statements and connections still get what they need).
pub const MEMORY_LIMIT: i64 = 16 << 20;

/// Sets [`MEMORY_LIMIT`] for the process; the first call does, later ones
/// find it set. Initializes SQLite if nothing did yet.
pub fn limit() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        // SAFETY: takes a number; initializes SQLite if needed and sets the
        // limit under SQLite's own mutex (the bundled build is
        // `SQLITE_THREADSAFE=1`), so any thread may call it at any time.
        unsafe { rusqlite::ffi::sqlite3_soft_heap_limit64(MEMORY_LIMIT) };
    });
}

/// Bytes SQLite holds now over every database of this process: page
/// caches, prepared statements, connections (`sqlite3_memory_used`).
pub fn used() -> i64 {
    // SAFETY: takes no arguments and reads a counter SQLite keeps (under
    // its mutex once initialized, a plain static before that); any thread
    // may call it at any time.
    unsafe { rusqlite::ffi::sqlite3_memory_used() }
}
