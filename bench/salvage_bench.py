"""The cost of salvaging a broken list page against parsing a clean one.

    python bench/salvage_bench.py                  # pages of 200 demo MARCXML records
    python bench/salvage_bench.py --page-size 1000 --rounds 20

For each break of the test provider (unioncat.demo.broken_records), a ListRecords page of ``--page-size`` realistic
records (the Bắc Miền Trung demo catalogues) with one record broken is parsed the way the harvester parses it
(harvesters.oai.ParsedResponse: strict parse, safe repairs, then record-by-record salvage). Prints records/s and ms
per page next to the clean page, so the price of one bad record is visible. Pure CPU, no network or database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import httpx

from harvesters.oai import ParsedResponse
from unioncat.demo.broken_records import BREAKS
from unioncat.demo.oai_server import Repository, _envelope


def page_bytes(repo: Repository) -> bytes:
    content, attrs, _ = repo.answer({"verb": ["ListRecords"], "metadataPrefix": ["marc21"]})
    return _envelope("http://127.0.0.1/bench/oai", "2024-01-01T00:00:00Z", attrs, content)


def parse_times(body: bytes, rounds: int) -> tuple[list[float], int, int]:
    request = httpx.Request("GET", "http://127.0.0.1/bench/oai?verb=ListRecords")
    response = httpx.Response(200, request=request, headers={"content-type": "text/xml"})
    times = []
    for _ in range(3):  # warm-up
        ParsedResponse(response, {"verb": "ListRecords"}, body)
    for _ in range(rounds):
        started = time.perf_counter()
        parsed = ParsedResponse(response, {"verb": "ListRecords"}, body)
        times.append(time.perf_counter() - started)
    kept = len(parsed.xml.findall("{http://www.openarchives.org/OAI/2.0/}ListRecords/"
                                  "{http://www.openarchives.org/OAI/2.0/}record"))
    return times, kept, len(parsed.broken)


def main() -> None:
    from unioncat.demo.catalogues import generate_catalogues

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    catalogue = generate_catalogues(records_per_library=args.page_size, libraries=["NAN"])["NAN"]
    records = [(r.identifier, r.datestamp, r.deleted, r.marcxml, []) for r in catalogue if not r.deleted]
    repo = Repository("BENCH", records[:args.page_size], page_size=args.page_size)
    clean = page_bytes(repo)
    print(f"page of {args.page_size} records, {len(clean) / 1024:.0f} KiB; median of {args.rounds} rounds")
    print(f"{'page':<22} {'ms/page':>9} {'records/s':>11} {'kept':>6} {'broken':>7}")
    victim = records[args.page_size // 2][0]
    for kind in ("clean", *BREAKS):
        if kind != "clean":
            repo.break_record(victim, kind)
        body = page_bytes(repo)
        times, kept, broken = parse_times(body, args.rounds)
        median = statistics.median(times)
        print(f"{kind:<22} {median * 1000:>9.2f} {(kept + broken) / median:>11,.0f} {kept:>6} {broken:>7}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
