"""The walking skeleton end to end: real OAI-PMH over loopback → harvest → normalize → cluster → tantivy →
JSON API, on SQLite and PostgreSQL, with real Library of Congress / HathiTrust records next to Vietnamese ones
catalogued differently by two libraries."""

from __future__ import annotations

import json
import unicodedata

import httpx
import pytest

from conftest import TESTDATA
from factories import marc_book, real_oai_records
from harvesters.harvest import harvest_many
from unioncat.app import create_app
from unioncat.cli import main as cli_main
from unioncat.db import transaction
from unioncat.demo.oai_server import OAIServer
from unioncat.libraries import upsert_library
from unioncat.pipeline import process
from unioncat.search import open_backend

@pytest.fixture
def member_servers():
    with OAIServer() as server:
        tha = server.add_repository("THA", page_size=5)
        tha.put_many(real_oai_records(TESTDATA / "oai/hathitrust/ListRecords_marc21_set_hathitrust_umich.xml"))
        tha.put("oai:tha.lib.vn:T1", "2024-01-02T00:00:00Z", metadata=marc_book(
            "T1", "Lịch sử Nghệ An", "Nguyễn Văn A", "978-604-958-012-3", "Nxb. Nghệ An", "Vinh", "320 tr. ; 21 cm"))
        nan = server.add_repository("NAN", page_size=5)
        nan.put("oai:nan.lib.vn:N7", "2024-01-02T00:00:00Z", metadata=marc_book(
            "N7", "Lịch sử Nghệ An", "Nguyễn, Văn A", "9786049580123", "Nhà xuất bản Nghệ An", "Vinh",
            "320 p. ; 21 cm", call_number="9(V)2 L302S", nfd=True))
        nan.put("oai:nan.lib.vn:N8", "2024-01-02T00:00:00Z", metadata=marc_book(
            "N8", "Lịch sử Nghệ An", "Nguyễn, Văn A", None, "Nhà xuất bản Nghệ An", "Vinh", "410 p.", part="Tập 2"))
        yield server


async def register(sessions, server):
    async with transaction(sessions) as s:
        await upsert_library(s, "THA", name="Thư viện tỉnh Thanh Hóa", province="Thanh Hóa",
                             oai_url=server.base_url("THA"))
        await upsert_library(s, "NAN", name="Thư viện tỉnh Nghệ An", province="Nghệ An",
                             oai_url=server.base_url("NAN"))


async def build_union_catalogue(sessions, settings, servers) -> None:
    """Register THA and NAN, harvest both over loopback and process everything into the index."""
    await register(sessions, servers)
    summaries = await harvest_many(sessions, settings, ["THA", "NAN"])
    assert [s.status for s in summaries] == ["succeeded", "succeeded"], [s.error for s in summaries]
    backend = open_backend(settings)
    await process(sessions, backend)
    backend.close()


async def test_harvest_to_search_and_record_api(db_settings, sessions, member_servers):
    await register(sessions, member_servers)
    summaries = await harvest_many(sessions, db_settings, ["THA", "NAN"])
    assert [s.status for s in summaries] == ["succeeded", "succeeded"], [s.error for s in summaries]
    backend = open_backend(db_settings)
    stats = await process(sessions, backend)
    backend.close()
    assert stats.normalize.quarantined == 0
    # the HathiTrust page holds 7 bibliographic and 4 holdings records; holdings stay out of union records
    assert (stats.normalize.normalized, stats.normalize.excluded) == (7 + 1 + 2, 4)

    app = create_app(db_settings)
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        # a reader types without diacritics
        r = await client.get("/api/v1/search", params={"q": "lich su nghe an"})
        assert r.status_code == 200
        body = r.json()
        hits = body["hits"]
        merged = [h for h in hits if sorted(h["libraries"]) == ["NAN", "THA"]]
        assert len(merged) == 1, hits  # one union record for the book both libraries hold
        assert any(h["libraries"] == ["NAN"] for h in hits)  # Tập 2 stays a book of its own
        assert {f["value"]: f["count"] for f in body["facets"]["library"]} == {"THA": 1, "NAN": 2}

        rec = (await client.get(f"/api/v1/records/{merged[0]['id']}")).json()
        assert {m["library"] for m in rec["members"]} == {"THA", "NAN"}
        assert {h["call_number"] for h in rec["holdings"]} == {"959.742 L302S", "9(V)2 L302S"}
        assert rec["isbns"] == ["9786049580123"]
        assert rec["title"] == unicodedata.normalize("NFC", rec["title"])

        # real LC/HathiTrust records are searchable too, and every facet has values
        everything = (await client.get("/api/v1/search", params={"q": "", "size": 50})).json()
        assert everything["total"] == 7 + 2
        for facet in ("library", "year", "language", "format"):
            assert everything["facets"][facet], facet

        missing = await client.get("/api/v1/records/u-does-not-exist")
        assert missing.status_code == 404 and missing.json()["error"] == "RecordNotFound"
        bad = await client.get("/api/v1/search", params={"page": "0"})
        assert bad.status_code == 400 and bad.json()["error"] == "BadRequest"

    # THA withdraws its copy: an incremental harvest sees the deletion, the union record follows
    member_servers.repositories["THA"].delete("oai:tha.lib.vn:T1")
    summaries = await harvest_many(sessions, db_settings, ["THA"])
    assert summaries[0].records_deleted == 1
    backend = open_backend(db_settings)
    await process(sessions, backend)
    from unioncat.search.backend import SearchQuery

    result = backend.search(SearchQuery(q="lịch sử nghệ an"))
    backend.close()
    assert sorted(tuple(h.libraries) for h in result.hits) == [("NAN",), ("NAN",)]
    still = [h for h in result.hits if h.id == merged[0]["id"]]
    assert still, "the union record keeps its id when a member leaves"


