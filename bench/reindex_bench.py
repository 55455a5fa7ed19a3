"""`unioncat reindex` from the database: N union records in the clusters table -> a fresh search index.

bench/search_api_bench.py times `backend.rebuild` reading JSON lines; this one times the command a consortium
runs, end to end: a real `unioncat reindex` process reading the clusters table (SQLite file, or PostgreSQL with
--database-url) in keyset pages, preparing documents and building the tantivy index, then switching to it.
The table is filled first (not timed) with bench/search_bench.py's synthetic union records, as a pipeline run
leaves them (already indexed; --dirty: never indexed, so the reindex also clears every row's index_dirty).

    python bench/reindex_bench.py                                    # 1,000,000 records, SQLite
    python bench/reindex_bench.py --records 200000 \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/unioncat_bench    # database is re-created
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_bench import synthetic_records  # noqa: E402

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from unioncat.db import Cluster  # noqa: E402
from unioncat.db.migrate import upgrade  # noqa: E402
from unioncat.db.session import create_engine  # noqa: E402
from unioncat.settings import Settings  # noqa: E402

BATCH = 5_000


def recreate_postgres_database(url: str) -> None:
    base, _, name = url.rpartition("/")

    async def run() -> None:
        engine = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(run())


async def fill(settings: Settings, n: int, dirty: bool) -> None:
    engine = create_engine(settings)
    try:
        batch: list[dict] = []
        for record in synthetic_records(n):
            record["id"] = f"u{record['id'][3:]:0>11}"  # the shape of real union ids: "u" + 11 characters
            batch.append({"id": record["id"], "status": "active", "data": record, "member_count": 1,
                          "dirty": False, "index_dirty": dirty})  # fmt: skip
            if len(batch) == BATCH:
                async with engine.begin() as conn:
                    await conn.execute(insert(Cluster), batch)
                batch = []
        if batch:
            async with engine.begin() as conn:
                await conn.execute(insert(Cluster), batch)
    finally:
        await engine.dispose()


async def vacuum(url: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text("VACUUM ANALYZE clusters"))
    await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--database-url", default="", help="PostgreSQL URL (its database is dropped and re-created)")
    ap.add_argument("--dirty", action="store_true",
                    help="fill as never indexed (index_dirty): the reindex then also clears every row's flag")
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="unioncat-reindex-bench-"))
    try:
        settings = Settings(data_dir=workdir, database_url=args.database_url)
        if args.database_url:
            recreate_postgres_database(args.database_url)
        upgrade(settings)
        t0 = time.perf_counter()
        asyncio.run(fill(settings, args.records, args.dirty))
        if args.database_url:
            asyncio.run(vacuum(args.database_url))  # as autovacuum would have: the first read sets hint bits
        print(f"filled {args.records:,} union records in {time.perf_counter() - t0:.1f} s "
              f"({'PostgreSQL' if args.database_url else 'SQLite'}); {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip

        env = {k: v for k, v in os.environ.items() if not k.startswith("UNIONCAT_")}
        env.update(UNIONCAT_DATA_DIR=str(workdir), UNIONCAT_DATABASE_URL=args.database_url)
        unioncat = shutil.which("unioncat") or str(Path(sys.executable).with_name("unioncat"))
        t0 = time.perf_counter()
        subprocess.run([unioncat, "reindex"], env=env, check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"unioncat reindex: {args.records:,} records in {elapsed:.1f} s = {args.records / elapsed:,.0f} "
              f"records/s; CPU {usage.ru_utime + usage.ru_stime:.0f} s; peak RSS of one process "
              f"{usage.ru_maxrss / 1024:,.0f} MB; load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
