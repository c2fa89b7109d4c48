//! Issuing and verifying real tokens, hostile ones included, and the key
//! file on disk.

use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::{KEY_FILE, Secret, TokenConfig, TokenError, TokenKeys};

const NOW: u64 = 1_800_000_000;

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sluice-token-test-{}",
            hex::encode(rand::random::<[u8; 6]>())
        ));
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_secret(secret: &str) -> TokenConfig {
    TokenConfig {
        secret: Some(Secret::new(secret)),
        ..TokenConfig::default()
    }
}

fn keys(secret: &str) -> TokenKeys {
    TokenKeys::load_or_generate(&with_secret(secret), &TempDir::new().0).unwrap()
}

fn b64(value: &serde_json::Value) -> String {
    base64url(value.to_string().as_bytes())
}

/// Unpadded base64url, as JWTs use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn claims(iss: &str, exp: u64) -> serde_json::Value {
    json!({"sub": "acct-1", "role": "admin", "tenant": "t1", "iss": iss, "iat": NOW, "exp": exp})
}

#[test]
fn issued_tokens_verify() {
    let keys = keys("a-test-secret-of-reasonable-length");
    let issued = keys.issue_at("acct-1", "customer", "t1", NOW);
    assert_eq!(issued.expires_in, 3600);
    let claims = keys.verify_at(&issued.token, NOW + 10).unwrap();
    assert_eq!(claims.subject, "acct-1");
    assert_eq!(claims.role, "customer");
    assert_eq!(claims.tenant, "t1");
    assert_eq!(claims.expires_at, NOW + 3600);

    // With the real clock too.
    let issued = keys.issue("acct-2", "admin", "t2");
    assert_eq!(keys.verify(&issued.token).unwrap().subject, "acct-2");
}

#[test]
fn expired_tokens_are_expired_with_no_leeway() {
    let keys = keys("a-test-secret-of-reasonable-length");
    let token = keys.issue_at("acct-1", "customer", "t1", NOW).token;
    assert!(keys.verify_at(&token, NOW + 3599).is_ok());
    assert_eq!(keys.verify_at(&token, NOW + 3600), Err(TokenError::Expired));
    assert_eq!(
        keys.verify_at(&token, NOW + 100_000),
        Err(TokenError::Expired)
    );
    // Issued two hours ago, checked against the real clock.
    let past = keys
        .issue_at("acct-1", "customer", "t1", NOW - 7200 - 1_000_000_000)
        .token;
    assert_eq!(keys.verify(&past), Err(TokenError::Expired));
}

#[test]
fn the_hand_encoder_matches_jsonwebtoken() {
    // The hostile tokens below are built by hand; make sure they are
    // well-formed, so that they fail for the reason each test names.
    let secret = EncodingKey::from_secret(b"k");
    let body = claims("sluice", NOW + 3600);
    let real = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &body, &secret).unwrap();
    let parts: Vec<&str> = real.split('.').collect();
    assert_eq!(parts[1], b64(&body));
    let header =
        jsonwebtoken::decode_header(&format!("{}.e30.", b64(&json!({"alg": "HS512"})))).unwrap();
    assert_eq!(header.alg, Algorithm::HS512);
}

#[test]
fn alg_none_is_invalid() {
    let keys = keys("a-test-secret-of-reasonable-length");
    let header = b64(&json!({"alg": "none", "typ": "JWT"}));
    let payload = b64(&claims("sluice", NOW + 3600));
    let unsigned = format!("{header}.{payload}.");
    assert_eq!(keys.verify_at(&unsigned, NOW), Err(TokenError::Invalid));
    // Nor with a genuine signature borrowed from a real token.
    let real = keys.issue_at("acct-1", "admin", "t1", NOW).token;
    let signature = real.rsplit('.').next().unwrap();
    let borrowed = format!("{header}.{payload}.{signature}");
    assert_eq!(keys.verify_at(&borrowed, NOW), Err(TokenError::Invalid));
    let lowercase = format!("{}.{payload}.", b64(&json!({"alg": "NONE"})));
    assert_eq!(keys.verify_at(&lowercase, NOW), Err(TokenError::Invalid));
}

