//! The product endpoints: list, get, create and update.

use crate::body::{self, BodySource};
use crate::errors::{ApiError, CatalogError};
use crate::ports::{Host, Level, SqlError, Value};
use crate::reply::Reply;
use crate::store::{self, Column, Product};
use crate::wire::{self, NewProduct, ProductChanges};
use crate::{auth, cached, failure, validate};

/// `GET /api/products?limit=&offset=`: one page in sku order and the total.
pub async fn list(host: &impl Host, query: Option<&str>) -> Result<Reply, ApiError> {
    let page = validate::page(query)?;
    let found = cached::page(host, page)
        .await
        .map_err(|e| failure::store(host, "list products", &e))?;
    Ok(Reply::json(200, &found))
}

/// `GET /api/products/{sku}`.
pub async fn get(host: &impl Host, sku: &str) -> Result<Reply, ApiError> {
    let product = find_cached(host, sku).await?;
    Ok(Reply::json(200, &product))
}

/// The product with `sku` through the cache, or 404. A sku that breaks the
/// sku rules cannot exist, so it is a 404 without a lookup.
async fn find_cached(host: &impl Host, sku: &str) -> Result<Product, ApiError> {
    if !validate::is_sku(sku) {
        return Err(ApiError::Service(CatalogError::UnknownProduct(
            sku.to_string(),
        )));
    }
    cached::product(host, sku)
        .await
        .map_err(|e| failure::store(host, "get product", &e))?
        .ok_or_else(|| ApiError::Service(CatalogError::UnknownProduct(sku.to_string())))
}

/// `POST /api/products` (admin): 201 with the product; a taken sku is 409.
pub async fn create(
    host: &impl Host,
    authorization: Option<&str>,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    let admin = auth::require_admin(host, authorization)?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let new: NewProduct = wire::parse(&body)?;
    let product = Product {
        sku: validate::sku(&new.sku)?,
        name: validate::name(&new.name)?,
        description: validate::description(new.description.as_deref().unwrap_or(""))?,
        base_price: validate::price(&new.base_price)?,
        currency: validate::currency(&new.currency)?,
        stock: match &new.stock {
            Some(stock) => validate::stock(stock)?,
            None => 0,
        },
    };
    match store::insert(host, &product, now(host)).await {
        Ok(()) => {}
        Err(SqlError::ConstraintViolation(_)) => {
            return Err(ApiError::Service(CatalogError::SkuTaken(product.sku)));
        }
        Err(e) => return Err(failure::sql(host, "create product", &e)),
    }
    cached::invalidate(host, &[&product.sku]).await;
    host.log(
        Level::Info,
        "product created",
        &[("sku", &product.sku), ("by", &admin.subject)],
    );
    Ok(
        Reply::json(201, &product)
            .with_header("location", format!("/api/products/{}", product.sku)),
    )
}

/// `PUT /api/products/{sku}` (admin): changes the fields given and returns
/// the product as stored now; unknown sku 404.
pub async fn update(
    host: &impl Host,
    sku: &str,
    authorization: Option<&str>,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    let admin = auth::require_admin(host, authorization)?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let changes: ProductChanges = wire::parse(&body)?;
    if !validate::is_sku(sku) {
        return Err(ApiError::Service(CatalogError::UnknownProduct(
            sku.to_string(),
        )));
    }
    let columns = columns(sku, &changes)?;
    if !columns.is_empty() {
        let matched = store::update(host, sku, columns, now(host))
            .await
            .map_err(|e| failure::sql(host, "update product", &e))?;
        if matched == 0 {
            return Err(ApiError::Service(CatalogError::UnknownProduct(
                sku.to_string(),
            )));
        }
        cached::invalidate(host, &[sku]).await;
        host.log(
            Level::Info,
            "product updated",
            &[("sku", sku), ("by", &admin.subject)],
        );
    }
    // Read back from the database, not the cache: the client sees the row
    // as it is now, other fields' concurrent changes included.
    let product = store::find(host, sku)
        .await
        .map_err(|e| failure::store(host, "update product", &e))?
        .ok_or_else(|| ApiError::Service(CatalogError::UnknownProduct(sku.to_string())))?;
    Ok(Reply::json(200, &product))
}

/// The validated columns to set, in a fixed order.
fn columns(sku: &str, changes: &ProductChanges) -> Result<Vec<(Column, Value)>, ApiError> {
    if changes.sku.as_deref().is_some_and(|s| s != sku) {
        return Err(CatalogError::field(
            "invalid_sku",
            "the sku of a product cannot be changed",
        ));
    }
    let mut set = Vec::new();
    if let Some(name) = &changes.name {
        set.push((Column::Name, Value::Text(validate::name(name)?)));
    }
    if let Some(description) = &changes.description {
        set.push((
            Column::Description,
            Value::Text(validate::description(description)?),
        ));
    }
    if let Some(price) = &changes.base_price {
        set.push((Column::BasePrice, Value::Integer(validate::price(price)?)));
    }
    if let Some(currency) = &changes.currency {
        set.push((Column::Currency, Value::Text(validate::currency(currency)?)));
    }
    if let Some(stock) = &changes.stock {
        set.push((Column::Stock, Value::Integer(validate::stock(stock)?)));
    }
    Ok(set)
}

fn now(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}
