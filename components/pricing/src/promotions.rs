//! `/api/promotions`: list and read (anyone), create and delete (admin).

use crate::body::{self, BodySource};
use crate::errors::{ApiError, PricingError};
use crate::ports::{Host, Level};
use crate::promotion::{self, Promotion};
use crate::quote::now_ms;
use crate::reply::Reply;
use crate::wire::{self, CreatePromotion, PromotionView};
use crate::{auth, failure, store};
use sluice_kit::ids::random_hex;

/// `GET /api/promotions`: every promotion, in window order, each saying
/// whether it is active now and, if capped, how many units are left.
pub async fn list(host: &impl Host) -> Result<Reply, ApiError> {
    let all = store::all_promotions(host)
        .await
        .map_err(|e| failure::store(host, "list promotions", &e))?;
    let now = now_ms(host);
    let views: Vec<PromotionView> = all.iter().map(|p| PromotionView::new(p, now)).collect();
    Ok(Reply::json(200, &views))
}

/// `GET /api/promotions/{id}`: one promotion; 404 `unknown_promotion`.
pub async fn get(host: &impl Host, id: &str) -> Result<Reply, ApiError> {
    let promotion = find(host, id).await?;
    Ok(Reply::json(
        200,
        &PromotionView::new(&promotion, now_ms(host)),
    ))
}

/// `POST /api/promotions` (admin): 201 with the promotion and its
/// `Location`. The token is checked before the body is read. Invalid fields
/// are 400 `invalid_promotion` (see [`promotion::validate`]); a sku catalog
/// has no product for is 404 `unknown_sku` (the sku is a reference to a
/// resource that does not exist, like an unknown sku in a quote), and a
/// catalog that cannot be asked 503 `unavailable`.
pub async fn create(
    host: &impl Host,
    authorization: Option<&str>,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    let admin = auth::require_admin(host, authorization)?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let request: CreatePromotion = wire::parse(&body)?;
    let new = promotion::validate(&request)?;
    let known = host
        .lookup_product(&new.sku)
        .await
        .map_err(|e| failure::unavailable(host, "create promotion", &e.to_string()))?;
    if known.is_none() {
        return Err(ApiError::Service(PricingError::UnknownSku(new.sku)));
    }
    // 128 random bits as 32 lowercase hex characters.
    let id =
        random_hex(16).map_err(|e| failure::internal(host, "create promotion", &e.to_string()))?;
    let now = now_ms(host);
    store::insert_promotion(host, &id, &new, now)
        .await
        .map_err(|e| failure::sql(host, "create promotion", &e))?;
    host.log(
        Level::Info,
        "promotion created",
        &[
            ("promotion", &id),
            ("sku", &new.sku),
            ("by", &admin.subject),
        ],
    );
    let created = Promotion {
        id: id.clone(),
        sku: new.sku,
        discount: new.discount,
        starts_at_ms: new.starts_at_ms,
        ends_at_ms: new.ends_at_ms,
        max_units: new.max_units,
        claimed_units: 0,
    };
    Ok(Reply::json(201, &PromotionView::new(&created, now))
        .with_header("location", format!("/api/promotions/{id}")))
}

/// `DELETE /api/promotions/{id}` (admin): 204, or 404 `unknown_promotion`.
/// Units claimed from it stay with their orders; unclaiming them later
/// simply drops them.
pub async fn delete(
    host: &impl Host,
    authorization: Option<&str>,
    id: &str,
) -> Result<Reply, ApiError> {
    let admin = auth::require_admin(host, authorization)?;
    match store::delete_promotion(host, id).await {
        Ok(true) => {
            host.log(
                Level::Info,
                "promotion deleted",
                &[("promotion", id), ("by", &admin.subject)],
            );
            Ok(Reply::empty(204))
        }
        Ok(false) => Err(ApiError::Service(PricingError::UnknownPromotion(
            id.to_string(),
        ))),
        Err(e) => Err(failure::sql(host, "delete promotion", &e)),
    }
}

async fn find(host: &impl Host, id: &str) -> Result<Promotion, ApiError> {
    store::find_promotion(host, id)
        .await
        .map_err(|e| failure::store(host, "read promotion", &e))?
        .ok_or_else(|| ApiError::Service(PricingError::UnknownPromotion(id.to_string())))
}
