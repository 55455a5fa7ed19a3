"""Search relevance on a judged query set: nDCG@10 and MRR per query class, tantivy and OpenSearch side by
side.

The corpus (152 union records) and the graded queries are in tests/relevance/judgements.py. Each engine
indexes the corpus (tantivy in a temporary directory; OpenSearch on osmem-server started on a free loopback
port, or the cluster at UNIONCAT_OPENSEARCH_URL), every query runs through
`backend.search(SearchQuery(q=..., size=10, facets=False))`, and the ranking is scored against the grades:
nDCG@10 with gain 2^g - 1 and a log2 discount, the ideal ranking being the judged grades in descending
order; MRR from the first hit with a grade >= 1.
Queries under --threshold (default 0.7) on either engine are listed with their top 3 hits.

    python bench/relevance.py                      # both engines
    python bench/relevance.py --backends tantivy   # tantivy only
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the judged set lives with the tests: tests/relevance/judgements.py

from relevance.judgements import CLASSES, QUERIES, Judged, ndcg, reciprocal_rank, records  # noqa: E402

from unioncat.search.backend import SearchQuery, SearchResult  # noqa: E402

LABELS = {"tantivy": "tantivy", "opensearch": "OpenSearch"}


def run(backend, judged: Judged) -> SearchResult:
    return backend.search(SearchQuery(q=judged.q, size=10, facets=False))


def evaluate(backend) -> dict[str, tuple[SearchResult, float, float]]:
    """query text -> (result, nDCG@10, reciprocal rank)."""
    out = {}
    for judged in QUERIES:
        result = run(backend, judged)
        ranked = [h.id for h in result.hits]
        out[judged.q] = (result, ndcg(judged, ranked), reciprocal_rank(judged, ranked))
    return out


def open_backend(name: str, workdir: Path, os_url: str | None):
    if name == "tantivy":
        from unioncat.search.tantivy_backend import TantivyBackend

        return TantivyBackend(workdir / "tantivy" / "index")
    from unioncat.search.opensearch_backend import OpenSearchBackend

    return OpenSearchBackend(os_url, f"unioncat-relevance-{uuid.uuid4().hex[:8]}", replicas=0)


def drop_opensearch(backend) -> None:
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[backend.url], timeout=30)
    try:
        for index in list(client.indices.get(index=f"{backend.alias}*")):
            client.indices.delete(index=index)
        templates = client.indices.get_index_template(name=f"{backend.alias}*").get("index_templates", [])
        for template in templates:
            client.indices.delete_index_template(name=template["name"])
    except Exception:  # noqa: BLE001 - nothing left to drop
        pass
    finally:
        client.close()


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def hit_line(judged: Judged, hit) -> str:
    authors = "; ".join(hit.authors[:2])
    return f"[{judged.grade(hit.id)}] {hit.id} {hit.title}" + (f" / {authors}" if authors else "")


def print_table(names: list[str], scores: dict[str, dict]) -> None:
    head = f"{'class':<15} {'n':>3}"
    for metric in ("nDCG@10", "MRR"):
        for name in names:
            head += f" {metric + ' ' + LABELS[name]:>20}"
    print(head)
    print("-" * len(head))
    rows = [(cls, [j for j in QUERIES if j.cls == cls]) for cls in CLASSES] + [("overall", QUERIES)]
    for cls, judged_list in rows:
        if cls == "overall":
            print("-" * len(head))
        line = f"{cls:<15} {len(judged_list):>3}"
        for index in (1, 2):  # nDCG, then MRR
            for name in names:
                line += f" {mean(scores[name][j.q][index] for j in judged_list):>20.3f}"
        print(line)


def print_weak(names: list[str], scores: dict[str, dict], threshold: float) -> None:
    weak = [j for j in QUERIES if any(scores[name][j.q][1] < threshold for name in names)]
    print(f"\n{len(weak)} queries with nDCG@10 < {threshold} on "
          f"{'either engine' if len(names) > 1 else LABELS[names[0]]}:")  # fmt: skip
    for judged in weak:
        best = sorted(judged.grades.items(), key=lambda kv: -kv[1])[:4]
        wanted = ", ".join(f"{rid}={g}" for rid, g in best)
        figures = "  ".join(f"{LABELS[n]} {scores[n][judged.q][1]:.3f}" for n in names)
        print(f"\n  {judged.q!r} ({judged.cls}{': ' + judged.note if judged.note else ''})  {figures}")
        print(f"    judged: {wanted}{' ...' if len(judged.grades) > 4 else ''}")
        for name in names:
            result = scores[name][judged.q][0]
            flags = []
            if result.interpreted_query:
                flags.append(f"searched {result.interpreted_query!r}")
            if result.accent_fallback:
                flags.append("accent_fallback")
            if result.did_you_mean:
                flags.append(f"did you mean {result.did_you_mean!r}")
            print(f"    {LABELS[name]}: {result.total} hits" + (f" ({'; '.join(flags)})" if flags else ""))
            for hit in result.hits[:3]:
                print(f"      {hit_line(judged, hit)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backends", default="tantivy,opensearch")
    ap.add_argument("--threshold", type=float, default=0.7, help="list queries under this nDCG@10")
    args = ap.parse_args()
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(names) - set(LABELS)
    if unknown:
        ap.error(f"unknown backends {sorted(unknown)}; choose from {', '.join(LABELS)}")

    corpus = records()
    print(f"{len(corpus)} union records, {len(QUERIES)} judged queries in {len(CLASSES)} classes; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="unioncat-relevance-"))
    server = None
    scores: dict[str, dict] = {}
    try:
        for name in names:
            os_url = None
            if name == "opensearch":
                os_url = os.environ.get("UNIONCAT_OPENSEARCH_URL")
                if not os_url:
                    from osmem_server import OsmemServer

                    server = OsmemServer.start(japanese=False, addr="127.0.0.1:0")
                    os_url = server.url
            backend = open_backend(name, workdir, os_url)
            try:
                started = time.perf_counter()
                assert backend.upsert(corpus) == len(corpus)
                indexed = time.perf_counter() - started
                assert backend.count() == len(corpus), backend.count()
                started = time.perf_counter()
                scores[name] = evaluate(backend)
                searched = time.perf_counter() - started
                where = f" ({os_url})" if os_url else ""
                print(f"{LABELS[name]}: indexed in {indexed:.2f} s, "
                      f"{len(QUERIES)} queries in {searched:.2f} s{where}")  # fmt: skip
            finally:
                if name == "opensearch":
                    drop_opensearch(backend)
                backend.close()
        print()
        print_table(names, scores)
        print_weak(names, scores, args.threshold)
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
