//! Building a new account row: a random id (128 bits as 32 lowercase hex
//! characters), the password's hash and the host clock's timestamp.

use crate::password;
use crate::ports::Host;
use crate::store::Account;
use sluice_kit::ids::random_hex;

/// The role of accounts that register themselves.
pub const CUSTOMER: &str = "customer";
/// The role of an admin of its own tenant only, given by a platform admin
/// or another admin of that tenant.
pub const TENANT_ADMIN: &str = "tenant-admin";
/// The role of the operator's accounts: an admin of the platform.
pub const ADMIN: &str = "admin";

/// A new, not yet stored account from already validated input. Fails only
/// if there is no randomness or hashing fails (the error says which).
pub fn build(
    host: &impl Host,
    email: String,
    plain_password: &str,
    role: &str,
    tenant: String,
) -> Result<Account, String> {
    let id = random_hex(16).map_err(|e| format!("no randomness for an id: {e}"))?;
    let password_hash = password::hash(plain_password).map_err(|e| format!("hashing: {e}"))?;
    Ok(Account {
        id,
        email,
        password_hash,
        role: role.to_string(),
        tenant,
        created_at: i64::try_from(host.now_ms()).unwrap_or(i64::MAX),
        attributes: Default::default(),
    })
}
