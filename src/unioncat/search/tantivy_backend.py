"""The embedded search backend: a tantivy index in the data dir.

Layout under `index_dir`:
    CURRENT           name of the live generation directory (replaced atomically with os.replace)
    gen-<ns>/         one complete tantivy index per generation; `rebuild` writes a new one and switches
    .write.lock       flock serializing writers (upsert/delete/rebuild) across processes

Searches never take a lock: each one uses the searcher of the generation that was live when it started, and
notices a switch made by another process (e.g. `unioncat reindex` while `unioncat serve` runs) through the
CURRENT file's identity. Text fields are indexed twice: accented (lowercased, marks kept) and folded (no marks,
đ->d); a query term matches either, and the accented field weighs more, so exact-accent matches rank first.
"""

from __future__ import annotations

import base64
import collections
import concurrent.futures
import contextlib
import itertools
import json
import multiprocessing
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import tantivy

from unioncat.search.backend import (
    FACETS,
    BadQuery,
    FacetValue,
    SearchError,
    SearchQuery,
    SearchUnavailable,
)
from unioncat.search.base import (
    ACCENT_BOOST,
    TOGETHER_BOOST,
    together_phrases,
    FIELD_WEIGHTS,
    ISBN_BOOST,
    MAX_TOKEN_BYTES,
    QUERY_FIELD_MAP,
    YEAR_FACET_SIZE,
    YEAR_MAX,
    YEAR_MIN,
    EngineBackend,
    EnginePage,
    RangeFilter,
    filter_specs,
    sort_facet_values,
)
from unioncat.search.collation import sort_rank
from unioncat.search.documents import FACET_FIELDS, TEXT_FIELDS, accented, fold, nfc, to_document
from unioncat.search.query import ParsedQuery, Term

try:  # POSIX; elsewhere cross-process writer exclusion falls back to tantivy's own writer lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: collation sort keys, ranks, title_prefix, holdings
SCHEMA_FILE = "unioncat-schema.json"
POINTER_FILE = "CURRENT"
GEN_PREFIX = "gen-"

ACCENTED_TOKENIZER = "unioncat_vi_accented"
FOLDED_TOKENIZER = "unioncat_vi_folded"
NO_YEAR = 99_999
# Sort -> (text fast field holding a unique ascending key, i64 rank field that never decreases along the key).
# Keys end with the id, so the order is total and the same as OpenSearch's [field, id] sorts. (One integer per
# sort cannot hold a year and a whole union id: 15 + 55 bits; ties would be ordered by tantivy's doc address.)
SORT_FIELDS = {
    "title": ("title_sort", "title_rank"),
    "year_asc": ("year_asc_key", "year_asc_rank"),
    "year_desc": ("year_desc_key", "year_desc_rank"),
}
UPSERT_HEAP = 64_000_000
UPSERT_THREADS = 1
REBUILD_HEAP = 256_000_000
REBUILD_THREADS = max(1, min(2, os.cpu_count() or 1))
WRITER_LOCK_TIMEOUT = 30.0
PREPARE_WORKERS = max(1, min(4, os.cpu_count() or 1))  # processes preparing documents during a rebuild
PREPARE_CHUNK = 1_000
PREPARE_INLINE_LIMIT = 5_000  # a rebuild of fewer records prepares them in this process


# Runs facet aggregations beside the hit fetching of the same search (see `_execute`); tantivy releases the GIL.
_AGGREGATOR = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="unioncat-facets")


def _analyzer(folded: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES))
        .filter(tantivy.Filter.lowercase())
    )
    if folded:
        # Documents and queries are folded in Python first (đ->d, marks stripped); this is a safety net.
        builder = builder.filter(tantivy.Filter.ascii_fold())
    return builder.build()


