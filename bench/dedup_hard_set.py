"""The labelled hard set behind bench/dedup_quality.py: base records, named variations, hard negatives, MARCXML.

A *base* is one manifestation (a dict; keys below). Each base is catalogued by 2-4 libraries: the first writes
the base as it is; every other library writes a copy with exactly ONE named variation (VARIATIONS) plus the
mild noise every union catalogue sees (NFD, the other tone placement, inverted names, ISBN with hyphens / as
ISBN-10 / not recorded, "tr." vs "p.", publisher forms, 260 or 264). Hard negatives (NEGATIVES) are other
manifestations that look alike — another edition, volume, translation, format, a recycled ISBN, the same
author's other book, a reprint years later — each tagged with its kind and form. Records carry their tags in
"_role" ("base" | "dup" | "neg"), "_tag" (variation or negative kind) and "_form" (the sub-form generated).

Bases:
  - "pymarc": the LC records of the pymarc 5.4.0 sdist test data;
  - "testdata": the real MARC records (ISO 2709 and MARCXML) in ../shared/testdata/marc, files or records that
    do not parse skipped; bibliographic records with a title and a year, formats book / audio / electronic /
    video / music (serials left out); records with a title and year already seen are skipped (the Pride and
    Prejudice file holds many copies of one edition, and we cannot tell which are the same manifestation);
  - "generated": Vietnamese records from a small vocabulary (some with a volume, a subtitle, a parallel title,
    a translator, a statement of responsibility).
Bases are split 50/50 by a hash of their identity; a run uses one half (see `labelled_set`).

Base / record keys (all optional but title and year): title, subtitle, parallel, part_no, part_text (245 $n),
part_in_title, nonfiling (245 ind2), gmd (245 $h), sor (245 $c), author, author_tag (100/110/111), ind1,
translator, lang (008/35-37; None = blank), lang041 / orig041 (041 $a / $h), year, date_type / date1 / date2
(008/06-14), date_text (260 $c), isbns + isbn_q (020 $a and qualifiers), edition (250), notes (500),
publisher, place, imprint_tag, extent, dims, series / series_number (490), variants (246: ind1, ind2, text),
rtype / blvl (leader/06-07), form (008/23), f007, url (856 $u), isbd (punctuation style), caps, nfd.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import logging
import random
import re
import unicodedata
import warnings
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import isbnlib

from unioncat.normalize import normalize_source
from unioncat.normalize.marc import iter_marcxml_records, split_iso2709
from unioncat.normalize.vietnamese import fold

MARC_NS = "http://www.loc.gov/MARC21/slim"
LIBS = ("THA", "NAN", "HTI", "QBI", "QTR", "HUE", "DHV")

# ------------------------------------------------------------------------------------------------------------
# vocabulary
# ------------------------------------------------------------------------------------------------------------

VN_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ")
VN_MIDDLE = ("Văn", "Thị", "Đức", "Hữu", "Minh", "Quang", "Thanh", "Ngọc")
VN_GIVEN = ("Hòa", "Thủy", "Khoa", "Toàn", "Hoà", "Tuấn", "Đường", "Nghĩa", "Quý", "Thúy", "Xoan", "Lụa")
VN_WORDS = ("Lịch sử", "Địa chí", "Văn hóa", "Làng nghề", "Ca dao", "Truyện cổ", "Kinh tế", "Giáo dục", "Thủy lợi",
            "Hoà bình", "Nghệ An", "Thanh Hóa", "Hà Tĩnh", "Quảng Bình", "Huế", "xứ Nghệ", "miền Trung", "thế kỷ XX",
            "dân gian", "truyền thống", "khoa học", "nông nghiệp", "người Việt", "Đường Trường Sơn", "quê hương")
# "topic + place (+ period)" titles, with an English rendering for parallel titles
VN_TOPICS = {"Lịch sử": "History of", "Địa chí": "Gazetteer of", "Văn hóa": "Culture of",
             "Làng nghề": "Craft villages of", "Ca dao": "Folk songs of", "Truyện cổ": "Folk tales of",
             "Kinh tế": "Economy of", "Lễ hội": "Festivals of", "Di tích": "Historic sites of",
             "Danh nhân": "Notable people of", "Văn học dân gian": "Folk literature of"}
VN_PLACES = {"Nghệ An": "Nghe An", "Thanh Hóa": "Thanh Hoa", "Hà Tĩnh": "Ha Tinh", "Quảng Bình": "Quang Binh",
             "Quảng Trị": "Quang Tri", "Thừa Thiên Huế": "Thua Thien Hue", "xứ Nghệ": "the Nghe region",
             "miền Trung": "Central Vietnam", "Đồng Hới": "Dong Hoi", "Vinh": "Vinh"}
VN_PERIODS = {"thế kỷ XX": "in the 20th century", "1945-1975": "1945-1975", "thời kỳ đổi mới": "in the Doi Moi era"}
VN_SUBTITLES = ("từ khởi thủy đến năm 1945", "nghiên cứu, sưu tầm", "tuyển chọn", "sách tham khảo",
                "kỷ yếu hội thảo khoa học", "giáo trình dùng cho sinh viên", "tư liệu và bình luận")
EN_SUBTITLES = ("an introduction", "a history", "selected essays", "a practical guide", "theory and practice")
VN_PUBLISHERS = (("Nxb. Nghệ An", "Nhà xuất bản Nghệ An", "NXB Nghệ An"), ("Nxb. Kim Đồng", "Nhà xuất bản Kim Đồng",
                 "Nxb.Kim Đồng"), ("Nxb. Giáo dục", "NXB Giáo dục", "Nhà xuất bản Giáo dục Việt Nam"),
                 ("Nxb. Thuận Hóa", "NXB Thuận Hoá", "Nhà xuất bản Thuận Hóa"),
                 ("Nxb. Văn học", "NXB Văn học", "Nhà xuất bản Văn học"))
FOREIGN_AUTHORS = (("Tolstoy, Lev", "rus"), ("Hugo, Victor", "fre"), ("London, Jack", "eng"), ("Gorky, Maxim", "rus"),
                   ("Verne, Jules", "fre"), ("Dickens, Charles", "eng"), ("Malot, Hector", "fre"),
                   ("Andersen, Hans Christian", "dan"))
TONE_SWAP = {"hòa": "hoà", "Hòa": "Hoà", "thủy": "thuỷ", "Thủy": "Thuỷ", "hóa": "hoá", "Hóa": "Hoá", "thúy": "thuý",
             "Thúy": "Thuý", "Quý": "Quí"}
ARTICLES = {"eng": ("The", "A", "An"), "fre": ("Les", "La", "Le"), "ger": ("Der", "Die", "Das"),
            "spa": ("El", "La", "Los"), "vie": ("Những", "Các")}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX", 10: "X"}
VN_NUM = {1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy", 8: "tám", 9: "chín", 10: "mười"}
VN_ORD = {1: "nhất", 2: "hai", 3: "ba", 4: "tư", 5: "năm", 6: "sáu"}  # "lần thứ nhất", "lần thứ tư"
EN_ORD = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th"}
# the same volume number, the ways libraries write it (in 245 $n, or into the title)
VOLUME_NOTATIONS = {
    "Tập n": lambda n: f"Tập {n}", "T. n": lambda n: f"T. {n}", "Vol. roman": lambda n: f"Vol. {ROMAN[n]}",
    "quyển n": lambda n: f"quyển {n}", "tập word": lambda n: f"tập {VN_NUM[n]}", "v. n": lambda n: f"v. {n}",
    "Tập roman": lambda n: f"Tập {ROMAN[n]}", "Q.n": lambda n: f"Q.{n}",
}
QWERTY = dict(zip("qwertyuiopasdfghjklzxcvbnm", ("wa", "qes", "wrd", "etf", "ryg", "tuh", "yij", "uok", "ipl", "ol",
                                                   "qsz", "awdx", "sefc", "drgv", "fthb", "gyjn", "hukm", "jil", "kop",
                                                   "asx", "zsdc", "xdfv", "cfgb", "vghn", "bhjm", "njk")))


def _isbn_from(body12: str) -> str:
    return body12 + isbnlib.check_digit13(body12)


def new_isbn(rng: random.Random) -> str:
    return _isbn_from(f"978604{rng.randint(0, 999999):06d}")


def neighbour_isbn(isbn: str, rng: random.Random) -> str:
    """Another valid ISBN of the same publisher: the next or previous title number (another binding, the next book)."""
    i13 = isbnlib.to_isbn13(isbn) if len(isbn) == 10 else isbn
    body = i13[:12]
    last = (int(body[-1]) + rng.choice((1, -1, 2))) % 10
    return _isbn_from(body[:-1] + str(last))


def far_isbn(isbn: str, rng: random.Random) -> str:
    """Another title of the same publisher, far enough from `isbn` never to equal a `neighbour_isbn` of it."""
    i13 = isbnlib.to_isbn13(isbn) if len(isbn) == 10 else isbn
    body, last3 = i13[:9], int(i13[9:12])
    n = rng.choice([k for k in range(1000) if abs(k - last3) >= 10])
    return _isbn_from(f"{body}{n:03d}")


def _hash_half(ident: str) -> int:
    return hashlib.sha1(ident.encode()).digest()[0] & 1


def _lang_of(b: dict) -> str:
    return b.get("lang") or "eng"


def direct_name(name: str, lang: str | None) -> str:
    """"Austen, Jane" -> "Jane Austen"; Vietnamese "Nguyễn, Văn A" -> "Nguyễn Văn A" (family name first)."""
    if "," not in name:
        return name
    family, _, given = name.partition(",")
    return f"{family.strip()} {given.strip()}" if lang == "vie" else f"{given.strip()} {family.strip()}"


def inverted_name(name: str, lang: str | None) -> str:
    if "," in name:
        return name
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[0]}, {' '.join(parts[1:])}" if lang == "vie" else f"{parts[-1]}, {' '.join(parts[:-1])}"


# ------------------------------------------------------------------------------------------------------------
# MARCXML writer
# ------------------------------------------------------------------------------------------------------------


def _sf(code: str, value: str) -> str:
    return f'<subfield code="{code}">{escape(value)}</subfield>'


def _df(tag: str, ind1: str, ind2: str, subs: list[tuple[str, str]]) -> str:
    return f'<datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">{"".join(_sf(c, v) for c, v in subs if v)}</datafield>'


_PUNCT = {"b=": " =", "b:": " :", "h": "", "n": ".", "p": ",", "c": " /", None: "."}


def _punctuate(elems: list[tuple[str, str]], style: str) -> list[tuple[str, str]]:
    """ISBD punctuation at the end of each subfield, by what follows; `style` is how a library writes it."""
    out = []
    for i, (code, text) in enumerate(elems):
        nxt = elems[i + 1][0] if i + 1 < len(elems) else None
        p = _PUNCT.get(nxt, "")
        if style == "bare":
            p = ""
        elif style == "nospace":
            p = p.strip() if p.strip() != "." else ""
        elif style == "spacedot" and p == ".":
            p = " ."
        if p.endswith(".") and text.endswith("."):
            p = ""
        out.append((code[0], text + p))
    return out


def _f008(d: dict) -> str:
    year = d.get("year")
    date1 = d.get("date1", f"{year:04d}" if year else "    ")
    lang = d.get("lang", "vie")
    lang = (lang or "   ")[:3].ljust(3)
    place = "vm " if d.get("lang") == "vie" else "xx "
    s = ("150101" + d.get("date_type", "s") + date1 + d.get("date2", "    ") + place + "    " + " " + d.get("form", " ")
         + "    " + " " + "000" + " " + "0" + " " + lang + " " + "d")
    assert len(s) == 40, s
    return s


def marcxml(d: dict) -> bytes:
    U = str.upper if d.get("caps") else (lambda s: s)
    style = d.get("isbd", "isbd")
    leader = f"00000n{d.get('rtype', 'a')}{d.get('blvl', 'm')} a2200000 a 4500"
    f = [f'<controlfield tag="001">{escape(d["id"])}</controlfield>']
    if d.get("f007"):
        f.append(f'<controlfield tag="007">{escape(d["f007"])}</controlfield>')
    f.append(f'<controlfield tag="008">{_f008(d)}</controlfield>')
    quals = d.get("isbn_q") or []
    for i, isbn in enumerate(d.get("isbns") or ()):
        q = quals[i] if i < len(quals) else None
        if q and q[0] == "paren":
            f.append(_df("020", " ", " ", [("a", f"{isbn} ({q[1]})")]))
        elif q:
            f.append(_df("020", " ", " ", [("a", isbn), ("q", q[1])]))
        else:
            f.append(_df("020", " ", " ", [("a", isbn)]))
    if d.get("lang041"):
        subs = [("a", c) for c in d["lang041"]] + [("h", c) for c in d.get("orig041") or ()]
        f.append(_df("041", "1" if d.get("orig041") else "0", " ", subs))
    if d.get("author"):
        tag = d.get("author_tag", "100")
        name = U(d["author"])
        f.append(_df(tag, d.get("ind1", "1" if tag == "100" and "," in name else "0" if tag == "100" else "2"), " ",
                     [("a", name + ("," if style == "isbd" and d.get("author_role") else "")),
                      ("e", d.get("author_role", ""))]))
    # 245
    elems = [("a", U(d["title"]))]
    if d.get("gmd"):
        elems.append(("h", d["gmd"]))
    if d.get("parallel"):
        elems.append(("b=", U(d["parallel"]) + (f" : {U(d['subtitle'])}" if d.get("subtitle") else "")))
    elif d.get("subtitle"):
        elems.append(("b:", U(d["subtitle"])))
    if d.get("part_text") and not d.get("part_in_title"):
        elems.append(("n", U(d["part_text"])))
    if d.get("sor"):
        elems.append(("c", U(d["sor"])))
    ind1 = "1" if d.get("author") else "0"
    f.append(_df("245", ind1, str(d.get("nonfiling", 0)), _punctuate(elems, style)))
    for v_ind1, v_ind2, text in d.get("variants") or ():
        f.append(_df("246", v_ind1, v_ind2, [("a", U(text))]))
    if d.get("edition"):
        f.append(_df("250", " ", " ", [("a", U(d["edition"]))]))
    place, pub = U(d.get("place") or ""), U(d.get("publisher") or "")
    date_text = d.get("date_text", str(d["year"]) if d.get("year") else "")
    imprint = [("a", place), ("b", pub), ("c", date_text)]
    imprint = [(c, v) for c, v in imprint if v]
    f.append(_df(d.get("imprint_tag", "260"), " ", "1" if d.get("imprint_tag") == "264" else " ",
                 imprint if style == "bare" else _imprint_isbd(imprint)))
    if d.get("extent"):
        subs = [("a", d["extent"] + (" ;" if d.get("dims") and style == "isbd" else ""))]
        if d.get("dims"):
            subs.append(("c", d["dims"]))
        f.append(_df("300", " ", " ", subs))
    if d.get("series"):
        f.append(_df("490", "0", " ", [("a", d["series"] + (" ;" if d.get("series_number") else "")),
                                      ("v", d.get("series_number") or "")]))
    for note in d.get("notes") or ():
        f.append(_df("500", " ", " ", [("a", note)]))
    if d.get("translator"):
        name, role = d["translator"]
        f.append(_df("700", "0" if d.get("lang") == "vie" else "1", " ", [("a", U(name) + ","), ("e", role)]))
    if d.get("url"):
        f.append(_df("856", "4", "0", [("u", d["url"])]))
    xml = f'<record xmlns="{MARC_NS}"><leader>{leader}</leader>{"".join(f)}</record>'
    return unicodedata.normalize("NFD" if d.get("nfd") else "NFC", xml).encode()


def _imprint_isbd(imprint: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for i, (c, v) in enumerate(imprint):
        nxt = imprint[i + 1][0] if i + 1 < len(imprint) else None
        p = {"b": " :", "c": ","}.get(nxt, "" if nxt else ".")
        if v.endswith(".") and p == ".":
            p = ""
        out.append((c, v + p))
    return out


# ------------------------------------------------------------------------------------------------------------
# bases
# ------------------------------------------------------------------------------------------------------------

_FORMAT_LEADER = {"book": ("a", " "), "audio": ("i", " "), "electronic": ("a", "o"), "video": ("g", " "),
                  "music": ("j", " ")}
_PART_NO = re.compile(r"(\d+)")


def _part_number(part: str | None) -> int | None:
    if not part:
        return None
    m = _PART_NO.search(part)
    if m and 1 <= int(m.group(1)) <= 10:
        return int(m.group(1))
    for n, r in ROMAN.items():
        if re.search(rf"\b{r}\b", part):
            return n
    return None


def _records_in(path: Path) -> list[tuple[bytes, str]]:
    data = path.read_bytes()
    if data.lstrip()[:1] == b"<":
        return [(r, "marcxml") for r in iter_marcxml_records(data)]
    return [(r, "iso2709") for r in split_iso2709(data)]


@contextlib.contextmanager
def _quiet():
    """pymarc prints and warns about every damaged field of the test files."""
    sink = io.StringIO()
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def real_bases(paths: list[Path], source: str) -> list[dict]:
    """Bases from real MARC files: bibliographic, with a title and a year, not serials; duplicates skipped."""
    out = []
    with _quiet():
        for path in paths:
            try:
                raws = _records_in(path)
            except Exception:  # noqa: BLE001 - deliberately broken test files
                continue
            for raw, fmt in raws:
                try:
                    c = normalize_source(raw, fmt)
                except Exception:  # noqa: BLE001
                    continue
                if c.record_kind != "bibliographic" or not c.title or not c.year or c.format not in _FORMAT_LEADER:
                    continue
                rtype, form = _FORMAT_LEADER[c.format]
                first = c.authors[0] if c.authors else None
                part_no = _part_number(c.part)
                b = {"title": c.title, "subtitle": c.subtitle, "year": c.year, "isbns": c.isbns[:1],
                     "author": first.name if first and first.kind != "meeting" else "",
                     "author_tag": "110" if first and first.kind == "corporate" else "100",
                     "sor": c.statement_of_responsibility, "edition": c.edition, "publisher": c.publisher or "",
                     "place": c.place or "", "pages": c.pages, "lang": c.language or "eng", "rtype": rtype,
                     "form": form, "series": c.series, "series_number": c.series_number,
                     "source": source, "origin": path.name}
                if c.part:
                    b |= {"part_text": c.part, "part_no": part_no} if part_no else {"title": f"{c.title}. {c.part}"}
                if c.format == "electronic":
                    b["url"] = "https://example.org/ebook/" + hashlib.sha1(c.title.encode()).hexdigest()[:10]
                out.append(b)
    return out


def _nonfiling(b: dict) -> int:
    lang = _lang_of(b)
    for art in ARTICLES.get(lang, ()):
        if b["title"].startswith(art + " ") and lang != "vie":
            return len(art) + 1
    return 0


def dedupe_bases(bases: list[dict]) -> list[dict]:
    seen_ty, seen_isbn, out = set(), set(), []
    for b in bases:
        key = (fold(b["title"]), b.get("part_no"), b["year"])
        if key in seen_ty or any(i in seen_isbn for i in b["isbns"]):
            continue
        seen_ty.add(key)
        seen_isbn.update(b["isbns"])
        out.append(b)
    return out


def _vn_person(rng: random.Random) -> str:
    return " ".join((rng.choice(VN_FAMILY), rng.choice(VN_MIDDLE), rng.choice(VN_GIVEN)))


def _vn_title(rng: random.Random) -> tuple[str, str | None]:
    """A title and, for "topic + place" titles, its English rendering."""
    if rng.random() < 0.55:
        topic, place = rng.choice(list(VN_TOPICS)), rng.choice(list(VN_PLACES))
        title, en = f"{topic} {place}", f"{VN_TOPICS[topic]} {VN_PLACES[place]}"
        if rng.random() < 0.25:
            period = rng.choice(list(VN_PERIODS))
            title, en = f"{title} {period}", f"{en} {VN_PERIODS[period]}"
        return title, en
    return " ".join(rng.sample(VN_WORDS, rng.randint(2, 4))), None


def vn_bases(n: int, rng: random.Random, half: int | None = None, rich: bool = True) -> list[dict]:
    """Generated Vietnamese bases; `rich` adds volumes, subtitles, parallel titles, translators, 245 $c."""
    out, titles = [], set()
    while len(out) < n:
        title, en = _vn_title(rng)
        year = rng.randint(1990, 2024)
        part_no = rng.randint(1, 5) if rich and rng.random() < 0.2 else None
        key = (fold(title), part_no, year)
        if key in titles or (half is not None and _hash_half(f"generated|{key}") != half):
            continue
        titles.add(key)
        author = _vn_person(rng) if rng.random() < 0.85 else ""
        b = {"title": title, "author": author, "year": year,
             "isbns": [new_isbn(rng)] if rng.random() < 0.5 else [],
             "publisher": rng.choice(VN_PUBLISHERS)[0], "place": "Vinh", "pages": rng.randint(60, 600),
             "lang": "vie", "source": "generated"}
        if rich:
            if part_no:
                b |= {"part_no": part_no, "part_text": f"Tập {part_no}"}
            if rng.random() < 0.25:
                b["subtitle"] = rng.choice(VN_SUBTITLES)
            if en and rng.random() < 0.35:
                b["parallel"] = en
            if rng.random() < 0.12:
                name, orig = rng.choice(FOREIGN_AUTHORS)
                b |= {"author": name, "translator": (_vn_person(rng), "dịch"), "lang041": ["vie"], "orig041": [orig]}
            if b["author"] and rng.random() < 0.4:
                sor = direct_name(b["author"], "vie" if "translator" not in b else "eng")
                if b.get("translator"):
                    sor += f" ; {b['translator'][0]} dịch"
                b["sor"] = sor
        out.append(b)
    return out


def base_identity(b: dict) -> str:
    return f"{b['source']}|{fold(b['title'])}|{b.get('part_no')}|{b['year']}"


def real_base_paths(sdist: Path | None, testdata: Path | None) -> list[tuple[list[Path], str]]:
    out = []
    if sdist:
        out.append(([Path(p) for p in sorted(glob.glob(str(sdist / "test" / "*.dat")))
                     + sorted(glob.glob(str(sdist / "test" / "*.mrc")))], "pymarc"))
    if testdata:
        out.append(([p for p in sorted(testdata.rglob("*")) if p.is_file()], "testdata"))
    return out


# ------------------------------------------------------------------------------------------------------------
# mild noise (every re-catalogued record)
# ------------------------------------------------------------------------------------------------------------


def _swap_tones(s: str) -> str:
    return " ".join(TONE_SWAP.get(w, w) for w in s.split(" "))


def mild(v: dict, base: dict, rng: random.Random, skip: frozenset = frozenset()) -> dict:
    """The same manifestation catalogued by another library: noise every union catalogue sees."""
    if v.get("isbns") and "isbn" not in skip:
        r = rng.random()
        i0 = v["isbns"][0]
        if r < 0.25:
            v["isbns"] = [isbnlib.mask(i0) or i0] + v["isbns"][1:]
        elif r < 0.45 and i0.startswith("978"):
            v["isbns"] = [isbnlib.to_isbn10(i0) or i0] + v["isbns"][1:]
        elif r < 0.55 and v.get("author"):
            v["isbns"], v["isbn_q"] = [], []  # not recorded by this library
    if v.get("author") and v.get("author_tag", "100") == "100" and "author" not in skip and rng.random() < 0.5:
        inv = inverted_name(v["author"], base.get("lang"))
        v["author"] = direct_name(v["author"], base.get("lang")) if inv == v["author"] else inv
        if rng.random() < 0.2:
            v["ind1"] = rng.choice("01")  # the first indicator set carelessly
    if base.get("lang") == "vie":
        if rng.random() < 0.5:
            v["title"] = _swap_tones(v["title"])
            if v.get("author"):
                v["author"] = _swap_tones(v["author"])
        for forms in VN_PUBLISHERS:
            if base.get("publisher") in forms and "publisher" not in skip:
                v["publisher"] = rng.choice(forms)
    pages = base.get("pages")
    if pages and "extent" not in skip:
        v["extent"] = rng.choice((f"{pages} tr.", f"{pages} p.", f"{pages} tr.", f"xii, {pages} p."))
        v["dims"] = rng.choice(("", "21 cm", "19 cm", "24 cm"))
    if rng.random() < 0.15:
        v["imprint_tag"] = "264"
    v["nfd"] = rng.random() < 0.3
    return v


def variant(base: dict, rng: random.Random) -> dict:
    """Mild noise only (kept for the --scale runs)."""
    return mild(copy_base(base), base, rng)


def copy_base(b: dict) -> dict:
    v = dict(b)
    for k in ("isbns", "isbn_q", "notes", "variants", "lang041", "orig041"):
        if k in v and v[k] is not None:
            v[k] = list(v[k])
    return v


# ------------------------------------------------------------------------------------------------------------
# positive variations: the same manifestation, catalogued another way (each returns its form)
# ------------------------------------------------------------------------------------------------------------


def _letters(s: str) -> list[int]:
    return [i for i, ch in enumerate(s) if ch.isalpha() and fold(ch) in QWERTY]


def var_typo(v: dict, b: dict, rng: random.Random) -> str:
    """One or two letters of the title substituted (a neighbouring key), dropped or doubled; OCR and Telex slips."""
    title = v["title"]
    ops = []
    for _ in range(rng.choice((1, 1, 2))):
        pos = _letters(title)
        if not pos:
            break
        op = rng.choice(("sub", "drop", "double", "ocr" if _lang_of(b) != "vie" else "telex"))
        i = rng.choice(pos)
        ch = title[i]
        if op == "sub":
            new = rng.choice(QWERTY[fold(ch)])
            title = title[:i] + (new.upper() if ch.isupper() else new) + title[i + 1:]
        elif op == "drop":
            title = title[:i] + title[i + 1:]
        elif op == "double":
            title = title[:i + 1] + ch + title[i + 1:]
        elif op == "ocr":
            for a, z in (("rn", "m"), ("m", "rn"), ("cl", "d"), ("li", "h"), ("e", "c"), ("l", "I")):
                if a in title:
                    j = title.index(a)
                    title = title[:j] + z + title[j + len(a):]
                    break
            else:
                title = title[:i] + title[i + 1:]
                op = "drop"
        elif op == "telex":  # a Telex tone key left behind: "Nghệj An"
            words = [m.end() for m in re.finditer(r"\w+", title)]
            j = rng.choice(words)
            title = title[:j] + rng.choice("sfrxjw") + title[j:]
        ops.append(op)
    v["title"] = title
    return "+".join(ops)


_TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_QUALITY = ("\u0302", "\u0306", "\u031b")


def var_diacritic(v: dict, b: dict, rng: random.Random) -> str:
    """A dropped or doubled diacritic on one Vietnamese letter, or đ typed as d."""
    nfd = unicodedata.normalize("NFD", v["title"])
    tones = [i for i, ch in enumerate(nfd) if ch in _TONES]
    quality = [i for i, ch in enumerate(nfd) if ch in _QUALITY]
    dstroke = [i for i, ch in enumerate(nfd) if ch in "đĐ"]
    forms = ["drop_tone"] * bool(tones) + ["drop_quality"] * bool(quality) + ["double_mark"] * bool(tones + quality) \
        + ["d_for_đ"] * bool(dstroke)
    form = rng.choice(forms)
    if form == "drop_tone":
        i = rng.choice(tones)
        nfd = nfd[:i] + nfd[i + 1:]
    elif form == "drop_quality":
        i = rng.choice(quality)
        nfd = nfd[:i] + nfd[i + 1:]
    elif form == "double_mark":
        i = rng.choice(tones + quality)
        nfd = nfd[:i + 1] + nfd[i] + nfd[i + 1:]
    else:
        i = rng.choice(dstroke)
        nfd = nfd[:i] + ("d" if nfd[i] == "đ" else "D") + nfd[i + 1:]
    v["title"] = unicodedata.normalize("NFC", nfd)
    return form


def _has_vn_marks(b: dict) -> bool:
    return b.get("lang") == "vie" and any(ch in _TONES + _QUALITY + ("đ", "Đ")
                                          for ch in unicodedata.normalize("NFD", b["title"]))


def _leading_article(b: dict) -> str | None:
    for art in ARTICLES.get(_lang_of(b), ()):
        if b["title"].startswith(art + " "):
            return art
    return None


def var_article(v: dict, b: dict, rng: random.Random) -> str:
    """A leading article kept by one library and dropped by another ("The ", "Les ", "Những ", "Các ")."""
    art = _leading_article(b)
    if art:
        rest = v["title"][len(art) + 1:]
        v["title"], v["nonfiling"] = rest[:1].upper() + rest[1:], 0
        return f"dropped {art}"
    art = rng.choice(ARTICLES[_lang_of(b)])
    vie = _lang_of(b) == "vie"
    t = v["title"]
    proper = any(t.startswith(p) for p in VN_PLACES)
    v["title"] = f"{art} {t[:1].lower() + t[1:] if vie and not proper else t}"
    # a careful library sets the non-filing indicator; Vietnamese plural markers are not articles to MARC (ind2 0)
    v["nonfiling"] = 0 if vie or rng.random() < 0.3 else len(art) + 1
    return f"added {art} (ind2 {v['nonfiling']})"


def _notation(rng: random.Random, n: int, exclude: str | None = None) -> tuple[str, str]:
    name = rng.choice([k for k in VOLUME_NOTATIONS if k != exclude])
    return name, VOLUME_NOTATIONS[name](n)


def _put_volume(v: dict, text: str, where: str, rng: random.Random) -> None:
    if where == "title":
        sep = rng.choice((". ", ", ", " - ", ": "))
        v["title"] = f"{v['title']}{sep}{text if sep == '. ' else text[:1].lower() + text[1:]}"
        v["part_in_title"], v["part_text"] = True, None
    else:
        v["part_text"], v["part_in_title"] = text[:1].upper() + text[1:], False


def var_volume_notation(v: dict, b: dict, rng: random.Random) -> str:
    """The same volume number in another notation, in 245 $n or written into the title."""
    name, text = _notation(rng, b["part_no"], exclude="Tập n")
    where = rng.choice(("n", "n", "title"))
    _put_volume(v, text, where, rng)
    return f"{where}: {name}"


def var_variant_title(v: dict, b: dict, rng: random.Random) -> str:
    """The real title in 246 $a, a slightly different form (cover, spine, and/&, numbers) in 245 $a."""
    t = b["title"]
    forms = []
    if re.search(r"\b(và|and)\b|&", t):
        forms.append("and/&")
    if re.search(r"\b(XX|XIX|XXI|20|19|21)\b", t):
        forms.append("roman/arabic")
    if len(t.split()) >= 3:
        forms.append("word dropped")
    forms.append("cover-title words")
    form = rng.choice(forms)
    if form == "and/&":
        word = "và" if b.get("lang") == "vie" else "and"
        new = re.sub(r"\b(và|and)\b", "&", t) if re.search(r"\b(và|and)\b", t) else t.replace("&", word)
    elif form == "roman/arabic":
        swap = {"XX": "20", "XIX": "19", "XXI": "21", "20": "XX", "19": "XIX", "21": "XXI"}
        new = re.sub(r"\b(XX|XIX|XXI|20|19|21)\b", lambda m: swap[m.group(1)], t, count=1)
    elif form == "word dropped":
        words = t.split()
        i = rng.randrange(1, len(words))
        new = " ".join(words[:i] + words[i + 1:])
    else:
        lead = rng.choice(("Tìm hiểu", "Sách", "Tư liệu") if b.get("lang") == "vie" else ("The book of", "All about"))
        new = f"{lead} {t[:1].lower() + t[1:]}"
    v["title"] = new
    v["nonfiling"] = 0
    v["variants"] = (v.get("variants") or []) + [("1", rng.choice(("3", "4", "8", " ")), t)]
    return form


def var_parallel_title(v: dict, b: dict, rng: random.Random) -> str:
    """The title proper taken from the parallel title; the real title in 246 (ind2 1) or after "=" in $b."""
    real, par = b["title"], b["parallel"]
    v["title"], v["parallel"] = par, None
    if rng.random() < 0.5:
        v["parallel"] = real
        return "parallel first, real in $b"
    v["variants"] = (v.get("variants") or []) + [("3", "1", real)]
    return "parallel in 245, real in 246"


def var_no_author(v: dict, b: dict, rng: random.Random) -> str:
    """No main entry and no statement of responsibility on this side."""
    v["author"], v["sor"] = "", None
    return "no 1xx, no $c"


def var_author_in_sor(v: dict, b: dict, rng: random.Random) -> str:
    """The author only in 245 $c, no 1xx."""
    name = direct_name(b["author"], "vie" if b.get("lang") == "vie" and not b.get("translator") else "eng")
    if b.get("lang") == "vie":
        form = rng.choice(("{}", "{} chủ biên", "{} biên soạn",
                           "{} ; {} dịch" if b.get("translator") else "{} (tác giả)"))
        sor = form.format(name, b["translator"][0] if b.get("translator") else "")
    else:
        form = rng.choice(("{}", "by {}", "{} ... [et al.]", "edited by {}"))
        sor = form.format(name)
    v["author"], v["sor"] = "", sor
    return form.replace("{}", "N")


def var_printing_year(v: dict, b: dict, rng: random.Random) -> str:
    """The year of the printing instead of the edition's: ±1, in 008 and 260, or in only one of them."""
    d = rng.choice((1, 1, -1))
    where = rng.choice(("008+260", "008+260", "008 only", "260 only"))
    y = b["year"] + d
    if where != "260 only":
        v["date1"] = f"{y:04d}"
    if where != "008 only":
        v["date_text"] = str(y)
    v["year"] = y if where == "008+260" else b["year"]
    return f"{d:+d} {where}"


