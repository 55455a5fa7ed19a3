"""GET /api/v1/search and /api/v1/suggest over HTTP semantics (ASGI), on each backend.

Hostile input never gives a 500 and never shows an engine's own error text; new fields are additions only.
"""

from __future__ import annotations

import httpx
import pytest

from unioncat.app import create_app
from unioncat.search import open_backend
from unioncat.settings import Settings

from .conftest import drop_opensearch
from .records import HUE, records
from .test_contract import BAD_QUERIES

LEAKS = ("tantivy", "opensearch", "osmem", "traceback", "exception", "lucene", "bleve", "panic", "query_shard")


@pytest.fixture(scope="module", params=["tantivy", "opensearch"])
def settings(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "opensearch":
        url = request.getfixturevalue("opensearch_url")
        alias = f"{request.getfixturevalue('opensearch_prefix')}-api"
        settings = Settings(data_dir=data_dir, opensearch_url=url, opensearch_index=alias)
    else:
        settings = Settings(data_dir=data_dir)
    backend = open_backend(settings)
    backend.upsert(records())
    backend.close()
    yield settings
    if request.param == "opensearch":
        drop_opensearch(settings.opensearch_url, settings.opensearch_index)


@pytest.fixture(scope="module")
async def client(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def assert_clean_error(response: httpx.Response) -> None:
    assert response.status_code in (400, 422), response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert not any(word in body["detail"].lower() for word in LEAKS), body


async def test_search_json_shape_is_backward_compatible(client):
    response = await client.get("/api/v1/search", params={"q": "kieu"})
    assert response.status_code == 200
    body = response.json()
    assert {"total", "page", "size", "hits", "facets"} <= set(body)
    assert set(body) - {"total", "page", "size", "hits", "facets"} <= {"next_cursor", "did_you_mean", "interpreted_query",
                                                                     "accent_fallback"}
    first = body["hits"][0]
    assert {"id", "title", "authors", "year", "publisher", "isbns", "libraries", "holdings_count"} <= set(first)
    assert first["highlights"] == {"title": ["Truyện <mark>Kiều</mark>"]}
    assert set(body["facets"]) == {"library", "province", "year", "language", "format", "subject"}


async def test_cursor_through_the_api(client):
    seen: list[str] = []
    params = {"sort": "title", "size": 7}
    while True:
        body = (await client.get("/api/v1/search", params=params)).json()
        seen += [h["id"] for h in body["hits"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 30
    response = await client.get("/api/v1/search", params={"q": "kiều", "sort": "title", "cursor": params["cursor"]})
    assert_clean_error(response)


async def test_suggest_and_did_you_mean(client):
    body = (await client.get("/api/v1/suggest", params={"q": "lich s"})).json()
    assert body == {"q": "lich s", "suggestions": ["Lịch sử Nghệ An"]}
    body = (await client.get("/api/v1/search", params={"q": "truyen kieuu"})).json()
    assert body["total"] == 0 and body["did_you_mean"] == "truyen kieu"
    body = (await client.get("/api/v1/search", params={"q": "truyen kieuu", "library": HUE})).json()
    assert body["did_you_mean"] is None


async def test_province_filter_with_a_former_name(client):
    body = (await client.get("/api/v1/search", params={"province": "Quảng Nam"})).json()
    assert body["total"] == 6  # DN-TV, in Đà Nẵng since 2025


@pytest.mark.parametrize("q", BAD_QUERIES + ["a" * 10_000, "\x01\x02\x1b[31m", "%", "%00"],
                         ids=lambda q: repr(q[:20]))
async def test_hostile_queries_never_500(client, q):
    for path in ("/api/v1/search", "/api/v1/suggest"):
        response = await client.get(path, params={"q": q})
        if response.status_code == 200:
            continue
        assert_clean_error(response)


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF%FE", "%C3", "%00%00", "%E2%80%AE"])
async def test_undecodable_query_strings_never_500(client, raw):
    for path in ("/api/v1/search", "/api/v1/suggest"):
        response = await client.get(f"{path}?q={raw}&library={raw}")
        if response.status_code != 200:
            assert_clean_error(response)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a" * 10_001},
        {"year_from": "abc"},
        {"year_from": "99999999999999999999"},
        {"page": "0"},
        {"page": "10000", "size": "100"},
        {"size": "101"},
        {"sort": "random"},
        {"cursor": "not-a-cursor", "sort": "title"},
        {"cursor": "x" * 3_000},
        {"cursor": "eyJ2IjoxLCJmIjoiMCIsIm4iOi0xfQ"},
        {"highlight": "maybe"},
    ],
)
async def test_bad_parameters_are_clean_400s(client, params):
    assert_clean_error(await client.get("/api/v1/search", params=params))


async def test_bad_suggest_parameters(client):
    assert_clean_error(await client.get("/api/v1/suggest", params={"q": "lich", "size": "0"}))
    assert_clean_error(await client.get("/api/v1/suggest", params={"q": "x" * 10_001}))
