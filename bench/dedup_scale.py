"""Clustering at scale: the pure decision on 1,000,000 records, and the whole database stage on a smaller N.

Records are generated (deterministically, as the normalize stage stores them: `CanonicalRecord.model_dump()`
dicts) — Vietnamese titles from a vocabulary, authors, publishers, years, ISBN-13 on ~60 %; about 15 % of the
records are the same book catalogued by another library (ISBN missing, name inverted, publisher's other form,
subtitle in $a, pages missing or off by a few, year ±1 with the ISBN), and ~4 % are hard negatives (another
volume, edition, translation, a reprint years later, the same title by another author). Generated data is
kinder than real cataloguing: the quality figures here check the rules at scale; bench/dedup_quality.py and
bench/dedup_carli.py (real records) are the quality evidence.

Pure: views (MatchView.from_data), keys, then placing (candidate lookup, decisions, assignment) batch by batch as
the cluster stage does. DB: the records put in a fresh SQLite (or --database-url) database, then `cluster_pending`
(bulk path; and --incremental N to time the incremental path on the first N).

Usage: python bench/dedup_scale.py [--n 1000000] [--db-n 100000] [--incremental 20000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

WORDS = (
    "Lịch sử", "Địa chí", "Văn hóa", "Làng nghề", "Ca dao", "Truyện cổ", "Kinh tế", "Giáo dục", "Thủy lợi", "Hoà bình",
    "Nghệ An", "Thanh Hóa", "Hà Tĩnh", "Quảng Bình", "Huế", "xứ Nghệ", "miền Trung", "thế kỷ XX", "dân gian",
    "truyền thống", "khoa học", "nông nghiệp", "người Việt", "Đường Trường Sơn", "quê hương", "tiếng Việt", "văn học",
    "thơ", "tuyển tập", "nghiên cứu", "phát triển", "bảo tồn", "di sản", "lễ hội", "ẩm thực", "kiến trúc", "đình làng",
    "chùa", "sông Lam", "núi Hồng", "biển đảo", "ngư nghiệp", "lúa nước", "cách mạng", "kháng chiến", "danh nhân",
    "gia phả", "dòng họ", "phong tục", "tín ngưỡng", "âm nhạc", "hò ví dặm", "ca trù", "chèo", "tuồng", "mỹ thuật",
    "y học", "dược liệu", "thuốc nam", "môi trường", "khí hậu", "địa lý", "bản đồ", "dân số", "đô thị", "nông thôn",
    "giao thông", "thương mại", "du lịch", "công nghiệp", "thủ công", "gốm", "dệt", "mộc", "rèn", "sơn mài", "tranh",
    "trẻ em", "thiếu nhi", "phụ nữ", "thanh niên", "người cao tuổi", "pháp luật", "hành chính", "kế toán", "tin học",
    "toán học", "vật lý", "hóa học", "sinh học", "triết học", "tâm lý", "xã hội", "ngôn ngữ", "Hán Nôm", "chữ Quốc ngữ",
    "báo chí", "xuất bản", "thư viện", "lưu trữ", "bảo tàng", "khảo cổ", "dân tộc", "Thái", "Mường", "Khơ Mú", "Chăm",
)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý", "Đinh", "Trương", "Lương", "Cao")
MIDDLE = ("Văn", "Thị", "Đức", "Hữu", "Minh", "Quang", "Thanh", "Ngọc", "Xuân", "Công", "Đình", "Bá", "Kim", "")
GIVEN = ("Hòa", "Thủy", "Khoa", "Toàn", "Tuấn", "Đường", "Nghĩa", "Quý", "Thúy", "Xoan", "Lụa", "An", "Bình", "Cường",
         "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam",
         "Nga", "Phong", "Phúc", "Sơn", "Tâm", "Thắng", "Thảo", "Trang", "Trung", "Tú", "Vân", "Việt", "Yến")
PUBLISHERS = (("Nxb. Nghệ An", "Nhà xuất bản Nghệ An"), ("Nxb. Kim Đồng", "Nhà xuất bản Kim Đồng"),
              ("Nxb. Giáo dục", "NXB Giáo dục"), ("Nxb. Văn học", "Nhà xuất bản Văn học"), ("Nxb. Trẻ", "NXB Trẻ"),
              ("Nxb. Thuận Hóa", "Nhà xuất bản Thuận Hóa"), ("Nxb. Thanh Hóa", "NXB Thanh Hóa"),
              ("Nxb. Khoa học xã hội", "Nhà xuất bản Khoa học xã hội"), ("Nxb. Hội Nhà văn", "NXB Hội Nhà văn"),
              ("Nxb. Chính trị quốc gia", "Nhà xuất bản Chính trị quốc gia"), ("Nxb. Lao động", "NXB Lao động"),
              ("Nxb. Đại học Vinh", "Nhà xuất bản Đại học Vinh"))
LIBRARIES = tuple(f"L{i:02d}" for i in range(30))


def _isbn13(n: int) -> str:
    body = f"978604{n % 10**6:06d}" if n < 10**6 else f"9786{n % 10**8:08d}"
    check = (10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def generate(n: int, seed: int = 2025) -> tuple[list[tuple[int, str, str, dict]], dict[int, str]]:
    """n records (record id, library, identifier, canonical dict) and each record's book label."""
    rng = random.Random(seed)
    records: list[tuple[int, str, str, dict]] = []
    label: dict[int, str] = {}
    book = 0

    def add(lib: str, d: dict, lab: str) -> None:
        rid = len(records) + 1
        records.append((rid, lib, f"oai:{lib.lower()}:{rid}", d))
        label[rid] = lab

    # titles that recur (textbooks, "Tuyển tập", local-history series): same title and year, other books
    common = [" ".join(rng.sample(WORDS, rng.choice((1, 2, 2, 3)))) for _ in range(max(50, n // 200))]
    while len(records) < n:
        book += 1
        if rng.random() < 0.3:
            title = rng.choice(common)
        else:
            title = " ".join(rng.sample(WORDS, rng.choice((2, 2, 3, 3, 3, 4, 5))))
        if rng.random() < 0.85:
            author = " ".join(x for x in (rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)) if x)
        else:
            author = ""
        year = rng.randint(1975, 2024)
        pub = rng.randrange(len(PUBLISHERS))
        base = {
            "source_format": "marc21", "title": title, "authors": [{"name": author}] if author else [], "year": year,
            "isbns": [_isbn13(book)] if year > 1990 and rng.random() < 0.65 else [],
            "publisher": PUBLISHERS[pub][0], "pages": rng.randint(40, 900) if rng.random() < 0.9 else None,
            "format": "book", "language": "vie", "edition": None, "part": None, "series_number": None,
        }
        libs = rng.sample(LIBRARIES, 1 + (rng.random() < 0.12) + (rng.random() < 0.04) + (rng.random() < 0.02))
        lab = f"b{book}"
        for j, lib in enumerate(libs):
            d = dict(base)
            if j:  # another library's cataloguing of the same book
                if d["isbns"] and rng.random() < 0.25:
                    d["isbns"] = []
                elif d["isbns"] and rng.random() < 0.1:
                    d["year"] = year + rng.choice((-1, 1))
                if author and rng.random() < 0.5:
                    parts = author.split()
                    d["authors"] = [{"name": f"{parts[0]}, {' '.join(parts[1:])}"}]
                if rng.random() < 0.5:
                    d["publisher"] = PUBLISHERS[pub][1]
                if d["pages"] and rng.random() < 0.3:
                    d["pages"] = None if rng.random() < 0.5 else d["pages"] + rng.randint(-3, 3)
                if len(title) >= 8 and d["isbns"] and rng.random() < 0.05:
                    d["title"] = f"{title} {rng.choice(WORDS).lower()}"  # subtitle in $a
            add(lib, d, lab)
        if rng.random() < 0.04:  # a look-alike that is another manifestation
            kind = rng.randrange(5)
            d = dict(base) | {"isbns": []}
            if kind == 0:
                d["part"] = f"Tập {rng.randint(2, 5)}"
            elif kind == 1:
                d |= {"edition": "Tái bản lần thứ 2", "year": year + rng.randint(1, 3)}
            elif kind == 2:
                d["language"] = "eng"
            elif kind == 3:
                d["year"] = year + 5
            else:
                d["authors"] = [{"name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"}]
            add(rng.choice(LIBRARIES), d, f"{lab}n{kind}")
    return records[:n], {rid: lab for rid, lab in label.items() if rid <= n}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_avg() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def pair_quality(clusters: dict[int, str], label: dict[int, str]) -> tuple[float, float, int, int]:
    by_label, by_cluster = defaultdict(list), defaultdict(list)
    for rid, lab in label.items():
        by_label[lab].append(rid)
        by_cluster[clusters[rid]].append(rid)
    truth = {frozenset(p) for g in by_label.values() if len(g) > 1 for p in combinations(g, 2)}
    found = {frozenset(p) for g in by_cluster.values() if len(g) > 1 for p in combinations(g, 2)}
    tp = len(truth & found)
    return (tp / len(found) if found else 1.0), (tp / len(truth) if truth else 1.0), len(found), len(truth)


def pure(n: int, batch_size: int, profile: bool) -> None:
    from unioncat.dedup.cluster import Clustering, Item, Overrides, processing_order
    from unioncat.dedup.keys import MatchView, blocking_keys
    from datetime import datetime, timedelta, timezone

    t = time.perf_counter()
    records, label = generate(n)
    t_gen = time.perf_counter() - t
    dups = n - len(set(label.values()))
    print(f"generated {n:,} records in {t_gen:.1f} s: {len(set(label.values())):,} manifestations, "
          f"{dups:,} duplicate records ({dups / n:.1%}), {sum(1 for v in label.values() if 'n' in v):,} hard negatives")
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    gc.collect()
    gc.disable()  # as the bulk path does: a million new objects would otherwise set off full collections
    t0 = time.perf_counter()
    c0 = time.process_time()
    items = {}
    for rid, lib, ident, data in records:
        view = MatchView.from_data(rid, lib, data)
        items[rid] = Item(view, ident, blocking_keys(view), view.fingerprint())
    t_keys = time.perf_counter() - t0
    c_keys = time.process_time() - c0
    t = time.perf_counter()
    ov = Overrides()
    engine = Clustering(ov)
    rids = sorted(items)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for k, i in enumerate(range(0, n, batch_size)):
        engine.assign(items, processing_order(rids[i : i + batch_size], ov), {}, start + timedelta(microseconds=k))
        engine.rows = {}  # the database writes them; here they are dropped
    t_place = time.perf_counter() - t
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    gc.enable()
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    clusters = dict(engine.cluster_of)
    p, r, found, truth = pair_quality(clusters, label)
    c = engine.counts
    print(f"pure clustering of {n:,} records: {total:.1f} s wall, {cpu:.1f} s CPU ({n / total:,.0f} records/s wall, "
          f"{n / cpu:,.0f} per CPU-second) — views+keys+fingerprints {t_keys:.1f} s ({c_keys:.1f} CPU), placing "
          f"{t_place:.1f} s ({cpu - c_keys:.1f} CPU); {c.compared:,} candidate pairs decided, {c.new_clusters:,} "
          f"clusters, {c.absorbed:,} absorbed; pairwise P {p:.4f} R {r:.4f} ({found:,} found / {truth:,} true pairs); "
          f"peak RSS {peak_rss_mb():,.0f} MB; {load_avg()}")


async def db_stage(n: int, incremental: int, batch_size: int, database_url: str | None, profile: bool) -> None:
    from sqlalchemy import insert, select

    from unioncat.db import Library, NormalizedRecord, SourceRecord, create_engine, make_sessionmaker, transaction
    from unioncat.db.migrate import upgrade
    from unioncat.dedup.service import cluster_pending, rebuild_dirty
    from unioncat.settings import Settings

    records, label = generate(max(n, incremental))
    for path, count in (("bulk", n), ("incremental", incremental)):
        if not count:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), **({"database_url": database_url} if database_url else {}))
            await asyncio.to_thread(upgrade, settings)
            engine = create_engine(settings)
            sessions = make_sessionmaker(engine)
            if database_url:  # a server database: start empty
                from sqlalchemy import text

                from unioncat.db import Base

                async with transaction(sessions) as s:
                    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
                    await s.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            async with transaction(sessions) as s:
                libs = {}
                for code in LIBRARIES:
                    lib = Library(code=code, name=code)
                    s.add(lib)
                    await s.flush()
                    libs[code] = lib.id
            for i in range(0, count, 10_000):
                chunk = records[i : min(i + 10_000, count)]
                async with transaction(sessions) as s:
                    await s.execute(insert(SourceRecord), [
                        {"id": rid, "library_id": libs[lib], "identifier": ident, "raw": b"", "status": "normalized"}
                        for rid, lib, ident, _ in chunk])
                    await s.execute(insert(NormalizedRecord), [{"source_record_id": rid, "data": d}
                                                               for rid, _l, _i, d in chunk])
            profiler = None
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="disabled")
                profiler.start()
            t = time.perf_counter()
            c0 = time.process_time()
            stats = await cluster_pending(sessions, batch_size=batch_size, bulk_min=0 if path == "bulk" else 10**9)
            t_cluster = time.perf_counter() - t
            c_cluster = time.process_time() - c0  # this thread and aiosqlite's (SQLite runs in-process)
            if profiler:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            print(f"  cluster_pending ({path}): {t_cluster:.1f} s wall, {c_cluster:.1f} s CPU; {load_avg()}", flush=True)
            t = time.perf_counter()
            rebuilt = await rebuild_dirty(sessions)
            t_merge = time.perf_counter() - t
            async with sessions() as s:
                from unioncat.db import ClusterMember

                got = dict((await s.execute(select(ClusterMember.source_record_id, ClusterMember.cluster_id))).all())
            await engine.dispose()
        p, r, _, _ = pair_quality(got, {rid: label[rid] for rid in got})
        print(f"DB stage ({settings.database_url.split(':')[0]}), {path} path, {count:,} records: cluster {t_cluster:.1f} s "
              f"({count / t_cluster:,.0f} records/s, {stats.new_clusters:,} clusters), rebuild {rebuilt:,} union records "
              f"{t_merge:.1f} s; P {p:.4f} R {r:.4f}; peak RSS {peak_rss_mb():,.0f} MB; {load_avg()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000, help="records for the pure clustering (0: skip)")
    ap.add_argument("--db-n", type=int, default=100_000, help="records for the database stage, bulk path (0: skip)")
    ap.add_argument("--incremental", type=int, default=0, help="records for the database stage, incremental path")
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--profile", action="store_true", help="pyinstrument profiles of the pure clustering and of cluster_pending")
    args = ap.parse_args()
    if args.n:
        pure(args.n, args.batch_size, args.profile)
    if args.db_n or args.incremental:
        asyncio.run(db_stage(args.db_n, args.incremental, args.batch_size, args.database_url, args.profile))


if __name__ == "__main__":
    main()
