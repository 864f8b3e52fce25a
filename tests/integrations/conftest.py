"""Fixtures of the client-integration tests: one bundled model server per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .model_server import running_model_server


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    """Base URL of the bundled model server (OpenAI routes under ``/v1``)."""
    with running_model_server() as base_url:
        yield base_url
