//! The components built into this binary (by `build.rs`): each service's,
//! the `hello` components and the example rules, as bytes.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The built-in component of `service`, if this build has one.
pub fn component(service: &str) -> Option<&'static [u8]> {
    ALL.iter()
        .find(|(name, _)| *name == service)
        .map(|(_, bytes)| *bytes)
}

#[cfg(test)]
mod tests {
    use super::ALL;

    /// A dependency that calls WASI preview 1 (getrandom 0.2 did) makes the
    /// component linker add the preview-1 adapter: a fourth core module
    /// instantiated with every request's instance, 1.2 to 1.6 µs of the
    /// 11 µs an instance and its drop cost (BENCHMARKS.md, "The preview-1
    /// adapter").
    #[test]
    fn no_service_carries_the_wasi_preview_1_adapter() {
        let adapter = "wasi_snapshot_preview1";
        for (service, bytes) in ALL {
            assert!(
                !bytes
                    .windows(adapter.len())
                    .any(|w| w == adapter.as_bytes()),
                "{service}'s component imports {adapter}: a dependency calls WASI preview 1"
            );
        }
    }
}
