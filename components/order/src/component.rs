//! The wasm-only glue: bindings for world `sluice:platform/order`, the
//! imports behind the [`ports`](crate::ports) traits, and the exports
//! (`wasi:http/handler`, `schema`, `housekeeping`) handed to the plain
//! modules.
//!
//! The world imports `wasi:clocks/monotonic-clock@0.3.0`, whose async
//! `wait-for` paces the polling of a pending idempotency key without
//! blocking the task.

wit_bindgen::generate!({
    path: "../../wit",
    world: "sluice:platform/order",
    generate_all,
});

use crate::migrations::{self, Dialect};
use crate::ports::{self, *};
use exports::sluice::platform::{housekeeping, schema};
use exports::wasi::http::handler;
use sluice::platform::{clock, config, log, quote, shards, sql, stock, token};
use sluice_kit::body::BodySource;
use sluice_kit::reply::Reply;
use wasi::clocks::monotonic_clock;
use wasi::http::types::{ErrorCode, Fields, Method, Request, Response};
use wit_bindgen::StreamReader;

struct Component;

export!(Component);

impl handler::Guest for Component {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let method = match request.get_method() {
            Method::Get => "GET".to_string(),
            Method::Post => "POST".to_string(),
            Method::Put => "PUT".to_string(),
            Method::Delete => "DELETE".to_string(),
            Method::Other(other) => other,
            // Methods no route accepts: 405 or 404 either way.
            _ => "OTHER".to_string(),
        };
        let req = crate::handler::Request {
            method,
            path: request.get_path_with_query().unwrap_or_default(),
            headers: request.get_headers().copy_all(),
            body: WasiBody::Unread(request),
        };
        respond(crate::handler::handle(&Imports, req).await)
    }
}

impl schema::Guest for Component {
    fn migrations(dialect: sql::Dialect) -> Vec<schema::Migration> {
        let dialect = match dialect {
            sql::Dialect::Sqlite => Dialect::Sqlite,
            sql::Dialect::Postgres => Dialect::Postgres,
            sql::Dialect::Mysql => Dialect::Mysql,
        };
        migrations::migrations(dialect)
            .into_iter()
            .map(|m| schema::Migration {
                version: m.version,
                name: m.name,
                statements: m.statements,
            })
            .collect()
    }
}

impl housekeeping::Guest for Component {
    async fn run() -> Result<u32, String> {
        crate::housekeeping::run(&Imports).await
    }
}

/// Sends `reply`; the body is written by a spawned task, since the host
/// reads it only after `handle` has returned the response.
fn respond(reply: Reply) -> Result<Response, ErrorCode> {
    let internal = |what: &str| ErrorCode::InternalError(Some(what.to_string()));
    let entries: Vec<(String, Vec<u8>)> = reply
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    let headers = Fields::from_list(&entries).map_err(|_| internal("invalid response header"))?;
    let (mut body_tx, body_rx) = wit_stream::new();
    let (trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
    let (response, _sent) = Response::new(headers, Some(body_rx), trailers_rx);
    response
        .set_status_code(reply.status)
        .map_err(|()| internal("invalid status code"))?;
    let body = reply.body;
    drop(wit_bindgen::spawn_local(async move {
        let _unsent = body_tx.write_all(body).await;
        drop(body_tx);
        drop(trailers_tx);
    }));
    Ok(response)
}

/// The request body, consumed only when a route asks for it.
enum WasiBody {
    Unread(Request),
    Reading(StreamReader<u8>),
    Done,
}

impl BodySource for WasiBody {
    async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if let WasiBody::Unread(_) = self {
            let WasiBody::Unread(request) = std::mem::replace(self, WasiBody::Done) else {
                unreachable!()
            };
            let (_result_tx, result_rx) = wit_future::new(|| Ok(()));
            let (stream, _trailers) = Request::consume_body(request, result_rx);
            *self = WasiBody::Reading(stream);
        }
        let WasiBody::Reading(stream) = self else {
            return None;
        };
        loop {
            let (status, chunk) = stream.read(Vec::with_capacity(16 * 1024)).await;
            match status {
                wit_bindgen::StreamResult::Complete(_) if chunk.is_empty() => continue,
                wit_bindgen::StreamResult::Complete(_) => return Some(chunk),
                wit_bindgen::StreamResult::Dropped | wit_bindgen::StreamResult::Cancelled => {
                    *self = WasiBody::Done;
                    return (!chunk.is_empty()).then_some(chunk);
                }
            }
        }
    }
}

/// The component's imports, as the service's ports.
struct Imports;

impl ports::Shards for Imports {
    fn shard_count(&self) -> u32 {
        shards::count()
    }

    async fn query(&self, shard: u32, text: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        let rows = shards::query(shard, text.to_string(), params)
            .await
            .map_err(from_sql_error)?;
        Ok(Rows {
            columns: rows.columns,
            rows: rows
                .rows
                .into_iter()
                .map(|row| row.into_iter().map(from_sql).collect())
                .collect(),
        })
    }

    async fn execute(&self, shard: u32, text: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        shards::execute(shard, text.to_string(), params)
            .await
            .map_err(from_sql_error)
    }

    async fn batch(&self, shard: u32, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let statements = statements
            .into_iter()
            .map(|s| sql::Statement {
                sql: s.sql,
                params: s.params.into_iter().map(to_sql).collect(),
                expect_rows: s.expect_rows,
            })
            .collect();
        shards::batch(shard, statements)
            .await
            .map_err(from_sql_error)
    }
}

