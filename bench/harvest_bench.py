"""Harvest throughput over loopback, the cost of a resumed run, and memory against library size.

    python bench/harvest_bench.py                       # SQLite in a temporary data dir
    python bench/harvest_bench.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    python bench/harvest_bench.py --libraries 5 --records 20000 --sizes 10000,50000

Three measurements, each on a fresh database and in a fresh harvester process (so peak RSS is that run's):

1. concurrent: ``--libraries`` demo libraries of ``--records`` realistic MARCXML records each (the Bắc Miền Trung
   demo catalogues), harvested concurrently: records/s, requests/s, harvester CPU, peak RSS;
2. resume: one library harvested clean, then harvested again from scratch but SIGKILLed at ~50 % and resumed:
   the extra cost of the interruption;
3. scale: one library of each of ``--sizes`` records: peak RSS must not grow with the size of a library.

The OAI-PMH provider (unioncat.demo.oai_server) runs in its own process, so its CPU is not counted against the
harvester. With ``--database-url`` (PostgreSQL) a scratch database ``<name>_harvest_bench`` is created next to the
given one for each measurement and dropped afterwards; the given database is never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_kib(field: str = "VmRSS") -> int:
    """Resident set size (VmRSS) or its peak (VmHWM) of this process in KiB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- the harvester process ------------------------------------------------------------------------------------


async def child_harvest(codes: list[str], database_url: str, data_dir: str) -> dict:
    from harvesters.harvest import harvest_many
    from unioncat.db import create_engine, make_sessionmaker
    from unioncat.settings import Settings

    settings = Settings(data_dir=Path(data_dir), database_url=database_url)
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    baseline = rss_kib()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    summaries = await harvest_many(sessions, settings, codes, concurrency=len(codes))
    wall = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    await engine.dispose()
    return {
        "wall": wall,
        "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        "baseline_rss_kib": baseline,
        "peak_rss_kib": rss_kib("VmHWM"),
        "summaries": [s.to_dict() for s in summaries],
    }


# --- databases ----------------------------------------------------------------------------------------------------


