//! The components built into this binary (by `build.rs`): each service's,
//! the `hello` components and the example rules, as bytes.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The built-in component of `service`, if this build has one.
pub fn component(service: &str) -> Option<&'static [u8]> {
    ALL.iter()
        .find(|(name, _)| *name == service)
        .map(|(_, bytes)| *bytes)
}
