"""Every harvest run is recorded and shown: `unioncat status [--json]` and `GET /api/v1/libraries/{code}/harvests`,
with start, end, status, requests, retries, record counts, the run's error, per-record errors and the records it
brought in that normalization quarantined. Real harvests of a loopback OAI-PMH endpoint, on both databases."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from harvesters.harvest import harvest_library
from unioncat.app import create_app
from unioncat.cli import main
from unioncat.db import create_engine, make_sessionmaker
from unioncat.demo.oai_server import Fault, OAIServer
from unioncat.normalize.service import normalize_pending

MARC = "http://www.loc.gov/MARC21/slim"


def marc(n: int, leader: str = "00000nam a2200000 a 4500") -> bytes:
    return (f'<record xmlns="{MARC}"><leader>{leader}</leader><controlfield tag="001">{n}</controlfield>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Sách số {n}</subfield></datafield>'
            "</record>").encode()


async def _no_wait(_seconds: float) -> None:
    return None


async def _harvest_again_and_normalize(settings, code: str) -> None:
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    await normalize_pending(sessions)
    summary = await harvest_library(sessions, settings, code, sleep=_no_wait)
    assert summary.status == "succeeded" and summary.retries == 1
    await engine.dispose()


@pytest.fixture
def harvested(db_settings, monkeypatch):
    """ST: a run with a record without metadata and a record normalization quarantines, then a run with a
    retry; SF: a run that failed (HTTP 403). Registered and first harvested through the CLI."""
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("UNIONCAT_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("COLUMNS", "250")
    with OAIServer() as server:
        records = [(f"oai:st:{i}", "2024-01-10T08:00:00Z", False, marc(i), []) for i in range(20)]
        records.append(("oai:st:bad-leader", "2024-01-10T08:00:00Z", False, marc(99, leader="garbage"), []))
        st = server.add_repository("ST", records, page_size=10)
        st.response_date = "2024-02-01T00:00:00Z"
        st.put("oai:st:no-metadata", "2024-01-10T08:00:00Z")  # served without a <metadata> child
        sf = server.add_repository("SF", records, page_size=10)
        sf.add_fault(Fault.http_status(403, verb="ListRecords"))
        for code in ("ST", "SF"):
            assert main(["libraries", "add", code, "--name", f"Thư viện {code}", "--oai-url",
                         server.base_url(code), "--province", "Nghệ An"]) == 0
        assert main(["harvest", "ST", "SF", "--no-process"]) == 1  # one library failed: exit code 1
        st.response_date = "2024-03-01T00:00:00Z"
        st.add_fault(Fault.http_status(503, retry_after=0, verb="ListRecords"))
        asyncio.run(_harvest_again_and_normalize(db_settings, "ST"))
    return db_settings


def test_status_json_shows_runs_errors_and_quarantined_records(harvested, capsys):
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    rows = {row["code"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(rows) == {"SF", "ST"}

    st = rows["ST"]
    assert st["records"] == 21 and st["watermark"] == "2024-03-01T00:00:00Z"
    assert st["quarantined"] == 2 and st["quarantine"] == {"harvest": 1, "normalize": 1}
    last = st["last_run"]
    assert last["status"] == "succeeded" and last["retries"] == 1 and last["requests"] >= 3
    assert last["started_at"] <= last["finished_at"] and st["last_success"] == last["finished_at"]

    sf = rows["SF"]["last_run"]
    assert sf["status"] == "failed" and "HTTP 403" in sf["error"] and sf["finished_at"]
    assert rows["SF"]["last_success"] is None and rows["SF"]["records"] == 0
    assert sf["errors_total"] == 1 and "access denied" in sf["errors"][0]["message"]

    capsys.readouterr()
    assert main(["status"]) == 0
    table = capsys.readouterr().out
    assert "Thư viện ST" in table and "HTTP 403" in table


async def test_harvest_history_api_shows_every_run_with_its_problems(harvested):
    app = create_app(harvested)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            response = await client.get("/api/v1/libraries/ST/harvests")
            missing = await client.get("/api/v1/libraries/NOPE/harvests")
            failed = await client.get("/api/v1/libraries/SF")
    assert response.status_code == 200
    runs = response.json()["harvests"]
    assert [r["status"] for r in runs] == ["succeeded", "succeeded_with_errors"]  # newest first
    second, first = runs
    assert second["retries"] == 1 and second["records_new"] == 0 and second["from"] == "2024-01-31T23:59:59Z"
    # Identify, ListMetadataFormats, 3 pages and one GetRecord of the quarantined record
    assert (first["records_new"], first["records_failed"], first["requests"]) == (21, 1, 6)
    assert first["started_at"] and first["finished_at"] and first["error"] is None
    assert first["errors"] == []
    assert first["quarantined_total"] == 2
    unreadable, unparsable = first["quarantined"]
    assert unreadable == {"identifier": "oai:st:no-metadata", "position": "page 3, item 2", "stage": "harvest",
                          "error": "record without metadata"}
    assert unparsable["identifier"] == "oai:st:bad-leader" and unparsable["stage"] == "normalize"
    assert "leader" in unparsable["error"]
    assert second["errors"] == [] and second["quarantined"] == []
    assert missing.status_code == 404 and missing.json()["error"] == "LibraryNotFound"
    assert failed.json()["last_run"]["status"] == "failed" and "HTTP 403" in failed.json()["last_run"]["error"]