def var_bracketed_year(v: dict, b: dict, rng: random.Random) -> str:
    """A bracketed, approximate or decade-only imprint date; 008 coded to match (or left blank)."""
    y = b["year"]
    forms = ["c{y}", "{y}?", "[{y}]", "[ca. {y}]", "[{y}?]", "decade"]
    form = rng.choice(forms)
    if form == "decade":  # "[199-]": the record carries no exact year
        v["date_text"] = f"[{str(y)[:3]}-]"
        if rng.random() < 0.5:
            v["date_type"], v["date1"], v["date2"] = "s", f"{str(y)[:3]}u", "    "
            return "[ddd-] 008 s ddd u"
        v["date_type"], v["date1"], v["date2"] = "q", f"{str(y)[:3]}0", f"{str(y)[:3]}9"
        return "[ddd-] 008 q ddd0-ddd9"
    v["date_text"] = form.format(y=y)
    if form.startswith("c"):
        v["date_type"], v["date2"] = "t", f"{y:04d}"
    label = form.replace("{y}", "YYYY")
    if rng.random() < 0.3:
        v["date1"] = rng.choice(("    ", "uuuu", "||||"))
        return f"{label} 008 blank"
    return label


def var_other_binding_isbn(v: dict, b: dict, rng: random.Random) -> str:
    """The ISBN of the other binding of the same edition (qualified), the first ISBN missing."""
    other = neighbour_isbn(b["isbns"][0], rng)
    vie = b.get("lang") == "vie"
    qual = rng.choice(("bìa cứng", "bìa mềm") if vie else ("pbk.", "hbk.", "hardcover", "paperback"))
    style = rng.choice(("paren", "q"))
    v["isbns"], v["isbn_q"] = [rng.choice((other, isbnlib.mask(other) or other))], [(style, qual)]
    return f"other ISBN {'($a qualifier)' if style == 'paren' else '$q'}"


