//! Reading a column value of any engine into a [`Value`], chosen by the
//! value's type name. This is done per driver rather than through sqlx's
//! `Any` driver, which (in sqlx 0.8) reports MySQL TEXT columns as BLOB and
//! rejects TINYINT and MEDIUMINT columns.

use sqlx::mysql::MySql;
use sqlx::postgres::Postgres;
use sqlx::{Database, Decode, TypeInfo, ValueRef};

use super::{Dialect, Value};

/// Why a value could not be read.
#[derive(Debug)]
pub enum DecodeFailure {
    /// The column's type has no [`Value`] counterpart; holds the type name.
    Unsupported(String),
    /// The type is supported but this value did not decode.
    Malformed(String),
}

/// What the generic runner needs to know about one database engine.
pub trait Engine: Database {
    const DIALECT: Dialect;

    /// Reads one non-NULL value; the caller handles NULL.
    fn decode(value: Self::ValueRef<'_>) -> Result<Value, DecodeFailure>;

    /// Rows a statement affected.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// Decodes `value` as `T`, mapping the error.
fn read<'r, DB: Database, T: Decode<'r, DB>>(value: DB::ValueRef<'r>) -> Result<T, DecodeFailure> {
    T::decode(value).map_err(|e| DecodeFailure::Malformed(e.to_string()))
}

fn unsupported<DB: Database>(value: &DB::ValueRef<'_>) -> DecodeFailure {
    DecodeFailure::Unsupported(value.type_info().name().to_string())
}

impl Engine for Postgres {
    const DIALECT: Dialect = Dialect::Postgres;

    fn decode(value: Self::ValueRef<'_>) -> Result<Value, DecodeFailure> {
        let name = value.type_info().name().to_string();
        Ok(match name.as_str() {
            "BOOL" => Value::Integer(read::<Self, bool>(value)?.into()),
            "INT2" => Value::Integer(read::<Self, i16>(value)?.into()),
            "INT4" => Value::Integer(read::<Self, i32>(value)?.into()),
            "INT8" => Value::Integer(read::<Self, i64>(value)?),
            "FLOAT4" => Value::Real(read::<Self, f32>(value)?.into()),
            "FLOAT8" => Value::Real(read::<Self, f64>(value)?),
            "TEXT" | "VARCHAR" | "CHAR" | "NAME" | "UNKNOWN" | "citext" => {
                Value::Text(read::<Self, String>(value)?)
            }
            "BYTEA" => Value::Blob(read::<Self, Vec<u8>>(value)?),
            "VOID" => Value::Null,
            _ => return Err(unsupported::<Self>(&value)),
        })
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

impl Engine for MySql {
    const DIALECT: Dialect = Dialect::Mysql;

    fn decode(value: Self::ValueRef<'_>) -> Result<Value, DecodeFailure> {
        let name = value.type_info().name().to_string();
        Ok(match name.as_str() {
            "BOOLEAN" | "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
                Value::Integer(read::<Self, i64>(value)?)
            }
            "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "MEDIUMINT UNSIGNED" | "INT UNSIGNED"
            | "BIGINT UNSIGNED" => {
                let n = read::<Self, u64>(value)?;
                Value::Integer(i64::try_from(n).map_err(|_| {
                    DecodeFailure::Malformed(format!("{n} does not fit a signed 64-bit integer"))
                })?)
            }
            "FLOAT" | "DOUBLE" => Value::Real(read::<Self, f64>(value)?),
            "VARCHAR" | "CHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" => {
                Value::Text(read::<Self, String>(value)?)
            }
            "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                Value::Blob(read::<Self, Vec<u8>>(value)?)
            }
            "NULL" => Value::Null,
            _ => return Err(unsupported::<Self>(&value)),
        })
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}
