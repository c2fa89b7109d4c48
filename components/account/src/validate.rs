//! The input rules of register (and of the host's admin provisioning):
//! email normalisation and shape, password length, tenant names; and of
//! the admin routes: tenant ids and names, roles, customer attributes.

use crate::errors::{AccountError, ApiError};
use crate::store::{self, Attributes};

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
/// Longest tenant display name, in characters, after trimming.
pub const MAX_TENANT_NAME_CHARS: usize = 200;
/// Most attributes an account has.
pub const MAX_ATTRIBUTES: usize = 16;
/// Longest attribute key, in characters.
pub const MAX_ATTRIBUTE_KEY_CHARS: usize = 32;
/// Longest attribute value, in characters.
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 64;
/// Longest stored form of a set of attributes (the column's size), in
/// characters of JSON.
pub const MAX_ATTRIBUTES_JSON_CHARS: usize = 2048;

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
    let invalid = |why| Err(ApiError::Service(AccountError::InvalidEmail(why)));
    let email = normalize_email(raw);
    if email.is_empty() {
        return invalid("email is required");
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return invalid("email must be at most 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("email must not contain spaces");
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return invalid("email must contain exactly one @");
    };
    if local.is_empty() {
        return invalid("email needs a name before the @");
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return invalid("email needs a domain like example.com after the @");
    }
    Ok(email)
}

/// Checks the password length: [`MIN_PASSWORD_CHARS`]..=[`MAX_PASSWORD_CHARS`]
/// characters (Unicode scalar values, not bytes).
pub fn password(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(ApiError::Service(AccountError::InvalidPassword(
            "password must be at least 8 characters",
        )))
    } else if chars > MAX_PASSWORD_CHARS {
        Err(ApiError::Service(AccountError::InvalidPassword(
            "password must be at most 1024 characters",
        )))
    } else {
        Ok(())
    }
}

/// How a tenant id breaks the rule: 1..=64 of `[a-z0-9_-]`, the rule the
/// quote applies too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadTenantId {
    Length,
    Characters,
}

fn check_tenant_id(id: &str) -> Result<(), BadTenantId> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
    if id.is_empty() || id.len() > MAX_TENANT_CHARS {
        Err(BadTenantId::Length)
    } else if !id.bytes().all(allowed) {
        Err(BadTenantId::Characters)
    } else {
        Ok(())
    }
}

/// The tenant, [`DEFAULT_TENANT`] when absent: 1..=64 of `[a-z0-9_-]`.
pub fn tenant(tenant: Option<&str>) -> Result<String, ApiError> {
    let Some(tenant) = tenant else {
        return Ok(DEFAULT_TENANT.to_string());
    };
    match check_tenant_id(tenant) {
        Ok(()) => Ok(tenant.to_string()),
        Err(BadTenantId::Length) => Err(ApiError::Service(AccountError::InvalidTenant(
            "tenant must be 1 to 64 characters",
        ))),
        Err(BadTenantId::Characters) => Err(ApiError::Service(AccountError::InvalidTenant(
            "tenant may contain only a-z, 0-9, _ and -",
        ))),
    }
}

/// The `id` of a new tenant: the rule of [`tenant`], as `invalid_input`.
pub fn tenant_id(id: &str) -> Result<String, ApiError> {
    let why = match check_tenant_id(id) {
        Ok(()) => return Ok(id.to_string()),
        Err(BadTenantId::Length) => "id must be 1 to 64 characters",
        Err(BadTenantId::Characters) => "id may contain only a-z, 0-9, _ and -",
    };
    Err(ApiError::Service(AccountError::InvalidInput(why.into())))
}

/// The `name` of a new tenant, trimmed: 1..=200 characters, no control
/// characters.
pub fn tenant_name(raw: &str) -> Result<String, ApiError> {
    let invalid = |why: &str| Err(ApiError::Service(AccountError::InvalidInput(why.into())));
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_TENANT_NAME_CHARS {
        return invalid("name must be 1 to 200 characters after trimming");
    }
    if name.chars().any(char::is_control) {
        return invalid("name must not contain control characters");
    }
    Ok(name.to_string())
}

/// The role a tenant route may give: `customer` or `tenant-admin`.
pub fn member_role(role: &str) -> Result<&'static str, ApiError> {
    match role {
        "customer" => Ok(crate::create::CUSTOMER),
        "tenant-admin" => Ok(crate::create::TENANT_ADMIN),
        _ => Err(ApiError::Service(AccountError::InvalidInput(
            "role must be \"customer\" or \"tenant-admin\"".into(),
        ))),
    }
}

