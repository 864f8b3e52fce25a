"""API key routes: create (the secret is returned once), list masked, revoke.

A key manages only its own project's keys; in open mode (no key yet, loopback) any
caller may create the first one.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from chainsight.storage.model import ApiKeyInfo

from ..errors import NotFound
from .params import Caller, StateDep

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


class KeyCreate(BaseModel):
    """Body of ``POST /api/v1/keys``."""

    project: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class KeyCreated(BaseModel):
    """The new key's secret (shown this once) and its listing."""

    key: str
    info: ApiKeyInfo


@router.get("", response_model=list[ApiKeyInfo])
def list_keys(caller: Caller, state: StateDep) -> list[ApiKeyInfo]:
    """Keys (masked) of the caller's project, or of every project in open mode."""
    return state.auth.list(caller.project)


@router.post("", response_model=KeyCreated, status_code=201)
def create_key(body: KeyCreate, caller: Caller, state: StateDep) -> KeyCreated:
    """Create a key for a project; only its salted hash is stored."""
    project = caller.scope(body.project)
    token, info = state.auth.create(project or body.project, body.name)
    return KeyCreated(key=token, info=info)


@router.delete("/{key_id}", status_code=204)
def revoke_key(key_id: str, caller: Caller, state: StateDep) -> Response:
    """Revoke a key; requests carrying it get 401 from then on."""
    visible = {k.id for k in state.auth.list(caller.project)}
    if key_id not in visible or not state.auth.revoke(key_id):
        raise NotFound(f"key {key_id} not found")
    return Response(status_code=204)
