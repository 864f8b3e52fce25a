"""Trace routes: projects, the filtered trace list and one trace as a span tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chainsight.storage.model import TracePage, TraceSort, TraceTree

from ..errors import NotFound
from .params import Caller, Filter, Limit, StoreDep

router = APIRouter(prefix="/api/v1", tags=["traces"])


@router.get("/projects", response_model=list[str])
def list_projects(caller: Caller, store: StoreDep) -> list[str]:
    """Projects having spans that the caller may see."""
    projects = store.list_projects()
    if caller.project is not None:
        return [p for p in projects if p == caller.project]
    return projects


@router.get("/traces", response_model=TracePage)
def list_traces(
    store: StoreDep,
    filter: Filter,
    sort: Annotated[TraceSort, Query()] = "start_desc",
    limit: Limit = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> TracePage:
    """Traces matching the filters, sorted, one page at a time (opaque ``cursor``)."""
    return store.list_traces(filter, sort=sort, limit=limit, cursor=cursor)


@router.get("/traces/{trace_id}", response_model=TraceTree)
def get_trace(trace_id: str, caller: Caller, store: StoreDep) -> TraceTree:
    """One trace: every span with its detail, depth-first, orphans flagged."""
    tree = store.get_trace(trace_id.lower(), project=caller.project)
    if tree is None:
        raise NotFound(f"trace {trace_id} not found")
    return tree
