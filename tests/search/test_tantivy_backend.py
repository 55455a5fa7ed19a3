"""What only the embedded tantivy adapter promises: generations, the CURRENT pointer, reopening, readers
surviving a rebuild, and the wiring in `open_backend`."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
import tantivy

from unioncat.search import open_backend
from unioncat.search.backend import BadQuery, SearchQuery, SearchUnavailable
from unioncat.search.base import encode_cursor
from unioncat.search.tantivy_backend import GEN_PREFIX, POINTER_FILE, SCHEMA_FILE, TantivyBackend
from unioncat.settings import Settings

from .records import records


def generations(index_dir) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir() and p.name.startswith(GEN_PREFIX))


def current(index_dir) -> str:
    return (index_dir / POINTER_FILE).read_text().strip()


@pytest.fixture
def index_dir(tmp_path):
    return tmp_path / "index"


@pytest.fixture
def filled(index_dir):
    backend = TantivyBackend(index_dir)
    backend.upsert(records())
    yield backend
    backend.close()


def test_layout_is_one_generation_behind_a_pointer(filled, index_dir):
    assert generations(index_dir) == [current(index_dir)]
    assert json.loads((index_dir / current(index_dir) / SCHEMA_FILE).read_text())["version"] >= 1


def test_rebuild_switches_atomically_and_removes_the_old_generation(filled, index_dir):
    old = current(index_dir)
    assert filled.rebuild(records()[:3]) == 3
    new = current(index_dir)
    assert new != old
    assert generations(index_dir) == [new]
    assert filled.count() == 3


def test_other_instances_follow_a_rebuild(filled, index_dir):
    reader = TantivyBackend(index_dir)  # e.g. `unioncat serve` while `unioncat reindex` runs elsewhere
    try:
        assert reader.search(SearchQuery()).total == 30
        filled.rebuild(records()[:4])
        assert reader.search(SearchQuery()).total == 4
        assert reader.count() == 4
    finally:
        reader.close()


def test_an_open_searcher_keeps_answering_after_its_generation_is_removed(filled, index_dir):
    old_gen = filled._current()
    searcher = old_gen.index.searcher()
    filled.rebuild(records()[:2])
    assert not old_gen.path.exists()
    result = searcher.search(tantivy.Query.all_query(), 50)
    assert result.count == 30
    assert searcher.doc(result.hits[0][1]).get_first("id").startswith("u-")


def test_searches_during_a_rebuild_see_the_old_index(filled, index_dir):
    reader = TantivyBackend(index_dir)
    seen: list[tuple[int, int]] = []

    def documents():
        for n, record in enumerate(records()[:10]):
            if n == 5:  # halfway through the rebuild, both instances still answer from the old generation
                seen.append((filled.search(SearchQuery(q="kiều")).total, reader.search(SearchQuery()).total))
            yield record

    try:
        filled.rebuild(documents())
        assert seen == [(2, 30)]
        assert reader.search(SearchQuery()).total == 10
    finally:
        reader.close()


def test_concurrent_searches_across_a_rebuild(filled):
    failures: list[BaseException] = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                assert filled.search(SearchQuery(q="việt nam")).total >= 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
                return

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            filled.rebuild(records())
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert filled.count() == 30


def test_a_failed_rebuild_keeps_the_old_index(filled, index_dir):
    before = current(index_dir)

    def broken():
        yield from records()[:5]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        filled.rebuild(broken())
    assert current(index_dir) == before
    assert generations(index_dir) == [before]
    assert filled.count() == 30


def test_a_record_without_id_is_refused_and_nothing_of_the_batch_is_committed(filled):
    bad = records()[0]
    del bad["id"]
    new = records()[1]
    new["id"] = "u-new"
    with pytest.raises(ValueError):
        filled.upsert([new, bad])
    assert filled.count() == 30
    assert filled.search(SearchQuery(q="kiều")).total == 2


def test_rebuild_with_duplicate_ids_keeps_the_last(filled):
    first, second = records()[1], records()[1]
    second["title"] = "Truyện Kiều (bản mới)"
    assert filled.rebuild([first, second, records()[2]]) == 2
    assert filled.count() == 2
    [hit] = filled.search(SearchQuery(q="kiều")).hits
    assert hit.title == "Truyện Kiều (bản mới)"


def test_reopened_index_registers_its_tokenizers(filled, index_dir):
    filled.close()
    again = TantivyBackend(index_dir)
    try:
        assert {h.id for h in again.search(SearchQuery(q="nghe an")).hits} >= {"u-001", "u-016"}
        extra = records()[0]
        extra.update(id="u-200", title="Hồ Xuân Hương")
        again.upsert([extra])  # indexing needs the custom tokenizers
        assert [h.id for h in again.search(SearchQuery(q="xuan huong")).hits] == ["u-200"]
    finally:
        again.close()


def test_an_index_of_another_schema_version_asks_for_a_reindex(filled, index_dir):
    (index_dir / current(index_dir) / SCHEMA_FILE).write_text(json.dumps({"version": 0}))
    stale = TantivyBackend(index_dir)
    with pytest.raises(SearchUnavailable, match="reindex"):
        stale.search(SearchQuery())
    assert stale.rebuild(records()) == 30  # a rebuild is the way out
    assert stale.search(SearchQuery()).total == 30
    stale.close()


def test_closed_backend_is_unavailable(filled):
    filled.close()
    with pytest.raises(SearchUnavailable):
        filled.search(SearchQuery())
    with pytest.raises(SearchUnavailable):
        filled.upsert(records()[:1])


def test_open_backend_chooses_tantivy_without_opensearch_url(tmp_path):
    backend = open_backend(Settings(data_dir=tmp_path, opensearch_url=None))
    assert isinstance(backend, TantivyBackend)
    assert backend.index_dir == tmp_path / "index"
    assert backend.count() == 0
    backend.close()


def test_first_use_from_several_threads_does_not_deadlock(index_dir):
    backend = TantivyBackend(index_dir)
    errors: list[BaseException] = []

    def search():
        try:
            for _ in range(20):
                backend.search(SearchQuery(q="kiều"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    def write():
        try:
            backend.upsert(records())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert errors == []
    assert generations(index_dir) == [current(index_dir)]
    assert backend.count() == 30
    backend.close()


def _many(n: int):
    base = records()
    for i in range(n):
        record = dict(base[i % len(base)])
        record["id"] = f"m-{i:06d}"
        yield record


def test_large_rebuild_prepares_in_worker_processes(tmp_path):
    parallel = TantivyBackend(tmp_path / "parallel", prepare_workers=2)
    inline = TantivyBackend(tmp_path / "inline", prepare_workers=1)
    try:
        extra = records()[1]
        extra["id"] = "m-000003"  # a duplicate id in a later chunk: the last one wins
        extra["title"] = "Bản cuối cùng"
        assert parallel.rebuild(itertools.chain(_many(7_000), [extra])) == 7_000
        assert inline.rebuild(itertools.chain(_many(7_000), [extra])) == 7_000
        for q in ("", "kiều", "nghe an", "cuối cùng"):
            a = parallel.search(SearchQuery(q=q, size=50, sort="title"))
            b = inline.search(SearchQuery(q=q, size=50, sort="title"))
            assert (a.total, [h.id for h in a.hits], a.facets) == (b.total, [h.id for h in b.hits], b.facets)
        assert [h.id for h in parallel.search(SearchQuery(q="cuối cùng")).hits] == ["m-000003"]

        def failing():
            yield from _many(6_000)
            raise RuntimeError("source went away")

        with pytest.raises(RuntimeError):
            parallel.rebuild(failing())
        assert parallel.count() == 7_000
    finally:
        parallel.close()
        inline.close()


@pytest.mark.parametrize("after", [[2**63, 0], [-1, 0], [0, -1], [0, 10**9], ["x", 0], [True, 0], [1, 2, 3]])
def test_a_cursor_state_tantivy_cannot_hold_is_a_bad_query(filled, after):
    query = SearchQuery(q="hoa", sort="year_asc", size=2)
    with pytest.raises(BadQuery, match="invalid cursor"):
        filled.search(query.model_copy(update={"cursor": encode_cursor(query, 2, after)}))
