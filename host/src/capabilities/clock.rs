//! `clock`: the wall clock components see. Operators and tests can shift it
//! (`ClockConfig::offset_ms`, or `ClockState::set_offset` at run time) so
//! that time-windowed behaviour is tested without sleeping.

use crate::bindings::clock;
use crate::state::ComponentState;
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use wasmtime::component::{HasData, Linker};

/// `[clock]` in the host configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// Milliseconds added to the system clock.
    #[serde(default)]
    pub offset_ms: i64,
}

/// The host clock, shared by every service of a process.
#[derive(Clone, Default)]
pub struct ClockState {
    offset_ms: Arc<AtomicI64>,
}

impl ClockState {
    pub fn new(config: &ClockConfig) -> Self {
        let state = ClockState::default();
        state.set_offset(config.offset_ms);
        state
    }

    /// Shifts the clock by `offset_ms` from the system clock.
    pub fn set_offset(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// Milliseconds since the Unix epoch, shifted by the offset.
    pub fn now_ms(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        system
            .saturating_add(self.offset_ms.load(Ordering::Relaxed))
            .max(0) as u64
    }
}

/// Marker: the clock state lives in `ServiceCapabilities::clock`.
pub struct ClockCapability;

impl HasData for ClockCapability {
    type Data<'a> = &'a ClockState;
}

impl clock::Host for &ClockState {
    fn now_ms(&mut self) -> u64 {
        ClockState::now_ms(self)
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    clock::add_to_linker::<_, ClockCapability>(linker, |s| &s.caps.clock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_shifts_the_clock() {
        let clock = ClockState::new(&ClockConfig { offset_ms: 0 });
        let before = clock.now_ms();
        clock.set_offset(86_400_000);
        let after = clock.now_ms();
        assert!(after >= before + 86_400_000, "{after} vs {before}");
        assert!(after < before + 86_400_000 + 60_000);
    }
}
