//! Random identifiers: lowercase hex of random bytes (wasi:random on
//! wasm32-wasip2, the OS natively).

/// The system had no randomness to give.
pub use getrandom::Error as RandomError;

/// `bytes` random bytes as `2 * bytes` lowercase hex characters.
pub fn random_hex(bytes: usize) -> Result<String, RandomError> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw)?;
    Ok(to_hex(&raw))
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` is exactly `len` lowercase hex characters.
pub fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_hex_of_the_asked_length_and_differ() {
        let (a, b) = (random_hex(16).unwrap(), random_hex(16).unwrap());
        assert!(is_lower_hex(&a, 32), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn hex_checks() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert!(is_lower_hex("00af", 4));
        assert!(!is_lower_hex("00AF", 4));
        assert!(!is_lower_hex("00a", 4));
        assert!(!is_lower_hex("00ag", 4));
    }
}
