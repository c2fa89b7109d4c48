//! What the service needs from its host: the kit's ports its world imports
//! (`sql`, `cache`, `token`, `clock`, `log`, `config`), which the kit's glue
//! implements with the real imports and its test host over SQLite.

pub use sluice_kit::ports::*;

/// Every capability the service uses.
pub trait Host: Sql + Cache + Clock + Log + Tokens + Settings {}

impl<T: Sql + Cache + Clock + Log + Tokens + Settings> Host for T {}
