//! Failures on our side: the kit's, logged in full through the host and
//! reported to the client only as `unavailable` or `internal`.

pub use sluice_kit::failure::{sql, store};