def var_subtitle(v: dict, b: dict, rng: random.Random) -> str:
    """A subtitle (245 $b) on one side only."""
    if b.get("subtitle"):
        v["subtitle"] = None
        return "dropped"
    v["subtitle"] = rng.choice(VN_SUBTITLES if b.get("lang") == "vie" else EN_SUBTITLES)
    return "added"


def var_subtitle_in_a(v: dict, b: dict, rng: random.Random) -> str:
    """The subtitle written into 245 $a (no $b)."""
    v["title"], v["subtitle"] = f"{b['title']} : {b['subtitle']}", None
    return "$a Title : subtitle"


def var_all_caps(v: dict, b: dict, rng: random.Random) -> str:
    v["caps"] = True
    return "ALL CAPS"


def var_isbd(v: dict, b: dict, rng: random.Random) -> str:
    """ISBD punctuation written another way: none, no spaces, " ." endings."""
    v["isbd"] = rng.choice(("bare", "nospace", "spacedot"))
    return v["isbd"]


def var_reprint(v: dict, b: dict, rng: random.Random) -> str:
    """A new printing (not a new edition): "In lần thứ 2" / "Reprinted 2001" in 250 or 500, year unchanged."""
    y = b["year"] + rng.randint(1, 3)
    if b.get("lang") == "vie":
        form = rng.choice(("250: In lần thứ {n}", "250: In lần thứ {w}", "500: In lần thứ {n} năm {y}",
                           "500: Sách in lần thứ {n}"))
    else:
        form = rng.choice(("250: {o} printing", "250: Reprinted", "500: Reprinted {y}.",
                           "500: Reprinted {y} with corrections."))
    n = rng.randint(2, 4)
    text = form[5:].format(n=n, w=VN_ORD[n], y=y, o=EN_ORD[n])
    if form.startswith("250") and not b.get("edition"):
        v["edition"] = text
    else:
        v["notes"] = (v.get("notes") or []) + [text]
        form = "500" + form[3:]
    return form.replace("{n}", "N").replace("{y}", "Y").replace("{w}", "word").replace("{o}", "Nth")


