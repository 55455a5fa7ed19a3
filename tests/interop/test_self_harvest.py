"""The strongest evidence for /oai: our own harvester harvests our own provider over real HTTP (uvicorn on
loopback) into a second, empty catalogue, across several pages, and every union record arrives once; after a
member library deletes a book, the incremental harvest sees the union record's deletion."""

from __future__ import annotations

import asyncio
import shutil

from sqlalchemy import select

from harvesters.harvest import harvest_library
from conftest import serve_in_thread
from interop.conftest import BOOKS, UNION_RECORDS
from unioncat.db import Cluster, SourceRecord, create_engine, make_sessionmaker, transaction
from unioncat.libraries import upsert_library
from unioncat.pipeline import process
from unioncat.search import open_backend
from unioncat.settings import Settings


async def _union_records(settings: Settings) -> dict[str, dict]:
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.execute(select(Cluster.id, Cluster.status, Cluster.data))).all()
    finally:
        await engine.dispose()
    return {cid: data for cid, status, data in rows if status == "active" and data}


async def test_our_harvester_harvests_our_provider(sqlite_catalogue, sqlite_template, tmp_path):
    source = sqlite_catalogue
    expected = await _union_records(source.settings)
    assert len(expected) == UNION_RECORDS

    server, thread, port = serve_in_thread(source.app(oai_page_size=4))
    target_dir = tmp_path / "downstream"
    target_dir.mkdir()
    shutil.copy(sqlite_template, target_dir / "unioncat.sqlite3")
    target = Settings(data_dir=target_dir)
    engine = create_engine(target)
    sessions = make_sessionmaker(engine)
    try:
        async with transaction(sessions) as s:
            await upsert_library(s, "UNION", name="Mục lục liên hợp", province=None,
                                 oai_url=f"http://127.0.0.1:{port}/oai")
        summary = await harvest_library(sessions, target, "UNION")
        assert summary.status == "succeeded", summary.error
        assert summary.pages == -(-UNION_RECORDS // 4)  # followed every resumption token
        async with sessions() as session:
            rows = (await session.execute(select(SourceRecord.identifier, SourceRecord.deleted, SourceRecord.raw)
                                          )).all()
        assert sorted(r.identifier for r in rows) == sorted(f"oai:unioncat:{cid}" for cid in expected)
        assert not any(r.deleted for r in rows)

        # the harvested MARC goes through the downstream pipeline: same books, same titles
        backend = open_backend(target)
        try:
            stats = await process(sessions, backend)
        finally:
            backend.close()
        assert stats.normalize.quarantined == 0
        downstream = await _union_records(target)
        assert sorted(d["title"] for d in downstream.values()) == sorted(d["title"] for d in expected.values())
        merged = [d for d in downstream.values() if d["title"] == "Lịch sử Nghệ An"]
        assert merged and merged[0]["isbns"] == ["9786049580123"]

        # a member library deletes its only copy: the next incremental harvest sees a deleted union record
        await asyncio.sleep(1.1)
        source.oai.repositories["HUE"].delete(BOOKS["HUE"][0][0])
        await source.reharvest("HUE")
        gone = [cid for cid in expected if cid not in await _union_records(source.settings)]
        assert len(gone) == 1
        summary = await harvest_library(sessions, target, "UNION")
        assert summary.status == "succeeded", summary.error
        assert summary.records_deleted == 1
        async with sessions() as session:
            deleted = (await session.execute(select(SourceRecord.identifier).where(SourceRecord.deleted.is_(True))
                                             )).scalars().all()
        assert deleted == [f"oai:unioncat:{gone[0]}"]
    finally:
        await engine.dispose()
        server.should_exit = True
        thread.join(timeout=10)
