//! TEMPORARY stub until the real backend lands.
mod host;
pub use host::*;
pub struct Issued { pub token: String, pub expires_in: u64 }
pub struct Claims { pub subject: String, pub role: String, pub tenant: String, pub expires_at: u64 }
pub enum TokenError { Invalid, Expired }
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenConfig { pub secret: Option<String> }
pub struct TokenKeys;
impl TokenKeys {
    pub fn load_or_generate(_: &TokenConfig, _: &std::path::Path) -> anyhow::Result<Self> { todo!() }
    pub fn issue(&self, _: &str, _: &str, _: &str) -> Issued { todo!() }
    pub fn verify(&self, _: &str) -> Result<Claims, TokenError> { todo!() }
}
