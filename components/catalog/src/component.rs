//! The wasm-only glue: bindings for world `sluice:platform/catalog`, the
//! imports behind the [`ports`](crate::ports) traits, and the exports
//! (`wasi:http/handler`, `schema`, `stock`, `products`, `housekeeping`)
//! handed to the plain modules.

wit_bindgen::generate!({
    path: "../../wit",
    world: "sluice:platform/catalog",
    generate_all,
});

use crate::body::BodySource;
use crate::lookup::LookupError;
use crate::migrations::{self, Dialect};
use crate::ports::{self, CacheError, Claims, Level, Rows, SqlError, Statement, TokenError, Value};
use crate::reply::Reply;
use crate::stock::StockError;
use exports::sluice::platform::{housekeeping, products, schema, stock};
use exports::wasi::http::handler;
use sluice::platform::{cache, clock, config, log, sql, token};
use wasi::http::types::{ErrorCode, Fields, Method, Request, Response};
use wit_bindgen::StreamReader;

struct Component;

export!(Component);

impl handler::Guest for Component {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let req = crate::handler::Request {
            method: method_name(request.get_method()),
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

impl stock::Guest for Component {
    async fn check(sku: String) -> Result<u32, stock::Error> {
        crate::stock::check(&Imports, &sku)
            .await
            .map_err(to_stock_error)
    }

    async fn reserve(reservation_id: String, lines: Vec<stock::Line>) -> Result<(), stock::Error> {
        let lines: Vec<crate::stock::Request> = lines
            .into_iter()
            .map(|l| crate::stock::Request {
                sku: l.sku,
                qty: l.qty,
            })
            .collect();
        crate::stock::reserve(&Imports, &reservation_id, &lines)
            .await
            .map_err(to_stock_error)
    }

    async fn confirm(reservation_id: String) -> Result<(), stock::Error> {
        crate::stock::confirm(&Imports, &reservation_id)
            .await
            .map_err(to_stock_error)
    }

    async fn release(reservation_id: String) -> Result<(), stock::Error> {
        crate::stock::release(&Imports, &reservation_id)
            .await
            .map_err(to_stock_error)
    }
}

impl housekeeping::Guest for Component {
    async fn run() -> Result<u32, String> {
        crate::holds::expire(&Imports).await.map_err(|e| match e {
            StockError::Unavailable(m) => format!("expiring stock holds failed: {m}"),
            other => format!("expiring stock holds failed: {other:?}"),
        })
    }
}

fn to_stock_error(e: StockError) -> stock::Error {
    match e {
        StockError::UnknownSku(s) => stock::Error::UnknownSku(s),
        StockError::Insufficient(s) => stock::Error::Insufficient(s),
        StockError::Invalid(m) => stock::Error::Invalid(m),
        StockError::Conflict(m) => stock::Error::Conflict(m),
        StockError::Unavailable(m) => stock::Error::Unavailable(m),
    }
}

impl products::Guest for Component {
    async fn lookup(sku: String) -> Result<Option<products::Product>, products::Error> {
        match crate::lookup::lookup(&Imports, &sku).await {
            Ok(found) => Ok(found.map(|p| products::Product {
                sku: p.sku,
                name: p.name,
                base_price: p.base_price,
                currency: p.currency,
            })),
            Err(LookupError::Unavailable(m)) => Err(products::Error::Unavailable(m)),
        }
    }
}

fn method_name(method: Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other,
    }
}

/// Sends `reply`: the body goes through a stream written by a spawned task,
/// since the host reads it only after `handle` has returned the response.
/// The label of this build (`SLUICE_BUILD_LABEL` when it was compiled),
/// sent as `sluice-build` on every response so that which build answered
/// is visible (hot-swap tests, canaries); none by default.
const BUILD_LABEL: Option<&str> = option_env!("SLUICE_BUILD_LABEL");

fn respond(reply: Reply) -> Result<Response, ErrorCode> {
    let internal = |what: &str| ErrorCode::InternalError(Some(what.to_string()));
    let mut entries: Vec<(String, Vec<u8>)> = reply
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    if let Some(label) = BUILD_LABEL {
        entries.push(("sluice-build".into(), label.as_bytes().to_vec()));
    }
    let headers = Fields::from_list(&entries).map_err(|_| internal("invalid response header"))?;
    let (mut body_tx, body_rx) = wit_stream::new();
    let (trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
    let (response, _sent) = Response::new(headers, Some(body_rx), trailers_rx);
    response
        .set_status_code(reply.status)
        .map_err(|()| internal("invalid status code"))?;
    let body = reply.body;
    drop(wit_bindgen::spawn_local(async move {
        // What is left over if the client went away is of no use.
        let _unsent = body_tx.write_all(body).await;
        drop(body_tx);
        // Dropping the writer sends its default: no trailers.
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

/// Bytes asked for per read of the body stream.
const READ_CHUNK: usize = 16 * 1024;

impl BodySource for WasiBody {
    async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if let WasiBody::Unread(_) = self {
            let WasiBody::Unread(request) = std::mem::replace(self, WasiBody::Done) else {
                unreachable!()
            };
            // Dropping the writer reports success of our side: Ok(()).
            let (_result_tx, result_rx) = wit_future::new(|| Ok(()));
            let (stream, _trailers) = Request::consume_body(request, result_rx);
            *self = WasiBody::Reading(stream);
        }
        let WasiBody::Reading(stream) = self else {
            return None;
        };
        loop {
            let (status, chunk) = stream.read(Vec::with_capacity(READ_CHUNK)).await;
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

impl ports::Sql for Imports {
    async fn query(&self, text: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        let rows = sql::query(text.to_string(), params)
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

    async fn execute(&self, text: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        let params = params.into_iter().map(to_sql).collect();
        sql::execute(text.to_string(), params)
            .await
            .map_err(from_sql_error)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let statements = statements
            .into_iter()
            .map(|s| sql::Statement {
                sql: s.sql,
                params: s.params.into_iter().map(to_sql).collect(),
                expect_rows: s.expect_rows,
            })
            .collect();
        sql::batch(statements).await.map_err(from_sql_error)
    }
}

impl ports::Cache for Imports {
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        cache::get(key.to_string()).await.map_err(from_cache_error)
    }

    async fn cache_set(&self, key: &str, value: Vec<u8>, ttl_ms: u64) -> Result<(), CacheError> {
        cache::set(key.to_string(), value, ttl_ms)
            .await
            .map_err(from_cache_error)
    }

    async fn cache_delete(&self, key: &str) -> Result<(), CacheError> {
        cache::delete(key.to_string())
            .await
            .map_err(from_cache_error)
    }

    async fn cache_increment(&self, key: &str, delta: i64, ttl_ms: u64) -> Result<i64, CacheError> {
        cache::increment(key.to_string(), delta, ttl_ms)
            .await
            .map_err(from_cache_error)
    }
}

impl ports::Host for Imports {
    fn now_ms(&self) -> u64 {
        clock::now_ms()
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

fn from_cache_error(e: cache::Error) -> CacheError {
    match e {
        cache::Error::Unavailable(m) => CacheError::Unavailable(m),
        cache::Error::NotANumber => CacheError::NotANumber,
        cache::Error::Other(m) => CacheError::Other(m),
    }
}
