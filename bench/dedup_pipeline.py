"""Time the stages dedup owns (normalize, cluster, merge) on a harvested database.

Usage:
    python bench/dedup_pipeline.py TEMPLATE.sqlite3 [--profile cluster|merge|normalize] [--runs 1]

TEMPLATE is a SQLite database after a harvest (e.g. the one `unioncat demo --data-dir D` leaves in
D/unioncat.sqlite3). It is copied to a scratch directory, every harvested record is set back to "new",
derived tables are emptied, and the three stages are timed as the pipeline runs them. Also times an
incremental re-run (1 % of records changed) to show the stages only touch what changed.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from unioncat.db import create_engine, make_sessionmaker
from unioncat.dedup.service import cluster_pending, rebuild_dirty
from unioncat.normalize.service import normalize_pending
from unioncat.settings import Settings


def reset(db: Path) -> int:
    con = sqlite3.connect(db)
    con.executescript(
        """
        DELETE FROM match_keys; DELETE FROM cluster_members; DELETE FROM clusters; DELETE FROM normalized_records;
        UPDATE source_records SET status = 'new', error = NULL WHERE status NOT IN ('gone', 'deleted');
        """
    )
    n = con.execute("SELECT count(*) FROM source_records WHERE status = 'new'").fetchone()[0]
    con.commit()
    con.close()
    return n


def touch(db: Path, every: int) -> int:
    con = sqlite3.connect(db)
    con.execute("UPDATE source_records SET status = 'new' WHERE status = 'clustered' AND id % ? = 0", (every,))
    n = con.total_changes
    con.commit()
    con.close()
    return n


async def run_stages(settings: Settings, profile: str | None) -> dict[str, float]:
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    times = {}
    profiler = None
    for name, fn in (("normalize", normalize_pending), ("cluster", cluster_pending), ("merge", rebuild_dirty)):
        if profile == name:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        t = time.perf_counter()
        await fn(sessions)
        times[name] = time.perf_counter() - t
        if profiler is not None and profile == name:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            profiler = None
    await engine.dispose()
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("--profile", choices=["normalize", "cluster", "merge"])
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            db = data / "unioncat.sqlite3"
            shutil.copy(args.template, db)
            n = reset(db)
            settings = Settings(data_dir=data)
            times = asyncio.run(run_stages(settings, args.profile))
            total = sum(times.values())
            print(f"run {run + 1}: {n} records  " + "  ".join(f"{k} {v:.1f} s" for k, v in times.items())
                  + f"  total {total:.1f} s")
            changed = touch(db, 100)
            times = asyncio.run(run_stages(settings, None))
            print(f"  incremental ({changed} records changed): "
                  + "  ".join(f"{k} {v:.2f} s" for k, v in times.items()))
            con = sqlite3.connect(db)
            clusters = con.execute("SELECT count(*) FROM clusters WHERE status = 'active'").fetchone()[0]
            rules = con.execute("SELECT rule, count(*) FROM cluster_members GROUP BY rule ORDER BY 1").fetchall()
            con.close()
            print(f"  {clusters} active union records; members by rule: {dict(rules)}")


if __name__ == "__main__":
    main()
