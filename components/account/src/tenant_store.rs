//! The `tenants` table: SQL text and row mapping, over the [`Sql`] port.
//! Tenants are created by a platform admin and never deleted; `default`
//! (every self-registered account's) exists from the migration on.

use crate::ports::{Sql, SqlError, Value};
use crate::store::{Row, StoreError};

/// One row of `tenants`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// 1..=64 of `[a-z0-9_-]`.
    pub id: String,
    /// Trimmed, 1..=200 characters.
    pub name: String,
    /// Milliseconds since the Unix epoch (0 for tenants that predate the
    /// table).
    pub created_at: i64,
}

/// Inserts a tenant; a taken id is a constraint violation.
pub const INSERT: &str = "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)";
/// The tenant with an id.
pub const BY_ID: &str = "SELECT id, name, created_at FROM tenants WHERE id = ?";
/// Every tenant, by id.
pub const ALL: &str = "SELECT id, name, created_at FROM tenants ORDER BY id";

/// Inserts `tenant`. A taken id is `SqlError::ConstraintViolation`.
pub async fn insert(db: &impl Sql, tenant: &Tenant) -> Result<(), SqlError> {
    let params = vec![
        Value::Text(tenant.id.clone()),
        Value::Text(tenant.name.clone()),
        Value::Integer(tenant.created_at),
    ];
    db.execute(INSERT, params).await.map(|_| ())
}

/// The tenant with `id`, if any.
pub async fn find(db: &impl Sql, id: &str) -> Result<Option<Tenant>, StoreError> {
    let rows = db.query(BY_ID, vec![Value::Text(id.to_string())]).await?;
    rows.rows
        .first()
        .map(|values| tenant(&rows.columns, values))
        .transpose()
}

/// Every tenant, ordered by id.
pub async fn all(db: &impl Sql) -> Result<Vec<Tenant>, StoreError> {
    let rows = db.query(ALL, Vec::new()).await?;
    rows.rows
        .iter()
        .map(|values| tenant(&rows.columns, values))
        .collect()
}

/// Maps one row to a tenant by column name.
pub fn tenant(columns: &[String], values: &[Value]) -> Result<Tenant, StoreError> {
    let row = Row { columns, values };
    Ok(Tenant {
        id: row.text("id")?,
        name: row.text("name")?,
        created_at: row.integer("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_row_by_column_name() {
        let columns: Vec<String> = ["NAME", "id", "created_at"].map(String::from).into();
        let values = [
            Value::Text("Acme".into()),
            Value::Text("acme".into()),
            Value::Text("7".into()),
        ];
        let t = tenant(&columns, &values).unwrap();
        assert_eq!(
            t,
            Tenant {
                id: "acme".into(),
                name: "Acme".into(),
                created_at: 7
            }
        );
        assert!(tenant(&columns[..2], &values[..2]).is_err());
    }

    #[test]
    fn statements_use_placeholders_only() {
        assert_eq!(INSERT.matches('?').count(), 3);
        assert_eq!(BY_ID.matches('?').count(), 1);
        assert!(!ALL.contains('?'));
    }
}