MILD_ONLY = lambda v, b, rng: "mild noise only"  # noqa: E731

# name -> (applies to the base?, function, mild noise aspects to leave alone)
VARIATIONS = {
    "mild": (lambda b: True, MILD_ONLY, frozenset()),
    "typo": (lambda b: len(_letters(b["title"])) >= 4, var_typo, frozenset()),
    "diacritic": (_has_vn_marks, var_diacritic, frozenset()),
    "article": (lambda b: _lang_of(b) in ARTICLES, var_article, frozenset()),
    "volume_notation": (lambda b: bool(b.get("part_no")), var_volume_notation, frozenset()),
    "variant_title": (lambda b: True, var_variant_title, frozenset()),
    "parallel_title": (lambda b: bool(b.get("parallel")), var_parallel_title, frozenset()),
    "no_author": (lambda b: bool(b.get("author")), var_no_author, frozenset({"author"})),
    "author_in_sor": (lambda b: bool(b.get("author")) and b.get("author_tag", "100") == "100", var_author_in_sor,
                      frozenset({"author"})),
    "printing_year": (lambda b: True, var_printing_year, frozenset()),
    "bracketed_year": (lambda b: True, var_bracketed_year, frozenset()),
    "other_binding_isbn": (lambda b: bool(b.get("isbns")), var_other_binding_isbn, frozenset({"isbn"})),
    "subtitle": (lambda b: True, var_subtitle, frozenset()),
    "subtitle_in_a": (lambda b: bool(b.get("subtitle")) and not b.get("parallel"), var_subtitle_in_a, frozenset()),
    "all_caps": (lambda b: True, var_all_caps, frozenset()),
    "isbd": (lambda b: True, var_isbd, frozenset()),
    "reprint": (lambda b: True, var_reprint, frozenset()),
}