/// A set of customer attributes from a JSON value: an object of at most
/// [`MAX_ATTRIBUTES`] keys matching `^[a-z][a-z0-9_]{0,31}$`, each with a
/// string value of 1..=64 characters and no control characters; in all at
/// most [`MAX_ATTRIBUTES_JSON_CHARS`] characters of JSON (only values full
/// of quotes and backslashes get there). Each problem is an
/// `invalid_attributes` naming it.
pub fn attributes(value: &serde_json::Value) -> Result<Attributes, ApiError> {
    let invalid = |why: String| Err(ApiError::Service(AccountError::InvalidAttributes(why)));
    let Some(object) = value.as_object() else {
        return invalid(
            "attributes must be a JSON object of string values, e.g. {\"tier\":\"gold\"}".into(),
        );
    };
    if object.len() > MAX_ATTRIBUTES {
        return invalid(format!(
            "at most {MAX_ATTRIBUTES} attributes are allowed, not {}",
            object.len()
        ));
    }
    let mut out = Attributes::new();
    for (key, value) in object {
        let shown = shown(key);
        if !is_attribute_key(key) {
            return invalid(format!(
                "attribute key {shown} must start with a-z and have at most 32 characters \
                 of a-z, 0-9 and _"
            ));
        }
        let Some(value) = value.as_str() else {
            return invalid(format!("attribute {shown} must have a string value"));
        };
        let chars = value.chars().count();
        if chars == 0 {
            return invalid(format!("attribute {shown} must not be empty"));
        }
        if chars > MAX_ATTRIBUTE_VALUE_CHARS {
            return invalid(format!(
                "attribute {shown} must be at most {MAX_ATTRIBUTE_VALUE_CHARS} characters"
            ));
        }
        if value.chars().any(char::is_control) {
            return invalid(format!(
                "attribute {shown} must not contain control characters"
            ));
        }
        out.insert(key.clone(), value.to_string());
    }
    if store::encode_attributes(&out).chars().count() > MAX_ATTRIBUTES_JSON_CHARS {
        return invalid(format!(
            "attributes must take at most {MAX_ATTRIBUTES_JSON_CHARS} characters as JSON"
        ));
    }
    Ok(out)
}

/// Whether `key` matches `^[a-z][a-z0-9_]{0,31}$`.
fn is_attribute_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && key.len() <= MAX_ATTRIBUTE_KEY_CHARS
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A key as an error message shows it: quoted and escaped, cut to 40
/// characters.
fn shown(key: &str) -> String {
    const MAX: usize = 40;
    if key.chars().count() <= MAX {
        format!("{key:?}")
    } else {
        let cut: String = key.chars().take(MAX).collect();
        format!("{cut:?}...")
    }
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
            assert_eq!(code(tenant_id(bad)), "invalid_input", "{bad:?}");
        }
        assert_eq!(tenant_id("acme_co-2").unwrap(), "acme_co-2");
        let ApiError::Service(AccountError::InvalidInput(why)) = tenant_id("A").unwrap_err() else {
            unreachable!()
        };
        assert!(why.starts_with("id "), "names the field: {why}");
    }

    #[test]
    fn tenant_names_are_trimmed_and_bounded() {
        assert_eq!(tenant_name("  Acme Corp ").unwrap(), "Acme Corp");
        assert_eq!(tenant_name(&"é".repeat(200)).unwrap().chars().count(), 200);
        for bad in ["", "   ", &"n".repeat(201), "Acme\u{0}Corp", "Acme\nCorp"] {
            let ApiError::Service(AccountError::InvalidInput(why)) = tenant_name(bad).unwrap_err()
            else {
                panic!("{bad:?}")
            };
            assert!(why.starts_with("name "), "{why}");
        }
    }

    #[test]
    fn member_roles_are_customer_or_tenant_admin() {
        assert_eq!(member_role("customer").unwrap(), "customer");
        assert_eq!(member_role("tenant-admin").unwrap(), "tenant-admin");
        for bad in ["admin", "Customer", ""] {
            assert_eq!(code(member_role(bad)), "invalid_input", "{bad:?}");
        }
    }

    #[test]
    fn attribute_keys_follow_the_pattern() {
        for good in ["a", "tier", "zone_2", &format!("k{}", "_".repeat(31))] {
            assert!(is_attribute_key(good), "{good:?}");
        }
        for bad in [
            "",
            "2fa",
            "_x",
            "Tier",
            "ti-er",
            "tiér",
            &format!("k{}", "x".repeat(32)),
        ] {
            assert!(!is_attribute_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn attributes_accept_the_limits_and_sort_by_key() {
        let json = serde_json::json!({"zone": "eu", "tier": "gold"});
        let got: Vec<_> = attributes(&json).unwrap().into_iter().collect();
        assert_eq!(
            got,
            [("tier".into(), "gold".into()), ("zone".into(), "eu".into())]
        );
        let full: serde_json::Map<_, _> = (0..16)
            .map(|i| (format!("k{i}"), "é".repeat(64).into()))
            .collect();
        assert_eq!(attributes(&full.into()).unwrap().len(), 16);
        assert!(attributes(&serde_json::json!({})).unwrap().is_empty());
    }

    #[test]
    fn attributes_reject_each_rule_with_a_message_naming_it() {
        let many: serde_json::Map<_, _> = (0..17).map(|i| (format!("k{i}"), "v".into())).collect();
        let quotes: serde_json::Map<_, _> = (0..16)
            .map(|i| (format!("k{i}"), "\"".repeat(64).into()))
            .collect();
        let cases = [
            (serde_json::json!([["tier", "gold"]]), "JSON object"),
            (serde_json::json!("tier"), "JSON object"),
            (many.into(), "at most 16"),
            (serde_json::json!({"Tier": "gold"}), "\"Tier\" must start"),
            (serde_json::json!({"tier": 1}), "string value"),
            (serde_json::json!({"tier": null}), "string value"),
            (serde_json::json!({"tier": ""}), "not be empty"),
            (serde_json::json!({"tier": "x".repeat(65)}), "at most 64"),
            (serde_json::json!({"tier": "go\tld"}), "control"),
            (quotes.into(), "2048"),
        ];
        for (json, needle) in cases {
            let Err(ApiError::Service(AccountError::InvalidAttributes(why))) = attributes(&json)
            else {
                panic!("{json} should be invalid")
            };
            assert!(why.contains(needle), "{json}: {why}");
        }
        let long_key = "k".repeat(1000);
        let Err(ApiError::Service(AccountError::InvalidAttributes(why))) =
            attributes(&serde_json::json!({ long_key: "v" }))
        else {
            unreachable!()
        };
        assert!(why.len() < 200, "long keys are cut: {why}");
    }
}
