//! The wasm-only glue: bindings for world `sluice:platform/account`, the
//! imports behind the [`ports`](crate::ports) traits, and the exports
//! (`wasi:http/handler`, `schema`, `accounts`) handed to the plain modules.

wit_bindgen::generate!({
    path: "../../wit",
    world: "sluice:platform/account",
    generate_all,
});

use crate::body::BodySource;
use crate::migrations::{self, Dialect};
use crate::ports::{
    self, Claims, Decision, Issued, Level, RateLimitError, Rows, SqlError, TokenError, Value,
};
use crate::reply::Reply;
use exports::sluice::platform::{accounts, schema};
use exports::wasi::http::handler;
use sluice::platform::{clock, log, rate_limit, sql, token, token_issuer};
use wasi::clocks::monotonic_clock;
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

impl accounts::Guest for Component {
    async fn ensure_admin(email: String, password: String) -> Result<String, accounts::Error> {
        crate::admin::ensure_admin(&Imports, &email, &password)
            .await
            .map_err(|e| match e {
                crate::admin::AdminError::Invalid(m) => accounts::Error::Invalid(m),
                crate::admin::AdminError::Storage(m) => accounts::Error::Storage(m),
            })
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

    async fn rate_check(
        &self,
        policy: &str,
        key: &str,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        match rate_limit::check(policy.to_string(), key.to_string(), cost).await {
            Ok(rate_limit::Decision::Allowed) => Ok(Decision::Allowed),
            Ok(rate_limit::Decision::Limited(ms)) => Ok(Decision::Limited(ms)),
            Err(rate_limit::Error::NoSuchPolicy(p)) => Err(RateLimitError::NoSuchPolicy(p)),
            Err(rate_limit::Error::CostExceedsBurst(c)) => Err(RateLimitError::CostExceedsBurst(c)),
        }
    }

    /// The async `wait-for` of `wasi:clocks/monotonic-clock@0.3.0`: the
    /// task waits, nothing spins or blocks.
    async fn sleep_ms(&self, ms: u64) {
        monotonic_clock::wait_for(ms.saturating_mul(1_000_000)).await;
    }

    fn issue_token(
        &self,
        subject: &str,
        role: &str,
        tenant: &str,
        attributes: &[(String, String)],
    ) -> Issued {
        let issued = token_issuer::issue(subject, role, tenant, attributes);
        Issued {
            token: issued.token,
            expires_in: issued.expires_in,
        }
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
