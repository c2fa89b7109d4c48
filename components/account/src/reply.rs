//! Replies: the kit's plain HTTP response (status, headers, JSON body).

pub use sluice_kit::reply::{JSON, Reply};