impl ports::Stock for Imports {
    async fn reserve(&self, id: &str, lines: &[Line]) -> Result<(), StockError> {
        let lines = lines
            .iter()
            .map(|l| stock::Line {
                sku: l.sku.clone(),
                qty: l.qty,
            })
            .collect();
        stock::reserve(id.to_string(), lines)
            .await
            .map_err(from_stock_error)
    }

    async fn confirm(&self, id: &str) -> Result<(), StockError> {
        stock::confirm(id.to_string())
            .await
            .map_err(from_stock_error)
    }

    async fn release(&self, id: &str) -> Result<(), StockError> {
        stock::release(id.to_string())
            .await
            .map_err(from_stock_error)
    }
}

impl ports::Quotes for Imports {
    async fn quote(
        &self,
        sku: &str,
        qty: u32,
        tenant: &str,
        customer: &[(String, String)],
    ) -> Result<Price, QuoteError> {
        let p = quote::quote(sku.to_string(), qty, tenant.to_string(), customer.to_vec())
            .await
            .map_err(|e| match e {
                quote::Error::UnknownSku(s) => QuoteError::UnknownSku(s),
                quote::Error::InvalidQuantity(n) => QuoteError::InvalidQuantity(n),
                quote::Error::InvalidTenant(t) => QuoteError::InvalidTenant(t),
                quote::Error::Unavailable(m) => QuoteError::Unavailable(m),
            })?;
        Ok(Price {
            sku: p.sku,
            qty: p.qty,
            currency: p.currency,
            unit_price: p.unit_price,
            total: p.total,
            applied: p
                .applied
                .into_iter()
                .map(|a| Adjustment {
                    kind: match a.kind {
                        quote::AdjustmentKind::Promotion => AdjustmentKind::Promotion,
                        quote::AdjustmentKind::TenantRule => AdjustmentKind::TenantRule,
                    },
                    id: a.id,
                    units: a.units,
                    detail: a.detail,
                })
                .collect(),
        })
    }

    async fn claim(&self, id: &str, lines: &[ClaimLine]) -> Result<(), ClaimError> {
        let lines = lines
            .iter()
            .map(|l| quote::ClaimLine {
                promotion_id: l.promotion_id.clone(),
                units: l.units,
            })
            .collect();
        quote::claim(id.to_string(), lines)
            .await
            .map_err(from_claim_error)
    }

    async fn unclaim(&self, id: &str) -> Result<(), ClaimError> {
        quote::unclaim(id.to_string())
            .await
            .map_err(from_claim_error)
    }
}

impl ports::Host for Imports {
    fn now_ms(&self) -> u64 {
        clock::now_ms()
    }

    async fn sleep_ms(&self, ms: u64) {
        monotonic_clock::wait_for(ms.saturating_mul(1_000_000)).await;
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let level = match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        log::log(level, message, &fields);
    }

    fn verify_token(&self, jwt: &str) -> Result<Claims, TokenError> {
        match token::verify(jwt) {
            Ok(c) => Ok(Claims {
                subject: c.subject,
                role: c.role,
                tenant: c.tenant,
                attributes: c.attributes,
                expires_at: c.expires_at,
            }),
            Err(token::Error::Invalid) => Err(TokenError::Invalid),
            Err(token::Error::Expired) => Err(TokenError::Expired),
        }
    }

    fn setting(&self, key: &str) -> Option<String> {
        config::get(key)
    }
}

fn from_stock_error(e: stock::Error) -> StockError {
    match e {
        stock::Error::UnknownSku(s) => StockError::UnknownSku(s),
        stock::Error::Insufficient(s) => StockError::Insufficient(s),
        stock::Error::Invalid(m) => StockError::Invalid(m),
        stock::Error::Conflict(m) => StockError::Conflict(m),
        stock::Error::Unavailable(m) => StockError::Unavailable(m),
    }
}

fn from_claim_error(e: quote::ClaimError) -> ClaimError {
    match e {
        quote::ClaimError::UnknownPromotion(id) => ClaimError::UnknownPromotion(id),
        quote::ClaimError::NotActive(id) => ClaimError::NotActive(id),
        quote::ClaimError::Insufficient((id, left)) => ClaimError::Insufficient(id, left),
        quote::ClaimError::Conflict(m) => ClaimError::Conflict(m),
        quote::ClaimError::Invalid(m) => ClaimError::Invalid(m),
        quote::ClaimError::Unavailable(m) => ClaimError::Unavailable(m),
    }
}

fn to_sql(v: Value) -> sql::Value {
    match v {
        Value::Null => sql::Value::Null,
        Value::Integer(n) => sql::Value::Integer(n),
        Value::Real(x) => sql::Value::Real(x),
        Value::Text(s) => sql::Value::Text(s),
        Value::Blob(b) => sql::Value::Blob(b),
    }
}

fn from_sql(v: sql::Value) -> Value {
    match v {
        sql::Value::Null => Value::Null,
        sql::Value::Integer(n) => Value::Integer(n),
        sql::Value::Real(x) => Value::Real(x),
        sql::Value::Text(s) => Value::Text(s),
        sql::Value::Blob(b) => Value::Blob(b),
    }
}

fn from_sql_error(e: sql::Error) -> SqlError {
    match e {
        sql::Error::ConstraintViolation(m) => SqlError::ConstraintViolation(m),
        sql::Error::ExpectationFailed(i) => SqlError::ExpectationFailed(i),
        sql::Error::InvalidStatement(m) => SqlError::InvalidStatement(m),
        sql::Error::Unavailable(m) => SqlError::Unavailable(m),
        sql::Error::Other(m) => SqlError::Other(m),
    }
}
