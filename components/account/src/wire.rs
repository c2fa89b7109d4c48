//! The JSON bodies the service reads and writes, and request-body parsing
//! that turns every malformed input into a 400 `invalid_json`.

use crate::errors::ApiError;
use crate::store::{Account, Attributes};
use crate::tenant_store::Tenant;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sluice_kit::times::rfc3339_millis;

/// `POST /register` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(expecting = "a JSON object with \"email\", \"password\" and optional \"tenant\"")]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub tenant: Option<String>,
}

/// `POST /login` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(expecting = "a JSON object with \"email\" and \"password\"")]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /admin/tenants` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(expecting = "a JSON object with \"id\" and \"name\"")]
pub struct CreateTenantRequest {
    pub id: String,
    pub name: String,
}

/// `PUT /admin/tenants/{tenant}/members/{account}` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(expecting = "a JSON object with \"role\"")]
pub struct MemberRequest {
    pub role: String,
}

/// An account as clients see it (`register`, `me`, and as a tenant's
/// member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub role: String,
    pub tenant: String,
    /// A JSON object, keys in order.
    pub attributes: Attributes,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> AccountView {
        AccountView {
            id: a.id.clone(),
            email: a.email.clone(),
            role: a.role.clone(),
            tenant: a.tenant.clone(),
            attributes: a.attributes.clone(),
        }
    }
}

/// A tenant as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantView {
    pub id: String,
    pub name: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> TenantView {
        TenantView {
            id: t.id.clone(),
            name: t.name.clone(),
            created_at: rfc3339_millis(t.created_at),
        }
    }
}

/// A tenant with its members (`GET /admin/tenants/{tenant}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDetailView {
    #[serde(flatten)]
    pub tenant: TenantView,
    /// By email, at most `store::MAX_MEMBERS`.
    pub members: Vec<AccountView>,
}

/// An account's attributes (`PUT /admin/accounts/{account}/attributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributesView {
    pub id: String,
    pub attributes: Attributes,
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// Parses a request body as `T` (the kit's [`sluice_kit::json::parse`]):
/// any failure is [`ApiError::InvalidJson`] with serde's reason.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    sluice_kit::json::parse(body)
}

/// Parses a request body as any JSON value (the kit's
/// [`sluice_kit::json::parse_value`]); the caller checks its shape.
pub fn parse_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    sluice_kit::json::parse_value(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> ApiError {
        parse::<RegisterRequest>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn parses_register_with_and_without_tenant() {
        let r: RegisterRequest =
            parse(br#"{"email":"a@b.co","password":"x","tenant":"t1"}"#).unwrap();
        assert_eq!(r.tenant.as_deref(), Some("t1"));
        let r: RegisterRequest = parse(br#"{"email":"a@b.co","password":"x"}"#).unwrap();
        assert_eq!(r.tenant, None);
        let r: RegisterRequest =
            parse(br#"{"email":"a@b.co","password":"x","tenant":null}"#).unwrap();
        assert_eq!(r.tenant, None);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let r: LoginRequest =
            parse(br#"{"email":"a@b.co","password":"x","remember":true}"#).unwrap();
        assert_eq!(r.email, "a@b.co");
    }

    #[test]
    fn wrong_types_are_invalid_json() {
        for body in [
            r#"{"email":5,"password":"x"}"#,
            r#"{"email":"a@b.co","password":["x"]}"#,
            r#"{"email":"a@b.co","password":"x","tenant":7}"#,
        ] {
            let e = err(body);
            assert_eq!(e.code(), "invalid_json", "{body:?}");
        }
        let ApiError::InvalidJson(msg) = err(r#"{"email":5,"password":"x"}"#) else {
            unreachable!()
        };
        assert!(msg.contains("invalid type"), "{msg}");
    }

    #[test]
    fn missing_field_is_named() {
        let ApiError::InvalidJson(msg) = err(r#"{"password":"12345678"}"#) else {
            panic!("expected invalid_json")
        };
        assert!(msg.contains("missing field `email`"), "{msg}");
        let ApiError::InvalidJson(msg) =
            parse::<LoginRequest>(br#"{"email":"a@b.co"}"#).unwrap_err()
        else {
            panic!("expected invalid_json")
        };
        assert!(msg.contains("missing field `password`"), "{msg}");
    }

    #[test]
    fn tenant_views_serialize_with_the_contract_names() {
        let tenant = Tenant {
            id: "acme".into(),
            name: "Acme".into(),
            created_at: 1_700_000_000_000,
        };
        let detail = TenantDetailView {
            tenant: TenantView::from(&tenant),
            members: vec![],
        };
        assert_eq!(
            serde_json::to_value(detail).unwrap(),
            serde_json::json!({
                "id": "acme", "name": "Acme", "created_at": "2023-11-14T22:13:20.000Z",
                "members": []
            })
        );
    }

    #[test]
    fn views_serialize_with_the_contract_names() {
        let v = serde_json::to_value(TokenView {
            access_token: "t".into(),
            token_type: "Bearer".into(),
            expires_in: 900,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"access_token":"t","token_type":"Bearer","expires_in":900})
        );
    }
}