class Databases:
    """A fresh, migrated database per measurement: a SQLite data dir, or a scratch PostgreSQL database."""

    def __init__(self, database_url: str | None, workdir: Path) -> None:
        self.base_url = database_url
        self.workdir = workdir
        self.count = 0

    @contextmanager
    def fresh(self):
        from unioncat.db.migrate import upgrade
        from unioncat.settings import Settings

        self.count += 1
        data_dir = self.workdir / f"run{self.count}"
        data_dir.mkdir()
        if not self.base_url or self.base_url.startswith("sqlite"):
            settings = Settings(data_dir=data_dir)
            upgrade(settings)
            yield settings
            return
        server, name = self.base_url.rsplit("/", 1)
        scratch = f"{name.split('?')[0]}_harvest_bench"
        asyncio.run(self._admin(server, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        asyncio.run(self._admin(server, f'CREATE DATABASE "{scratch}"'))
        try:
            settings = Settings(data_dir=data_dir, database_url=f"{server}/{scratch}")
            upgrade(settings)
            yield settings
        finally:
            asyncio.run(self._admin(server, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))

    @staticmethod
    async def _admin(server: str, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


async def register(settings, urls: dict[str, str]) -> None:
    from unioncat.db import create_engine, make_sessionmaker, transaction
    from unioncat.libraries import upsert_library

    engine = create_engine(settings)
    async with transaction(make_sessionmaker(engine)) as session:
        for code, url in urls.items():
            await upsert_library(session, code, name=f"Bench {code}", oai_url=url)
    await engine.dispose()


async def records_stored(settings) -> int:
    from sqlalchemy import func, select

    from unioncat.db import create_engine, make_sessionmaker
    from unioncat.db.tables import SourceRecord

    engine = create_engine(settings)
    async with make_sessionmaker(engine)() as session:
        n = (await session.execute(select(func.count()).select_from(SourceRecord))).scalar_one()
    await engine.dispose()
    return n


async def kill_at(settings, proc: subprocess.Popen, records: int) -> None:
    """SIGKILL the harvester once ``records`` rows are stored (one connection, polled 5 times a second)."""
    from sqlalchemy import func, select

    from unioncat.db import create_engine, make_sessionmaker
    from unioncat.db.tables import SourceRecord

    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        while proc.poll() is None:
            async with sessions() as session:
                if (await session.execute(select(func.count()).select_from(SourceRecord))).scalar_one() >= records:
                    break
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    if proc.poll() is not None:
        raise SystemExit("the run finished before it could be interrupted")
    proc.send_signal(signal.SIGKILL)
    proc.wait()


async def requests_recorded(settings) -> int:
    from sqlalchemy import func, select

    from unioncat.db import create_engine, make_sessionmaker
    from unioncat.db.tables import HarvestRun

    engine = create_engine(settings)
    async with make_sessionmaker(engine)() as session:
        n = (await session.execute(select(func.coalesce(func.sum(HarvestRun.requests), 0)))).scalar_one()
    await engine.dispose()
    return int(n)


def child_command(settings, codes: list[str]) -> list[str]:
    return [sys.executable, __file__, "--child", ",".join(codes), "--child-db", settings.database_url,
            "--child-data", str(settings.data_dir)]


def run_child(settings, codes: list[str]) -> dict:
    """Harvest in a fresh process; ``process_wall`` counts its start-up too (``wall`` is the harvest alone)."""
    started = time.monotonic()
    out = subprocess.run(child_command(settings, codes), check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall"] = time.monotonic() - started
    return result


# --- the provider process ----------------------------------------------------------------------------------------


@contextmanager
def provider(*args: str):
    proc = subprocess.Popen([sys.executable, "-m", "unioncat.demo.oai_server", *args], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the OAI-PMH provider did not start")
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- measurements --------------------------------------------------------------------------------------------------


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def totals(result: dict) -> tuple[int, int, int]:
    s = result["summaries"]
    records = sum(x["records_new"] + x["records_updated"] + x["records_deleted"] + x["records_unchanged"] for x in s)
    return records, sum(x["requests"] for x in s), sum(x["retries"] for x in s)


def check(result: dict) -> None:
    failed = [f"{s['code']}: {s['error']}" for s in result["summaries"] if s["status"] == "failed"]
    if failed:
        raise SystemExit("harvest failed: " + "; ".join(failed))


def concurrent(dbs: Databases, args) -> None:
    print(f"\n== {args.libraries} libraries x {args.records} demo records, harvested concurrently ==")
    t = time.monotonic()
    with provider("--libraries", str(args.libraries), "--records", str(args.records),
                  "--page-size", str(args.page_size)) as info:
        print(f"provider ready in {time.monotonic() - t:.0f} s (separate process): {info['records']}")
        with dbs.fresh() as settings:
            asyncio.run(register(settings, info["urls"]))
            result = run_child(settings, list(info["urls"]))
            check(result)
            stored = asyncio.run(records_stored(settings))
    records, requests, retries = totals(result)
    wall = result["wall"]
    print(f"records harvested   {records} ({stored} rows stored) in {wall:.1f} s")
    print(f"throughput          {records / wall:,.0f} records/s, {requests / wall:.1f} requests/s "
          f"({requests} requests, {retries} retries)")
    print(f"harvester CPU       {result['cpu']:.1f} s ({result['cpu'] / wall:.0%} of one core)")
    print(f"harvester RSS       {mib(result['baseline_rss_kib'])} after start-up, peak {mib(result['peak_rss_kib'])}")
    for s in result["summaries"]:
        print(f"  {s['code']}: {s['status']}, {s['records_new']} new, {s['pages']} pages, {s['windows']} date windows, "
              f"{s['requests']} requests, {s['seconds']:.1f} s")


def resume(dbs: Databases, args) -> None:
    n = args.records
    print(f"\n== one library of {n} records: clean run vs interrupted at ~50 % (SIGKILL) and resumed, "
          f"{args.repeat} times each, alternating; medians ==")
    cleans, crashes = [], []
    with provider("--libraries", "1", "--records", str(n), "--page-size", str(args.page_size)) as info:
        code, url = next(iter(info["urls"].items()))
        for _ in range(args.repeat):
            with dbs.fresh() as settings:
                asyncio.run(register(settings, {code: url}))
                clean = run_child(settings, [code])
                check(clean)
                cleans.append(clean)
            with dbs.fresh() as settings:
                asyncio.run(register(settings, {code: url}))
                started = time.monotonic()
                proc = subprocess.Popen(child_command(settings, [code]), stdout=subprocess.DEVNULL)
                asyncio.run(kill_at(settings, proc, n // 2))
                interrupted = time.monotonic() - started
                at_kill = asyncio.run(records_stored(settings))
                killed_requests = asyncio.run(requests_recorded(settings))
                resumed = run_child(settings, [code])
                check(resumed)
                stored = asyncio.run(records_stored(settings))
                if stored != n:
                    raise SystemExit(f"{stored} rows after the resumed run, expected {n}")
                crashes.append((interrupted, at_kill, killed_requests, resumed))
    # wall times of whole processes (start-up included), so that the runs are comparable
    clean_wall = statistics.median(c["process_wall"] for c in cleans)
    clean_requests = cleans[0]["summaries"][0]["requests"]
    crash_wall = statistics.median(i + r["process_wall"] for i, _, _, r in crashes)
    interrupted, at_kill, killed_requests, resumed = crashes[len(crashes) // 2]
    r = resumed["summaries"][0]
    runs = ", ".join(f"{c['process_wall']:.1f}" for c in cleans)
    print(f"clean run           {clean_wall:.1f} s (runs: {runs}), "
          f"{clean_requests} requests")
    print(f"interrupted run     e.g. killed after {interrupted:.1f} s with {at_kill} records stored, {killed_requests} "
          "requests made (as of its last checkpoint)")
    print(f"resumed run         e.g. {resumed['process_wall']:.1f} s, {r['requests']} requests, "
          f"{r['records_new'] + r['records_deleted']} new, {r['records_unchanged']} listed again; {n} rows in the end")
    extra = killed_requests + r["requests"] - clean_requests
    print(f"requests            clean {clean_requests}; interrupted + resumed {killed_requests} + {r['requests']} = "
          f"{killed_requests + r['requests']} ({extra:+d}: Identify and ListMetadataFormats again, and the request "
          "in flight at the kill)")
    print(f"cost of the crash   interrupted + resumed {crash_wall:.1f} s vs clean {clean_wall:.1f} s "
          f"({crash_wall / clean_wall - 1:+.0%}, medians; the extra is one more process start-up and the requests above); "
          f"{sum(x[3]['summaries'][0]['records_unchanged'] for x in crashes)} records fetched twice in "
          f"{len(crashes)} resumed runs")


def scale(dbs: Databases, args) -> None:
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"\n== peak memory against library size: one library of {' / '.join(map(str, sizes))} records ==")
    t = time.monotonic()
    with provider("--sizes", args.sizes, "--page-size", str(args.page_size)) as info:
        print(f"provider ready in {time.monotonic() - t:.0f} s (separate process)")
        rows = []
        for size in sizes:
            code = f"S{size}"
            with dbs.fresh() as settings:
                asyncio.run(register(settings, {code: info["urls"][code]}))
                result = run_child(settings, [code])
                check(result)
            rows.append((size, result))
    for size, result in rows:
        records, requests, _ = totals(result)
        print(f"{size:>8} records   peak RSS {mib(result['peak_rss_kib'])} (start-up {mib(result['baseline_rss_kib'])}, "
              f"growth {mib(result['peak_rss_kib'] - result['baseline_rss_kib'])}); {records / result['wall']:,.0f} "
              f"records/s")
    (small, a), (large, b) = rows[0], rows[-1]
    growth = (b["peak_rss_kib"] - a["peak_rss_kib"]) / 1024
    print(f"{large / small:.0f}x the records: peak RSS {growth:+.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server to use (a scratch database is created); "
                                               "default: SQLite in a temporary directory")
    parser.add_argument("--libraries", type=int, default=5)
    parser.add_argument("--records", type=int, default=20000, help="records per library")
    parser.add_argument("--page-size", type=int, default=500, help="records per OAI-PMH page")
    parser.add_argument("--sizes", default="10000,50000", help="library sizes for the memory measurement")
    parser.add_argument("--repeat", type=int, default=3, help="clean and interrupted runs in the resume measurement")
    parser.add_argument("--only", choices=["concurrent", "resume", "scale"], action="append")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-db", help=argparse.SUPPRESS)
    parser.add_argument("--child-data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child_harvest(args.child.split(","), args.child_db, args.child_data))))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="harvest-bench-"))
    dbs = Databases(args.database_url, workdir)
    print(f"harvest bench: {'PostgreSQL' if args.database_url else 'SQLite'}, page size {args.page_size}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    try:
        for name, step in (("concurrent", concurrent), ("resume", resume), ("scale", scale)):
            if not args.only or name in args.only:
                step(dbs, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