# ------------------------------------------------------------------------------------------------------------
# hard negatives: other manifestations that look alike (each returns its form)
# ------------------------------------------------------------------------------------------------------------

# edition n: "Tái bản lần thứ {m}" (re-published for the m-th time, m = n - 1), "Xuất bản lần {n}" (n-th publication)
_VN_ED_NUMBERED = ("Tái bản lần thứ {m}", "Tái bản lần thứ {mw}", "Xuất bản lần {n}, có sửa chữa bổ sung",
                   "Tái bản lần {m}, có sửa chữa", "In lần thứ {n}, có sửa chữa và bổ sung")
_VN_ED_OTHER = ("Ấn bản mới", "Tái bản có bổ sung", "Tái bản", "Bản mới có sửa chữa")
_EN_ED_NUMBERED = ("{o} ed.", "{o} rev. ed.", "{O} edition", "{o} ed., rev. and enl.")
_EN_ED_OTHER = ("Rev. ed.", "New ed.", "Updated edition", "Rev. and enl. ed.")
_EN_ORD_WORD = {2: "Second", 3: "Third", 4: "Fourth", 5: "Fifth", 6: "Sixth"}


def _isbn_choice(v: dict, b: dict, rng: random.Random, weights=(0.45, 0.35, 0.2)) -> str:
    """The negative's ISBN: a new one, none, or the base's own (publishers reuse them)."""
    r = rng.random()
    if r < weights[0]:
        # never the neighbour a duplicate's other binding may carry: the negative must not share it by chance
        v["isbns"], v["isbn_q"] = [far_isbn(b["isbns"][0], rng) if b.get("isbns") else new_isbn(rng)], []
        rel = "new ISBN"
    elif r < weights[0] + weights[1] or not b.get("isbns"):
        v["isbns"], v["isbn_q"] = [], []
        rel = "no ISBN"
    else:
        rel = "same ISBN"
    v["_attrs"] = v.get("_attrs", {}) | {"isbn": rel}
    return rel


