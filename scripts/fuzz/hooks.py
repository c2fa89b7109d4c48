"""Schemathesis hooks of the API fuzz run (scripts/fuzz-api).

Loaded through SCHEMATHESIS_HOOKS. Each hook makes up for something a
JSON Schema cannot say, never for a mismatch between the contract and the
API: those are fixed in openapi.yaml or reported as API bugs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import schemathesis
from schemathesis import GenerationMode

# openapi.yaml, components.schemas.Attributes.x-propertyNames.
ATTRIBUTE_KEY = re.compile(r"\A[a-z][a-z0-9_]{0,31}\Z")


@schemathesis.serializer("application/wasm")
def wasm(ctx, value):
    """Component uploads (`PUT /admin/components/{service}`, `PUT
    /admin/tenants/{tenant}/pricing-rule`) go on the wire as the raw bytes
    generated for `type: string, format: binary`."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    data = getattr(value, "data", None)
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if value is None:
        return None
    return str(value).encode("utf-8", errors="ignore")


def _rfc3339(text):
    """The instant of an RFC 3339 date-time, or None."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T").replace("Z", "+00:00"))
    except ValueError:
        return None


@schemathesis.hook("map_case").apply_to(path="/api/promotions", method="POST")
def promotion_window(ctx, case):
    """A promotion's `ends_at` must be after its `starts_at`: a rule between
    two fields that JSON Schema cannot state (the contract says it in
    words). A schema-valid (positive) case gets its two times in that order,
    so that it tests everything else; negative cases are left alone."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    body = case.body
    if not isinstance(body, dict):
        return case
    starts, ends = _rfc3339(body.get("starts_at")), _rfc3339(body.get("ends_at"))
    if starts is None or ends is None:
        return case
    try:
        if ends < starts:
            body["starts_at"], body["ends_at"] = body["ends_at"], body["starts_at"]
        elif ends == starts:
            body["ends_at"] = (ends + timedelta(seconds=1)).isoformat()
    except (OverflowError, TypeError):
        pass
    return case


@schemathesis.hook("map_case").apply_to(path="/admin/accounts/{account_id}/attributes", method="PUT")
def attribute_keys(ctx, case):
    """Attribute keys match `x-propertyNames` of the Attributes schema: OpenAPI
    3.0 has no `propertyNames` (3.1 has, but there an integer such as `5.0`
    is valid JSON Schema, which the API's integers are not on the wire), so
    the generator does not know the rule. A schema-valid (positive) case
    keeps only the keys that follow it; negative cases are left alone."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    if isinstance(case.body, dict):
        case.body = {k: v for k, v in case.body.items() if isinstance(k, str) and ATTRIBUTE_KEY.match(k)}
    return case


@schemathesis.hook("map_case").apply_to(path="/api/orders", method="POST")
def order_lines(ctx, case):
    """Lines naming the same sku are merged, and the merged quantity must
    still be at most 1000, with at most 100 distinct skus: rules across
    array items that JSON Schema cannot state (the contract says them in
    words). A schema-valid (positive) case drops the lines that would break
    them; negative cases are left alone."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return case
    totals, kept = {}, []
    for item in body["items"]:
        if not isinstance(item, dict) or not isinstance(item.get("qty"), int):
            kept.append(item)
            continue
        sku = item.get("sku")
        total = totals.get(sku, 0) + item["qty"]
        if total > 1000 or (sku not in totals and len(totals) == 100):
            continue
        totals[sku] = total
        kept.append(item)
    if kept:
        body["items"] = kept
    return case
