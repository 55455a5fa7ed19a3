"""Search benchmark: build a tantivy index from N synthetic Vietnamese union records, then time queries.

Records are generated deterministically (seeded) and streamed into `TantivyBackend.rebuild`, the same path
`unioncat reindex` takes (to_document, NFC, folding, stored JSON). Queries are a mix of 1-3 words (accented or
not, sometimes a phrase or a field prefix), about a third with filters, all with facets, 20 hits rendered from
the stored JSON: the latency the API sees from the backend, without HTTP.

    python bench/search_bench.py                      # 1,000,000 records
    python bench/search_bench.py --records 100000 --queries 2000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from unioncat.normalize.vietnamese import fold
from unioncat.search.backend import SearchQuery
from unioncat.search.documents import to_document
from unioncat.search.tantivy_backend import TantivyBackend

SYLLABLES = (
    "lịch sử văn hóa học việt nam nghệ an hà nội huế đà nẵng sài gòn đường kách mệnh truyện kiều thơ ca dao "
    "tục ngữ địa chí kinh tế xã hội chính trị giáo dục khoa học kỹ thuật công nghệ thông tin nông nghiệp "
    "lâm ngư y tế sức khỏe gia đình phụ nữ thiếu nhi tuổi trẻ cách mạng kháng chiến hòa bình hoa họa hóa "
    "sông núi biển đảo quê hương đất nước con người tình yêu mùa xuân mùa thu làng xóm phố phường chợ đình "
    "chùa lễ hội ẩm thực món ăn nghề truyền thống gốm lụa tranh dân gian âm nhạc sân khấu chèo tuồng cải lương "
    "điện ảnh báo chí luật pháp hiến pháp quốc hội kinh doanh quản trị tài chính ngân hàng kế toán marketing "
    "toán lý sinh địa ngữ văn tiếng anh pháp nga trung từ điển giáo trình bài tập tuyển tập hồi ký tiểu thuyết "
    "truyện ngắn bút ký phóng sự nghiên cứu phê bình lý luận tư tưởng triết học tôn giáo phật giáo đạo đức"
).split()
SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đinh Trịnh Mai".split()
MIDDLE = "Văn Thị Hữu Đức Minh Quang Thanh Ngọc Xuân Thu Hồng Kim Anh Đình Công".split()
GIVEN = "An Bình Cường Dũng Giang Hà Hải Hạnh Hòa Hùng Hương Khánh Lan Linh Long Mai Nam Nga Phúc Quân Sơn Tâm Thảo Trung Tú Vy".split()  # noqa: E501
PROVINCES = [
    "Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Huế", "Nghệ An", "Thanh Hóa", "Hà Tĩnh",
    "Quảng Bình", "Quảng Trị", "Quảng Ngãi", "Bình Định", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Gia Lai",
    "Tây Ninh", "Đồng Nai", "An Giang",
]  # fmt: skip
FORMER = {"Đà Nẵng": "Quảng Nam", "Huế": "Thừa Thiên Huế", "Hà Tĩnh": None, "Quảng Trị": "Quảng Bình"}
LIBRARIES = [(f"L{i:02d}", PROVINCES[i % len(PROVINCES)]) for i in range(30)]
PUBLISHERS = ["Nxb. Văn học", "Nxb. Giáo dục", "Nxb. Chính trị quốc gia", "Nxb. Trẻ", "Nxb. Kim Đồng",
              "Nxb. Khoa học xã hội", "Nxb. Nghệ An", "Nxb. Thuận Hóa", "Nxb. Đà Nẵng", "Nxb. Tổng hợp TP.HCM"]  # fmt: skip
LANGUAGES = ["vie"] * 85 + ["eng"] * 8 + ["fre"] * 4 + ["rus"] * 2 + ["chi"]
FORMATS = ["book"] * 90 + ["serial"] * 5 + ["map"] * 2 + ["score", "video", "electronic"]


def isbn13(body12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def synthetic_records(n: int, seed: int = 20250701) -> Iterator[dict]:
    rng = random.Random(seed)
    subjects = [" ".join(rng.sample(SYLLABLES, rng.randint(1, 3))).capitalize() for _ in range(400)]
    for i in range(n):
        title = " ".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 8))).capitalize()
        authors = [
            f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}" for _ in range(rng.choice((0, 1, 1, 1, 2)))
        ]
        k = min(1 + int(rng.paretovariate(1.6)) - 1, 8)  # most books in one or two libraries, a few everywhere
        libs = rng.sample(LIBRARIES, max(1, k))
        provinces: list[str] = []
        for _, province in libs:
            for p in (province, FORMER.get(province)):
                if p and p not in provinces:
                    provinces.append(p)
        year = rng.randint(1950, 2025) if rng.random() < 0.97 else None
        yield {
            "id": f"uc-{i:08d}",
            "title": title,
            "subtitle": " ".join(rng.choice(SYLLABLES) for _ in range(3)) if rng.random() < 0.2 else None,
            "authors": authors,
            "publisher": rng.choice(PUBLISHERS),
            "place": "H.",
            "year": year,
            "edition": None,
            "isbns": [isbn13(f"978604{i:06d}"[-12:])] if rng.random() < 0.6 else [],
            "language": rng.choice(LANGUAGES),
            "format": rng.choice(FORMATS),
            "subjects": rng.sample(subjects, rng.randint(1, 3)),
            "series": None,
            "extent": f"{rng.randint(50, 900)} tr.",
            "pages": None,
            "libraries": [code for code, _ in libs],
            "provinces": provinces,
            "holdings_count": len(libs),
            "holdings": [{"library": code, "call_number": f"{rng.randint(100, 999)}.{rng.randint(1, 99)}", "items": 1}
                         for code, _ in libs],  # fmt: skip
            "members": [{"library": code, "identifier": f"oai:{code.lower()}:{i}"} for code, _ in libs],
        }


def query_mix(n: int, seed: int = 7) -> list[SearchQuery]:
    rng = random.Random(seed)
    queries = []
    for _ in range(n):
        words = [rng.choice(SYLLABLES) for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))]
        if rng.random() < 0.5:
            words = [fold(w) for w in words]  # readers often type without diacritics
        r = rng.random()
        if r < 0.1 and len(words) > 1:
            q = '"' + " ".join(words) + '"'
        elif r < 0.2:
            q = "title:" + " ".join(words)
        elif r < 0.25:
            q = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        else:
            q = " ".join(words)
        kw: dict = {}
        f = rng.random()
        if f < 0.15:
            kw["filters"] = {"library": rng.sample([c for c, _ in LIBRARIES], rng.randint(1, 2))}
        elif f < 0.25:
            kw["filters"] = {"language": ["vie"], "format": ["book"]}
        elif f < 0.33:
            start = rng.randint(1960, 2015)
            kw["year_from"], kw["year_to"] = start, start + 10
        if rng.random() < 0.1:
            kw["sort"] = "year_desc"
        queries.append(SearchQuery(q=q, size=20, facets=True, **kw))
    return queries


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2_000)
    ap.add_argument("--dir", type=Path, default=None, help="index directory (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the index directory")
    args = ap.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="unioncat-search-bench-"))
    backend = TantivyBackend(workdir)
    try:
        t0 = time.perf_counter()
        sample = list(synthetic_records(min(args.records, 20_000)))
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for record in sample:
            to_document(record)
        doc_s = time.perf_counter() - t0
        print(f"records: {args.records:,}  (generate {len(sample) / gen_s:,.0f} rec/s, "
              f"to_document {len(sample) / doc_s:,.0f} rec/s on one core); {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip

        t0 = time.perf_counter()
        count = backend.rebuild(synthetic_records(args.records))
        build_s = time.perf_counter() - t0
        gen_dir = backend._current().path
        size_mb = sum(p.stat().st_size for p in gen_dir.rglob("*") if p.is_file()) / 1e6
        print(f"rebuild: {count:,} docs in {build_s:.1f} s = {count / build_s:,.0f} docs/s "
              f"(generation included), index {size_mb:,.0f} MB")  # fmt: skip

        queries = query_mix(args.queries)
        for q in queries[:200]:  # warm the page cache and the term dictionaries
            backend.search(q)
        lat: list[float] = []
        totals: list[int] = []
        for q in queries:
            t = time.perf_counter()
            result = backend.search(q)
            lat.append((time.perf_counter() - t) * 1000)
            totals.append(result.total)
        plain = [SearchQuery(q=q.q, size=20, facets=False) for q in queries]
        lat_plain = []
        for q in plain:
            t = time.perf_counter()
            backend.search(q)
            lat_plain.append((time.perf_counter() - t) * 1000)
        print(f"queries: {len(queries):,}, median hits {statistics.median(totals):,.0f}, "
              f"{sum(1 for t in totals if t == 0)} with none")  # fmt: skip
        for label, values in (("with facets (+filters)", lat), ("hits only, no facets", lat_plain)):
            print(f"  {label:24s} p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms  "
                  f"p99 {pct(values, 99):6.2f} ms  max {max(values):6.1f} ms")  # fmt: skip
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; "
              f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        backend.close()
        if not args.keep and args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
