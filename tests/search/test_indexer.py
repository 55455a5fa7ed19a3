"""The index stage against real databases (SQLite and PostgreSQL): reindex_all streams, index_dirty pushes."""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import select, update

from unioncat.db import Cluster, create_engine, make_sessionmaker, transaction
from unioncat.search.indexer import index_dirty, reindex_all
from unioncat.search.tantivy_backend import TantivyBackend

from .records import records


async def fill(sessions, n_copies: int = 1) -> list[str]:
    active = []
    async with transaction(sessions) as session:
        for k in range(n_copies):
            for record in records():
                record["id"] = f"{record['id']}-{k}"
                session.add(Cluster(id=record["id"], status="active", data=record, index_dirty=True))
                active.append(record["id"])
        session.add(Cluster(id="gone-1", status="absorbed", redirect_to=active[0], data=None, index_dirty=True))
        session.add(Cluster(id="gone-2", status="empty", data=None, index_dirty=True))
    return active


@pytest.fixture
async def sessions(db_settings):
    engine = create_engine(db_settings)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_reindex_all_streams_in_batches_and_clears_dirty(sessions, tmp_path):
    active = await fill(sessions, n_copies=3)
    backend = TantivyBackend(tmp_path / "index")
    progress: list[int] = []
    try:
        assert await reindex_all(sessions, backend, batch_size=7, on_progress=progress.append) == 90
        assert backend.count() == 90
        assert progress[-1] == 90 and len(progress) == 13  # 90 records in pages of 7
        async with sessions() as session:
            assert not (await session.execute(select(Cluster.id).where(Cluster.index_dirty.is_(True)))).all()
        from unioncat.search.backend import SearchQuery

        found = backend.search(SearchQuery(size=100, facets=False))
        assert sorted(h.id for h in found.hits) == sorted(active)
    finally:
        backend.close()


async def test_a_failing_rebuild_keeps_the_old_index_and_the_dirty_flags(sessions, tmp_path):
    await fill(sessions)
    backend = TantivyBackend(tmp_path / "index")
    backend.upsert(records()[:3])

    class Broken(Exception):
        pass

    original = backend.rebuild

    def rebuild(documents):
        def failing():
            for n, doc in enumerate(documents):
                if n == 10:
                    raise Broken()
                yield doc

        return original(failing())

    backend.rebuild = rebuild  # type: ignore[method-assign]
    try:
        with pytest.raises(Broken):
            await reindex_all(sessions, backend, batch_size=4)
        assert backend.count() == 3
        async with sessions() as session:
            dirty = (await session.execute(select(Cluster.id).where(Cluster.index_dirty.is_(True)))).scalars().all()
        assert len(dirty) == 32
    finally:
        backend.close()


async def test_reindex_all_memory_stays_flat(sessions, tmp_path):
    """Batches, not the whole table: peak Python memory while reindexing 600 records stays near a few batches."""
    await fill(sessions, n_copies=20)
    backend = TantivyBackend(tmp_path / "index")
    try:
        tracemalloc.start()
        assert await reindex_all(sessions, backend, batch_size=50) == 600
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        backend.close()
    assert peak < 8_000_000, peak


async def test_index_dirty_pushes_changes_and_deletes_the_absorbed(sessions, tmp_path):
    await fill(sessions)
    backend = TantivyBackend(tmp_path / "index")
    try:
        backend.upsert([{"id": "gone-1", "title": "old"}])
        assert await index_dirty(sessions, backend, batch_size=8) == 32
        assert backend.count() == 30
    finally:
        backend.close()


async def test_index_dirty_rebuilds_when_most_of_the_catalogue_changed(sessions, tmp_path):
    active = await fill(sessions, n_copies=2)  # 60 active + 2 gone, all dirty
    backend = TantivyBackend(tmp_path / "index")
    try:
        backend.upsert([{"id": "stale", "title": "in the index, not in the database"}])
        progress: list[tuple[int, int]] = []
        assert await index_dirty(sessions, backend, rebuild_at=40, on_progress=lambda *p: progress.append(p)) == 62
        assert backend.count() == 60  # a rebuild: what the database does not hold is gone too
        assert progress[-1] == (60, 60)
        async with sessions() as session:
            assert not (await session.execute(select(Cluster.id).where(Cluster.index_dirty.is_(True)))).all()

        # fewer changes than rebuild_at, or fewer than half of the catalogue, are upserted: no rebuild
        for changed, rebuild_at in ((active[:30], 40), (active[:20], 10)):
            backend.upsert([{"id": "stale", "title": "in the index, not in the database"}])
            async with transaction(sessions) as session:
                await session.execute(update(Cluster).where(Cluster.id.in_(changed)).values(index_dirty=True))
            assert await index_dirty(sessions, backend, rebuild_at=rebuild_at) == len(changed)
            assert backend.count() == 61
    finally:
        backend.close()
