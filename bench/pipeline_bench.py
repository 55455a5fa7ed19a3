"""Pipeline benchmark: records/s from harvest to searchable, over loopback OAI-PMH, with peak memory.

The member libraries are served by the project's OAI-PMH provider in a separate process (its CPU is not
counted against the pipeline); the pipeline runs here: harvest (all libraries concurrently) → normalize →
cluster → merge → index (tantivy, or OpenSearch if UNIONCAT_OPENSEARCH_URL is set).

    python bench/pipeline_bench.py --libraries 5 --records 10000            # 50,000 records, SQLite
    python bench/pipeline_bench.py --database-url postgresql+asyncpg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path


def serve(records_per_library: int, codes: list[str], conn) -> None:
    from unioncat.demo.catalogues import generate_catalogues
    from unioncat.demo.oai_server import OAIServer

    catalogues = generate_catalogues(records_per_library)
    server = OAIServer().start()
    for code in codes:
        server.add_repository(code, [(r.identifier, r.datestamp, r.deleted, r.marcxml, []) for r in catalogues[code]],
                              metadata_prefix="marc21", page_size=500)
    conn.send({code: server.base_url(code) for code in codes})
    conn.recv()  # wait until the benchmark is done
    server.stop()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(args) -> None:
    from harvesters.harvest import harvest_many
    from unioncat.db import create_engine, make_sessionmaker, transaction
    from unioncat.db.migrate import upgrade
    from unioncat.dedup.service import cluster_pending, rebuild_dirty
    from unioncat.libraries import upsert_library
    from unioncat.normalize.service import normalize_pending
    from unioncat.search import open_backend
    from unioncat.search.indexer import index_dirty
    from unioncat.settings import Settings


    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="unioncat-bench-"))
    settings = Settings(data_dir=data_dir, database_url=args.database_url or "")
    await asyncio.to_thread(upgrade, settings)

    codes = ["THA", "NAN", "HTI", "QTR", "QBI", "HUE", "DHV"][: args.libraries]
    parent, child = mp.Pipe()
    t = time.perf_counter()
    proc = mp.get_context("spawn").Process(target=serve, args=(args.records, codes, child), daemon=True)
    proc.start()
    urls = parent.recv()
    print(f"provider ready in {time.perf_counter() - t:.1f} s (separate process): {len(codes)} libraries")

    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as s:
        for code in codes:
            await upsert_library(s, code, name=code, oai_url=urls[code])
    backend = open_backend(settings)
    timings = {}
    start = time.perf_counter()
    t = start
    summaries = await harvest_many(sessions, settings, codes)
    timings["harvest"] = time.perf_counter() - t
    harvested = sum(s.records_new for s in summaries)
    assert all(s.ok for s in summaries), [s.error for s in summaries]
    t = time.perf_counter()
    n = await normalize_pending(sessions)
    timings["normalize"] = time.perf_counter() - t
    t = time.perf_counter()
    c = await cluster_pending(sessions)
    timings["cluster"] = time.perf_counter() - t
    t = time.perf_counter()
    rebuilt = await rebuild_dirty(sessions)
    timings["merge"] = time.perf_counter() - t
    t = time.perf_counter()
    indexed = await index_dirty(sessions, backend)
    timings["index"] = time.perf_counter() - t
    total = time.perf_counter() - start
    count = backend.count()
    backend.close()
    await engine.dispose()
    parent.send("done")
    proc.join(5)

    db = "PostgreSQL" if "postgresql" in settings.database_url else "SQLite"
    print(f"database {db}; search {'OpenSearch' if settings.opensearch_url else 'tantivy'}; data {data_dir}")
    print(f"records harvested      {harvested:>10,}")
    print(f"normalized/quarantined {n.normalized:>10,} / {n.quarantined}")
    print(f"union records          {rebuilt:>10,}  (indexed {indexed:,}, searchable {count:,}; "
          f"{c.joined:,} records merged into others)")
    for stage, seconds in timings.items():
        print(f"  {stage:<10} {seconds:7.1f} s  {harvested / seconds:>9,.0f} records/s")
    print(f"harvest → searchable   {total:7.1f} s  {harvested / total:>9,.0f} records/s end to end")
    print(f"peak RSS (pipeline process) {peak_rss_mb():,.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--libraries", type=int, default=5)
    p.add_argument("--records", type=int, default=10_000, help="records per library")
    p.add_argument("--database-url")
    p.add_argument("--data-dir")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
