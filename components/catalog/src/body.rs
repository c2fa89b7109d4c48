//! Request bodies: the shared limited reader (`sluice_kit::body`); a body
//! over the limit becomes this service's 413 through `From<TooLarge>`.

pub use sluice_kit::body::{BodySource, Chunks, MAX_BODY_BYTES, TooLarge, read_limited};