_ACCENTED = _analyzer(folded=False)
_FOLDED = _analyzer(folded=True)


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for field in TEXT_FIELDS:
        sb.add_text_field(field, tokenizer_name=ACCENTED_TOKENIZER, index_option="position")
        sb.add_text_field(f"{field}_folded", tokenizer_name=FOLDED_TOKENIZER, index_option="position")
    sb.add_text_field("isbns", tokenizer_name="raw", index_option="basic")
    for field in FACET_FIELDS.values():
        sb.add_text_field(field, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_integer_field("holdings", fast=True)
    sb.add_text_field("title_prefix", tokenizer_name="raw", index_option="basic")
    for key_field, rank_field in SORT_FIELDS.values():
        sb.add_text_field(key_field, tokenizer_name="raw", fast=True, index_option="basic")
        sb.add_integer_field(rank_field, indexed=True, fast=True)
    sb.add_bytes_field("stored", stored=True)
    return sb.build()


SCHEMA = build_schema()


def _regex_escape(text: str) -> str:
    """Escape for tantivy's regex syntax (Rust regex): every ASCII punctuation character gets a backslash."""
    return "".join("\\" + ch if ch.isascii() and not ch.isalnum() and ch != " " else ch for ch in text)


def _is_fatal(exc: BaseException) -> bool:
    return isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


@contextlib.contextmanager
def _engine_errors(message: str) -> Iterator[None]:
    """Translate whatever tantivy raises (ValueError, OSError, pyo3 PanicException) into SearchUnavailable."""
    try:
        yield
    except SearchError:
        raise
    except BaseException as exc:
        if _is_fatal(exc):
            raise
        raise SearchUnavailable(f"{message}: {exc}") from exc


def _doc_json(doc: dict) -> str:
    """A search document (`to_document`) as the JSON tantivy's `add_json` takes (bytes as base64)."""
    out: dict[str, Any] = {"id": doc["id"]}
    for field in TEXT_FIELDS:
        out[field] = doc[field]
        out[f"{field}_folded"] = doc[f"{field}_folded"]
    out["isbns"] = doc["isbns"]
    for field in FACET_FIELDS.values():
        out[field] = doc[field]
    if doc["year"] is not None:
        out["year"] = doc["year"]
    out["holdings"] = doc["holdings_count"]
    out["title_prefix"] = doc["title_prefix"]
    for field, key in sort_keys(doc).items():
        out[field] = key
        out[SORT_RANK_OF[field]] = sort_rank(key) if field == "title_sort" else int(key[:5])
    out["stored"] = base64.b64encode(doc["stored"].encode("utf-8")).decode("ascii")
    return orjson.dumps(out).decode("utf-8")


def prepare_chunk(records: list[dict | str]) -> list[tuple[str, str]]:
    """Union records (dicts or JSON text) -> (id, tantivy JSON) pairs. Runs in worker processes during a rebuild."""
    out = []
    for record in records:
        doc = to_document(record)
        out.append((doc["id"], _doc_json(doc)))
    return out


SORT_RANK_OF = dict(SORT_FIELDS.values())


def sort_keys(doc: dict) -> dict[str, str]:
    """The text sort keys of a document; year keys start with 5 digits, which are also their rank."""
    year, doc_id = doc["year"], doc["id"]
    asc = NO_YEAR if year is None else year - YEAR_MIN + 1
    desc = NO_YEAR if year is None else YEAR_MAX - year
    return {
        "title_sort": doc["title_sort"],
        "year_asc_key": f"{asc:05d} {doc_id}",
        "year_desc_key": f"{desc:05d} {doc_id}",
    }


class _Generation:
    """One opened index generation."""

    def __init__(self, name: str, path: Path, index: tantivy.Index):
        self.name = name
        self.path = path
        self.index = index


class TantivyBackend(EngineBackend):
    """`SearchBackend` on an embedded tantivy index stored under `index_dir`."""

    def __init__(
        self,
        index_dir: Path,
        *,
        facet_size: int = 20,
        writer_heap: int = UPSERT_HEAP,
        rebuild_heap: int = REBUILD_HEAP,
        rebuild_threads: int = REBUILD_THREADS,
        prepare_workers: int = PREPARE_WORKERS,
    ):
        self.index_dir = Path(index_dir)
        self.facet_size = facet_size
        self.writer_heap = writer_heap
        self.rebuild_heap = rebuild_heap
        self.rebuild_threads = rebuild_threads
        self.prepare_workers = prepare_workers
        self._write_lock = threading.RLock()  # one writer at a time in this process
        self._state_lock = threading.Lock()  # guards _gen / _pointer_stamp
        self._gen: _Generation | None = None
        self._pointer_stamp: tuple[int, int] | None = None
        self._closed = False
        self._held = threading.local()  # this thread's re-entry depth in _process_lock
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchUnavailable(f"cannot create the search index directory {self.index_dir}: {exc}") from exc

    # ------------------------------------------------------------------ generations

    @property
    def _pointer(self) -> Path:
        return self.index_dir / POINTER_FILE

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self._pointer)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    @contextlib.contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Exclusive across processes: writers (and the first creation of an index) take it."""
        if fcntl is None or getattr(self._held, "depth", 0):  # pragma: no cover - no flock / re-entered
            self._held.depth = getattr(self._held, "depth", 0) + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        with open(self.index_dir / ".write.lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # flock: two opens in one process exclude each other too
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _open_generation(self, name: str) -> _Generation:
        path = self.index_dir / name
        try:
            meta = json.loads((path / SCHEMA_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise SearchUnavailable(f"search index {path} is missing or damaged; run `unioncat reindex`") from exc
        if meta.get("version") != SCHEMA_VERSION:
            raise SearchUnavailable(
                f"search index {path} has schema version {meta.get('version')}, this unioncat needs "
                f"{SCHEMA_VERSION}; run `unioncat reindex`"
            )
        with _engine_errors(f"cannot open search index {path}"):
            index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
            self._register_tokenizers(index)
        return _Generation(name, path, index)

    @staticmethod
    def _register_tokenizers(index: tantivy.Index) -> None:
        # Custom tokenizers are not persisted in the index: register them on every open.
        index.register_tokenizer(ACCENTED_TOKENIZER, _ACCENTED)
        index.register_tokenizer(FOLDED_TOKENIZER, _FOLDED)

    def _create_generation(self) -> _Generation:
        name = f"{GEN_PREFIX}{time.time_ns():020d}"
        path = self.index_dir / name
        path.mkdir(parents=True)
        index = tantivy.Index(SCHEMA, path=str(path), reuse=False)
        self._register_tokenizers(index)
        (path / SCHEMA_FILE).write_text(json.dumps({"version": SCHEMA_VERSION}))
        return _Generation(name, path, index)

    def _write_pointer(self, name: str) -> None:
        tmp = self.index_dir / f"{POINTER_FILE}.tmp-{os.getpid()}-{threading.get_ident()}"
        with open(tmp, "w") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._pointer)
        with contextlib.suppress(OSError):  # make the rename durable where the platform allows it
            dir_fd = os.open(self.index_dir, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _current(self) -> _Generation:
        """The live generation, reopened when the CURRENT pointer changed (rebuild by another process).

        Lock order everywhere: _write_lock -> process lock -> _state_lock.
        """
        if self._closed:
            raise SearchUnavailable("the search backend is closed")
        gen = self._gen
        if gen is not None and self._stamp() == self._pointer_stamp:
            return gen
        if self._stamp() is None:
            with self._process_lock():
                if self._stamp() is None:  # nobody created it meanwhile: start with an empty index
                    created = self._create_generation()
                    self._write_pointer(created.name)
        with self._state_lock:
            for attempt in range(3):
                stamp = self._stamp()
                if self._gen is not None and stamp == self._pointer_stamp:
                    return self._gen
                try:
                    name = self._pointer.read_text().strip()
                except OSError as exc:
                    raise SearchUnavailable(f"cannot read {self._pointer}: {exc}") from exc
                if self._gen is not None and self._gen.name == name:
                    self._pointer_stamp = stamp
                    return self._gen
                try:
                    self._gen = self._open_generation(name)
                except SearchUnavailable:
                    # Another process may have switched and removed this generation just now: read again.
                    if attempt == 2 or self._stamp() == stamp:
                        raise
                    continue
                self._pointer_stamp = stamp
                return self._gen
            raise SearchUnavailable("the search index keeps changing; try again")  # pragma: no cover

    # ------------------------------------------------------------------ writing

    def _writer(self, index: tantivy.Index, heap: int, threads: int) -> Any:
        deadline = time.monotonic() + WRITER_LOCK_TIMEOUT
        while True:
            try:
                return index.writer(heap, threads)
            except ValueError as exc:  # LockBusy: another process writes this generation
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise SearchUnavailable(f"cannot open the search index writer: {exc}") from exc
                time.sleep(0.1)

    def _apply(self, ops: Iterable[tuple[str, dict | str]]) -> int:
        """Run ("upsert", doc) / ("delete", id) operations in one commit on the live generation.

        Errors from the caller's data (e.g. a record without an id) propagate as they are; engine errors become
        SearchUnavailable. Either way nothing of the batch is committed.
        """
        count = 0
        with self._write_lock, self._process_lock():
            gen = self._current()
            writer = None
            try:
                for op, payload in ops:
                    with _engine_errors("search index write failed"):
                        if writer is None:
                            writer = self._writer(gen.index, self.writer_heap, UPSERT_THREADS)
                        if op == "upsert":
                            assert isinstance(payload, dict)
                            writer.delete_documents_by_term("id", payload["id"])
                            writer.add_json(_doc_json(payload))
                            count += 1
                        else:
                            writer.delete_documents_by_term("id", payload)
                if writer is not None:
                    with _engine_errors("search index commit failed"):
                        writer.commit()
            except BaseException:
                if writer is not None:
                    with contextlib.suppress(BaseException):
                        writer.rollback()
                raise
            finally:
                if writer is not None:
                    with contextlib.suppress(BaseException):
                        writer.wait_merging_threads()
            if writer is not None:
                with _engine_errors("search index reload failed"):
                    gen.index.reload()
        return count

    def upsert(self, documents: Iterable[dict]) -> int:
        """Add or replace union records by id; visible to searches when this returns."""
        return self._apply(("upsert", to_document(record)) for record in documents)

    def delete(self, ids: Iterable[str]) -> None:
        self._apply(("delete", nfc(str(i))) for i in ids)

    def rebuild(self, documents: Iterable[dict | str]) -> int:
        """Write every document into a fresh generation, then switch CURRENT to it atomically.

        Searches keep using the old generation until the switch; writes from this process wait (they would be
        lost otherwise); the old generation's files are removed afterwards (open readers keep their mapped
        files on POSIX and move to the new generation at their next search).
        """
        with self._write_lock, self._process_lock():
            if self._closed:
                raise SearchUnavailable("the search backend is closed")
            with _engine_errors("cannot create a new search index"):
                gen = self._create_generation()
            count = 0
            try:
                with _engine_errors("cannot open the rebuild writer"):
                    writer = self._writer(gen.index, self.rebuild_heap, self.rebuild_threads)
                try:
                    seen: set[str] = set()
                    for doc_id, doc_json in self._prepared(documents):
                        with _engine_errors("search index rebuild failed"):
                            if doc_id in seen:
                                writer.delete_documents_by_term("id", doc_id)
                            else:
                                seen.add(doc_id)
                                count += 1
                            writer.add_json(doc_json)
                    with _engine_errors("search index rebuild commit failed"):
                        writer.commit()
                finally:
                    with contextlib.suppress(BaseException):
                        writer.wait_merging_threads()
                with _engine_errors("search index reload failed"):
                    gen.index.reload()
            except BaseException:
                shutil.rmtree(gen.path, ignore_errors=True)
                raise
            with self._state_lock:
                self._write_pointer(gen.name)
                self._gen = gen
                self._pointer_stamp = self._stamp()
            self._remove_stale_generations(keep=gen.name)
            return count

    def _prepared(self, documents: Iterable[dict | str]) -> Iterator[tuple[str, str]]:
        """(id, JSON) for every record, in input order. Preparing a document (NFC, folding, sort keys, stored
        JSON) costs far more than tantivy's indexing of it, so a large rebuild prepares chunks in
        `prepare_workers` processes while this thread reads the input and feeds the writer; a bounded window
        of chunks in flight keeps memory flat. Small inputs are prepared inline."""
        records = iter(documents)
        head = list(itertools.islice(records, PREPARE_INLINE_LIMIT))
        if len(head) < PREPARE_INLINE_LIMIT or self.prepare_workers <= 1:
            yield from prepare_chunk(head)
            while chunk := list(itertools.islice(records, PREPARE_CHUNK)):
                yield from prepare_chunk(chunk)
            return

        def chunks() -> Iterator[list[dict | str]]:
            for start in range(0, len(head), PREPARE_CHUNK):
                yield head[start : start + PREPARE_CHUNK]
            while chunk := list(itertools.islice(records, PREPARE_CHUNK)):
                yield chunk

        # spawn: the workers never inherit this process's threads or locks (tantivy writers, servers).
        # concurrent.futures rather than multiprocessing.Pool: Pool.terminate() (on a failing source) could
        # hang for good once a worker had gone; an executor shut down without waiting cannot.
        pool = concurrent.futures.ProcessPoolExecutor(self.prepare_workers,
                                                      mp_context=multiprocessing.get_context("spawn"))
        finished = False
        try:
            pending: collections.deque = collections.deque()
            for chunk in chunks():
                pending.append(pool.submit(prepare_chunk, chunk))
                if len(pending) >= 2 * self.prepare_workers:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
            finished = True
        finally:
            pool.shutdown(wait=finished, cancel_futures=True)

    def _remove_stale_generations(self, keep: str) -> None:
        for path in self.index_dir.iterdir():
            if path.is_dir() and path.name.startswith(GEN_PREFIX) and path.name != keep:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.index_dir.glob(f"{POINTER_FILE}.tmp-*"):
            with contextlib.suppress(OSError):
                path.unlink()

    # ------------------------------------------------------------------ reading

    def count(self) -> int:
        gen = self._current()
        with _engine_errors("search index unavailable"):
            return gen.index.searcher().num_docs

    def _execute(
        self, parsed: ParsedQuery, query: SearchQuery, *, offset: int, after: Any, size: int, facets: bool
    ) -> EnginePage:
        gen = self._current()
        with _engine_errors("search failed"):
            engine_query = self._build_query(parsed, query)  # BadQuery for bad filters
            searcher = gen.index.searcher()
            # Facets are the costliest part of a search and tantivy releases the GIL while it aggregates: start
            # them first in another thread, so the hits are fetched, decoded and highlighted meanwhile.
            pending = _AGGREGATOR.submit(self._facets, searcher, engine_query) if facets else None
            limit = max(size, 1)  # tantivy refuses limit=0; size=0 (facets only) asks for one hit and drops it
            next_after = None
            if query.sort == "relevance":
                result = searcher.search(engine_query, limit, count=True, offset=offset)
                total = result.count
                addresses = [address for _, address in result.hits][:size]
            else:
                key_field, rank_field = SORT_FIELDS[query.sort]
                if after is None:
                    result = searcher.search(
                        engine_query, limit, count=True, order_by_field=key_field, order=tantivy.Order.Asc,
                        offset=offset,
                    )
                    total = result.count
                else:
                    rank, in_group = self._after_state(after)
                    seek = tantivy.Query.range_query(SCHEMA, rank_field, tantivy.FieldType.Integer, rank, None)
                    paged = tantivy.Query.boolean_query(
                        [(tantivy.Occur.Must, engine_query), (tantivy.Occur.Must, seek)]
                    )
                    result = searcher.search(
                        paged, limit, count=False, order_by_field=key_field, order=tantivy.Order.Asc,
                        offset=in_group,
                    )
                    total = searcher.search(engine_query, 1, count=True).count
                addresses = [address for _, address in result.hits][:size]
                if addresses:
                    ranks = searcher.fast_field_values(rank_field, addresses)
                    last = ranks[-1]
                    same = sum(1 for r in ranks if r == last)
                    if after is not None:
                        rank, in_group = self._after_state(after)
                        if all(r == rank for r in ranks):
                            same = in_group + len(ranks)
                    elif ranks[0] == last and offset > 0:
                        # the group may have started on an earlier page: count what lies before it
                        before = tantivy.Query.range_query(
                            SCHEMA, rank_field, tantivy.FieldType.Integer, None, last, include_upper=False
                        )
                        earlier = searcher.search(
                            tantivy.Query.boolean_query(
                                [(tantivy.Occur.Must, engine_query), (tantivy.Occur.Must, before)]
                            ), 1, count=True,
                        ).count
                        same = offset + len(addresses) - earlier
                    next_after = [last, same]
            records = [orjson.loads(searcher.doc(address).get_first("stored")) for address in addresses]
        if pending is None:
            return EnginePage(total=total, records=records, after=next_after)

        def facet_values() -> dict[str, list[FacetValue]]:
            with _engine_errors("search failed"):
                return pending.result()

        return EnginePage(total=total, records=records, after=next_after, pending_facets=facet_values)

    @staticmethod
    def _after_state(after: Any) -> tuple[int, int]:
        if (
            not isinstance(after, list)
            or len(after) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in after)
            or not 0 <= after[0] < 2**63  # ranks are non-negative i64
            or after[1] < 0
            or after[1] > 10_000_000
        ):
            raise BadQuery("invalid cursor")
        return after[0], after[1]

    def _stored(self, searcher: Any, result: Any) -> list[dict]:
        return [orjson.loads(searcher.doc(address).get_first("stored")) for _, address in result.hits]

    def _known_words(self, folded_words: list[str]) -> set[str]:
        gen = self._current()
        with _engine_errors("search failed"):
            searcher = gen.index.searcher()
            return {
                word
                for word in folded_words
                if any(searcher.doc_freq(f"{field}_folded", word) for field in TEXT_FIELDS)
            }

    def _fuzzy_records(self, folded_word: str, distance: int, limit: int) -> list[dict]:
        gen = self._current()
        with _engine_errors("search failed"):
            searcher = gen.index.searcher()
            fuzzy = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.fuzzy_term_query(SCHEMA, field, folded_word, distance, True))
                    for field in ("title_folded", "authors_folded")
                ]
            )
            return self._stored(searcher, searcher.search(fuzzy, limit, count=False))

    def _prefix_records(self, prefix: str, limit: int) -> list[dict]:
        gen = self._current()
        with _engine_errors("search failed"):
            searcher = gen.index.searcher()
            q = tantivy.Query.regex_query(SCHEMA, "title_prefix", _regex_escape(prefix) + ".*")
            result = searcher.search(q, limit, count=False, order_by_field="holdings", order=tantivy.Order.Desc)
            return self._stored(searcher, result)

    def _phrase_prefix_records(self, folded_words: list[str], last_is_prefix: bool, limit: int) -> list[dict]:
        tokens = [t for w in folded_words for t in _FOLDED.analyze(w)]
        if not tokens:
            return []
        gen = self._current()
        with _engine_errors("search failed"):
            searcher = gen.index.searcher()
            if last_is_prefix:
                q = tantivy.Query.phrase_prefix_query(SCHEMA, "title_folded", tokens)
            else:
                q = self._tokens_query("title_folded", tokens)
            result = searcher.search(q, limit, count=False, order_by_field="holdings", order=tantivy.Order.Desc)
            return self._stored(searcher, result)

    def _facet_size(self, name: str) -> int:
        return max(self.facet_size, YEAR_FACET_SIZE) if name == "year" else self.facet_size

    def _facets(self, searcher: Any, engine_query: tantivy.Query) -> dict[str, list[FacetValue]]:
        spec = {
            name: {"terms": {"field": FACET_FIELDS.get(name, name), "size": self._facet_size(name)}}
            for name in FACETS
        }
        raw = searcher.aggregate(engine_query, spec)
        facets: dict[str, list[FacetValue]] = {}
        for name in FACETS:
            buckets = raw.get(name, {}).get("buckets", [])
            values = [
                FacetValue.model_construct(
                    value=str(int(b["key"])) if name == "year" else str(b["key"]), count=int(b["doc_count"])
                )
                for b in buckets
                if b.get("doc_count")
            ]
            facets[name] = sort_facet_values(values)
        return facets

    # ------------------------------------------------------------------ query building

    def _build_query(self, parsed: ParsedQuery, query: SearchQuery) -> tantivy.Query:
        clauses: list[tuple[Any, tantivy.Query]] = []
        for alternatives in parsed.must:
            subqueries = [q for q in (self._term_query(t, parsed.fold_marks) for t in alternatives) if q is not None]
            if not subqueries:
                continue  # nothing searchable in it (punctuation only): ignore rather than match nothing
            if len(subqueries) == 1:
                clauses.append((tantivy.Occur.Must, subqueries[0]))
            else:
                clauses.append(
                    (tantivy.Occur.Must, tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in subqueries]))
                )
        if not clauses:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        elif parsed.together():
            clauses += [(tantivy.Occur.Should, q) for q in self._together_queries(parsed.together())]
        for term in parsed.must_not:
            q = self._term_query(term, parsed.fold_marks)
            if q is not None:
                clauses.append((tantivy.Occur.MustNot, q))
        for filter_query in self._filters(query):
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(filter_query, 0.0)))
        if len(clauses) == 1 and clauses[0][0] == tantivy.Occur.Must:
            return clauses[0][1]
        return tantivy.Query.boolean_query(clauses)

    @staticmethod
    def _tokens_query(field: str, tokens: list[str]) -> tantivy.Query | None:
        if not tokens:
            return None
        if len(tokens) == 1:
            return tantivy.Query.term_query(SCHEMA, field, tokens[0])
        return tantivy.Query.phrase_query(SCHEMA, field, tokens)

    def _together_queries(self, texts: list[str]) -> list[tantivy.Query]:
        """The query's words as one phrase (base.together_phrases): hits where they stand together rank first
        ("lịch sử nghệ an" in a title above "lịch sử" in one field and "Nghệ An" in another)."""
        out = []
        for field, phrase in together_phrases(texts):
            folded = _FOLDED.analyze(phrase)
            q = self._tokens_query(f"{field}_folded", folded) if len(folded) > 1 else None
            if q is not None:
                out.append(tantivy.Query.boost_query(q, FIELD_WEIGHTS[field] * TOGETHER_BOOST))
        return out

    def _term_query(self, term: Term, fold_marks: bool = False) -> tantivy.Query | None:
        """A term's query: the accented field (boosted) and, unless the term is marked (matched as typed,
        `fold_marks` off), the folded field."""
        should: list[tuple[Any, tantivy.Query]] = []
        if term.isbn:
            isbn_query = tantivy.Query.term_query(SCHEMA, "isbns", term.isbn)
            should.append((tantivy.Occur.Should, tantivy.Query.boost_query(isbn_query, ISBN_BOOST)))
        if term.field != "isbn":
            fields = [QUERY_FIELD_MAP[term.field]] if term.field else list(TEXT_FIELDS)
            accented_tokens = _ACCENTED.analyze(accented(term.text))
            folded = _FOLDED.analyze(fold(term.text))
            for field in fields:
                weight = FIELD_WEIGHTS[field]
                q = self._tokens_query(field, accented_tokens)
                if q is not None:
                    should.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, weight * ACCENT_BOOST)))
                q = self._tokens_query(f"{field}_folded", folded)
                if q is not None and term.marked and not fold_marks:
                    if len(folded) == 1:
                        continue  # "đề" is not "dê": a marked word matches its own syllable only
                    # a phrase: its words in a row (folded), and each marked word as typed ("Hồ Chi Minh")
                    marked = [t for w in term.marked_words for t in _ACCENTED.analyze(accented(w))]
                    q = tantivy.Query.boolean_query(
                        [(tantivy.Occur.Must, q)]
                        + [(tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, field, t)) for t in marked])
                if q is not None:
                    should.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, weight)))
        if not should:
            return None
        return tantivy.Query.boolean_query(should)

    @staticmethod
    def _filters(query: SearchQuery) -> list[tantivy.Query]:
        filters: list[tantivy.Query] = []
        for spec in filter_specs(query):
            if isinstance(spec, RangeFilter):
                filters.append(
                    tantivy.Query.range_query(SCHEMA, spec.field, tantivy.FieldType.Integer, spec.low, spec.high)
                )
            else:
                filters.append(tantivy.Query.term_set_query(SCHEMA, spec.field, spec.values))
        return filters

    def close(self) -> None:
        with self._write_lock, self._state_lock:
            self._closed = True
            self._gen = None