async def test_cli_export_jsonl(db_settings, sessions, member_servers, monkeypatch, capsys):
    await build_union_catalogue(sessions, db_settings, member_servers)
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("UNIONCAT_DATABASE_URL", db_settings.database_url)
    out = db_settings.data_dir / "export.jsonl"
    assert await _run_cli(["export", "--format", "jsonl", "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 7 + 2
    for rec in lines:
        assert {"id", "title", "authors", "year", "isbns", "libraries", "members"} <= rec.keys()
        assert all({"library", "identifier"} <= m.keys() for m in rec["members"])
    merged = [r for r in lines if r["libraries"] == ["NAN", "THA"]]
    assert len(merged) == 1
    assert {m["identifier"] for m in merged[0]["members"]} == {"oai:tha.lib.vn:T1", "oai:nan.lib.vn:N7"}


async def _run_cli(argv):
    import asyncio

    return await asyncio.to_thread(cli_main, argv)


@pytest.mark.parametrize("fmt", ["marcxml", "marc"])
async def test_cli_export_marc_formats_carry_every_member(sqlite_settings, member_servers, monkeypatch, fmt):
    import pymarc

    from unioncat.db import create_engine, make_sessionmaker

    engine = create_engine(sqlite_settings)
    sessions = make_sessionmaker(engine)
    await build_union_catalogue(sessions, sqlite_settings, member_servers)
    await engine.dispose()
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(sqlite_settings.data_dir))
    out = sqlite_settings.data_dir / f"export.{fmt}"
    assert await _run_cli(["export", "--format", fmt, "--output", str(out)]) == 0
    if fmt == "marcxml":
        records = pymarc.parse_xml_to_array(str(out))
    else:
        with open(out, "rb") as fh:
            records = list(pymarc.MARCReader(fh, to_unicode=True, force_utf8=True))
    assert len(records) == 7 + 2
    merged = [r for r in records if {f.get("a") for f in r.get_fields("852")} == {"THA", "NAN"}]
    assert len(merged) == 1  # one record for the book both libraries hold, with both holdings
    assert {f.get("h") for f in merged[0].get_fields("852")} == {"959.742 L302S", "9(V)2 L302S"}
    assert {f.get("a") for f in merged[0].get_fields("035")} >= {"(THA)oai:tha.lib.vn:T1", "(NAN)oai:nan.lib.vn:N7"}
    assert "Lịch sử Nghệ An" in merged[0].title


async def test_staff_split_override_over_the_api_and_undo(db_settings, sessions, member_servers):
    await build_union_catalogue(sessions, db_settings, member_servers)
    settings = db_settings.model_copy(update={"staff_token": "s3cret-token"})
    app = create_app(settings)
    staff = {"Authorization": "Bearer s3cret-token"}

    async def holders(client):
        hits = (await client.get("/api/v1/search", params={"q": "lich su nghe an"})).json()["hits"]
        return sorted(tuple(sorted(h["libraries"])) for h in hits)

    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        assert await holders(client) == [("NAN",), ("NAN", "THA")]
        body = {"kind": "split", "record_a": "THA:oai:tha.lib.vn:T1", "note": "different printing"}
        denied = await client.post("/api/v1/overrides", json=body)
        assert denied.status_code == 401 and denied.json()["error"] == "Unauthorized"

        created = await client.post("/api/v1/overrides", json=body, headers=staff)
        assert created.status_code == 201, created.text
        assert await holders(client) == [("NAN",), ("NAN",), ("THA",)]  # the reader now sees THA's copy apart
        listed = (await client.get("/api/v1/overrides", headers={"Authorization": "bearer s3cret-token"})).json()
        assert [(o["kind"], o["created_by"]) for o in listed["overrides"]] == [("split", "staff")]  # who did it

        undone = await client.delete(f"/api/v1/overrides/{created.json()['override']['id']}", headers=staff)
        assert undone.status_code == 200
        assert await holders(client) == [("NAN",), ("NAN", "THA")]
        unknown = await client.post("/api/v1/overrides", json=body | {"record_a": "THA:no-such-record"}, headers=staff)
        assert unknown.status_code in (400, 404) and "error" in unknown.json()


async def test_staff_api_accepts_hashed_database_tokens_only_when_valid(sqlite_settings, member_servers):
    from unioncat.db import StaffToken, create_engine, make_sessionmaker
    from unioncat.staff.auth import token_hash

    engine = create_engine(sqlite_settings)
    sessions = make_sessionmaker(engine)
    await register(sessions, member_servers)
    async with transaction(sessions) as s:
        s.add(StaffToken(name="thu-thu-nghe-an", token_hash=token_hash("db-issued-token")))
    await engine.dispose()
    app = create_app(sqlite_settings)  # no UNIONCAT_STAFF_TOKEN: only the database token works
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        wrong = await client.post("/api/v1/libraries/NAN/harvests", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await client.post("/api/v1/libraries/NAN/harvests", headers={"Authorization": "Bearer db-issued-token"})
        assert ok.status_code == 202 and ok.json()["status"] == "started"
        history = (await client.get("/api/v1/libraries/NAN/harvests")).json()["harvests"]
        assert history and history[0]["status"] in ("succeeded", "running")


async def test_harvest_all_skips_libraries_that_upload_files(sqlite_settings, member_servers, monkeypatch):
    from unioncat.db import create_engine, make_sessionmaker

    engine = create_engine(sqlite_settings)
    sessions = make_sessionmaker(engine)
    await register(sessions, member_servers)
    async with transaction(sessions) as s:
        await upsert_library(s, "LIB", name="Thư viện dùng Libol (tải tệp MARC)", province="Hà Tĩnh")
    await engine.dispose()
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(sqlite_settings.data_dir))
    assert await _run_cli(["harvest", "--all", "--no-process"]) == 0  # the nightly job stays green
    assert await _run_cli(["harvest", "LIB", "--no-process"]) == 2  # asked by name: a clear refusal
    engine = create_engine(sqlite_settings)
    async with make_sessionmaker(engine)() as s:
        from unioncat.libraries import library_status

        status = {row["code"]: row for row in await library_status(s)}
    await engine.dispose()
    assert status["LIB"]["last_run"] is None and status["THA"]["last_run"]["status"] == "succeeded"


def test_dashboard_shows_an_invalid_schedule_instead_of_failing():
    from datetime import datetime, timezone

    from unioncat.staff.service import _next_run

    now = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
    assert _next_run(None, now).startswith("2026-11-22T01:00:00+07:00")  # default: 01:00 Asia/Ho_Chi_Minh
    assert _next_run("every night", now).startswith("invalid schedule 'every night'")


async def test_staff_statistics_count_union_records_per_library_and_overlap(db_settings, sessions, member_servers):
    from datetime import datetime, timezone

    from unioncat.staff.service import statistics

    await build_union_catalogue(sessions, db_settings, member_servers)
    async with sessions() as s:
        stats = await statistics(s)
    rows = {r["code"]: r for r in stats["libraries"]}
    # THA: 7 HathiTrust books + the book both hold; NAN: that book + its Tập 2
    assert (rows["THA"]["union_records"], rows["THA"]["unique"], rows["THA"]["shared"]) == (8, 7, 1)
    assert (rows["NAN"]["union_records"], rows["NAN"]["unique"], rows["NAN"]["shared"]) == (2, 1, 1)
    assert rows["THA"]["source_records"] == 12 and rows["NAN"]["source_records"] == 2  # holdings records count too
    overlap = {r["library"]: r for r in stats["overlap"]}
    assert overlap["THA"]["NAN"] == overlap["NAN"]["THA"] == 1 and overlap["THA"]["THA"] == 8
    assert (stats["union_records"], stats["shared_union_records"]) == (9, 1)
    this_year = datetime.now(timezone.utc).year
    assert stats["growth"] == [{"year": this_year, "source_records": 14, "union_records": 9,
                                "source_records_total": 14, "union_records_total": 9}]


async def test_cli_overrides_split_list_and_remove(sqlite_settings, member_servers, monkeypatch, capsys):
    from unioncat.db import create_engine, make_sessionmaker
    from unioncat.search.backend import SearchQuery

    engine = create_engine(sqlite_settings)
    sessions = make_sessionmaker(engine)
    await build_union_catalogue(sessions, sqlite_settings, member_servers)
    await engine.dispose()
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(sqlite_settings.data_dir))

    def holders():
        b = open_backend(sqlite_settings)
        try:
            return sorted(tuple(h.libraries) for h in b.search(SearchQuery(q="lich su nghe an")).hits)
        finally:
            b.close()

    assert holders() == [("NAN",), ("NAN", "THA")]
    assert await _run_cli(["overrides", "add", "split", "THA:oai:tha.lib.vn:T1", "--note", "bản in khác",
                           "--by", "thu-thu"]) == 0
    assert holders() == [("NAN",), ("NAN",), ("THA",)]
    capsys.readouterr()
    assert await _run_cli(["overrides", "list"]) == 0
    (listed,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (listed["kind"], listed["note"], listed["created_by"]) == ("split", "bản in khác", "thu-thu")
    assert await _run_cli(["overrides", "remove", str(listed["id"])]) == 0
    assert holders() == [("NAN",), ("NAN", "THA")]
    assert await _run_cli(["overrides", "add", "never", "THA:oai:tha.lib.vn:T1"]) == 2  # needs record_b: clear error