#[test]
fn other_algorithms_are_invalid_even_with_the_right_secret() {
    let secret = "a-test-secret-of-reasonable-length";
    let keys = keys(secret);
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &claims("sluice", NOW + 3600),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            keys.verify_at(&token, NOW),
            Err(TokenError::Invalid),
            "{alg:?}"
        );
    }
    // The same claims as HS256 do pass: only the algorithm differed.
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("sluice", NOW + 3600),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    assert!(keys.verify_at(&token, NOW).is_ok());
}

#[test]
fn bad_signatures_and_tampering_are_invalid() {
    let keys = keys("a-test-secret-of-reasonable-length");
    let other = self::keys("another-secret-entirely-different");
    let foreign = other.issue_at("acct-1", "admin", "t1", NOW).token;
    assert_eq!(keys.verify_at(&foreign, NOW), Err(TokenError::Invalid));

    // Promote ourselves to admin by swapping the payload, keeping the
    // original header and signature.
    let token = keys.issue_at("acct-1", "customer", "t1", NOW).token;
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&claims("sluice", NOW + 3600)),
        parts[2]
    );
    assert_eq!(keys.verify_at(&tampered, NOW), Err(TokenError::Invalid));
    // A flipped bit in the signature.
    let mut signature = parts[2].to_string().into_bytes();
    signature[0] = if signature[0] == b'A' { b'B' } else { b'A' };
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(signature).unwrap()
    );
    assert_eq!(keys.verify_at(&flipped, NOW), Err(TokenError::Invalid));
}

#[test]
fn wrong_issuer_and_garbage_are_invalid() {
    let secret = "a-test-secret-of-reasonable-length";
    let keys = keys(secret);
    let elsewhere = TokenKeys::load_or_generate(
        &TokenConfig {
            issuer: "elsewhere".into(),
            ..with_secret(secret)
        },
        &TempDir::new().0,
    )
    .unwrap();
    let token = elsewhere.issue_at("acct-1", "admin", "t1", NOW).token;
    assert!(elsewhere.verify_at(&token, NOW).is_ok());
    assert_eq!(keys.verify_at(&token, NOW), Err(TokenError::Invalid));

    for garbage in [
        "",
        "abc",
        "a.b.c",
        "a.b",
        "...",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "\u{0}",
    ] {
        assert_eq!(
            keys.verify_at(garbage, NOW),
            Err(TokenError::Invalid),
            "{garbage:?}"
        );
    }
    // Well signed but missing the role and tenant claims.
    let bare = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "x", "iss": "sluice", "exp": NOW + 10}),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    assert_eq!(keys.verify_at(&bare, NOW), Err(TokenError::Invalid));
}

#[test]
fn generated_key_is_written_once_privately_and_reused() {
    let dir = TempDir::new();
    let data_dir = dir.0.join("nested").join("data");
    let config = TokenConfig::default();
    let first = TokenKeys::load_or_generate(&config, &data_dir).unwrap();
    let path = data_dir.join(KEY_FILE);
    let contents = std::fs::read_to_string(&path).unwrap();
    assert_eq!(contents.len(), 64);
    assert!(contents.bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // A later start reuses the key: tokens survive a restart.
    let second = TokenKeys::load_or_generate(&config, &data_dir).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
    let token = first.issue_at("acct-1", "customer", "t1", NOW).token;
    assert!(second.verify_at(&token, NOW).is_ok());

    // Another data folder has another key.
    let elsewhere = TempDir::new();
    let third = TokenKeys::load_or_generate(&config, &elsewhere.0).unwrap();
    assert_eq!(third.verify_at(&token, NOW), Err(TokenError::Invalid));

    // A key file others can read is refused, not used.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = TokenKeys::load_or_generate(&config, &data_dir).unwrap_err();
        assert!(refused.to_string().contains("chmod 600"), "{refused:#}");
    }

    // A configured secret writes no file.
    let configured = TempDir::new();
    TokenKeys::load_or_generate(&with_secret("s3cret-s3cret-s3cret"), &configured.0).unwrap();
    assert!(!configured.0.join(KEY_FILE).exists());

    // Nor does Debug show the key.
    for printed in [
        format!("{first:?}"),
        format!("{:?}", with_secret("s3cret-s3cret-s3cret")),
    ] {
        assert!(
            !printed.contains(&contents) && !printed.contains("s3cret"),
            "{printed}"
        );
        assert!(printed.contains("[redacted]"), "{printed}");
    }
}

