//! The input rules of register (and of the host's admin provisioning):
//! email normalisation and shape, password length, tenant names.

use crate::errors::ApiError;

/// Longest accepted email, in characters, after trimming.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in characters (bounds the hashing work).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest accepted tenant name.
pub const MAX_TENANT_CHARS: usize = 64;
/// The tenant of an account registered without one.
pub const DEFAULT_TENANT: &str = "default";

/// The canonical form of an email: trimmed and lowercased. Uniqueness,
/// lookups and rate-limit keys all use this form.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Normalises `raw` and checks that it is a plausible address: at most
/// [`MAX_EMAIL_CHARS`], exactly one `@`, a non-empty local part, a domain of
/// at least two non-empty dot-separated labels, and no whitespace or control
/// characters.
pub fn email(raw: &str) -> Result<String, ApiError> {
    let email = normalize_email(raw);
    if email.is_empty() {
        return Err(ApiError::InvalidEmail("email is required"));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(ApiError::InvalidEmail(
            "email must be at most 254 characters",
        ));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::InvalidEmail("email must not contain spaces"));
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::InvalidEmail("email must contain exactly one @"));
    };
    if local.is_empty() {
        return Err(ApiError::InvalidEmail("email needs a name before the @"));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(ApiError::InvalidEmail(
            "email needs a domain like example.com after the @",
        ));
    }
    Ok(email)
}

/// Checks the password length: [`MIN_PASSWORD_CHARS`]..=[`MAX_PASSWORD_CHARS`]
/// characters (Unicode scalar values, not bytes).
pub fn password(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(ApiError::InvalidPassword(
            "password must be at least 8 characters",
        ))
    } else if chars > MAX_PASSWORD_CHARS {
        Err(ApiError::InvalidPassword(
            "password must be at most 1024 characters",
        ))
    } else {
        Ok(())
    }
}

/// The tenant, [`DEFAULT_TENANT`] when absent: 1..=64 of `[a-z0-9_-]`.
pub fn tenant(tenant: Option<&str>) -> Result<String, ApiError> {
    let Some(tenant) = tenant else {
        return Ok(DEFAULT_TENANT.to_string());
    };
    if tenant.is_empty() || tenant.len() > MAX_TENANT_CHARS {
        return Err(ApiError::InvalidTenant("tenant must be 1 to 64 characters"));
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
    if !tenant.bytes().all(allowed) {
        return Err(ApiError::InvalidTenant(
            "tenant may contain only a-z, 0-9, _ and -",
        ));
    }
    Ok(tenant.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<impl std::fmt::Debug, ApiError>) -> &'static str {
        r.expect_err("expected an error").code()
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            email("  Alice@Example.COM \n").unwrap(),
            "alice@example.com"
        );
        assert_eq!(normalize_email(" BoB@X.Io"), "bob@x.io");
    }

    #[test]
    fn email_length_limit_is_254_characters() {
        let domain = "@example.com"; // 12 characters
        let ok = format!("{}{domain}", "a".repeat(254 - 12));
        assert_eq!(ok.len(), 254);
        assert_eq!(email(&ok).unwrap(), ok);
        let long = format!("{}{domain}", "a".repeat(255 - 12));
        assert_eq!(code(email(&long)), "invalid_email");
        // Surrounding whitespace does not count against the limit.
        assert!(email(&format!("  {ok}  ")).is_ok());
    }

    #[test]
    fn implausible_emails_are_rejected() {
        for bad in [
            "",
            "   ",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "alice@@example.com",
            "a@b@example.com",
            "alice smith@example.com",
            "alice@exa mple.com",
            "alice@.com",
            "alice@example.",
            "alice@example..com",
            "alice\t@example.com",
        ] {
            assert_eq!(code(email(bad)), "invalid_email", "{bad:?}");
        }
    }

    #[test]
    fn plausible_emails_are_accepted() {
        for good in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "x_y-z@ex-ample.io",
        ] {
            assert!(email(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn password_needs_8_to_1024_characters() {
        assert_eq!(code(password("1234567")), "invalid_password");
        assert!(password("12345678").is_ok());
        assert!(password(&"x".repeat(1024)).is_ok());
        assert_eq!(code(password(&"x".repeat(1025))), "invalid_password");
        assert_eq!(code(password("")), "invalid_password");
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        // 8 characters, 16 bytes.
        assert!(password("éééééééé").is_ok());
        // 7 characters, 14 bytes.
        assert_eq!(code(password("ééééééé")), "invalid_password");
    }

    #[test]
    fn tenant_defaults_and_rules() {
        assert_eq!(tenant(None).unwrap(), "default");
        assert_eq!(tenant(Some("acme_co-2")).unwrap(), "acme_co-2");
        assert_eq!(tenant(Some(&"t".repeat(64))).unwrap().len(), 64);
        for bad in [
            "",
            "Acme",
            "acme corp",
            "acme.co",
            "ümlaut",
            "a/b",
            &"t".repeat(65),
        ] {
            assert_eq!(code(tenant(Some(bad))), "invalid_tenant", "{bad:?}");
        }
    }
}
