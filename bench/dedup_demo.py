"""Matching quality on the demo catalogues against their ground truth (manifestation ids the generator keeps
outside the MARC): pairwise precision / recall / F1 of the real normalize + cluster rules.

The demo data is generated (with deliberate traps: shared ISBNs between different books, volumes, editions,
TCVN3 titles, NFD, inverted names); `bench/dedup_quality.py` is the measure on real records.

    python bench/dedup_demo.py --records 2500
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from itertools import combinations

from unioncat.dedup.cluster import cluster_views
from unioncat.dedup.keys import MatchView
from unioncat.demo.catalogues import generate_catalogues, ground_truth
from unioncat.normalize import NormalizeError, normalize_source


def pairs(groups: dict[str, list[int]]) -> set[tuple[int, int]]:
    return {p for members in groups.values() for p in combinations(sorted(members), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=2500, help="records per demo library")
    args = ap.parse_args()
    catalogues = generate_catalogues(args.records)
    truth = ground_truth(catalogues)
    views, identifiers, failed = [], {}, 0
    t = time.perf_counter()
    for code, records in catalogues.items():
        for r in records:
            if r.deleted:
                continue
            rid = len(identifiers) + 1
            try:
                canonical = normalize_source(r.marcxml, "marcxml", "koha" if code == "DHV" else "generic")
            except NormalizeError:
                failed += 1
                continue
            identifiers[rid] = r.identifier
            views.append(MatchView.of(rid, code, canonical))
    normalized = time.perf_counter() - t
    t = time.perf_counter()
    cluster_of = cluster_views(views, identifiers)
    clustered = time.perf_counter() - t

    ours, theirs = defaultdict(list), defaultdict(list)
    for rid, cid in cluster_of.items():
        ours[cid].append(rid)
        theirs[truth[identifiers[rid]]].append(rid)
    got, want = pairs(ours), pairs(theirs)
    tp = len(got & want)
    precision = tp / len(got) if got else 1.0
    recall = tp / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"records {len(views):,} ({failed} not normalized) from {len(catalogues)} libraries; "
          f"union records {len(ours):,} (truth {len(theirs):,})")
    print(f"pairs: ours {len(got):,}, truth {len(want):,}, agreeing {tp:,}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    print(f"normalize {len(views) / normalized:,.0f} records/s; cluster {len(views) / clustered:,.0f} records/s")
    false_merges = sorted(got - want)[:5]
    for a, b in false_merges:
        print(f"  false merge: {identifiers[a]} ~ {identifiers[b]}")
    missed = sorted(want - got)[:5]
    for a, b in missed:
        print(f"  missed: {identifiers[a]} ~ {identifiers[b]}")


if __name__ == "__main__":
    main()