#[test]
fn racing_starts_agree_on_one_key() {
    let dir = TempDir::new();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let data_dir = dir.0.clone();
            std::thread::spawn(move || {
                TokenKeys::load_or_generate(&TokenConfig::default(), &data_dir).unwrap()
            })
        })
        .collect();
    let keys: Vec<TokenKeys> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let token = keys[0].issue_at("acct-1", "customer", "t1", NOW).token;
    for k in &keys {
        assert!(k.verify_at(&token, NOW).is_ok());
    }
}

#[test]
fn bad_key_files_and_secrets_are_refused() {
    let dir = TempDir::new();
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join(KEY_FILE), "not hex").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(dir.0.join(KEY_FILE), private).unwrap();
    }
    let err = TokenKeys::load_or_generate(&TokenConfig::default(), &dir.0).unwrap_err();
    assert!(format!("{err:#}").contains("hex"), "{err:#}");
    std::fs::write(dir.0.join(KEY_FILE), "abcd").unwrap();
    assert!(TokenKeys::load_or_generate(&TokenConfig::default(), &dir.0).is_err());
    assert!(TokenKeys::load_or_generate(&with_secret(""), &dir.0).is_err());
}

#[test]
fn a_verified_token_is_kept_by_every_clone_and_still_expires() {
    let keys = keys("a-test-secret-of-reasonable-length");
    let clone = keys.clone();
    let token = keys.issue_at("acct-1", "customer", "t1", NOW).token;
    assert_eq!(keys.verified_kept(), 0);
    let first = keys.verify_at(&token, NOW + 1).unwrap();
    assert_eq!(clone.verified_kept(), 1, "clones share the memo");
    assert_eq!(clone.verify_at(&token, NOW + 2), Ok(first));
    // Kept, and still expired from its `exp` second on.
    assert_eq!(
        clone.verify_at(&token, NOW + 3600),
        Err(TokenError::Expired)
    );
    assert_eq!(keys.verified_kept(), 1);

    // What does not verify is never kept.
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(keys.verify_at(&tampered, NOW + 1), Err(TokenError::Invalid));
    assert_eq!(keys.verify_at("garbage", NOW + 1), Err(TokenError::Invalid));
    assert_eq!(keys.verified_kept(), 1);

    // Node keys (another issuer) keep their own: the user's token kept
    // above is still no node token.
    let nodes = keys.for_nodes();
    assert_eq!(nodes.verify_at(&token, NOW + 1), Err(TokenError::Invalid));
    assert_eq!(nodes.verified_kept(), 0);
}

#[test]
fn the_memo_of_verified_tokens_is_bounded() {
    let keys = keys("a-test-secret-of-reasonable-length");
    let capacity = super::VERIFIED_TOKENS_KEPT;
    for n in 0..capacity * 3 {
        let token = keys
            .issue_at(&format!("acct-{n}"), "customer", "t1", NOW)
            .token;
        assert!(keys.verify_at(&token, NOW + 1).is_ok());
    }
    let kept = keys.verified_kept();
    assert!(kept > 0 && kept <= capacity, "{kept} kept");
}
