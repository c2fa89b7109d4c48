//! Failures on our side: the kit's, logged in full through the host and
//! reported to the client only as `unavailable` or `internal` (no SQL text,
//! no hashes).

pub use sluice_kit::failure::{internal, sql, store};
