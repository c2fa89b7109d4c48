//! The built-in service components, built by `build.rs` and embedded in the
//! binary.

include!(concat!(env!("OUT_DIR"), "/components.rs"));

/// Every service this host knows, in start-up order (callees first).
pub const SERVICES: &[&str] = &["account", "catalog", "pricing", "order"];

/// The built-in component of `service`, if this build has one.
pub fn builtin(service: &str) -> Option<&'static [u8]> {
    ALL.iter()
        .find(|(name, _)| *name == service)
        .map(|(_, bytes)| *bytes)
}
