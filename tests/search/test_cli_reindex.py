"""`unioncat reindex` end to end on both databases: every active union record from the clusters table into a new
tantivy generation, live searches switched to it, progress and a summary on the console."""

from __future__ import annotations

import asyncio

from unioncat.cli import main
from unioncat.db import Cluster, create_engine, make_sessionmaker, transaction
from unioncat.search.backend import SearchQuery
from unioncat.search.tantivy_backend import TantivyBackend

from .records import records


async def _fill(settings) -> None:
    engine = create_engine(settings)
    async with transaction(make_sessionmaker(engine)) as session:
        for record in records():
            session.add(Cluster(id=record["id"], status="active", data=record, index_dirty=False))
        session.add(Cluster(id="u-gone", status="absorbed", redirect_to="u-001", data=None))
        session.add(Cluster(id="u-empty", status="active", data={}))  # no union record built: skipped
    await engine.dispose()


def test_reindex_command_rebuilds_from_the_database(db_settings, monkeypatch, capsys):
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("UNIONCAT_DATABASE_URL", db_settings.database_url)
    monkeypatch.delenv("UNIONCAT_OPENSEARCH_URL", raising=False)
    asyncio.run(_fill(db_settings))
    live = TantivyBackend(db_settings.index_dir)
    live.upsert([{"id": "stale", "title": "only in the old index"}])
    try:
        assert main(["reindex"]) == 0
        assert "index rebuilt with 30 union records" in capsys.readouterr().err  # the console is stderr
        assert live.count() == 30  # an open backend follows the switch
        assert [h.id for h in live.search(SearchQuery(q="kiều", sort="year_asc")).hits] == ["u-010", "u-002"]
    finally:
        live.close()
