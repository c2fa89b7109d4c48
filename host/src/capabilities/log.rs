//! `log`: structured records from components into the host's tracing,
//! tagged with the service. Long messages are cut so a component cannot
//! flood the host's logs with one call.

use crate::bindings::log::{self, Level};
use crate::state::ComponentState;
use wasmtime::component::{HasData, Linker};

/// Longest message kept, in bytes; the rest is cut.
const MAX_MESSAGE: usize = 4096;

/// Which service a record comes from.
#[derive(Clone)]
pub struct LogState {
    pub service: String,
}

/// Marker: the log state lives in `ServiceCapabilities::log`.
pub struct LogCapability;

impl HasData for LogCapability {
    type Data<'a> = &'a LogState;
}

impl log::Host for &LogState {
    fn log(&mut self, level: Level, message: String, fields: Vec<(String, String)>) {
        let message = truncate(&message, MAX_MESSAGE);
        let fields = fields
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(" ");
        let service = self.service.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "component", service, fields, "{message}"),
            Level::Debug => tracing::debug!(target: "component", service, fields, "{message}"),
            Level::Info => tracing::info!(target: "component", service, fields, "{message}"),
            Level::Warn => tracing::warn!(target: "component", service, fields, "{message}"),
            Level::Error => tracing::error!(target: "component", service, fields, "{message}"),
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    log::add_to_linker::<_, LogCapability>(linker, |s| &s.caps.log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
