"""Search fixtures: one backend factory parametrized over every adapter, so the contract suite runs on each.

Only tantivy exists so far; an OpenSearch adapter joins by adding its name to BACKENDS and a branch below
(pointing at osmem-server in CI, or a real cluster when UNIONCAT_OPENSEARCH_URL is set).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from unioncat.search.backend import SearchBackend
from unioncat.search.tantivy_backend import TantivyBackend

from .records import records

BACKENDS = ["tantivy"]


@pytest.fixture(params=BACKENDS)
def make_backend(request, tmp_path) -> Iterator[Callable[[], SearchBackend]]:
    """Returns a factory: each call opens another backend instance on the same (initially empty) store."""
    opened: list[SearchBackend] = []

    def factory() -> SearchBackend:
        if request.param == "tantivy":
            backend = TantivyBackend(tmp_path / "index")
        else:  # pragma: no cover - future adapters
            raise AssertionError(request.param)
        opened.append(backend)
        return backend

    yield factory
    for backend in opened:
        backend.close()


@pytest.fixture
def empty_backend(make_backend) -> SearchBackend:
    return make_backend()


@pytest.fixture
def backend(empty_backend) -> SearchBackend:
    """A backend holding the 30 fixture records."""
    assert empty_backend.upsert(records()) == 30
    return empty_backend
