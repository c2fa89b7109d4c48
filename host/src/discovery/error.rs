//! [`DiscoveryError`]: why a discovery call failed.

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The backend could not be reached (or did not answer in time).
    #[error("{backend} is unreachable: {reason}")]
    Unreachable { backend: String, reason: String },
    /// The backend answered with an error status.
    #[error("{backend} refused {what}: {status} {body}")]
    Refused {
        backend: String,
        what: String,
        status: u16,
        body: String,
    },
    /// The backend's answer could not be read.
    #[error("{backend} sent an unreadable answer: {reason}")]
    Malformed { backend: String, reason: String },
    /// The configuration cannot work.
    #[error("discovery configuration: {0}")]
    Config(String),
}
