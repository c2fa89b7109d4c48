//! The wasm-only glue: bindings for world `sluice:platform/pricing`, the
//! imports behind the [`ports`](crate::ports) traits, and the exports
//! (`wasi:http/handler`, `schema`, `quote`) handed to the plain modules.
//! Catalog's `products` import backs [`ports::Host::lookup_product`].

wit_bindgen::generate!({
    path: "../../wit",
    world: "sluice:platform/pricing",
    generate_all,
});

use crate::body::BodySource;
use crate::claims::{ClaimError, ClaimLine};
use crate::migrations::{self, Dialect};
use crate::ports::{
    self, Claims, Level, LookupError, Product, Rows, SqlError, Statement, TokenError, Value,
};
use crate::quote::{AdjustmentKind, QuoteError};
use crate::reply::Reply;
use crate::rules::{RuleInput, RuleOutcome, RuleOutput};
use exports::sluice::platform::{quote, schema};
use exports::wasi::http::handler;
use sluice::platform::{clock, log, products, sql, tenant_rules, token};
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

impl quote::Guest for Component {
    async fn quote(
        sku: String,
        qty: u32,
        tenant: String,
        customer: Vec<(String, String)>,
    ) -> Result<quote::Price, quote::Error> {
        match crate::quote::quote(&Imports, &sku, qty, &tenant, &customer).await {
            Ok(q) => Ok(quote::Price {
                sku: q.sku,
                qty: q.qty,
                tenant: q.tenant,
                currency: q.currency,
                base_unit_price: q.base_unit_price,
                unit_price: q.unit_price,
                total: q.total,
                applied: q
                    .applied
                    .into_iter()
                    .map(|a| quote::Adjustment {
                        kind: match a.kind {
                            AdjustmentKind::Promotion => quote::AdjustmentKind::Promotion,
                            AdjustmentKind::TenantRule => quote::AdjustmentKind::TenantRule,
                        },
                        id: a.id,
                        units: a.units,
                        detail: a.detail,
                    })
                    .collect(),
                rule_error: q.rule_error,
            }),
            Err(QuoteError::UnknownSku(s)) => Err(quote::Error::UnknownSku(s)),
            Err(QuoteError::InvalidQuantity(n)) => Err(quote::Error::InvalidQuantity(n)),
            Err(QuoteError::InvalidTenant(t)) => Err(quote::Error::InvalidTenant(t)),
            Err(QuoteError::Store(e)) => Err(quote::Error::Unavailable(e.to_string())),
            Err(QuoteError::Catalog(e)) => Err(quote::Error::Unavailable(e.to_string())),
            Err(QuoteError::BadProduct(why)) => Err(quote::Error::Unavailable(why)),
            Err(QuoteError::Overflow) => {
                Err(quote::Error::Unavailable("the total overflows".into()))
            }
        }
    }

    async fn claim(
        claim_id: String,
        lines: Vec<quote::ClaimLine>,
    ) -> Result<(), quote::ClaimError> {
        let lines: Vec<ClaimLine> = lines
            .into_iter()
            .map(|l| ClaimLine {
                promotion_id: l.promotion_id,
                units: l.units,
            })
            .collect();
        crate::claims::claim(&Imports, &claim_id, &lines)
            .await
            .map_err(claim_error)
    }

    async fn unclaim(claim_id: String) -> Result<(), quote::ClaimError> {
        crate::claims::unclaim(&Imports, &claim_id)
            .await
            .map_err(claim_error)
    }
}

fn claim_error(e: ClaimError) -> quote::ClaimError {
    match e {
        ClaimError::UnknownPromotion(id) => quote::ClaimError::UnknownPromotion(id),
        ClaimError::NotActive(id) => quote::ClaimError::NotActive(id),
        ClaimError::Insufficient(id, left) => quote::ClaimError::Insufficient((id, left)),
        ClaimError::Conflict(m) => quote::ClaimError::Conflict(m),
        ClaimError::Invalid(m) => quote::ClaimError::Invalid(m),
        ClaimError::Store(e) => quote::ClaimError::Unavailable(e.to_string()),
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

    /// Catalog's product lookup (`products.lookup`), linked by the host to
    /// a catalog instance in this process or on another node.
    async fn lookup_product(&self, sku: &str) -> Result<Option<Product>, LookupError> {
        match products::lookup(sku.to_string()).await {
            Ok(found) => Ok(found.map(|p| Product {
                sku: p.sku,
                name: p.name,
                base_price: p.base_price,
                currency: p.currency,
            })),
            Err(products::Error::Unavailable(m)) => Err(LookupError::Unavailable(m)),
        }
    }

    /// The host runs the tenant's sandboxed `pricing-rule` component
    /// (`tenant-rules.run`); the tenant is the input's.
    async fn run_tenant_rule(&self, _tenant: &str, input: &RuleInput) -> RuleOutcome {
        let input = sluice::platform::rule::Input {
            sku: input.sku.clone(),
            qty: input.qty,
            currency: input.currency.clone(),
            base_unit_price: input.base_unit_price,
            unit_price: input.unit_price,
            tenant: input.tenant.clone(),
            customer: input.customer.clone(),
        };
        match tenant_rules::run(input).await {
            tenant_rules::Outcome::NoRule => RuleOutcome::NoRule,
            tenant_rules::Outcome::Applied(out) => RuleOutcome::Applied(RuleOutput {
                unit_price: out.unit_price,
                reason: out.reason,
            }),
            tenant_rules::Outcome::Failed(why) => RuleOutcome::Failed(why),
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
