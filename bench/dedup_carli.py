"""Regression against the CARLI / eXtensible Catalog MARC aggregation test sets T0–T7.

Each step's file is loaded as incremental input (records keyed by 003 + 001; leader/05 "d" deletes; holdings
records are excluded by normalization), then normalize → cluster → rebuild run as in production. The sets we
build are compared with Tsets_output/T<n>.txt, which lists every aggregated set (two members or more).

Agreement is reported as exact sets in common and pairwise precision/recall against the expected sets.
Their rules are identifier-only (035, 010, 020, 022, 024) with transitive closure; ours add vetoes and
descriptive rules, so some differences are on purpose: run with --diff to see each one.

Usage: python bench/dedup_carli.py [--diff] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from itertools import combinations
from pathlib import Path

import pymarc
from sqlalchemy import select

from unioncat.db import ClusterMember, Library, SourceRecord, create_engine, make_sessionmaker, transaction
from unioncat.db.migrate import upgrade
from unioncat.dedup.service import cluster_pending, rebuild_dirty
from unioncat.normalize.service import normalize_pending
from unioncat.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared/testdata/dedup/xc_marc_aggregation_carli"
_INPUT = re.compile(r"INPUT ID: \d+\**: \[(\w+)\] (\S+)")


def expected_sets(path: Path) -> set[frozenset[tuple[str, str]]]:
    sets, current = set(), None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "OUTPUT ID" in line:
            if current:
                sets.add(frozenset(current))
            current = []
        m = _INPUT.search(line)
        if m and current is not None:
            current.append((m.group(1), m.group(2)))
    if current:
        sets.add(frozenset(current))
    return {s for s in sets if len(s) > 1}


def read_step(path: Path) -> list[tuple[str, str, bool, bytes]]:
    """(database, 001, deleted, raw ISO 2709) for each record of a step file, in file order."""
    out = []
    with path.open("rb") as fh:
        for rec in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, permissive=True):
            if rec is None:
                continue
            db = (rec["003"].data if rec["003"] else "none").strip()
            ident = (rec["001"].data if rec["001"] else "").strip()
            out.append((db, ident, rec.leader[5] == "d", rec.as_marc()))
    return out


def pairs(sets) -> set[frozenset]:
    return {frozenset(p) for s in sets for p in combinations(sorted(s), 2)}


async def load_step(sessions, records) -> None:
    async with transaction(sessions) as s:
        libs = dict((await s.execute(select(Library.code, Library.id))).all())
        for db, ident, deleted, raw in records:
            if db not in libs:
                lib = Library(code=db, name=db)
                s.add(lib)
                await s.flush()
                libs[db] = lib.id
            src = (await s.execute(select(SourceRecord).where(
                SourceRecord.library_id == libs[db], SourceRecord.identifier == ident))).scalar_one_or_none()
            if src is None:
                src = SourceRecord(library_id=libs[db], identifier=ident, raw_format="iso2709")
                s.add(src)
            src.deleted = deleted
            src.raw = None if deleted else raw
            src.status = "deleted" if deleted else "new"
            await s.flush()


async def our_sets(sessions) -> set[frozenset[tuple[str, str]]]:
    async with sessions() as s:
        rows = (await s.execute(
            select(ClusterMember.cluster_id, Library.code, SourceRecord.identifier)
            .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
            .join(Library, Library.id == SourceRecord.library_id))).all()
    by: dict[str, set] = {}
    for cid, db, ident in rows:
        by.setdefault(cid, set()).add((db, ident))
    return {frozenset(v) for v in by.values() if len(v) > 1}


async def run(data: Path = DATA, workdir: Path | None = None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=workdir or Path(tmp))
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings)
        sessions = make_sessionmaker(engine)
        results = []
        for step in range(8):
            await load_step(sessions, read_step(data / "Tsets" / f"T{step}.mrc"))
            await normalize_pending(sessions)
            await cluster_pending(sessions)
            await rebuild_dirty(sessions)
            ours, theirs = await our_sets(sessions), expected_sets(data / "Tsets_output" / f"T{step}.txt")
            po, pt = pairs(ours), pairs(theirs)
            results.append({
                "step": f"T{step}", "expected_sets": len(theirs), "our_sets": len(ours),
                "same_sets": len(ours & theirs),
                "pair_precision": len(po & pt) / len(po) if po else 1.0,
                "pair_recall": len(po & pt) / len(pt) if pt else 1.0,
                "only_ours": sorted(ours - theirs, key=sorted), "only_theirs": sorted(theirs - ours, key=sorted),
            })
        await engine.dispose()
        return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--diff", action="store_true", help="print every set that differs")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    results = asyncio.run(run(args.data))
    print(f"{'step':<5}{'expected':>9}{'ours':>6}{'same':>6}{'pair P':>8}{'pair R':>8}")
    for r in results:
        print(f"{r['step']:<5}{r['expected_sets']:>9}{r['our_sets']:>6}{r['same_sets']:>6}"
              f"{r['pair_precision']:>8.3f}{r['pair_recall']:>8.3f}")
        if args.diff:
            for s in r["only_theirs"]:
                print("   expected only:", sorted(s))
            for s in r["only_ours"]:
                print("   ours only:    ", sorted(s))


if __name__ == "__main__":
    main()