def neg_edition(v: dict, b: dict, rng: random.Random) -> str:
    """Another edition, written many ways; with or without a year change; new, no or the same ISBN."""
    vie = b.get("lang") == "vie"
    base_no = min(_part_number(b.get("edition") or "") or 1, 4)
    n = base_no + rng.randint(1, 2)  # 2..6
    if rng.random() < 0.65:
        form = rng.choice(_VN_ED_NUMBERED if vie else _EN_ED_NUMBERED)
    else:
        form = rng.choice(_VN_ED_OTHER if vie else _EN_ED_OTHER)
    v["edition"] = form.format(n=n, m=n - 1, mw=VN_ORD[n - 1], o=EN_ORD[n], O=_EN_ORD_WORD[n])
    dy = rng.choice((0, 0, 1, 2, 3, 5))
    v["year"] = b["year"] + dy
    _isbn_choice(v, b, rng)
    v["_attrs"] |= {"year": "same" if not dy else "+1" if dy == 1 else "+2..5"}
    label = form.replace("{mw}", "word").replace("{m}", "M").replace("{n}", "N").replace("{o}", "Nth")
    return label.replace("{O}", "Nth")


def neg_volume(v: dict, b: dict, rng: random.Random) -> str:
    """Another volume: a different number in any notation, in 245 $n or only in the title."""
    base_no = b.get("part_no")
    n = rng.choice([k for k in range(1, 7) if k != base_no])
    name, text = _notation(rng, n)
    where = rng.choice(("n", "title"))
    _put_volume(v, text, where, rng)
    _isbn_choice(v, b, rng, (0.4, 0.35, 0.25))  # "same": the set's ISBN on every volume
    side = "base has $n" if base_no else "base has no part"
    return f"{where}: {name}, {side}"


