//! Who is asking: bearer tokens verified through the host's `token`
//! capability (the service never sees the signing key), and which admin a
//! token makes its bearer. A token says what the account was at login, so
//! a changed role or tenant counts from the account's next login.

use crate::create;
use crate::errors::ApiError;
use crate::ports::{Claims, Host};
use sluice_kit::http::bearer;

/// What an admin may manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Role `admin`: every tenant and account.
    Platform,
    /// Role `tenant-admin`: only this tenant and its accounts.
    Tenant(String),
}

/// The admin a token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// The admin's account id, for the log.
    pub subject: String,
    pub scope: Scope,
}

impl Admin {
    /// Whether this admin may manage `tenant`.
    pub fn manages(&self, tenant: &str) -> bool {
        match &self.scope {
            Scope::Platform => true,
            Scope::Tenant(own) => own == tenant,
        }
    }

    /// Ok for a platform admin, else 403.
    pub fn require_platform(&self) -> Result<(), ApiError> {
        match self.scope {
            Scope::Platform => Ok(()),
            Scope::Tenant(_) => Err(ApiError::Forbidden),
        }
    }

    /// Ok if this admin may manage `tenant`, else 403.
    pub fn require_tenant(&self, tenant: &str) -> Result<(), ApiError> {
        if self.manages(tenant) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// The verified claims of the request's token: 401 `unauthorized` without
/// an `Authorization: Bearer` header, `invalid_token` or `token_expired`
/// for a bad one.
pub fn claims(host: &impl Host, authorization: Option<&str>) -> Result<Claims, ApiError> {
    let token = bearer(authorization).ok_or(ApiError::Unauthorized)?;
    Ok(host.verify_token(token)?)
}

/// The admin the request's token names: 401 as [`claims`], 403 `forbidden`
/// for a valid token of any other role.
pub fn admin(host: &impl Host, authorization: Option<&str>) -> Result<Admin, ApiError> {
    let claims = claims(host, authorization)?;
    let scope = match claims.role.as_str() {
        create::ADMIN => Scope::Platform,
        create::TENANT_ADMIN => Scope::Tenant(claims.tenant),
        _ => return Err(ApiError::Forbidden),
    };
    Ok(Admin {
        subject: claims.subject,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeHost;

    #[test]
    fn admins_by_role() {
        let host = FakeHost::new();
        let admin = |h: &str| admin(&host, Some(h));
        let platform = admin("Bearer tok|u1|admin|default").unwrap();
        assert_eq!(platform.scope, Scope::Platform);
        assert_eq!(platform.subject, "u1");
        assert_eq!(
            admin("Bearer tok|u2|tenant-admin|acme").unwrap().scope,
            Scope::Tenant("acme".into())
        );
        assert_eq!(
            admin("Bearer tok|u3|customer|acme"),
            Err(ApiError::Forbidden)
        );
        assert_eq!(admin("Basic x"), Err(ApiError::Unauthorized));
        assert_eq!(admin("Bearer junk"), Err(ApiError::InvalidToken));
        assert_eq!(admin("Bearer expired"), Err(ApiError::TokenExpired));
    }

    #[test]
    fn a_tenant_admin_manages_its_own_tenant_only() {
        let of = |scope| Admin {
            subject: "u1".into(),
            scope,
        };
        let acme = of(Scope::Tenant("acme".into()));
        assert!(acme.manages("acme"));
        assert!(!acme.manages("globex"));
        assert!(!acme.manages("default"));
        assert_eq!(acme.require_platform(), Err(ApiError::Forbidden));
        assert_eq!(acme.require_tenant("globex"), Err(ApiError::Forbidden));
        assert_eq!(acme.require_tenant("acme"), Ok(()));
        let platform = of(Scope::Platform);
        assert!(platform.manages("globex"));
        assert_eq!(platform.require_platform(), Ok(()));
    }
}
