"""Search benchmark per backend: index build, engine latency, API latency and throughput over HTTP.

For each backend (tantivy, OpenSearch via osmem-server or UNIONCAT_OPENSEARCH_URL):
  1. N synthetic Vietnamese union records (bench/search_bench.py's generator) are generated first into a
     temporary file of JSON lines, so the build time below is the rebuild reading stored JSON records (as
     `unioncat reindex` reads the database), not the generator;
  2. `backend.rebuild(...)` is timed (to_document, folding, collation keys, engine indexing, switch);
  3. the query mix (1-3 words, accented or not, phrases, field prefixes, a third with filters or a year range,
     all with facets, 20 hits with highlights) is timed at the engine (`backend.search`);
  4. `unioncat.app.create_app` is served by uvicorn in a subprocess on loopback and the same mix is timed
     through `GET /api/v1/search` with one httpx client, then with 16 concurrent clients for throughput.

osmem-server keeps everything in RAM (~19 KB per document, measured at 100,000): OpenSearch is measured on
--os-records (default 100,000); its figures say nothing about a real cluster.

    python bench/search_api_bench.py                       # tantivy 1,000,000 + osmem 100,000
    python bench/search_api_bench.py --records 200000 --backends tantivy
"""

from __future__ import annotations

import argparse
import asyncio
import os
import itertools
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_bench import pct, query_mix, synthetic_records  # noqa: E402

from unioncat.search.backend import SearchQuery  # noqa: E402



def write_records(path: Path, n: int) -> float:
    """The records as JSON lines: what `unioncat reindex` reads from the database is JSON text too."""
    t0 = time.perf_counter()
    with open(path, "wb") as fh:
        for record in synthetic_records(n):
            fh.write(orjson.dumps(record) + b"\n")
    return time.perf_counter() - t0


def read_records(path: Path, limit: int) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        yield from itertools.islice(fh, limit)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_params(q: SearchQuery) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = [("q", q.q), ("size", str(q.size)), ("sort", q.sort)]
    for name, values in q.filters.items():
        params += [(name, v) for v in values]
    if q.year_from is not None:
        params.append(("year_from", str(q.year_from)))
    if q.year_to is not None:
        params.append(("year_to", str(q.year_to)))
    return params


def line(label: str, values: list[float]) -> str:
    return (f"  {label:34s} p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms  "
            f"p99 {pct(values, 99):6.2f} ms  (n={len(values)})")  # fmt: skip


def serve(env: dict[str, str], data_dir: Path, port: int) -> subprocess.Popen:
    code = (
        "import uvicorn; from unioncat.app import create_app; from unioncat.settings import Settings; "
        f"uvicorn.run(create_app(Settings(data_dir={str(data_dir)!r})), host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API server did not start")


async def concurrent(base: str, queries: list[SearchQuery], clients: int) -> tuple[float, list[float]]:
    lat: list[float] = []
    todo = list(queries)

    async def worker(http: httpx.AsyncClient) -> None:
        while todo:
            q = todo.pop()
            t = time.perf_counter()
            response = await http.get(f"{base}/api/v1/search", params=api_params(q))
            response.raise_for_status()
            lat.append((time.perf_counter() - t) * 1000)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    return len(queries) / elapsed, lat


def bench_backend(name: str, n: int, records_file: Path, queries: list[SearchQuery], workdir: Path,
                  os_url: str | None) -> None:  # fmt: skip
    data_dir = workdir / f"data-{name}"
    data_dir.mkdir()
    env = dict(os.environ)
    if name == "opensearch":
        from unioncat.search.opensearch_backend import OpenSearchBackend

        alias = f"unioncat-bench-{os.getpid()}"
        backend = OpenSearchBackend(os_url, alias, timeout=120)
        env.update(UNIONCAT_OPENSEARCH_URL=os_url, UNIONCAT_OPENSEARCH_INDEX=alias)
    else:
        from unioncat.search.tantivy_backend import TantivyBackend

        backend = TantivyBackend(data_dir / "index")
        env.pop("UNIONCAT_OPENSEARCH_URL", None)
    print(f"\n== {name}: {n:,} records")
    try:
        t0 = time.perf_counter()
        count = backend.rebuild(read_records(records_file, n))
        build_s = time.perf_counter() - t0
        print(f"  rebuild {count:,} docs in {build_s:.1f} s = {count / build_s:,.0f} docs/s "
              f"(reading stored records included, generation excluded)")  # fmt: skip

        for q in queries[:200]:
            backend.search(q)
        engine: list[float] = []
        totals: list[int] = []
        for q in queries:
            t = time.perf_counter()
            totals.append(backend.search(q).total)
            engine.append((time.perf_counter() - t) * 1000)
        print(f"  queries {len(queries):,}: median hits {statistics.median(totals):,.0f}, "
              f"{sum(1 for t in totals if t == 0)} with none")  # fmt: skip
        print(line("engine (facets, highlights)", engine))
        backend.close()

        port = free_port()
        server = serve(env, data_dir, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=60) as http:
                for q in queries[:200]:
                    http.get(f"{base}/api/v1/search", params=api_params(q)).raise_for_status()
                api: list[float] = []
                for q in queries:
                    t = time.perf_counter()
                    http.get(f"{base}/api/v1/search", params=api_params(q)).raise_for_status()
                    api.append((time.perf_counter() - t) * 1000)
            print(line("API GET /api/v1/search, 1 client", api))
            print(f"  API p95 / engine p95 = {pct(api, 95) / pct(engine, 95):.2f}")
            qps, lat16 = asyncio.run(concurrent(base, queries, 16))
            print(line("API, 16 concurrent clients", lat16))
            print(f"  throughput, 16 clients: {qps:,.0f} searches/s")
        finally:
            server.terminate()
            server.wait(10)
    finally:
        backend.close()
        if name == "opensearch":
            from opensearchpy import OpenSearch

            client = OpenSearch(hosts=[os_url], timeout=120)
            for index in list(client.indices.get(index=f"{alias}*")):
                client.indices.delete(index=index)
            client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--os-records", type=int, default=100_000, help="records for OpenSearch (osmem holds RAM)")
    ap.add_argument("--queries", type=int, default=2_000)
    ap.add_argument("--backends", default="tantivy,opensearch")
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="unioncat-search-api-bench-"))
    server = None
    try:
        n_max = max(args.records if "tantivy" in backends else 0, args.os_records if "opensearch" in backends else 0)
        records_file = workdir / "records.jsonl"
        gen_s = write_records(records_file, n_max)
        print(f"generated {n_max:,} records in {gen_s:.1f} s ({n_max / gen_s:,.0f} rec/s), "
              f"{records_file.stat().st_size / 1e6:,.0f} MB of JSON lines; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        queries = query_mix(args.queries)
        for name in backends:
            os_url = None
            if name == "opensearch":
                os_url = os.environ.get("UNIONCAT_OPENSEARCH_URL")
                if not os_url:
                    from osmem_server import OsmemServer

                    server = OsmemServer.start(japanese=False)
                    os_url = server.url
            bench_backend(name, args.records if name == "tantivy" else args.os_records, records_file, queries,
                          workdir, os_url)  # fmt: skip
        print(f"\npeak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; "
              f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
