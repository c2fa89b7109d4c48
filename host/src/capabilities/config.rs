//! `config`: a service's own settings (`[services.NAME.settings]`), read-only
//! to the component. Secrets never go here; they stay in the host.

use crate::bindings::config;
use crate::state::ComponentState;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::{HasData, Linker};

/// The settings of one service.
#[derive(Clone, Default)]
pub struct ConfigState {
    pub settings: Arc<BTreeMap<String, String>>,
}

/// Marker: the settings live in `ServiceCapabilities::config`.
pub struct ConfigCapability;

impl HasData for ConfigCapability {
    type Data<'a> = &'a ConfigState;
}

impl config::Host for &ConfigState {
    fn get(&mut self, key: String) -> Option<String> {
        self.settings.get(&key).cloned()
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    config::add_to_linker::<_, ConfigCapability>(linker, |s| &s.caps.config)
}