def neg_translation(v: dict, b: dict, rng: random.Random) -> str:
    """A translation: the same title, another language in 008/041, or another translator in 700."""
    lang = b.get("lang") or "eng"
    v["sor"] = None
    if b.get("translator") and rng.random() < 0.6:
        v["translator"] = (_vn_person(rng), rng.choice(("dịch", "người dịch", "biên dịch")))
        v["publisher"] = rng.choice((b.get("publisher"), rng.choice(VN_PUBLISHERS)[0]))
        form = "other translator, same language"
    else:
        other = "eng" if lang != "eng" else rng.choice(("vie", "fre", "ger"))
        v["lang041"], v["orig041"] = [other], [lang]
        v["translator"] = (_vn_person(rng) if other == "vie" else "Smith, John", "dịch" if other == "vie" else "tr.")
        if rng.random() < 0.3:
            v["lang"] = None  # 008/35-37 left blank: the language only in 041
            form = "other language in 041 only"
        else:
            v["lang"] = other
            form = "other language in 008 and 041"
    _isbn_choice(v, b, rng, (0.5, 0.5, 0.0))
    return form


def neg_format(v: dict, b: dict, rng: random.Random) -> str:
    """Another format of the same text: e-book vs book, audio book vs book (the many ways it is coded)."""
    url = "https://thuvien.example.vn/ebook/" + hashlib.sha1(b["title"].encode()).hexdigest()[:8]
    pages = b.get("pages")
    if b.get("rtype", "a") != "a" or b.get("form", " ") != " ":  # a non-print base: its print counterpart
        v |= {"rtype": "a", "form": " ", "url": None, "f007": None, "gmd": None}
        form = "print book of a non-print base"
    else:
        form = rng.choice(("e-book: 008/23 o + 856", "e-book: leader/06 m", "e-book: 007 cr + 856 + $h only",
                           "audio: leader/06 i", "audio: 007 sd + $h only"))
        if form.startswith("e-book"):
            v["extent"] = f"1 online resource ({pages} p.)" if pages else "1 online resource"
            v["url"] = url
            if "008/23" in form:
                v["form"], v["f007"] = "o", "cr |||||||||||"
            elif "leader" in form:
                v["rtype"] = "m"
            else:
                v["f007"] = "cr |||||||||||"
                v["gmd"] = "[electronic resource]" if b.get("lang") != "vie" else "[Tài liệu điện tử]"
        else:
            v["extent"] = rng.choice(("1 CD (75 min.)", "1 đĩa CD (120 phút)", "2 audio discs"))
            v["f007"] = "sd fsngnnmmned"
            if "leader" in form:
                v["rtype"] = "i"
            else:
                v["gmd"] = "[sound recording]" if b.get("lang") != "vie" else "[Sách nói]"
        v["pages"] = None
    _isbn_choice(v, b, rng, (0.4, 0.3, 0.3))
    return form


