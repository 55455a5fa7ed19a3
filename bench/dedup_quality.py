"""Matching quality, per kind of variation, and throughput, on a labelled hard set built from real records.

Base records: the Library of Congress / test records shipped in the pymarc 5.4.0 sdist
(`pip download pymarc==5.4.0 --no-deps --no-binary :all: -d /tmp/pymarc-sdist`, unpacked), the real MARC records
in ../shared/testdata/marc (ISO 2709 and MARCXML; files and records that do not parse are skipped), and Vietnamese
records generated from a small vocabulary (some with a volume, subtitle, parallel title, translator).

Each base is catalogued by 2-4 libraries: the first writes it as it is, every other one with ONE named variation
(typing/OCR errors, a dropped or doubled diacritic, a leading article, the volume in another notation or in the
title, the title from a variant or parallel title, no author, the author only in 245 $c, the printing's year,
a bracketed or decade year, another binding's ISBN, a subtitle on one side, the subtitle in $a, ALL CAPS,
ISBD punctuation, a new printing) plus the mild noise of every union catalogue (NFD, tone placement, inverted
names, ISBN forms, "tr."/"p.", publisher forms, 260/264). Hard negatives look alike but are other manifestations:
another edition, volume, translation, format (e-book, audio), a recycled ISBN, the same author's other book the
same year, a reprint years later. The generators are in bench/dedup_hard_set.py.

Everything goes through the real normalize → cluster stages on SQLite. The report gives, per variation, the true
pairs involving a record with it and the share found (and against the base record alone); per negative kind, the
look-alike pairs (negative × every record of its book) and how many were merged; overall pairwise
precision / recall / F1; and the editions, volumes and translations merged (the bar: none).

Bases are split 50/50 by a hash of their identity: the default run uses half A with --seed; --holdout uses half B
and another seed, so rules can be tuned on one half and checked on the other.

Usage: python bench/dedup_quality.py [--seed 7] [--holdout] [--forms] [--examples 2]
           [--sdist /tmp/pymarc-sdist/pymarc-5.4.0] [--testdata ../shared/testdata/marc] [--scale 20000,50000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_hard_set import LIBS, NEGATIVES, VARIATIONS, labelled_set, marcxml, variant, vn_bases  # noqa: E402

from unioncat.db import (  # noqa: E402
    ClusterMember, Library, SourceRecord, create_engine, make_sessionmaker, transaction)
from unioncat.db.migrate import upgrade  # noqa: E402
from unioncat.dedup.service import cluster_pending  # noqa: E402
from unioncat.normalize.service import normalize_pending  # noqa: E402
from unioncat.settings import Settings  # noqa: E402

HOLDOUT_SEED_OFFSET = 1_000_003
BAR_KINDS = ("edition", "volume", "translation")
DEFAULT_TESTDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "testdata" / "marc"


async def load(sessions, records: list[tuple[str, bytes]]) -> list[int]:
    async with transaction(sessions) as s:
        libs = dict((await s.execute(select(Library.code, Library.id))).all())
        for code in {lib for lib, _ in records} - set(libs):
            lib = Library(code=code, name=code)
            s.add(lib)
            await s.flush()
            libs[code] = lib.id
        rows = [{"library_id": libs[lib], "identifier": f"oai:{lib}:{i}", "raw": raw, "raw_format": "marcxml",
                 "status": "new"} for i, (lib, raw) in enumerate(records)]
        for i in range(0, len(rows), 5000):
            await s.execute(insert(SourceRecord), rows[i : i + 5000])
    async with sessions() as s:
        return list((await s.execute(select(SourceRecord.id).order_by(SourceRecord.id))).scalars())


async def clusters_by_identifier(sessions) -> dict[str, str]:
    async with sessions() as s:
        return dict((await s.execute(select(SourceRecord.identifier, ClusterMember.cluster_id)
                                     .join(ClusterMember, ClusterMember.source_record_id == SourceRecord.id))).all())


async def run_pipeline(records: list[tuple[str, bytes]], bulk_min: int | None):
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings)
        sessions = make_sessionmaker(engine)
        await load(sessions, records)
        t = time.perf_counter()
        norm = await normalize_pending(sessions)
        t_norm = time.perf_counter() - t
        t = time.perf_counter()
        stats = await cluster_pending(sessions, bulk_min=bulk_min)
        t_cluster = time.perf_counter() - t
        got = await clusters_by_identifier(sessions)
        await engine.dispose()
    return norm, t_norm, stats, t_cluster, got


def _ratio(a: int, b: int) -> str:
    return f"{a / b:6.3f}" if b else "     –"


def _explain(raws: dict[str, bytes], a: str, b: str) -> list[str]:
    """Two records as normalized, and what the matcher says about them (its API may change: best effort)."""
    from unioncat.normalize import normalize_source

    lines, recs = [], []
    for x in (a, b):
        try:
            c = normalize_source(raws[x], "marcxml")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"      {x}: does not normalize: {exc}")
            return lines
        recs.append(c)
        lines.append(f"      {x}: title={c.title!r} sub={c.subtitle!r} part={c.part!r} var={c.variant_titles} "
                     f"author={c.authors[0].name if c.authors else None!r} sor={c.statement_of_responsibility!r} "
                     f"year={c.year} ({c.date_text!r}) isbn={c.isbns} ed={c.edition!r} lang={c.language} "
                     f"fmt={c.format} pub={c.publisher!r} pages={c.pages}")
    try:
        from unioncat.dedup.keys import MatchView
        from unioncat.dedup.matching import decide

        va, vb = (MatchView.of(i, x.split(":")[1], c) for i, (x, c) in enumerate(zip((a, b), recs)))
        dec = decide(va, vb)
        lines.append(f"      decide: {dec.rule} score {dec.score}: {'; '.join(dec.reasons)}")
    except Exception as exc:  # noqa: BLE001
        lines.append(f"      decide: not available ({type(exc).__name__}: {exc})")
    return lines


def report(data: list[tuple[str, dict, str]], got: dict[str, str], show_forms: bool, examples: int = 0,
           raws: dict[str, bytes] | None = None) -> dict:
    """Print the tables; return the headline figures. `examples`: pairs shown per failing form."""
    ident = [f"oai:{lib}:{i}" for i, (lib, _d, _lab) in enumerate(data)]
    desc = {x: d for x, (_lib, d, _lab) in zip(ident, data)}
    label = {x: lab for x, (_lib, _d, lab) in zip(ident, data)}
    cluster = {x: got.get(x) for x in ident}
    by_label, by_cluster, by_base = defaultdict(list), defaultdict(list), defaultdict(list)
    for x in ident:
        by_label[label[x]].append(x)
        if cluster[x]:
            by_cluster[cluster[x]].append(x)
        if desc[x]["_role"] != "neg":
            by_base[desc[x]["_base"]].append(x)
    truth = {frozenset(p) for g in by_label.values() for p in combinations(g, 2)}
    found = {frozenset(p) for g in by_cluster.values() for p in combinations(g, 2)}
    same = lambda a, b: cluster[a] is not None and cluster[a] == cluster[b]  # noqa: E731

    # positives: true pairs involving a record with the variation; and the pair (base, that record) alone
    pos = defaultdict(lambda: [0, 0, 0, 0, 0])  # records, pairs, found, base pairs, base found
    pos_forms = defaultdict(lambda: [0, 0])  # (variation, form) -> base pairs, found
    missed_ex = defaultdict(list)  # (variation, form) -> (base record, record) pairs not found
    for pair in truth:
        a, b = tuple(pair)
        hit = pair in found
        for x in {desc[a]["_tag"], desc[b]["_tag"]} - {"base"}:
            pos[x][1] += 1
            pos[x][2] += hit
    for x in ident:
        d = desc[x]
        if d["_role"] != "dup":
            continue
        pos[d["_tag"]][0] += 1
        base_rec = by_base[d["_base"]][0]
        hit = same(x, base_rec)
        pos[d["_tag"]][3] += 1
        pos[d["_tag"]][4] += hit
        pos_forms[(d["_tag"], d["_form"])][0] += 1
        pos_forms[(d["_tag"], d["_form"])][1] += hit
        if not hit:
            missed_ex[(d["_tag"], d["_form"])].append((base_rec, x))

    # negatives: look-alike pairs = the negative × every record of its book
    neg = defaultdict(lambda: [0, 0, 0, 0])  # records, look-alike pairs, merged pairs, records merged
    neg_forms = defaultdict(lambda: [0, 0])  # (kind, form) -> records, records merged
    merged_ex = defaultdict(list)  # (kind, form) -> (record of the book, negative) pairs merged
    neg_attrs = defaultdict(lambda: [0, 0])  # (attribute, kind, value) -> records, records merged
    lookalike = set()
    for x in ident:
        d = desc[x]
        if d["_role"] != "neg":
            continue
        group = by_base[d["_base"]]
        merged = sum(same(x, y) for y in group)
        lookalike.update(frozenset((x, y)) for y in group)
        k = d["_tag"]
        neg[k][0] += 1
        neg[k][1] += len(group)
        neg[k][2] += merged
        neg[k][3] += merged > 0
        neg_forms[(k, d["_form"])][0] += 1
        neg_forms[(k, d["_form"])][1] += merged > 0
        merged_ex[(k, d["_form"])] += [(y, x) for y in group if same(x, y)][:1]
        for attr, value in d.get("_attrs", {}).items():
            neg_attrs[(attr, k, value)][0] += 1
            neg_attrs[(attr, k, value)][1] += merged > 0

    other = Counter()
    for pair in found - truth - lookalike:
        a, b = tuple(pair)
        da, db = desc[a], desc[b]
        if da["_base"] == db["_base"]:
            other["two negatives of one book: " + "+".join(sorted((da["_tag"], db["_tag"])))] += 1
        else:
            other["unrelated books: " + "+".join(sorted((da["_tag"], db["_tag"])))] += 1

    tp = len(truth & found)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0

    w = 22
    print(f"\n{'positive variation':<{w}} {'records':>7} {'pairs':>6} {'found':>6} {'recall':>6}   "
          f"{'vs base':>7} {'found':>6} {'recall':>6}")
    for name in VARIATIONS:
        if name in pos:
            c = pos[name]
            print(f"{name:<{w}} {c[0]:>7} {c[1]:>6} {c[2]:>6} {_ratio(c[2], c[1])}   {c[3]:>7} {c[4]:>6} "
                  f"{_ratio(c[4], c[3])}")
    print(f"\n{'hard negative':<{w}} {'records':>7} {'look-alike pairs':>16} {'merged pairs':>12} "
          f"{'records merged':>14}")
    for name in NEGATIVES:
        if name in neg:
            c = neg[name]
            print(f"{name:<{w}} {c[0]:>7} {c[1]:>16} {c[2]:>12} {c[3]:>14}")
    print(f"\npairwise precision {p:.4f}  recall {r:.4f}  F1 {f1:.4f}  ({tp} true / {len(found)} found / "
          f"{len(truth)} true pairs; {len(found - truth)} false pairs)")
    if other:
        print("false pairs outside the look-alike pairs:", dict(other.most_common()))
    bar = {k: neg[k][3] for k in BAR_KINDS}
    verdict = "met" if not any(bar.values()) else "NOT met"
    print(f"merged with their look-alike (bar: none): editions {bar['edition']}, volumes {bar['volume']}, "
          f"translations {bar['translation']} -> {verdict}")

    for attr, title in (("isbn", "ISBN of the negative vs the book's"), ("year", "year change")):
        values = sorted({v for (a, _k, v) in neg_attrs if a == attr})
        kinds = [k for k in NEGATIVES if any((attr, k, v) in neg_attrs for v in values)]
        print(f"\nnegatives merged / records, by {title}:")
        print(f"{'':<{w}} " + " ".join(f"{v:>12}" for v in values))
        for k in kinds:
            cells = [neg_attrs.get((attr, k, v)) for v in values]
            print(f"{k:<{w}} " + " ".join(f"{(f'{c[1]}/{c[0]}' if c else '–'):>12}" for c in cells))

    rows = [(f"{t}: {f}", c[0], c[1], c[0] - c[1]) for (t, f), c in pos_forms.items()]
    weak = sorted((r_ for r_ in rows if show_forms or r_[3]), key=lambda r_: (-r_[3], r_[0]))
    if weak:
        print(f"\n{'positive forms' + ('' if show_forms else ' with misses'):<60} {'vs base':>7} {'found':>6} "
              f"{'missed':>6}")
        for name, n, hit, miss in weak if show_forms else weak[:40]:
            print(f"{name[:60]:<60} {n:>7} {hit:>6} {miss:>6}")
            key = tuple(name.split(": ", 1))
            for a, b in missed_ex[key][:examples] if raws else ():
                print("\n".join(_explain(raws, a, b)))
    rows = [(f"{t}: {f}", c[0], c[1]) for (t, f), c in neg_forms.items()]
    bad = sorted((r_ for r_ in rows if show_forms or r_[2]), key=lambda r_: (-r_[2], r_[0]))
    if bad:
        print(f"\n{'negative forms' + ('' if show_forms else ' merged'):<60} {'records':>7} {'merged':>6}")
        for name, n, merged in bad if show_forms else bad[:40]:
            print(f"{name[:60]:<60} {n:>7} {merged:>6}")
            key = tuple(name.split(": ", 1))
            for a, b in merged_ex[key][:examples] if raws else ():
                print("\n".join(_explain(raws, a, b)))
    return {"precision": p, "recall": r, "f1": f1, "bar": bar}


async def quality(sdist: Path | None, testdata: Path | None, n_vn: int, seed: int, half: int, bulk_min: int | None,
                  show_forms: bool, examples: int = 0) -> None:
    t0 = time.perf_counter()
    data, bases = labelled_set(sdist, testdata, n_vn, seed=seed, half=half)
    t_gen = time.perf_counter() - t0
    raws = [(lib, marcxml({k: v for k, v in d.items() if not k.startswith("_")} | {"id": f"{lib}{i}"}))
            for i, (lib, d, _) in enumerate(data)]
    norm, t_norm, stats, t_cluster, got = await run_pipeline(raws, bulk_min)
    src = Counter(b["source"] for b in bases)
    roles = Counter(d["_role"] for _lib, d, _lab in data)
    print(f"labelled set (seed {seed}, bases half {'AB'[half]}): {len(data)} records — {len(bases)} books "
          f"({', '.join(f'{n} {s}' for s, n in sorted(src.items()))}), {roles['dup']} re-catalogued duplicates, "
          f"{roles['neg']} hard negatives; {norm.quarantined} quarantined")
    report(data, got, show_forms, examples, {f"oai:{lib}:{i}": raw for i, (lib, raw) in enumerate(raws)})
    print(f"\nnormalize {len(data) / t_norm:.0f} records/s; cluster {t_cluster:.2f} s for {len(data)} records "
          f"({stats.bulk} by the bulk path); set built in {t_gen:.1f} s")


async def scale(n: int, bulk_min: int | None = None) -> None:
    """Clustering time for n generated records (about a third of them duplicates across libraries)."""
    rng = random.Random(n)
    bases = vn_bases(max(1, n * 2 // 3 // 2), rng, rich=False)
    records = []
    for i, b in enumerate(bases):
        for j, lib in enumerate(rng.sample(LIBS, rng.choice((1, 1, 2, 3)))):
            records.append((lib, marcxml((b if j == 0 else variant(b, rng)) | {"id": f"{lib}{i}"})))
            if len(records) >= n:
                break
        if len(records) >= n:
            break
    _norm, t_norm, stats, t_cluster, _got = await run_pipeline(records, bulk_min)
    print(f"N={len(records):>8}: normalize {t_norm:6.1f} s ({len(records) / t_norm:5.0f}/s)  "
          f"cluster {t_cluster:6.1f} s ({len(records) / t_cluster:5.0f}/s), {stats.new_clusters} union records")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdist", type=Path, default=Path("/tmp/pymarc-sdist/pymarc-5.4.0"))
    ap.add_argument("--testdata", type=Path, default=DEFAULT_TESTDATA, help="real MARC files used as bases")
    ap.add_argument("--vietnamese", type=int, default=1500, help="generated Vietnamese base books")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--holdout", action="store_true",
                    help="the other half of the bases and another seed (check what was tuned on the default run)")
    ap.add_argument("--forms", action="store_true", help="list every sub-form, not only those that fail")
    ap.add_argument("--examples", type=int, default=0, metavar="N",
                    help="under each failing form, N pairs as normalized with the matcher's decision")
    ap.add_argument("--no-quality", action="store_true", help="only the --scale runs")
    ap.add_argument("--bulk-min", type=int, default=None,
                    help="new records from which the bulk path clusters them (default: the service's; 0: always)")
    ap.add_argument("--scale", default="", help="comma-separated N for the throughput runs, e.g. 20000,100000")
    args = ap.parse_args()
    sdist = args.sdist if (args.sdist / "test").is_dir() else None
    if sdist is None:
        print(f"pymarc sdist not found at {args.sdist}: its LC records are not used")
    testdata = args.testdata.resolve() if args.testdata.is_dir() else None
    if testdata is None:
        print(f"no test data at {args.testdata}: its real MARC records are not used")
    seed = args.seed + HOLDOUT_SEED_OFFSET if args.holdout else args.seed
    if not args.no_quality:
        asyncio.run(quality(sdist, testdata, args.vietnamese, seed, int(args.holdout), args.bulk_min, args.forms,
                            args.examples))
    for n in [int(x) for x in args.scale.split(",") if x.strip()]:
        asyncio.run(scale(n, args.bulk_min))


if __name__ == "__main__":
    main()
