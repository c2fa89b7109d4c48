//! The host's start-up provisioning (`accounts.ensure-admin`): make sure an
//! admin account with this email and password exists.

use crate::ports::{Host, Level, SqlError};
use crate::{create, password, store, validate};

/// Why provisioning failed (`accounts.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// The email or password breaks the rules of register.
    Invalid(String),
    /// The database (or hashing) failed.
    Storage(String),
}

/// Creates the admin account, or makes an existing account with this email
/// an admin with this password. Idempotent: if the account is already an
/// admin with this password, nothing is written. Returns the account id.
pub async fn ensure_admin(
    host: &impl Host,
    email: &str,
    plain: &str,
) -> Result<String, AdminError> {
    let email = validate::email(email).map_err(|e| AdminError::Invalid(e.message()))?;
    validate::password(plain).map_err(|e| AdminError::Invalid(e.message()))?;

    if let Some(id) = promote_existing(host, &email, plain).await? {
        return Ok(id);
    }
    let tenant = validate::DEFAULT_TENANT.to_string();
    let account = create::build(host, email.clone(), plain, create::ADMIN, tenant)
        .map_err(AdminError::Storage)?;
    match store::insert(host, &account).await {
        Ok(()) => {
            host.log(
                Level::Info,
                "admin account created",
                &[("account", &account.id)],
            );
            Ok(account.id)
        }
        // Created concurrently since we looked: promote that one.
        Err(SqlError::ConstraintViolation(_)) => promote_existing(host, &email, plain)
            .await?
            .ok_or_else(|| AdminError::Storage("account vanished during provisioning".into())),
        Err(e) => Err(AdminError::Storage(e.to_string())),
    }
}

/// If `email` has an account, makes it an admin with password `plain` and
/// returns its id.
async fn promote_existing(
    host: &impl Host,
    email: &str,
    plain: &str,
) -> Result<Option<String>, AdminError> {
    let found = store::find_by_email(host, email)
        .await
        .map_err(|e| AdminError::Storage(e.to_string()))?;
    let Some(account) = found else {
        return Ok(None);
    };
    let same_password = password::verify(plain, &account.password_hash).unwrap_or(false);
    if account.role == create::ADMIN && same_password {
        return Ok(Some(account.id));
    }
    let hash = password::hash(plain).map_err(|e| AdminError::Storage(format!("hashing: {e}")))?;
    store::update_role_and_hash(host, email, create::ADMIN, &hash)
        .await
        .map_err(|e| AdminError::Storage(e.to_string()))?;
    host.log(
        Level::Info,
        "account made admin",
        &[("account", &account.id)],
    );
    Ok(Some(account.id))
}
