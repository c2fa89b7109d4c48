//! Failures on our side and in the services an order calls: the kit's,
//! logged in full through the host and reported to the client only as
//! `unavailable` (503, retry) or `internal` (500), never with SQL text.

pub use sluice_kit::failure::{internal, sql, store, unavailable};
