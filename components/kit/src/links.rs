//! The plain Rust mirrors of the typed links between services (WIT `stock`
//! and `quote`) that both sides use: one definition for the service that
//! answers (catalog, pricing) and the one that calls (order).

/// One line of a reservation (`stock.line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub sku: String,
    pub qty: u32,
}

/// Why stock could not be checked, reserved, confirmed or released
/// (`stock.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockError {
    UnknownSku(String),
    Insufficient(String),
    Invalid(String),
    Conflict(String),
    Unavailable(String),
}

/// What changed a price (`quote.adjustment-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentKind {
    Promotion,
    TenantRule,
}

/// Something that changed a price (`quote.adjustment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    /// The promotion id, for a promotion.
    pub id: Option<String>,
    /// Units of the quote it priced (for a promotion: the units an order
    /// claims).
    pub units: u32,
    pub detail: String,
}

/// Units of one promotion to take (`quote.claim-line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    pub promotion_id: String,
    pub units: u32,
}
