//! The built-in service components, built by `build.rs` and embedded in the
//! binary.

include!(concat!(env!("OUT_DIR"), "/components.rs"));

/// A service world (wit/world.wit), as a component of it names its
/// imports and exports.
#[derive(Debug)]
pub struct World {
    pub name: &'static str,
    /// What it may import from sluice (WASI is linked for everyone).
    pub imports: &'static [&'static str],
    /// What it must export.
    pub exports: &'static [&'static str],
}

/// The built-in component of `service`, if this build has one.
pub fn builtin(service: &str) -> Option<&'static [u8]> {
    ALL.iter()
        .find(|(name, _)| *name == service)
        .map(|(_, bytes)| *bytes)
}
