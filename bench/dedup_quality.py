"""Matching quality and throughput on a labelled set built from real records.

Base records: the Library of Congress / test records shipped in the pymarc 5.4.0 sdist
(`pip download pymarc==5.4.0 --no-deps --no-binary :all: -d /tmp/pymarc-sdist`, unpacked), plus Vietnamese
base records generated from a small vocabulary (labelled as generated). Each base is re-catalogued as MARCXML
by several "libraries" with realistic variations — NFD, the other tone placement, inverted names, ISBN with
hyphens / as ISBN-10 / missing, "tr." vs "p.", publisher forms, ALL CAPS, ISBD punctuation — and hard
negatives are added: another edition, another volume, a translation, a reprint years later. Everything goes
through the real normalize → cluster stages on SQLite; pairwise precision/recall/F1 are computed against the
labels. Throughput: normalize records/s, and clustering time for growing N of generated records.

Usage: python bench/dedup_quality.py [--sdist /tmp/pymarc-sdist/pymarc-5.4.0] [--scale 20000,50000]
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import random
import tempfile
import time
import unicodedata
from itertools import combinations
from pathlib import Path
from xml.sax.saxutils import escape

import isbnlib
from sqlalchemy import insert, select

from unioncat.db import ClusterMember, Library, SourceRecord, create_engine, make_sessionmaker, transaction
from unioncat.db.migrate import upgrade
from unioncat.dedup.service import cluster_pending
from unioncat.normalize import normalize_source
from unioncat.normalize.marc import split_iso2709
from unioncat.normalize.service import normalize_pending
from unioncat.settings import Settings

MARC_NS = "http://www.loc.gov/MARC21/slim"
LIBS = ("THA", "NAN", "HTI", "QBI", "QTR", "HUE", "DHV")
VN_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ")
VN_MIDDLE = ("Văn", "Thị", "Đức", "Hữu", "Minh", "Quang", "Thanh", "Ngọc")
VN_GIVEN = ("Hòa", "Thủy", "Khoa", "Toàn", "Hoà", "Tuấn", "Đường", "Nghĩa", "Quý", "Thúy", "Xoan", "Lụa")
VN_WORDS = ("Lịch sử", "Địa chí", "Văn hóa", "Làng nghề", "Ca dao", "Truyện cổ", "Kinh tế", "Giáo dục", "Thủy lợi",
            "Hoà bình", "Nghệ An", "Thanh Hóa", "Hà Tĩnh", "Quảng Bình", "Huế", "xứ Nghệ", "miền Trung", "thế kỷ XX",
            "dân gian", "truyền thống", "khoa học", "nông nghiệp", "người Việt", "Đường Trường Sơn", "quê hương")
VN_PUBLISHERS = (("Nxb. Nghệ An", "Nhà xuất bản Nghệ An", "NXB Nghệ An"), ("Nxb. Kim Đồng", "Nhà xuất bản Kim Đồng",
                 "Nxb.Kim Đồng"), ("Nxb. Giáo dục", "NXB Giáo dục", "Nhà xuất bản Giáo dục Việt Nam"))
TONE_SWAP = {"hòa": "hoà", "Hòa": "Hoà", "thủy": "thuỷ", "Thủy": "Thuỷ", "hóa": "hoá", "Hóa": "Hoá", "thúy": "thuý",
             "Thúy": "Thuý", "Quý": "Quí"}


def sf(code: str, value: str) -> str:
    return f'<subfield code="{code}">{escape(value)}</subfield>'


def marcxml(b: dict) -> bytes:
    f = [f'<controlfield tag="001">{escape(b["id"])}</controlfield>',
         f'<controlfield tag="008">150101s{b["year"]}    vm            000 0 {b.get("lang", "vie")} d</controlfield>']
    for isbn in b.get("isbns", ()):
        f.append(f'<datafield tag="020" ind1=" " ind2=" ">{sf("a", isbn)}</datafield>')
    if b.get("author"):
        f.append(f'<datafield tag="100" ind1="{b.get("ind1", "0")}" ind2=" ">{sf("a", b["author"])}</datafield>')
    t = sf("a", b["title"] + (" ." if b.get("part") else " /"))
    if b.get("part"):
        t += sf("n", b["part"])
    f.append(f'<datafield tag="245" ind1="1" ind2="0">{t}</datafield>')
    if b.get("edition"):
        f.append(f'<datafield tag="250" ind1=" " ind2=" ">{sf("a", b["edition"])}</datafield>')
    f.append(f'<datafield tag="260" ind1=" " ind2=" ">{sf("a", b.get("place", "H.") + " :")}'
             f'{sf("b", b.get("publisher", "") + ",")}{sf("c", str(b["year"]))}</datafield>')
    if b.get("extent"):
        f.append(f'<datafield tag="300" ind1=" " ind2=" ">{sf("a", b["extent"])}</datafield>')
    xml = f'<record xmlns="{MARC_NS}"><leader>00000nam a2200000 a 4500</leader>{"".join(f)}</record>'
    return unicodedata.normalize("NFD" if b.get("nfd") else "NFC", xml).encode()


def lc_bases(sdist: Path) -> list[dict]:
    """Base descriptions taken from the real records in the pymarc sdist test data."""
    out, seen = [], set()
    for path in sorted(glob.glob(str(sdist / "test" / "*.dat"))) + sorted(glob.glob(str(sdist / "test" / "*.mrc"))):
        try:
            raws = split_iso2709(Path(path).read_bytes())
        except Exception:  # noqa: BLE001 - deliberately broken test files
            continue
        for raw in raws:
            try:
                c = normalize_source(raw, "iso2709")
            except Exception:  # noqa: BLE001
                continue
            if c.record_kind != "bibliographic" or not c.title or not c.year or (c.title, c.year) in seen:
                continue
            seen.add((c.title, c.year))
            out.append({"title": c.title, "author": c.authors[0].name if c.authors else "", "year": c.year,
                        "isbns": c.isbns[:1], "publisher": c.publisher or "", "place": c.place or "New York",
                        "pages": c.pages, "lang": c.language or "eng", "source": "pymarc"})
    return out


def vn_bases(n: int, rng: random.Random) -> list[dict]:
    out, titles = [], set()
    while len(out) < n:
        title = " ".join(rng.sample(VN_WORDS, rng.randint(2, 4)))
        year = rng.randint(1990, 2024)
        if (title, year) in titles:
            continue
        titles.add((title, year))
        author = " ".join((rng.choice(VN_FAMILY), rng.choice(VN_MIDDLE), rng.choice(VN_GIVEN))) if rng.random() < 0.85 else ""
        has_isbn = rng.random() < 0.5
        isbn = None
        if has_isbn:
            body = f"978604{rng.randint(0, 9999999):07d}"[:12]
            isbn = body + isbnlib.check_digit13(body)
        out.append({"title": title, "author": author, "year": year, "isbns": [isbn] if isbn else [],
                    "publisher": rng.choice(VN_PUBLISHERS)[0], "place": "Vinh", "pages": rng.randint(60, 600),
                    "lang": "vie", "source": "generated"})
    return out


def _swap_tones(s: str) -> str:
    return " ".join(TONE_SWAP.get(w, w) for w in s.split(" "))


def variant(base: dict, rng: random.Random) -> dict:
    """The same manifestation catalogued by another library."""
    v = dict(base)
    v["isbns"] = list(base["isbns"])
    if v["isbns"]:
        r = rng.random()
        if r < 0.25:
            v["isbns"] = [isbnlib.mask(v["isbns"][0]) or v["isbns"][0]]
        elif r < 0.45 and v["isbns"][0].startswith("978"):
            v["isbns"] = [isbnlib.to_isbn10(v["isbns"][0]) or v["isbns"][0]]
        elif r < 0.55 and base["author"]:
            v["isbns"] = []  # not recorded by this library
    if base["author"] and rng.random() < 0.5:
        parts = base["author"].replace(",", "").split()
        v["author"] = f"{parts[0]}, {' '.join(parts[1:])}" if "," not in base["author"] else " ".join(parts)
        v["ind1"] = "1"
    if rng.random() < 0.2:
        v["title"] = base["title"].upper()
    if base.get("lang") == "vie":
        if rng.random() < 0.5:
            v["title"], v["author"] = _swap_tones(v["title"]), _swap_tones(v.get("author", ""))
        for forms in VN_PUBLISHERS:
            if base["publisher"] in forms:
                v["publisher"] = rng.choice(forms)
    pages = base.get("pages")
    if pages:
        v["extent"] = rng.choice((f"{pages} tr.", f"{pages} p.", f"{pages} tr. ; 21 cm", f"xii, {pages} p."))
    v["nfd"] = rng.random() < 0.3
    return v


def negatives(base: dict, rng: random.Random) -> list[dict]:
    """Hard negatives: look alike, are other manifestations."""
    out = []
    body = f"978604{rng.randint(0, 9999999):07d}"[:12]
    other_isbn = body + isbnlib.check_digit13(body)
    out.append(base | {"edition": "Tái bản lần thứ 2" if base["lang"] == "vie" else "2nd ed.", "year": base["year"] + 2,
                       "isbns": [other_isbn], "kind": "edition"})
    out.append(base | {"part": "Tập 2" if base["lang"] == "vie" else "v. 2", "kind": "volume"})
    out.append(base | {"lang": "eng" if base["lang"] == "vie" else "vie", "isbns": [], "kind": "translation"})
    out.append(base | {"year": base["year"] + 5, "kind": "reprint"})
    return out


def labelled_set(sdist: Path | None, n_vn: int, seed: int = 7) -> list[tuple[str, dict, str]]:
    """(library, description, label) — records with the same label describe the same manifestation."""
    rng = random.Random(seed)
    bases = (lc_bases(sdist) if sdist else []) + vn_bases(n_vn, rng)
    out = []
    for i, base in enumerate(bases):
        libs = rng.sample(LIBS, rng.randint(2, 4))
        for j, lib in enumerate(libs):
            d = base if j == 0 else variant(base, rng)
            out.append((lib, d, f"b{i}"))
        for k, neg in enumerate(negatives(base, rng)):
            if rng.random() < 0.5:
                out.append((rng.choice(LIBS), variant(neg, rng) if neg["kind"] != "edition" else neg, f"b{i}n{k}"))
    return out


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


async def quality(sdist: Path | None, n_vn: int, bulk_min: int | None = None) -> None:
    data = labelled_set(sdist, n_vn)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings)
        sessions = make_sessionmaker(engine)
        await load(sessions, [(lib, marcxml(d | {"id": f"{lib}{i}"})) for i, (lib, d, _) in enumerate(data)])
        t = time.perf_counter()
        norm = await normalize_pending(sessions)
        t_norm = time.perf_counter() - t
        t = time.perf_counter()
        stats = await cluster_pending(sessions, bulk_min=bulk_min)
        t_cluster = time.perf_counter() - t
        got = await clusters_by_identifier(sessions)
        await engine.dispose()
    label = {f"oai:{lib}:{i}": lab for i, (lib, _d, lab) in enumerate(data)}
    kind = {f"oai:{lib}:{i}": d.get("kind", "same") for i, (lib, d, _lab) in enumerate(data)}
    idents = sorted(label)
    by_label, by_cluster = {}, {}
    for ident in idents:
        by_label.setdefault(label[ident], []).append(ident)
        by_cluster.setdefault(got.get(ident), []).append(ident)
    truth = {frozenset(p) for g in by_label.values() for p in combinations(g, 2)}
    found = {frozenset(p) for c, g in by_cluster.items() if c for p in combinations(g, 2)}
    tp = len(truth & found)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    bases = len({lab for lab in label.values() if "n" not in lab})
    print(f"labelled set: {len(idents)} records ({bases} books, {sum(1 for k in kind.values() if k != 'same')} hard "
          f"negatives), {norm.quarantined} quarantined")
    print(f"pairwise precision {p:.4f}  recall {r:.4f}  F1 {f1:.4f}  ({tp} true / {len(found)} found / {len(truth)} true pairs)")
    false = found - truth
    from collections import Counter

    print("false merges by negative kind:", dict(Counter(
        "+".join(sorted({kind[x] for x in pair})) for pair in false)))
    print(f"normalize {len(idents) / t_norm:.0f} records/s; cluster {t_cluster:.2f} s for {len(idents)} records "
          f"({stats.bulk} by the bulk path)")


async def scale(n: int, bulk_min: int | None = None) -> None:
    """Clustering time for n generated records (about a third of them duplicates across libraries)."""
    rng = random.Random(n)
    bases = vn_bases(max(1, n * 2 // 3 // 2), rng)
    records = []
    for i, b in enumerate(bases):
        for j, lib in enumerate(rng.sample(LIBS, rng.choice((1, 1, 2, 3)))):
            records.append((lib, marcxml((b if j == 0 else variant(b, rng)) | {"id": f"{lib}{i}"})))
            if len(records) >= n:
                break
        if len(records) >= n:
            break
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings)
        sessions = make_sessionmaker(engine)
        await load(sessions, records)
        t = time.perf_counter()
        await normalize_pending(sessions)
        t_norm = time.perf_counter() - t
        t = time.perf_counter()
        stats = await cluster_pending(sessions, bulk_min=bulk_min)
        t_cluster = time.perf_counter() - t
        await engine.dispose()
    print(f"N={len(records):>8}: normalize {t_norm:6.1f} s ({len(records) / t_norm:5.0f}/s)  cluster {t_cluster:6.1f} s "
          f"({len(records) / t_cluster:5.0f}/s), {stats.new_clusters} union records")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdist", type=Path, default=Path("/tmp/pymarc-sdist/pymarc-5.4.0"))
    ap.add_argument("--vietnamese", type=int, default=1500, help="generated Vietnamese base books")
    ap.add_argument("--bulk-min", type=int, default=None,
                    help="new records from which the bulk path clusters them (default: the service's; 0: always)")
    ap.add_argument("--scale", default="", help="comma-separated N for the throughput runs, e.g. 20000,100000")
    args = ap.parse_args()
    sdist = args.sdist if (args.sdist / "test").is_dir() else None
    if sdist is None:
        print(f"pymarc sdist not found at {args.sdist}: Vietnamese generated bases only")
    asyncio.run(quality(sdist, args.vietnamese, args.bulk_min))
    for n in [int(x) for x in args.scale.split(",") if x.strip()]:
        asyncio.run(scale(n, args.bulk_min))


if __name__ == "__main__":
    main()
