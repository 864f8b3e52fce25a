"""Pricing routes: read and edit the price table, list unpriced models, re-price spans."""

from __future__ import annotations

from fastapi import APIRouter, Response

from chainsight.storage.model import PriceEntry, UnpricedModel

from ..errors import BadRequest, NotFound
from .params import Caller, Filter, StateDep

router = APIRouter(prefix="/api/v1/pricing", tags=["pricing"])


@router.get("", response_model=list[PriceEntry])
def list_prices(caller: Caller, state: StateDep) -> list[PriceEntry]:
    """Every price entry (defaults, file and API edits)."""
    return state.store.prices.list()


@router.get("/unpriced", response_model=list[UnpricedModel])
def unpriced_models(caller: Caller, state: StateDep) -> list[UnpricedModel]:
    """Models seen on spans with no matching price (their cost is null, not 0)."""
    return state.store.prices.unpriced_models(caller.project)


@router.put("/{price_id}", response_model=PriceEntry)
def put_price(price_id: str, entry: PriceEntry, caller: Caller, state: StateDep) -> PriceEntry:
    """Create or replace one price entry; new spans are priced with it at once."""
    if entry.id != price_id:
        raise BadRequest(f"body id {entry.id!r} does not match the path id {price_id!r}")
    entry = entry.model_copy(update={"source": "api"})
    try:
        state.make_pricebook([entry])  # validates the pattern before it is stored
    except ValueError as exc:
        raise BadRequest(f"invalid price entry: {exc}") from exc
    state.store.prices.upsert([entry])
    state.reload_prices()
    return entry


@router.delete("/{price_id}", status_code=204)
def delete_price(price_id: str, caller: Caller, state: StateDep) -> Response:
    """Remove one price entry."""
    if not state.store.prices.delete(price_id):
        raise NotFound(f"price {price_id} not found")
    state.reload_prices()
    return Response(status_code=204)


@router.post("/reprice")
def reprice(filter: Filter, state: StateDep) -> dict[str, int]:
    """Recompute the cost of stored spans matching the filters with the current prices."""
    return {"updated": state.store.reprice(state.pricer(), filter)}
