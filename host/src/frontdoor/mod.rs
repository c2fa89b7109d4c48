//! A service's front doors: its HTTP listeners. [`serve`] is one door
//! (accept, a fresh instance per request, health and node calls);
//! [`FrontDoors`] runs one door per thread on the service's address, and
//! hands the gateway of the same process a way in that skips the loopback
//! TCP hop (`local.rs`).

mod local;
mod one_request;
mod per_thread;
mod serve;

pub use per_thread::{FrontDoors, default_threads};
pub use serve::{HEALTH_PATH, REQUEST_TIMEOUT, serve};
