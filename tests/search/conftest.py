"""Search fixtures: one backend factory parametrized over every adapter, so the contract suite runs on each.

OpenSearch runs against a real engine: `osmem-server` (an OpenSearch-compatible server shipped as a wheel)
started once per session on a free loopback port, or the cluster at UNIONCAT_OPENSEARCH_URL when that is set.
Every test store gets its own alias under a per-session prefix; everything under the prefix is deleted at the
end. Under CI=true an OpenSearch that cannot be started or reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from unioncat.search.backend import SearchBackend
from unioncat.search.tantivy_backend import TantivyBackend

from .records import records

BACKENDS = ["tantivy", "opensearch"]


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"OpenSearch is required under CI=true: {message}")
    pytest.skip(message)


def _wait_until_it_answers(url: str, timeout: float = 30.0) -> None:
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[url], timeout=2, max_retries=0)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.info()
            return
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            client.close()


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """A real cluster from UNIONCAT_OPENSEARCH_URL, else osmem-server as a subprocess for this session."""
    external = os.environ.get("UNIONCAT_OPENSEARCH_URL")
    if external:
        try:
            _wait_until_it_answers(external, timeout=10)
        except Exception as exc:  # noqa: BLE001
            _unavailable(f"UNIONCAT_OPENSEARCH_URL={external} does not answer: {exc}")
        yield external
        return
    try:
        from osmem_server import OsmemServer

        server = OsmemServer.start(japanese=False, addr="127.0.0.1:0")
    except Exception as exc:  # noqa: BLE001 - not installed, no binary for this platform, did not start
        _unavailable(f"osmem-server did not start: {exc}")
    try:
        _wait_until_it_answers(server.url)
        yield server.url
    finally:
        server.close()


@pytest.fixture(scope="session")
def opensearch_prefix(opensearch_url) -> Iterator[str]:
    """The alias prefix of this session; every index, alias and template under it is removed at the end."""
    prefix = f"unioncat-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    drop_opensearch(opensearch_url, prefix)


def drop_opensearch(url: str, prefix: str) -> None:
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[url], timeout=30)
    try:
        for name in list(client.indices.get(index=f"{prefix}*")):
            client.indices.delete(index=name)
        templates = client.indices.get_index_template(name=f"{prefix}*").get("index_templates", [])
        for template in templates:
            client.indices.delete_index_template(name=template["name"])
    except Exception:  # noqa: BLE001 - nothing left to drop, or the server is already gone
        pass
    finally:
        client.close()


def open_test_backend(name: str, path: Path, request: pytest.FixtureRequest) -> SearchBackend:
    """A backend on the store identified by `path` (a directory for tantivy, an alias for OpenSearch)."""
    if name == "tantivy":
        return TantivyBackend(path / "index")
    if name == "opensearch":
        from unioncat.search.opensearch_backend import OpenSearchBackend

        url = request.getfixturevalue("opensearch_url")
        prefix = request.getfixturevalue("opensearch_prefix")
        alias = f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_URL, str(path)).hex[:12]}"
        return OpenSearchBackend(url, alias)
    raise AssertionError(name)  # pragma: no cover


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param


@pytest.fixture
def make_backend(backend_name, request, tmp_path) -> Iterator[Callable[[], SearchBackend]]:
    """Returns a factory: each call opens another backend instance on the same (initially empty) store."""
    opened: list[SearchBackend] = []

    def factory() -> SearchBackend:
        backend = open_test_backend(backend_name, tmp_path, request)
        opened.append(backend)
        return backend

    yield factory
    for backend in opened:
        backend.close()
    if backend_name == "opensearch" and opened:
        drop_opensearch(request.getfixturevalue("opensearch_url"), opened[0].alias)  # type: ignore[attr-defined]


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
    path = tmp_path_factory.mktemp(f"search-{request.param}")
    shared = open_test_backend(request.param, path, request)
    assert shared.upsert(records()) == 30
    yield shared
    shared.close()
