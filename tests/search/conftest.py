"""Search fixtures: one backend factory parametrized over every adapter, so the contract suite runs on each.

Only tantivy exists so far; an OpenSearch adapter joins by adding its name to BACKENDS and a branch below
(pointing at osmem-server in CI, or a real cluster when UNIONCAT_OPENSEARCH_URL is set).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from unioncat.search.backend import SearchBackend
from unioncat.search.tantivy_backend import TantivyBackend

from .records import records

BACKENDS = ["tantivy"]


def open_test_backend(name: str, path: Path) -> SearchBackend:
    if name == "tantivy":
        return TantivyBackend(path / "index")
    raise AssertionError(name)  # pragma: no cover - future adapters


@pytest.fixture(params=BACKENDS)
def make_backend(request, tmp_path) -> Iterator[Callable[[], SearchBackend]]:
    """Returns a factory: each call opens another backend instance on the same (initially empty) store."""
    opened: list[SearchBackend] = []

    def factory() -> SearchBackend:
        backend = open_test_backend(request.param, tmp_path)
        opened.append(backend)
        return backend

    yield factory
    for backend in opened:
        backend.close()


@pytest.fixture
def empty_backend(make_backend) -> SearchBackend:
    return make_backend()


@pytest.fixture
def writable(empty_backend) -> SearchBackend:
    """A fresh backend holding the 30 fixture records, for tests that write."""
    assert empty_backend.upsert(records()) == 30
    return empty_backend


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory) -> Iterator[SearchBackend]:
    """One backend per module holding the 30 fixture records: read-only tests share it."""
    shared = open_test_backend(request.param, tmp_path_factory.mktemp(f"search-{request.param}"))
    assert shared.upsert(records()) == 30
    yield shared
    shared.close()
