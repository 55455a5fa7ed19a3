"""The production search backend: an OpenSearch cluster behind an alias (opensearch-py).

Layout in the cluster, for alias A (`UNIONCAT_OPENSEARCH_INDEX`, default "unioncat"):
    A-v<MAPPING_VERSION>-<ns>   concrete indices; `rebuild` writes a new one, then switches the alias
    A                           the alias every read and write goes through (one index behind it)
    A-v<MAPPING_VERSION>        an index template carrying the same settings and mapping, so an index created by
                                hand under that pattern (e.g. while restoring a snapshot) gets them too

The mapping is versioned here (`MAPPING_VERSION`, stored in the mapping's `_meta`); an alias pointing at an
index of another version is refused with "run `unioncat reindex`", as the tantivy adapter does.

Text analysis mirrors the tantivy adapter token for token. Python splits every text value into words exactly as
tantivy's `simple` tokenizer does (runs of letters and digits, `documents.words`), drops words over 100 bytes as
tantivy's `remove_long` does, and sends them joined by spaces; the index then applies the `whitespace`
tokenizer and `lowercase` (accented fields) or `lowercase` + `asciifolding` (folded twins). The `standard`
tokenizer is not used on purpose: it keeps "l'indochine", "u.s.a" and "3.5" whole and splits "中文" into
characters, so "indochine" would find a record in one engine and not in the other (and osmem-server's
`pattern` tokenizer loses tokens). Documents and queries are NFC'd and folded in Python first
(`documents.py`), exactly as for tantivy; only plugin-free analysis is used. Highlights are computed in Python
from the stored record (`highlight.py`), so the indexed word lists are never shown.

Queries are built as JSON from `ParsedQuery` (match_phrase per term and field, boosts as in tantivy); user text
never reaches a query-string parser. Engine errors become `SearchUnavailable` / `BadQuery` with a message that
names no engine internals (the cause is chained and logged).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from opensearchpy import OpenSearch
from opensearchpy.exceptions import (
    ConnectionError as OSConnectionError,
)
from opensearchpy.exceptions import (
    NotFoundError,
    OpenSearchException,
    RequestError,
    TransportError,
)

from unioncat.search.backend import FACETS, BadQuery, FacetValue, SearchError, SearchQuery, SearchUnavailable
from unioncat.search.base import (
    ACCENT_BOOST,
    TOGETHER_BOOST,
    together_phrases,
    FIELD_WEIGHTS,
    ISBN_BOOST,
    MAX_TOKEN_BYTES,
    QUERY_FIELD_MAP,
    YEAR_FACET_SIZE,
    EngineBackend,
    EnginePage,
    RangeFilter,
    filter_specs,
    sort_facet_values,
)
from unioncat.search.documents import FACET_FIELDS, TEXT_FIELDS, accented, fold, nfc, to_document, words
from unioncat.search.query import ParsedQuery, Term

log = logging.getLogger(__name__)

MAPPING_VERSION = 1
BULK_CHUNK = 1_000

SORTS: dict[str, list] = {
    "relevance": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
    "title": [{"title_sort": {"order": "asc"}}],  # the key ends with the id: unique
    "year_asc": [{"year": {"order": "asc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    "year_desc": [{"year": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}],
}

ACCENTED_ANALYZER = "unioncat_vi_accented"
FOLDED_ANALYZER = "unioncat_vi_folded"


def index_settings(shards: int = 1, replicas: int = 1) -> dict:
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "max_result_window": 10_000,
        "analysis": {
            "analyzer": {
                ACCENTED_ANALYZER: {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]},
                FOLDED_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "whitespace",
                    "filter": ["lowercase", "asciifolding"],
                },
            },
        },
    }


def index_mappings() -> dict:
    properties: dict[str, Any] = {"id": {"type": "keyword"}}
    for field in TEXT_FIELDS:
        properties[field] = {"type": "text", "analyzer": ACCENTED_ANALYZER}
        properties[f"{field}_folded"] = {"type": "text", "analyzer": FOLDED_ANALYZER}
    properties["isbns"] = {"type": "keyword"}
    for field in FACET_FIELDS.values():
        properties[field] = {"type": "keyword"}
    properties["year"] = {"type": "integer"}
    properties["holdings_count"] = {"type": "integer"}
    properties["title_sort"] = {"type": "keyword"}
    properties["title_prefix"] = {"type": "keyword"}
    properties["stored"] = {"type": "keyword", "index": False, "doc_values": False}  # the record, as JSON
    return {"dynamic": "strict", "_meta": {"unioncat_mapping_version": MAPPING_VERSION}, "properties": properties}


@contextlib.contextmanager
def _engine_errors(
    message: str, *, backend: OpenSearchBackend | None = None, reading: bool = False
) -> Iterator[None]:
    """Translate opensearch-py errors; the message says what failed, never what the engine said.

    A 400 answer to a search (`reading`) is a BadQuery; to anything else it means the cluster cannot do what this
    adapter needs (e.g. an analyzer it lacks): SearchUnavailable."""
    try:
        yield
    except SearchError:
        raise
    except NotFoundError as exc:
        if backend is not None:
            backend._ready = False  # the index went away under us: set it up again on the next call
        log.warning("%s: %s", message, exc)
        raise SearchUnavailable(f"{message}: the search index is missing; run `unioncat reindex`") from exc
    except RequestError as exc:
        log.warning("%s: %s", message, exc)
        if reading:
            raise BadQuery(f"{message}: the search engine refused this search") from exc
        raise SearchUnavailable(f"{message}: the search engine refused the request") from exc
    except (OSConnectionError, TransportError, OpenSearchException) as exc:
        log.warning("%s: %s", message, exc)
        raise SearchUnavailable(f"{message}: the search engine is unavailable") from exc
    except (ValueError, KeyError, TypeError, OSError) as exc:
        log.warning("%s: %s", message, exc)
        raise SearchUnavailable(f"{message}: unexpected answer from the search engine") from exc


def to_source(doc: dict) -> dict:
    """A search document (`to_document`) as indexed here: text values pre-split into words (see above)."""
    source = dict(doc)
    for field in TEXT_FIELDS:
        for name in (field, f"{field}_folded"):
            source[name] = [_query_text(value) for value in doc[name]]
    return source


def _query_text(text: str) -> str:
    """The words of a term as tantivy would keep them (tokens over MAX_TOKEN_BYTES are dropped)."""
    return " ".join(w for w in words(text) if len(w.encode("utf-8")) <= MAX_TOKEN_BYTES)


class OpenSearchBackend(EngineBackend):
    """`SearchBackend` on an OpenSearch cluster, reading and writing through `index_alias`."""

    def __init__(
        self,
        url: str,
        index_alias: str = "unioncat",
        *,
        facet_size: int = 20,
        timeout: float = 30.0,
        bulk_chunk: int = BULK_CHUNK,
        shards: int = 1,
        replicas: int = 1,
        client: OpenSearch | None = None,
    ):
        self.url = url
        self.alias = index_alias
        self.facet_size = facet_size
        self.bulk_chunk = bulk_chunk
        self.shards = shards
        self.replicas = replicas
        self.client = client or OpenSearch(
            hosts=[url], timeout=timeout, max_retries=2, retry_on_timeout=False, pool_maxsize=32
        )
        self._lock = threading.RLock()  # one writer at a time in this process; guards _ready
        self._ready = False
        self._closed = False

    # ------------------------------------------------------------------ indices and alias

    @property
    def template_name(self) -> str:
        return f"{self.alias}-v{MAPPING_VERSION}"

    def _new_index_name(self) -> str:
        return f"{self.alias}-v{MAPPING_VERSION}-{time.time_ns()}"

    def _put_template(self) -> None:
        body = {
            "index_patterns": [f"{self.template_name}-*"],
            "priority": 200,
            "template": {"settings": index_settings(self.shards, self.replicas), "mappings": index_mappings()},
            "_meta": {"unioncat_mapping_version": MAPPING_VERSION},
        }
        self.client.indices.put_index_template(name=self.template_name, body=body)

    def _create_index(self, name: str, *, bulk_load: bool = False) -> None:
        settings = index_settings(self.shards, 0 if bulk_load else self.replicas)
        if bulk_load:
            settings["refresh_interval"] = "-1"
        self.client.indices.create(index=name, body={"settings": settings, "mappings": index_mappings()})

    def _alias_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def _ensure(self) -> None:
        """On first use: an empty index behind the alias if there is none; refuse another mapping version."""
        if self._closed:
            raise SearchUnavailable("the search backend is closed")
        if self._ready:
            return
        with self._lock, _engine_errors("cannot open the search index"):
            if self._ready:
                return
            indices = self._alias_indices()
            if not indices:
                if self.client.indices.exists(index=self.alias):
                    raise SearchUnavailable(
                        f"{self.alias!r} is an index, not an alias; set UNIONCAT_OPENSEARCH_INDEX to another name "
                        "or delete that index, then run `unioncat reindex`"
                    )
                self._put_template()
                name = self._new_index_name()
                self._create_index(name)
                self.client.indices.update_aliases(body={"actions": [{"add": {"index": name, "alias": self.alias}}]})
                indices = self._alias_indices()
                if len(indices) > 1:  # another process created one at the same moment: keep theirs
                    self.client.indices.update_aliases(
                        body={"actions": [{"remove": {"index": name, "alias": self.alias}}]}
                    )
                    self.client.indices.delete(index=name)
                    indices = [i for i in indices if i != name]
            mapping = self.client.indices.get_mapping(index=indices[0])
            meta = next(iter(mapping.values()))["mappings"].get("_meta") or {}
            version = meta.get("unioncat_mapping_version")
            if version != MAPPING_VERSION:
                raise SearchUnavailable(
                    f"search index {indices[0]} has mapping version {version}, this unioncat needs "
                    f"{MAPPING_VERSION}; run `unioncat reindex`"
                )
            self._ready = True

    # ------------------------------------------------------------------ writing

    def _bulk(self, lines: list[str], *, refresh: bool | str = False) -> None:
        if not lines:
            return
        response = self.client.bulk(body="\n".join(lines) + "\n", refresh=refresh)
        if response.get("errors"):
            failed = []
            for item in response.get("items", []):
                op, result = next(iter(item.items()))
                if op == "delete" and result.get("status") == 404:
                    continue  # deleting what is not there is fine
                if result.get("error"):
                    failed.append(result)
            if failed:
                log.error("bulk request: %d of %d actions failed, first: %s", len(failed), len(lines), failed[0])
                raise SearchUnavailable(f"search index write failed for {len(failed)} documents")

    @staticmethod
    def _index_lines(target: str, doc: dict) -> list[str]:
        action = orjson.dumps({"index": {"_index": target, "_id": doc["id"]}}).decode("utf-8")
        return [action, orjson.dumps(to_source(doc)).decode("utf-8")]

    def _write_docs(self, target: str, documents: Iterable[dict]) -> int:
        """Bulk-index prepared documents into `target` in chunks; returns how many were sent. One bulk request
        is in flight while the next chunk is prepared, so the cluster indexes while this process folds and
        encodes; an error of either side stops the writing."""

        def send(lines: list[str]) -> None:
            with _engine_errors("search index write failed", backend=self):
                self._bulk(lines)

        count = 0
        lines: list[str] = []
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="unioncat-bulk") as sender:
            in_flight: concurrent.futures.Future | None = None
            for doc in documents:
                lines += self._index_lines(target, doc)
                count += 1
                if len(lines) >= 2 * self.bulk_chunk:
                    if in_flight is not None:
                        in_flight.result()
                    in_flight = sender.submit(send, lines)
                    lines = []
            if in_flight is not None:
                in_flight.result()
        send(lines)
        return count

    def upsert(self, documents: Iterable[dict]) -> int:
        """Add or replace union records by id; visible to searches when this returns."""
        self._ensure()
        with self._lock:
            count = self._write_docs(self.alias, (to_document(record) for record in documents))
            if count:
                with _engine_errors("search index refresh failed", backend=self):
                    self.client.indices.refresh(index=self.alias)
        return count

    def delete(self, ids: Iterable[str]) -> None:
        self._ensure()
        with self._lock:
            lines: list[str] = []
            sent = False
            for doc_id in ids:
                lines.append(json.dumps({"delete": {"_index": self.alias, "_id": nfc(str(doc_id))}}))
                if len(lines) >= self.bulk_chunk:
                    with _engine_errors("search index delete failed", backend=self):
                        self._bulk(lines)
                    lines, sent = [], True
            if lines or sent:
                with _engine_errors("search index delete failed", backend=self):
                    self._bulk(lines)
                    self.client.indices.refresh(index=self.alias)

    def rebuild(self, documents: Iterable[dict | str]) -> int:
        """Index every record into a new concrete index, then move the alias to it in one `_aliases` call
        (remove old + add new: searches never see a gap), then delete the old index.

        Writes from this process wait for the switch; a write from another process into the old index while a
        rebuild runs is lost with it (run `unioncat process` again, or rebuild when nothing harvests).
        """
        with self._lock:
            if self._closed:
                raise SearchUnavailable("the search backend is closed")
            with _engine_errors("cannot create a new search index"):
                self._put_template()
                name = self._new_index_name()
                self._create_index(name, bulk_load=True)
            try:
                self._write_docs(name, (to_document(record) for record in documents))
                with _engine_errors("search index rebuild failed"):
                    self.client.indices.put_settings(
                        index=name,
                        body={"index": {"refresh_interval": None, "number_of_replicas": self.replicas}},
                    )
                    self.client.indices.refresh(index=name)
                    count = int(self.client.count(index=name)["count"])
            except BaseException:
                with contextlib.suppress(Exception):
                    self.client.indices.delete(index=name)
                raise
            with _engine_errors("cannot switch the search alias"):
                old = self._alias_indices()
                if self.client.indices.exists(index=self.alias) and not old:
                    self.client.indices.delete(index=name)
                    raise SearchUnavailable(f"{self.alias!r} is an index, not an alias; delete it or rename")
                actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
                actions.append({"add": {"index": name, "alias": self.alias}})
                self.client.indices.update_aliases(body={"actions": actions})
                for index in old:
                    with contextlib.suppress(NotFoundError):
                        self.client.indices.delete(index=index)
            self._ready = True
            return count

    # ------------------------------------------------------------------ reading

    def count(self) -> int:
        self._ensure()
        with _engine_errors("search index unavailable", backend=self):
            return int(self.client.count(index=self.alias)["count"])

    def _search(self, body: dict) -> dict:
        self._ensure()
        with _engine_errors("search failed", backend=self, reading=True):
            return self.client.search(index=self.alias, body=body)

    @staticmethod
    def _records(response: dict) -> list[dict]:
        return [json.loads(hit["_source"]["stored"]) for hit in response["hits"]["hits"]]

    def _execute(
        self, parsed: ParsedQuery, query: SearchQuery, *, offset: int, after: Any, size: int, facets: bool
    ) -> EnginePage:
        body: dict[str, Any] = {
            "query": self._build_query(parsed, query),
            "size": size,
            "track_total_hits": True,
            "_source": ["stored"],
            "sort": SORTS[query.sort],
        }
        if after is not None:
            body["search_after"] = self._after_values(after, query.sort)
        else:
            body["from"] = offset
        if facets:
            body["aggs"] = {
                name: {"terms": {"field": FACET_FIELDS.get(name, name), "size": self._facet_size(name)}}
                for name in FACETS
            }
        response = self._search(body)
        with _engine_errors("search failed"):
            hits = response["hits"]["hits"]
            total = int(response["hits"]["total"]["value"])
            records = self._records(response)
            facet_values = self._facets(response.get("aggregations") or {}) if facets else {}
            next_after = hits[-1].get("sort") if hits and query.sort != "relevance" else None
        return EnginePage(total=total, records=records, facets=facet_values, after=next_after)

    @staticmethod
    def _after_values(after: Any, sort: str) -> list:
        expected = 1 if sort == "title" else 2
        if (
            not isinstance(after, list)
            or len(after) != expected
            or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in after)
        ):
            raise BadQuery("invalid cursor")
        return after

    def _facet_size(self, name: str) -> int:
        return max(self.facet_size, YEAR_FACET_SIZE) if name == "year" else self.facet_size

    @staticmethod
    def _facets(aggregations: dict) -> dict[str, list[FacetValue]]:
        facets: dict[str, list[FacetValue]] = {}
        for name in FACETS:
            buckets = (aggregations.get(name) or {}).get("buckets", [])
            values = [
                FacetValue(value=str(int(b["key"])) if name == "year" else str(b["key"]), count=int(b["doc_count"]))
                for b in buckets
                if b.get("doc_count")
            ]
            facets[name] = sort_facet_values(values)
        return facets

    # ------------------------------------------------------------------ query building

    def _build_query(self, parsed: ParsedQuery, query: SearchQuery) -> dict:
        must: list[dict] = []
        for alternatives in parsed.must:
            subqueries = [q for q in (self._term_query(t, parsed.fold_marks) for t in alternatives) if q is not None]
            if not subqueries:
                continue  # nothing searchable in it (punctuation only): ignore rather than match nothing
            if len(subqueries) == 1:
                must.append(subqueries[0])
            else:
                must.append({"bool": {"should": subqueries, "minimum_should_match": 1}})
        must_not = [q for q in (self._term_query(t, parsed.fold_marks) for t in parsed.must_not) if q is not None]
        filters = self._filters(query)
        if not must and not must_not and not filters:
            return {"match_all": {}}
        bool_query: dict[str, Any] = {"must": must or [{"match_all": {}}]}
        together = [(f, _query_text(p)) for f, p in together_phrases(parsed.together())]
        together = [(f, p) for f, p in together if len(p.split()) > 1]
        if must and together:  # the query's words in a row rank first (base.together_phrases)
            bool_query["should"] = [
                {"match_phrase": {f"{field}_folded": {"query": phrase, "boost": FIELD_WEIGHTS[field] * TOGETHER_BOOST}}}
                for field, phrase in together]
        if must_not:
            bool_query["must_not"] = must_not
        if filters:
            bool_query["filter"] = filters
        return {"bool": bool_query}

    @staticmethod
    def _term_query(term: Term, fold_marks: bool = False) -> dict | None:
        """The accented field (boosted) and, unless the term is marked (matched as typed), the folded one."""
        should: list[dict] = []
        if term.isbn:
            should.append({"term": {"isbns": {"value": term.isbn, "boost": ISBN_BOOST}}})
        if term.field != "isbn":
            accented_text = _query_text(accented(term.text))
            folded_text = _query_text(fold(term.text))
            fields = [QUERY_FIELD_MAP[term.field]] if term.field else list(TEXT_FIELDS)
            for field in fields:
                weight = FIELD_WEIGHTS[field]
                if accented_text:
                    should.append({"match_phrase": {field: {"query": accented_text, "boost": weight * ACCENT_BOOST}}})
                if not folded_text:
                    continue
                phrase = {"match_phrase": {f"{field}_folded": {"query": folded_text, "boost": weight}}}
                if fold_marks or not term.marked:
                    should.append(phrase)
                elif len(folded_text.split()) > 1:  # a phrase: in a row folded, each marked word as typed
                    marked = [{"match_phrase": {field: {"query": _query_text(accented(w)), "boost": 0}}}
                              for w in term.marked_words if _query_text(accented(w))]
                    should.append({"bool": {"must": [phrase, *marked]}})
        if not should:
            return None
        return {"bool": {"should": should, "minimum_should_match": 1}}

    @staticmethod
    def _filters(query: SearchQuery) -> list[dict]:
        out: list[dict] = []
        for spec in filter_specs(query):
            if isinstance(spec, RangeFilter):
                bounds = {}
                if spec.low is not None:
                    bounds["gte"] = spec.low
                if spec.high is not None:
                    bounds["lte"] = spec.high
                out.append({"range": {spec.field: bounds}})
            else:
                out.append({"terms": {spec.field: spec.values}})
        return out

    # ------------------------------------------------------------------ spelling and autocomplete

    def _known_words(self, folded_words: list[str]) -> set[str]:
        if not folded_words:
            return set()
        aggs = {
            f"w{i}": {
                "filter": {
                    "bool": {
                        "should": [{"term": {f"{field}_folded": word}} for field in TEXT_FIELDS],
                        "minimum_should_match": 1,
                    }
                }
            }
            for i, word in enumerate(folded_words)
        }
        response = self._search({"size": 0, "query": {"match_all": {}}, "aggs": aggs})
        with _engine_errors("search failed"):
            aggregations = response.get("aggregations") or {}
            return {word for i, word in enumerate(folded_words) if aggregations[f"w{i}"]["doc_count"] > 0}

    def _fuzzy_records(self, folded_word: str, distance: int, limit: int) -> list[dict]:
        fuzzy = [
            {"fuzzy": {field: {"value": folded_word, "fuzziness": distance, "transpositions": True}}}
            for field in ("title_folded", "authors_folded")
        ]
        body = {"size": limit, "_source": ["stored"], "query": {"bool": {"should": fuzzy, "minimum_should_match": 1}}}
        response = self._search(body)
        with _engine_errors("search failed"):
            return self._records(response)

    _BY_HOLDINGS = [{"holdings_count": {"order": "desc"}}, {"id": {"order": "asc"}}]

    def _prefix_records(self, prefix: str, limit: int) -> list[dict]:
        body = {
            "size": limit,
            "_source": ["stored"],
            "query": {"prefix": {"title_prefix": prefix}},
            "sort": self._BY_HOLDINGS,
        }
        response = self._search(body)
        with _engine_errors("search failed"):
            return self._records(response)

    def _phrase_prefix_records(self, folded_words: list[str], last_is_prefix: bool, limit: int) -> list[dict]:
        text = _query_text(" ".join(folded_words))
        if not text:
            return []
        kind = "match_phrase_prefix" if last_is_prefix else "match_phrase"
        body = {
            "size": limit,
            "_source": ["stored"],
            "query": {kind: {"title_folded": text}},
            "sort": self._BY_HOLDINGS,
        }
        response = self._search(body)
        with _engine_errors("search failed"):
            return self._records(response)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            with contextlib.suppress(Exception):
                self.client.close()