def neg_recycled_isbn(v: dict, b: dict, rng: random.Random, pool: list[dict] | None = None) -> str:
    """Another book carrying the same ISBN (misprinted or reused by the publisher): titles disagree."""
    if b.get("lang") == "vie" or not pool:
        title, _ = _vn_title(rng)
        while fold(title) == fold(b["title"]):
            title, _ = _vn_title(rng)
        v["author"] = _vn_person(rng) if rng.random() < 0.8 else ""
    else:
        same_lang = [p for p in pool if p.get("lang") == b.get("lang") and fold(p["title"]) != fold(b["title"])]
        other = rng.choice(same_lang or [p for p in pool if fold(p["title"]) != fold(b["title"])])
        title, v["author"] = other["title"], other.get("author", "")
    v |= {"title": title, "subtitle": None, "parallel": None, "sor": None, "part_no": None, "part_text": None,
          "translator": None, "lang041": None, "orig041": None, "variants": None, "edition": None, "series": None}
    v["pages"] = rng.randint(60, 600)
    dy = rng.choice((0, 0, 1, 3))
    v["year"] = b["year"] + dy
    v["_attrs"] = {"isbn": "same ISBN", "year": "same" if not dy else "+1" if dy == 1 else "+2..5"}
    return "another book, same ISBN"


def _swap_word(title: str, b: dict, rng: random.Random, pool: list[dict] | None) -> str:
    if b.get("lang") == "vie":
        for place in sorted(VN_PLACES, key=len, reverse=True):
            if place in title:
                return title.replace(place, rng.choice([p for p in VN_PLACES if p != place and place not in p]), 1)
        for w in sorted(VN_WORDS, key=len, reverse=True):
            if w in title:
                return title.replace(w, rng.choice([x for x in VN_WORDS if x != w and x not in title]), 1)
    words = title.split()
    idx = [i for i, w in enumerate(words) if len(w) >= 4] or [len(words) - 1]
    i = rng.choice(idx)
    donors = [w for p in (pool or []) for w in p["title"].split() if len(w) >= 4 and w.isalpha()]
    words[i] = rng.choice(donors or ["Studies"])
    return " ".join(words)


def neg_sibling(v: dict, b: dict, rng: random.Random, pool: list[dict] | None = None) -> str:
    """The same author's other book, the same year and publisher, a title one word apart."""
    v["title"] = _swap_word(b["title"], b, rng, pool)
    if fold(v["title"]) == fold(b["title"]):
        v["title"] += " " + rng.choice(("mới", "II") if b.get("lang") == "vie" else ("revisited", "II"))
    v["parallel"] = None
    v["variants"] = None
    v["pages"] = (b.get("pages") or 200) + rng.randint(-30, 30)
    if b.get("isbns"):
        v["isbns"], v["isbn_q"] = [far_isbn(b["isbns"][0], rng)], []
    v["_attrs"] = {"isbn": "new ISBN" if b.get("isbns") else "no ISBN"}
    return "one word of the title changed" if b.get("lang") != "vie" else "a place or topic word changed"


def neg_reprint_later(v: dict, b: dict, rng: random.Random) -> str:
    """A reprint years later (year +5) with the same ISBN."""
    v["year"] = b["year"] + 5
    v["_attrs"] = {"isbn": "same ISBN" if b.get("isbns") else "no ISBN"}
    if rng.random() < 0.4:
        v["notes"] = (v.get("notes") or []) + ["Reprint." if b.get("lang") != "vie" else "Sách in lại"]
        return "year +5, reprint note"
    return "year +5"


NEGATIVES = {
    "edition": (lambda b: True, neg_edition),
    "volume": (lambda b: True, neg_volume),
    "translation": (lambda b: True, neg_translation),
    "format": (lambda b: True, neg_format),
    "recycled_isbn": (lambda b: bool(b.get("isbns")), neg_recycled_isbn),
    "sibling": (lambda b: bool(b.get("author")), neg_sibling),
    "reprint_later": (lambda b: True, neg_reprint_later),
}

# ------------------------------------------------------------------------------------------------------------
# the labelled set
# ------------------------------------------------------------------------------------------------------------


def _least_used(names: list[str], used: Counter, rng: random.Random, k: int) -> list[str]:
    """k names, the least used so far first (ties broken at random): every variation gets its share."""
    names = list(names)
    rng.shuffle(names)
    return sorted(names, key=lambda n: used[n])[:k]


def build_bases(sdist: Path | None, testdata: Path | None, n_vn: int, rng: random.Random, half: int) -> list[dict]:
    real = []
    for paths, source in real_base_paths(sdist, testdata):
        real += real_bases(paths, source)
    real = [b for b in dedupe_bases(real) if _hash_half(base_identity(b | {"source": "real"})) == half]
    for b in real:
        b["nonfiling"] = _nonfiling(b)
    return real + vn_bases(n_vn, rng, half=half)


def labelled_set(sdist: Path | None, testdata: Path | None, n_vn: int, seed: int = 7,
                 half: int = 0) -> tuple[list[tuple[str, dict, str]], list[dict]]:
    """(library, description, label) — records with the same label describe the same manifestation — and the bases.

    `half` picks one half of the bases (hash of their identity): tune on one, check on the other.
    """
    rng = random.Random(seed)
    bases = build_bases(sdist, testdata, n_vn, rng, half)
    out: list[tuple[str, dict, str]] = []
    used_var, used_neg = Counter(), Counter()
    for i, base in enumerate(bases):
        libs = rng.sample(LIBS, rng.randint(2, 4))
        applicable = [n for n, (ok, _, _) in VARIATIONS.items() if ok(base)]
        names = _least_used(applicable, used_var, rng, len(libs) - 1)
        for j, lib in enumerate(libs):
            if j == 0:
                out.append((lib, base | {"_role": "base", "_tag": "base", "_form": "", "_base": i}, f"b{i}"))
                continue
            name = names[j - 1]
            used_var[name] += 1
            _, fn, skip = VARIATIONS[name]
            v = copy_base(base)
            form = fn(v, base, rng)
            mild(v, base, rng, skip)
            out.append((lib, v | {"_role": "dup", "_tag": name, "_form": form, "_base": i}, f"b{i}"))
        applicable = [n for n, (ok, _) in NEGATIVES.items() if ok(base)]
        for k, kind in enumerate(_least_used(applicable, used_neg, rng, rng.choice((1, 2, 2, 3)))):
            used_neg[kind] += 1
            fn = NEGATIVES[kind][1]
            v = copy_base(base)
            form = fn(v, base, rng, bases) if kind in ("recycled_isbn", "sibling") else fn(v, base, rng)
            mild(v, base, rng, frozenset({"isbn"}))
            v.setdefault("_attrs", {})
            out.append((rng.choice(LIBS), v | {"_role": "neg", "_tag": kind, "_form": form, "_base": i}, f"b{i}n{k}"))
    return out, bases
