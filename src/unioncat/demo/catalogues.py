"""Deterministic demo catalogues of the member libraries, catalogued the way real libraries differ.

One shared pool of manifestations (books, volumes of sets, editions, a few magazines) is drawn from
:mod:`unioncat.demo.vocabulary`; each library holds a weighted subset of it (national bestsellers in
most libraries, local-history books mostly in their own province, academic and foreign-language
books mostly in the university library) and writes its records in its own style: NFC or NFD, tone
placement "hòa" or "hoà", "Nguyễn Văn A" or "Nguyễn, Văn A", "Nxb." / "NXB" / "Nhà xuất bản",
"H." or "Hà Nội", ISBN with or without hyphens, as ISBN-10 or missing, "tr." or "p.", with or
without ISBD punctuation, 260 or 264, 852 or Koha 952 holdings, some ALL CAPS titles, a few legacy
titles still in TCVN3 read as Latin-1.

Everything is derived from ``random.Random`` instances seeded from the ``seed`` argument: the same
arguments give the same bytes on every run and every machine. Which manifestation each record
describes is the ground truth for the matcher (:func:`ground_truth`); it is never written into the
MARC.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from unioncat.demo import vocabulary as V

__all__ = [
    "DemoRecord",
    "demo_libraries",
    "generate_catalogues",
    "ground_truth",
    "marcxml_collection",
    "overlap_statistics",
    "tcvn3_mojibake",
]

MARC_NS = "http://www.loc.gov/MARC21/slim"
#: The demo's "now": no record is created or modified after it.
DEMO_NOW = datetime(2025, 10, 31, 17, 0, 0)


@dataclass(frozen=True, slots=True)
class DemoRecord:
    """One record as a member library's OAI-PMH server would serve it.

    ``marcxml`` is one ``<record xmlns="http://www.loc.gov/MARC21/slim">`` element in UTF-8. For a
    deleted record it is the record as it was before the deletion; an OAI-PMH server must send only
    the header with ``status="deleted"``. ``manifestation_id`` and ``work_id`` are the ground truth
    (which book this is) for tests and benchmarks; they are not part of the record.
    """

    identifier: str
    datestamp: str
    deleted: bool
    marcxml: bytes
    manifestation_id: str = field(default="", compare=False, repr=False)
    work_id: str = field(default="", compare=False, repr=False)

    @property
    def local_id(self) -> str:
        """The library's own record id (001), the last part of the OAI identifier."""
        return self.identifier.rsplit(":", 1)[1]


# --------------------------------------------------------------------------------------------------
# Text: TCVN3, tone placement, i/y spelling, NFD
# --------------------------------------------------------------------------------------------------

# TCVN 5712:1993 "VN3" (the ABC / .VnTime fonts): one byte per precomposed lower-case letter; only the
# seven bare capitals have codes of their own. Hex byte values, from vietnam.md §3.1 and the standard.
_TCVN3_TABLE = """
Ă A1 Â A2 Ê A3 Ô A4 Ơ A5 Ư A6 Đ A7
ă A8 â A9 ê AA ô AB ơ AC ư AD đ AE
à B5 ả B6 ã B7 á B8 ạ B9
ằ BB ẳ BC ẵ BD ắ BE ặ C6
ầ C7 ẩ C8 ẫ C9 ấ CA ậ CB
è CC ẻ CE ẽ CF é D0 ẹ D1
ề D2 ể D3 ễ D4 ế D5 ệ D6
ì D7 ỉ D8 ĩ DC í DD ị DE
ò DF ỏ E1 õ E2 ó E3 ọ E4
ồ E5 ổ E6 ỗ E7 ố E8 ộ E9
ờ EA ở EB ỡ EC ớ ED ợ EE
ù EF ủ F1 ũ F2 ú F3 ụ F4
ừ F5 ử F6 ữ F7 ứ F8 ự F9
ỳ FA ỷ FB ỹ FC ý FD ỵ FE
"""


def _tcvn3_map() -> dict[str, str]:
    items = _TCVN3_TABLE.split()
    table = {items[i]: chr(int(items[i + 1], 16)) for i in range(0, len(items), 2)}
    # Capitals with a tone mark have no code: the "...H" capital fonts reuse the lower-case codes.
    for letter, code in list(table.items()):
        upper = letter.upper()
        if upper != letter and upper not in table:
            table[upper] = code
    return table


_TCVN3 = _tcvn3_map()


def tcvn3_mojibake(text: str) -> str:
    """``text`` encoded in TCVN3 and those bytes read as Latin-1 ("Khoá luận" → "Kho¸ luËn").

    Capitals with a tone mark come out as their lower-case code, as with the real fonts; characters
    outside Latin-1 that TCVN3 cannot encode become "-" or "?".
    """
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        code = _TCVN3.get(ch)
        if code is not None:
            out.append(code)
        elif ord(ch) < 0x80:
            out.append(ch)
        else:
            out.append("-" if unicodedata.category(ch) == "Pd" else "?")
    return "".join(out)


def _tone_pairs() -> dict[str, str]:
    """'òa' → 'oà' for the three glides (oa, oe, uy) and five tones, both cases."""
    pairs = {}
    for glide, nucleus in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            for g, n in ((glide, nucleus), (glide.upper(), nucleus.upper()), (glide.upper(), nucleus)):
                traditional = unicodedata.normalize("NFC", g + mark) + n
                modern = g + unicodedata.normalize("NFC", n + mark)
                pairs[traditional] = modern
    return pairs


_TONE_PAIRS = _tone_pairs()
# An open syllable only ("hòa", "khỏe", "thủy"), never after "q" (checked in _move_tone).
_TONE_RE = re.compile("[" + "".join(sorted({k[0] for k in _TONE_PAIRS})) + r"][aeyAEY](?!\w)")
# i/y after a consonant: "kỹ thuật"/"kĩ thuật", "địa lý"/"địa lí". A Vietnamese syllable ends with its
# vowel here, so plain replacement is safe; capitals (the family name "Lý", "Mỹ") are left alone.
_IY_TO_I = [("kỹ", "kĩ"), ("Kỹ", "Kĩ"), (" lý", " lí"), (" mỹ", " mĩ")]
_IY_TO_Y = [(" lí", " lý"), ("kĩ", "kỹ"), ("Kĩ", "Kỹ")]


def _modern_tones(text: str) -> str:
    return _TONE_RE.sub(_move_tone, text)


def _move_tone(match: re.Match) -> str:
    pair = match.group()
    start = match.start()
    if start and match.string[start - 1] in "qQ":  # "quý" is the same in both styles
        return pair
    return _TONE_PAIRS.get(pair, pair)


def _pick(rng: random.Random, seq):
    """rng.choice without its overhead (the pool makes hundreds of thousands of picks)."""
    return seq[int(rng.random() * len(seq))]


def _randint(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def _randrange(rng: random.Random, a: int, b: int | None = None) -> int:
    if b is None:
        a, b = 0, a
    return a + int(rng.random() * (b - a))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return text.encode("ascii", "ignore").decode()


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


# --------------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------------


def _isbn13_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _isbn10_check(first9: str) -> str:
    total = sum(int(d) * (10 - i) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _issn_check(first7: str) -> str:
    total = sum(int(d) * (8 - i) for i, d in enumerate(first7))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


@dataclass(frozen=True, slots=True)
class _Isbn:
    prefix: str  # "978"
    group: str  # "604"
    registrant: str
    publication: str
    check: str

    @property
    def isbn13(self) -> str:
        return self.prefix + self.group + self.registrant + self.publication + self.check

    @property
    def hyphenated(self) -> str:
        return "-".join((self.prefix, self.group, self.registrant, self.publication, self.check))

    @property
    def isbn10(self) -> str:
        body = self.group + self.registrant + self.publication
        return body + _isbn10_check(body)

    @property
    def isbn10_hyphenated(self) -> str:
        body = self.group + self.registrant + self.publication
        return "-".join((self.group, self.registrant, self.publication, _isbn10_check(body)))


def _make_isbn(group: str, registrant: str, number: int) -> _Isbn:
    width = 9 - len(group) - len(registrant)
    publication = str(number).zfill(width)
    first12 = "978" + group + registrant + publication
    return _Isbn("978", group, registrant, publication, _isbn13_check(first12))


# --------------------------------------------------------------------------------------------------
# The pool of manifestations
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    direct: str  # "Nguyễn Văn An", "Victor Hugo"
    inverted: str  # "Nguyễn, Văn An", "Hugo, Victor"
    dates: str = ""


@dataclass(slots=True)
class _Manif:
    mid: str
    wid: str
    genre: str
    title: str
    subtitle: str = ""
    volume: str = ""  # "1", "2" …
    part: str = ""  # title of the volume
    people: list[tuple[_Person, str]] = field(default_factory=list)  # (person, role) in statement order
    corporate: str = ""  # main entry under a corporate body
    statement: str = ""  # 245 $c as printed
    edition: int = 0  # 0 = first; n = "Tái bản lần thứ n"
    publisher: str = ""  # key into PUBLISHERS / FOREIGN_PUBLISHERS
    year: int = 2000
    isbn: _Isbn | None = None
    pages: int = 200
    size: int = 21
    illustrated: str = ""
    ddc: str = "000"
    subjects: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    person_subjects: list[str] = field(default_factory=list)
    language: str = "vie"
    original_language: str = ""
    original_title: str = ""
    series: str = ""
    series_no: str = ""
    audience: str = " "
    lit_form: str = "0"
    price: int = 0
    nlv_id: str = ""
    scope: str = ""  # former province for local material, "" = national
    weight: float = 1.0
    serial: bool = False
    issn: str = ""
    frequency: tuple[str, str] = ("", "")
    cutter: str = ""

    def author_mark(self) -> str:
        """A Vietnamese-style author mark for the call number ("NG527M"), computed once."""
        if not self.cutter:
            head = self.people[0][0].direct if self.people and self.people[0][1] in ("", "ch.b.") else self.title
            folded = _fold(head).upper().replace(" ", "")
            letter = _fold(self.title)[:1].upper() or "X"
            self.cutter = f"{folded[:2]}{zlib.crc32(head.encode()) % 900 + 100}{letter}"
        return self.cutter


_PUB = {key: (name, place, regs, genres) for key, name, place, regs, genres in V.PUBLISHERS}
_FOREIGN = {key: (name, place, group, reg) for key, name, place, group, reg in V.FOREIGN_PUBLISHERS}
_PUBS_BY_GENRE: dict[str, list[str]] = defaultdict(list)
for _key, _name, _place, _regs, _genres in V.PUBLISHERS:
    for _g in _genres:
        _PUBS_BY_GENRE[_g].append(_key)


def _publisher_name(key: str, year: int) -> str:
    if key in _FOREIGN:
        return _FOREIGN[key][0]
    name = _PUB[key][0]
    if key == "giaoduc" and year < 2010:
        return "Giáo dục"
    if key == "ctqg" and year < 2011:
        return "Chính trị Quốc gia"
    return name


_FAMILIES = [f for f, _ in V.FAMILY_NAMES]
_FAMILY_CUM = list(itertools.accumulate(w for _, w in V.FAMILY_NAMES))


class _PoolBuilder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.items: list[_Manif] = []
        self._work = 0
        self._isbn_next: dict[str, int] = {}
        self._isbn_exhausted: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------------

    def new_work(self) -> str:
        self._work += 1
        return f"W{self._work:06d}"

    def add(self, m: _Manif) -> _Manif:
        m.mid = f"M{len(self.items) + 1:06d}"
        self.items.append(m)
        return m

    def person(self, female: bool | None = None) -> _Person:
        rng = self.rng
        family = rng.choices(_FAMILIES, cum_weights=_FAMILY_CUM)[0]
        if female is None:
            female = rng.random() < 0.4
        if family == "Tôn Nữ":
            female = True
        middle = _pick(rng, V.FEMALE_MIDDLE if female else V.MALE_MIDDLE)
        given = _pick(rng, V.FEMALE_GIVEN if female else V.MALE_GIVEN)
        if rng.random() < 0.12:  # two-syllable given names ("Minh Châu", "Quang Huy")
            middle = middle + " " + _pick(rng, V.FEMALE_MIDDLE[3:] if female else V.MALE_MIDDLE[3:])
        rest = f"{middle} {given}"
        return _Person(f"{family} {rest}", f"{family}, {rest}")

    @staticmethod
    def known(name: str, dates: str = "") -> _Person:
        if ", " in name:  # already inverted (foreign originals)
            family, rest = name.split(", ", 1)
            return _Person(f"{rest} {family}", name, dates)
        parts = name.split(" ", 1)
        inverted = f"{parts[0]}, {parts[1]}" if len(parts) == 2 else name
        return _Person(name, inverted, dates)

    @staticmethod
    def foreign(forms: Sequence[str], dates: str, choice: int) -> _Person:
        international = forms[0]
        name = forms[choice % len(forms)]
        if name == international and " " in name:
            first, last = name.rsplit(" ", 1)
            if first.endswith(" de"):  # "Antoine de Saint-Exupéry"
                first, last = first[:-3], "de " + last
                return _Person(name, f"{last.split(' ', 1)[1]}, {first} de", dates)
            return _Person(name, f"{last}, {first}", dates)
        return _Person(name, name, dates)

    def isbn_for(self, publisher: str, year: int, p_have: float) -> _Isbn | None:
        rng = self.rng
        if publisher in _FOREIGN:
            _, _, group, reg = _FOREIGN[publisher]
        else:
            if year < 2008 or rng.random() >= p_have:
                return None
            regs = [r for r in _PUB[publisher][2] if r not in self._isbn_exhausted]
            if not regs:
                return None
            reg, group = regs[0], "604"
        key = group + reg
        width = 9 - len(group) - len(reg)
        number = self._isbn_next.get(key, _randrange(rng, 10 ** (width - 1) // 4 or 1)) + _randint(rng, 1, 3)
        if number >= 10**width:
            self._isbn_exhausted.add(reg)
            return self.isbn_for(publisher, year, p_have) if publisher not in _FOREIGN else None
        self._isbn_next[key] = number
        return _make_isbn(group, reg, number)

    def publisher_for(self, genre: str, year: int) -> str:
        keys = [k for k in _PUBS_BY_GENRE[genre] if not (k == "vhtt" and year >= 2008)]
        return _pick(self.rng, keys)

    def finish(self, m: _Manif, p_isbn: float = 0.93) -> _Manif:
        """Fill the fields every manifestation needs: ISBN, price, cutter, statement, NLV id."""
        rng = self.rng
        if m.isbn is None and not m.serial:
            m.isbn = self.isbn_for(m.publisher, m.year, p_isbn)
        if not m.price and not m.serial and m.language == "vie":
            base = max(8, m.pages // 6) * 1000 * (1 + max(0, m.year - 1995) // 6)
            m.price = int(round(base * rng.uniform(0.8, 1.4), -3))
        if not m.statement and m.people:
            m.statement = _statement(m.people)
        if not m.statement and m.corporate:
            m.statement = m.corporate
        if m.language == "vie" and m.year >= 2010 and not m.serial and rng.random() < 0.6:
            m.nlv_id = f"(VN-HaNLV){_randrange(rng, 100000, 999999)}"
        return m

    # -- genres ----------------------------------------------------------------------------------

    def classics(self, scale: float) -> None:
        rng = self.rng
        for title, author, dates, first, form, ddc in V.VN_CLASSICS:
            wid = self.new_work()
            person = self.known(author, dates)
            editions = _randint(rng, 2, 4) + int(scale)
            years = sorted(rng.sample(range(max(1976, first), 2026), editions))
            prev: dict[str, int] = {}
            for year in years:
                pub = self.publisher_for("lit", year) if rng.random() < 0.7 else _pick(rng, ["kimdong", "tre", "hoinhavan"])
                edition = prev.get(pub, -1) + 1
                prev[pub] = edition
                pages = _randint(rng, 90, 520) if form in "fe0" else _randint(rng, 60, 260)
                m = _Manif("", wid, "lit", title, people=[(person, "")], publisher=pub, year=year,
                           edition=edition, pages=pages, size=_pick(rng, (19, 20, 21)), ddc=ddc,
                           lit_form=form, subjects=["Văn học hiện đại", _FORM_SUBJECT.get(form, "Văn học")],
                           places=["Việt Nam"], weight=rng.uniform(2.5, 8.0))
                if title == "Truyện Kiều" or title == "Chinh phụ ngâm":
                    m.subjects = ["Văn học trung đại", "Truyện thơ"]
                if rng.random() < 0.3:
                    m.series = "Văn học trong nhà trường" if rng.random() < 0.5 else "Tác phẩm chọn lọc"
                self.add(self.finish(m))

    def translated(self, scale: float) -> None:
        rng = self.rng
        for title, original, lang, forms, dates, ddc in V.TRANSLATED_CLASSICS:
            wid = self.new_work()
            translators = [self.person() for _ in range(2)]
            for _ in range(_randint(rng, 2, 3) + int(scale)):
                year = _randint(rng, 1985, 2025)
                pub = self.publisher_for("translated", year)
                author = self.foreign(forms, dates, 0 if year >= 2005 else _randrange(rng, len(forms)))
                tr = _pick(rng, translators)
                m = _Manif("", wid, "translated", title, people=[(author, ""), (tr, "dịch")], publisher=pub,
                           year=year, pages=_randint(rng, 180, 900), size=_pick(rng, (19, 21, 24)), ddc=ddc,
                           lit_form="f" if ddc.startswith("8") else "0", original_language=lang,
                           original_title=original, subjects=["Văn học nước ngoài", "Tiểu thuyết"],
                           weight=rng.uniform(1.5, 5.0))
                if ddc.startswith("158"):
                    m.subjects = ["Tâm lý học ứng dụng", "Kỹ năng sống"]
                m.statement = f"{author.direct} ; {tr.direct} dịch"
                if rng.random() < 0.25:
                    m.series = "Danh tác thế giới"
                self.add(self.finish(m))

    def foreign_originals(self) -> None:
        rng = self.rng
        for title, author, dates, lang, ddc, pub in V.FOREIGN_ORIGINALS:
            wid = self.new_work()
            person = self.known(author, dates)
            for year in sorted(rng.sample(range(1990, 2024), _randint(rng, 1, 2))):
                m = _Manif("", wid, "foreign", title, people=[(person, "")], publisher=pub, year=year,
                           pages=_randint(rng, 120, 700), size=_pick(rng, (18, 20, 24)), ddc=ddc, language=lang,
                           lit_form="1" if ddc.startswith("8") else "0",
                           subjects=["Văn học nước ngoài"] if ddc.startswith("8") else ["Ngoại ngữ"],
                           weight=rng.uniform(0.3, 1.0))
                self.add(self.finish(m))

    def children_series(self, scale: float) -> None:
        rng = self.rng
        for title, author, pub, first, volumes, lang, ddc in V.CHILDREN_SERIES:
            person = self.known(author) if lang != "jpn" else _Person(author, author)
            translator = self.person() if lang else None
            year0 = max(first, 2008) if rng.random() < 0.6 else first
            weight = rng.uniform(1.0, 3.0)
            for vol in range(1, volumes + 1):
                wid = self.new_work()
                year = min(2025, year0 + (vol - 1) // 6)
                people = [(person, "")] + ([(translator, "dịch")] if translator else [])
                m = _Manif("", wid, "children", title, volume=str(vol), people=people, publisher=pub, year=year,
                           pages=_randint(rng, 60, 200), size=_pick(rng, (13, 18, 19)), ddc=ddc, audience="j",
                           lit_form="1", original_language=lang, illustrated="tranh vẽ",
                           subjects=["Văn học thiếu nhi", "Truyện tranh"], weight=weight * rng.uniform(0.6, 1.2))
                if title.startswith("Lịch sử"):
                    m.subjects = ["Lịch sử", "Truyện tranh"]
                    m.places = ["Việt Nam"]
                    m.people = [(person, "ch.b.")]
                if title.startswith("Truyện cổ tích"):
                    m.subjects = ["Văn học dân gian", "Truyện cổ tích"]
                    m.people = [(person, "")]
                    m.illustrated = ""
                self.add(self.finish(m))
                # Reprints of the popular volumes: same title and volume, a later edition.
                if rng.random() < 0.15 * (1 + scale):
                    reprint = _Manif(**{f: getattr(m, f) for f in m.__dataclass_fields__})
                    reprint.year = min(2025, year + _randint(rng, 2, 8))
                    reprint.edition = _randint(rng, 1, 6)
                    reprint.isbn = None
                    reprint.nlv_id = ""
                    reprint.price = 0
                    reprint.subjects = list(m.subjects)
                    self.add(self.finish(reprint))

    def children_generated(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            wid = self.new_work()
            year = _randint(rng, 1985, 2025)
            if rng.random() < 0.6:
                title = f"{_pick(rng, V.ANIMALS)} {_pick(rng, V.CHILD_TRAITS)}"
                subjects, ddc, form = ["Văn học thiếu nhi", "Truyện tranh"], "895.9223", "1"
            else:
                title = _pick(rng, V.CHILD_TOPICS).format(x=_pick(rng, V.CHILD_TOPIC_X))
                subjects, ddc, form = ["Kiến thức phổ thông", "Sách thiếu nhi"], "031.02", "0"
            pub = self.publisher_for("children", year)
            people = [(self.person(), "")]
            if rng.random() < 0.4:
                people.append((self.person(), "minh họa"))
            m = _Manif("", wid, "children", title, people=people, publisher=pub, year=year,
                       pages=_randint(rng, 16, 120), size=_pick(rng, (18, 19, 21, 24)), ddc=ddc, audience="j",
                       lit_form=form, illustrated="tranh màu", subjects=subjects,
                       weight=rng.paretovariate(1.6) * 0.5)
            if rng.random() < 0.3:
                m.series = _pick(rng, V.CHILD_SERIES_NAMES)
            self.add(self.finish(m))

    def literature_generated(self, count: int) -> None:
        rng = self.rng
        authors = [self.person() for _ in range(max(20, count // 3))]
        for _ in range(count):
            wid = self.new_work()
            genre, form, ddc = _pick(rng, V.LIT_GENRES)
            title = f"{_pick(rng, V.LIT_HEADS)} {_pick(rng, V.LIT_TAILS)}"
            title = title[0].upper() + title[1:]
            author = _pick(rng, authors)
            year = _randint(rng, 1976, 2025)
            pub = self.publisher_for("lit", year)
            m = _Manif("", wid, "lit", title, subtitle=genre, people=[(author, "")], publisher=pub, year=year,
                       pages=_randint(rng, 80, 480), size=_pick(rng, (19, 20, 21)), ddc=ddc, lit_form=form,
                       subjects=["Văn học hiện đại", _FORM_SUBJECT.get(form, "Văn học")], places=["Việt Nam"],
                       weight=rng.paretovariate(1.4) * 0.45)
            self.add(self.finish(m))
            if rng.random() < 0.08:  # a later edition of the same work by the same publisher
                again = _Manif(**{f: getattr(m, f) for f in m.__dataclass_fields__})
                again.year, again.edition = min(2025, year + _randint(rng, 1, 10)), _randint(rng, 1, 3)
                again.isbn, again.nlv_id, again.price = None, "", 0
                again.pages = m.pages + _randint(rng, -30, 40)
                self.add(self.finish(again))

    def hcm(self, scale: float) -> None:
        rng = self.rng
        for title in V.HCM_TITLES:
            wid = self.new_work()
            people = [(self.person(), "b.s.")] if rng.random() < 0.6 else []
            for _ in range(_randint(rng, 1, 3) + int(scale)):
                year = _randint(rng, 1990, 2025)
                pub = self.publisher_for("hcm", year)
                m = _Manif("", wid, "hcm", title, people=list(people), publisher=pub, year=year,
                           pages=_randint(rng, 100, 420), size=_pick(rng, (19, 21)), ddc="335.4346",
                           subjects=["Tư tưởng Hồ Chí Minh"], person_subjects=["Hồ Chí Minh, 1890-1969"],
                           weight=rng.uniform(1.5, 5.0))
                self.add(self.finish(m))

    def sets(self) -> None:
        rng = self.rng
        for title, author, corporate, pub, year, volumes, ddc, edition in V.NATIONAL_SETS:
            weight = rng.uniform(1.0, 3.0)
            for vol in range(1, volumes + 1):
                wid = self.new_work()
                m = _Manif("", wid, "history", title, volume=str(vol), publisher=pub,
                           year=year + (vol - 1) // 5, edition=edition, pages=_randint(rng, 500, 980), size=24,
                           ddc=ddc, subjects=["Lịch sử"] if "sử" in title else ["Chính trị"],
                           places=["Việt Nam"], weight=weight)
                if corporate:
                    m.corporate = author
                elif author:
                    m.people = [(self.known(author), "")]
                self.add(self.finish(m, p_isbn=0.98))

    def agriculture(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            wid = self.new_work()
            if rng.random() < 0.6:
                crop, ddc = _pick(rng, V.CROPS)
                title = _pick(rng, V.AGRI_CROP_T).format(x=crop)
                subjects = ["Trồng trọt", f"Cây {crop}" if not crop.startswith("cây") else crop.capitalize()]
            else:
                animal, ddc = _pick(rng, V.ANIMALS_FARM)
                title = _pick(rng, V.AGRI_ANIMAL_T).format(x=animal)
                subjects = ["Chăn nuôi", animal.capitalize()]
            year = _randint(rng, 1980, 2025)
            m = _Manif("", wid, "agriculture", title, people=[(self.person(), _pick(rng, ("", "b.s.", "ch.b.")))],
                       publisher=self.publisher_for("agriculture", year), year=year, pages=_randint(rng, 40, 220),
                       size=_pick(rng, (19, 21)), ddc=ddc, subjects=subjects + ["Kỹ thuật"], illustrated="hình vẽ",
                       weight=rng.paretovariate(1.8) * 0.5)
            if rng.random() < 0.3:
                m.series = "Tủ sách Khuyến nông phục vụ người lao động"
            self.add(self.finish(m))

    def medicine(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            wid = self.new_work()
            template, ddc = _pick(rng, V.MEDICINE_T)
            title = template.format(x=_pick(rng, V.DISEASES), g=_pick(rng, V.HEALTH_GROUPS))
            year = _randint(rng, 1985, 2025)
            m = _Manif("", wid, "medicine", title, people=[(self.person(), _pick(rng, ("", "", "ch.b.", "b.s.")))],
                       publisher=self.publisher_for("medicine", year), year=year, pages=_randint(rng, 60, 360),
                       size=_pick(rng, (19, 21)), ddc=ddc, subjects=["Y học", "Sức khỏe"],
                       weight=rng.paretovariate(1.8) * 0.5)
            if rng.random() < 0.4:
                m.people.append((self.person(), ""))
            self.add(self.finish(m))

    def law(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            wid = self.new_work()
            law, ddc = _pick(rng, V.LAWS)
            template = _pick(rng, V.LAW_T)
            year = _pick(rng, V.LAW_YEARS)
            title = template.format(law=f"{law} năm {year}" if "Hiến pháp" not in law else law)
            pub_year = min(2025, year + _randint(rng, 0, 2))
            m = _Manif("", wid, "law", title, publisher=self.publisher_for("law", pub_year), year=pub_year,
                       pages=_randint(rng, 60, 480), size=_pick(rng, (19, 21)), ddc=ddc,
                       subjects=["Pháp luật", law.replace(" năm", "")], places=["Việt Nam"],
                       weight=rng.paretovariate(1.6) * 0.6)
            if template.startswith(("Tìm hiểu", "Hỏi")):
                m.people = [(self.person(), "b.s.")]
            self.add(self.finish(m, p_isbn=0.97))

    def textbooks(self, count: int) -> None:
        rng = self.rng
        made = 0
        while made < count:
            subject, ddc, grades = _pick(rng, V.TEXTBOOK_SUBJECTS)
            grade = _pick(rng, list(grades))
            series, pub = _pick(rng, V.TEXTBOOK_SERIES)
            new_programme = rng.random() < 0.6
            authors = [self.person() for _ in range(_randint(rng, 3, 6))]
            volumes = ("1", "2") if subject in ("Tiếng Việt", "Toán", "Ngữ văn") and grade <= 9 else ("",)
            first_year = _randint(rng, 2020, 2023) if new_programme else _randint(rng, 1995, 2015)
            editions = _randint(rng, 1, 3)
            for volume in volumes:
                wid = self.new_work()
                for k in range(editions):
                    year = min(2025, first_year + k * _randint(rng, 1, 2))
                    roles = ["Tổng ch.b.", "ch.b."] + [""] * (len(authors) - 2)
                    people = list(zip(authors, roles))
                    m = _Manif("", wid, "textbook", f"{subject} {grade}", volume=volume, people=people,
                               publisher=pub if new_programme else "giaoduc", year=year, edition=k,
                               pages=_randint(rng, 80, 200), size=27 if grade <= 5 else 24, ddc=ddc,
                               audience="j" if grade <= 9 else "d", subjects=["Sách giáo khoa", subject],
                               weight=rng.paretovariate(2.0) * 0.4, illustrated="minh họa")
                    if new_programme:
                        m.series = series
                    self.add(self.finish(m, p_isbn=0.99))
                    made += 1

    def academic(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            wid = self.new_work()
            title, ddc = _pick(rng, V.ACADEMIC_T)
            year = _randint(rng, 1995, 2025)
            people = [(self.person(), "ch.b.")] + [(self.person(), "") for _ in range(_randint(rng, 0, 3))]
            pub = _pick(rng, _PUBS_BY_GENRE["academic"])
            m = _Manif("", wid, "academic", title, people=people, publisher=pub, year=year, pages=_randint(rng, 150, 520),
                       size=24, ddc=ddc, audience="e", subjects=["Giáo trình", title.replace("Giáo trình ", "")],
                       weight=rng.paretovariate(1.8) * 0.4)
            if title.startswith("Giáo trình") and rng.random() < 0.5:
                m.people = m.people[:1]
                m.statement = ""
                m.corporate = "Bộ Giáo dục và Đào tạo"
            self.add(self.finish(m, p_isbn=0.9))

    def reference(self, scale: float) -> None:
        rng = self.rng
        for title, author, dates, ddc, genre in V.REFERENCE:
            wid = self.new_work()
            people = [(self.known(author, dates), "ch.b." if "Đại" in title or "Hoàng Phê" in author else "")] if author \
                else [(self.person(), "b.s.")]
            for edition in range(_randint(rng, 2, 3) + int(scale)):
                year = _randint(rng, 1988, 2025)
                m = _Manif("", wid, genre, title, people=people, publisher=self.publisher_for(genre, year), year=year,
                           edition=edition, pages=_randint(rng, 600, 1800), size=_pick(rng, (21, 24, 27)), ddc=ddc,
                           subjects=["Từ điển", "Tiếng Việt" if "Việt" in title else "Ngôn ngữ"],
                           weight=rng.uniform(2.0, 4.0))
                self.add(self.finish(m))

    def history(self, count: int) -> None:
        rng = self.rng
        for title, ddc in V.HISTORY_T:
            wid = self.new_work()
            people = [(self.person(), _pick(rng, ("", "ch.b.", "b.s.")))]
            for _ in range(_randint(rng, 1, 2)):
                year = _randint(rng, 1980, 2025)
                m = _Manif("", wid, "history", title, people=people, publisher=self.publisher_for("history", year),
                           year=year, pages=_randint(rng, 150, 600), size=_pick(rng, (21, 24)), ddc=ddc,
                           subjects=["Lịch sử"], places=["Việt Nam"], weight=rng.uniform(1.0, 3.0))
                self.add(self.finish(m))
        for _ in range(count):
            title, ddc = _pick(rng, V.HISTORY_T)
            wid = self.new_work()
            year = _randint(rng, 1980, 2025)
            m = _Manif("", wid, "history", title, subtitle=_pick(rng, ("Tư liệu", "Hỏi - đáp", "Hồi ức", "Chuyên khảo")),
                       people=[(self.person(), "")], publisher=self.publisher_for("history", year), year=year,
                       pages=_randint(rng, 120, 500), size=21, ddc=ddc, subjects=["Lịch sử"], places=["Việt Nam"],
                       weight=rng.paretovariate(1.6) * 0.5)
            self.add(self.finish(m))

    def local(self, region: str, count: int) -> None:
        rng = self.rng
        info = V.REGIONS[region]
        for i in range(count):
            wid = self.new_work()
            template, subtitle, kind = _pick(rng, V.LOCAL_T)
            year = _randint(rng, 1980, 2025)
            province = region
            if region == "Thừa Thiên Huế":
                province = "Huế" if year >= 2025 else ("Thừa Thiên - Huế" if year < 2000 else "Thừa Thiên Huế")
            title = template.format(p=province, d=_pick(rng, info["districts"]), r=_pick(rng, info["rivers"]),
                                    s=_pick(rng, info["sights"]), h=_pick(rng, info["people"]),
                                    f=_pick(rng, info["folk"]))
            title = title[0].upper() + title[1:]
            pub = info["publisher"] if rng.random() < 0.55 else self.publisher_for("local", year)
            subjects = {"party": ["Lịch sử Đảng", "Đảng bộ"], "geo": ["Địa chí", "Lịch sử"],
                        "folk": ["Văn hóa dân gian", "Phong tục"], "people": ["Nhân vật lịch sử", "Tiểu sử"],
                        "lit": ["Văn học hiện đại", "Văn học địa phương"]}[kind]
            ddc = {"lit": "895.922", "folk": "398.09597"}.get(kind, info["ddc"])
            m = _Manif("", wid, "local", title, subtitle=subtitle, publisher=pub, year=year,
                       pages=_randint(rng, 100, 900), size=_pick(rng, (19, 21, 24, 27)), ddc=ddc, subjects=subjects,
                       places=[region.replace("Thừa Thiên Huế", "Thừa Thiên Huế")], scope=region,
                       weight=rng.uniform(0.6, 2.5))
            if kind == "party":
                m.corporate = f"Ban Chấp hành Đảng bộ {'tỉnh ' + province if 'tỉnh' in template else 'huyện ' + title.split('huyện ')[-1]}"
                if "tỉnh" in template and rng.random() < 0.6:
                    # A real pattern: the provincial Party history in several volumes.
                    for vol, (span, part) in enumerate((("1930 - 1975", ""), ("1975 - 2020", ""))[: 2], start=1):
                        v = _Manif(**{f: getattr(m, f) for f in m.__dataclass_fields__})
                        v.wid, v.volume, v.part, v.subtitle = self.new_work(), str(vol), span, ""
                        v.subjects = list(m.subjects)
                        v.pages = _randint(rng, 300, 800)
                        self.add(self.finish(v, p_isbn=0.55))
                    continue
            else:
                m.people = [(self.person(), _pick(rng, ("", "ch.b.", "b.s.", "s.t.")))]
                if rng.random() < 0.35:
                    m.people.append((self.person(), ""))
            self.add(self.finish(m, p_isbn=0.55))

    def serials(self) -> None:
        rng = self.rng
        for title, region, freq_code, freq_text, start in V.SERIALS:
            wid = self.new_work()
            body = str(_randrange(rng, 1000000, 9999999))
            issuer = _SERIAL_ISSUERS.get(title) or f"Hội Văn học nghệ thuật tỉnh {region}"
            m = _Manif("", wid, "serial", title if title.startswith("Tạp chí") else f"Tạp chí {title}",
                       corporate="", statement=issuer, publisher="", year=start, serial=True,
                       issn=f"{body[:4]}-{body[4:]}{_issn_check(body)}", frequency=(freq_code, freq_text),
                       ddc="050" if not region else V.REGIONS[region]["ddc"], subjects=["Tạp chí"],
                       places=[region] if region else ["Việt Nam"], scope=region, weight=6.0, size=27)
            m.title = title
            self.add(self.finish(m))


_FORM_SUBJECT = {"f": "Tiểu thuyết", "j": "Truyện ngắn", "p": "Thơ", "e": "Tản văn", "0": "Hồi ký", "1": "Truyện"}
_SERIAL_ISSUERS = {
    "Tạp chí Cộng sản": "Cơ quan lý luận và chính trị của Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam",
    "Thư viện Việt Nam": "Thư viện Quốc gia Việt Nam",
    "Văn nghệ quân đội": "Tổng cục Chính trị Quân đội nhân dân Việt Nam",
    "Nghiên cứu lịch sử": "Viện Sử học",
    "Văn học nước ngoài": "Hội Nhà văn Việt Nam",
    "Văn hóa Nghệ An": "Sở Văn hóa, Thể thao và Du lịch Nghệ An",
    "Sông Hương": "Hội Liên hiệp Văn học nghệ thuật Thừa Thiên Huế",
}


def _statement(people: list[tuple[_Person, str]]) -> str:
    """245 $c as printed on a Vietnamese title page."""
    main = [(p, r) for p, r in people if r not in ("dịch", "minh họa")]
    others = [(p, r) for p, r in people if r in ("dịch", "minh họa")]
    parts = []
    for person, role in main:
        parts.append(f"{person.direct} ({role})" if role else person.direct)
    text = ", ".join(parts)
    for person, role in others:
        text += f" ; {person.direct} {role}" if text else f"{person.direct} {role}"
    return text


#: Size of the generated national pool relative to one library's catalogue.
_BREADTH = 4.5


def _build_pool(records_per_library: int, regions: Sequence[str], seed: int, libraries: int = 7) -> list[_Manif]:
    rng = random.Random(f"unioncat-demo-pool:{seed}:{records_per_library}:{libraries}:{','.join(sorted(set(regions)))}")
    r = records_per_library
    scale = max(0.0, math.log2(r / 2500)) if r > 2500 else 0.0
    b = _PoolBuilder(rng)
    b.classics(scale)
    b.translated(scale)
    b.foreign_originals()
    b.children_series(scale)
    b.hcm(scale)
    b.sets()
    b.reference(scale)
    b.serials()
    # The national pool grows with the catalogues and with the number of libraries, so that the share
    # of records held elsewhere stays near one half whatever the size.
    n = r * _BREADTH * min(2.0, max(0.3, libraries / 7))
    b.history(int(0.05 * n))
    b.literature_generated(int(0.55 * n))
    b.children_generated(int(0.22 * n))
    b.agriculture(int(0.18 * n))
    b.medicine(int(0.14 * n))
    b.law(int(0.14 * n))
    b.textbooks(int(0.15 * n))
    b.academic(int(0.16 * n))
    for region in sorted(set(regions)):
        if region in V.REGIONS:
            b.local(region, int(0.2 * r))
    _reuse_isbns(b.items, rng)
    return b.items


def _reuse_isbns(items: list[_Manif], rng: random.Random) -> None:
    """A few publishers print one ISBN on two different books (vietnam.md §2.5, DESIGN "Matching")."""
    by_pub: dict[str, list[_Manif]] = defaultdict(list)
    for m in items:
        if m.isbn and m.isbn.group == "604" and not m.volume:
            by_pub[m.publisher].append(m)
    for group in by_pub.values():
        for a, b_ in zip(group, group[1:]):
            if a.wid != b_.wid and rng.random() < 0.006:
                b_.isbn = a.isbn


# --------------------------------------------------------------------------------------------------
# Library styles
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Style:
    agency: str
    id_prefix: str = ""
    id_width: int = 0
    id_start: int = 1
    automation_year: int = 2008
    nfd: float = 0.0
    modern_tones: float = 0.0
    inverted_names: float = 0.0
    publisher_forms: tuple[float, float, float, float, float] = (1, 0, 0, 0, 0)  # Nxb. / NXB / Nhà xuất bản / Nxb.X / bare
    hanoi_abbrev: float = 0.5
    isbn_forms: tuple[float, float, float, float] = (1, 0, 0, 0)  # hyphenated / plain / ISBN-10 / missing
    pages_forms: tuple[float, float, float] = (1, 0, 0)  # tr. / p. / trang
    isbd: float = 1.0
    caps: float = 0.0
    rda_from: int = 0  # records created from this year use 264 + 336-338
    koha: bool = False
    tcvn3: bool = False
    subject_source: str = "Bộ TK TVQG"
    copy_nlv: float = 0.0
    ddc_digits: int = 9
    iy: str = ""  # "i" writes kĩ/lí, "y" writes kỹ/lý
    iy_rate: float = 0.0
    volume_form: str = "Tập "
    with_700: float = 0.9
    with_dates: float = 0.3
    sparse: float = 0.02
    price_form: str = "{n}đ"
    barcode_digits: int = 6
    call_sep: str = " "
    locale_dates: bool = False
    modified_share: float = 0.25


#: One style per demo library, chosen so that every variant kind is present somewhere.
_STYLES: dict[str, _Style] = {
    "THA": _Style("TVTTH", id_prefix="TH", id_width=8, automation_year=2006, modern_tones=0.85, inverted_names=0.02,
                  publisher_forms=(0.75, 0.1, 0.05, 0.1, 0), hanoi_abbrev=0.9, isbn_forms=(0.2, 0.7, 0, 0.1),
                  isbd=0.95, caps=0.04, tcvn3=True, copy_nlv=0.3, price_form="{n}đ", volume_form="T."),
    "NAN": _Style("TVTNA", id_start=10001, automation_year=2004, modern_tones=0.1, inverted_names=0.05,
                  publisher_forms=(0.2, 0.6, 0.1, 0, 0.1), hanoi_abbrev=0.6, isbn_forms=(0.6, 0.3, 0, 0.1),
                  pages_forms=(0.9, 0, 0.1), isbd=0.9, caps=0.02, tcvn3=True, rda_from=2020, copy_nlv=0.5,
                  price_form="{d} VNĐ", with_dates=0.5),
    "HTI": _Style("TVTHT", id_prefix="HT", id_width=6, automation_year=2010, modern_tones=0.5, nfd=0.03,
                  publisher_forms=(0.5, 0, 0.5, 0, 0), hanoi_abbrev=0.4, isbn_forms=(0.45, 0.45, 0, 0.1),
                  isbd=0.0, caps=0.01, iy="i", iy_rate=0.6, sparse=0.05, price_form="{n} VND"),
    "QBI": _Style("TVTQB", id_width=7, automation_year=2008, nfd=0.55, modern_tones=0.4, inverted_names=0.1,
                  publisher_forms=(0.6, 0.2, 0.2, 0, 0), hanoi_abbrev=0.7, isbn_forms=(0.5, 0.2, 0, 0.3),
                  pages_forms=(0.7, 0.3, 0), isbd=0.8, caps=0.12, tcvn3=True, price_form="{n}đ",
                  volume_form="T."),
    "QTR": _Style("TVTQT", id_start=500, automation_year=2012, modern_tones=0.05, inverted_names=0.03,
                  publisher_forms=(0.9, 0.1, 0, 0, 0), hanoi_abbrev=0.95, isbn_forms=(0.8, 0.1, 0, 0.1),
                  isbd=1.0, caps=0.08, copy_nlv=0.2, rda_from=2019, iy="y", iy_rate=1.0, price_form="{d}đ"),
    "HUE": _Style("TVTTTH", id_prefix="HUE", id_width=7, automation_year=2005, modern_tones=0.7, inverted_names=0.7,
                  publisher_forms=(0.1, 0, 0, 0, 0.9), hanoi_abbrev=0.1, isbn_forms=(0.75, 0.05, 0.1, 0.1),
                  pages_forms=(0.2, 0.8, 0), isbd=1.0, rda_from=2018, copy_nlv=0.1, with_dates=0.8,
                  price_form="{d} đồng"),
    "DHV": _Style("DHV", id_start=1, automation_year=2009, modern_tones=0.3, inverted_names=0.35, nfd=0.02,
                  publisher_forms=(0.6, 0.3, 0, 0, 0.1), hanoi_abbrev=0.5, isbn_forms=(0.3, 0.6, 0, 0.1),
                  pages_forms=(0.8, 0.2, 0), isbd=0.7, koha=True, rda_from=2021, with_700=1.0,
                  price_form="{n}", barcode_digits=8, call_sep=" ", modified_share=0.5),
}


def _style_for(code: str, profile: str) -> _Style:
    if code in _STYLES:
        style = _STYLES[code]
        return style if style.koha == (profile == "koha") else _replace(style, koha=profile == "koha")
    rng = random.Random(f"unioncat-demo-style:{code}")
    return _Style(
        f"VN-{code}", id_width=_pick(rng, (0, 6, 8)), automation_year=_randint(rng, 2004, 2014),
        nfd=_pick(rng, (0.0, 0.02, 0.4)), modern_tones=rng.random(), inverted_names=_pick(rng, (0.02, 0.1, 0.6)),
        publisher_forms=tuple(rng.random() for _ in range(5)), hanoi_abbrev=rng.random(),  # type: ignore[arg-type]
        isbn_forms=(rng.random(), rng.random(), rng.random() * 0.2, 0.1), pages_forms=(1, rng.random() * 0.5, 0.05),
        isbd=_pick(rng, (0.0, 0.8, 1.0)), caps=rng.random() * 0.1, rda_from=_pick(rng, (0, 2018, 2021)),
        koha=profile == "koha", tcvn3=rng.random() < 0.4, copy_nlv=rng.random() * 0.5,
    )


def _replace(style: _Style, **changes) -> _Style:
    values = {f: getattr(style, f) for f in style.__dataclass_fields__}
    values.update(changes)
    return _Style(**values)


# --------------------------------------------------------------------------------------------------
# Libraries and selection
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lib:
    code: str
    region: str  # former province whose local material the library collects, "" if none
    academic: bool
    style: _Style


def _region_of(province: str, former: Sequence[str]) -> str:
    name = former[0] if former else province
    if name == "Huế":
        name = "Thừa Thiên Huế"
    return name if name in V.REGIONS else ""


def demo_libraries():
    """The bundled library definitions the demo catalogues are generated for (Bắc Miền Trung)."""
    from harvesters.definitions import BUNDLED_LIBRARIES_DIR, load_definitions

    return load_definitions(BUNDLED_LIBRARIES_DIR / "bac-mien-trung")


def _libs_from(libraries) -> list[_Lib]:
    definitions = None
    result = []
    for item in libraries:
        if isinstance(item, str):
            if definitions is None:
                definitions = {d.code: d for d in demo_libraries()}
            if item in definitions:
                item = definitions[item]
            else:
                result.append(_Lib(item, "", False, _style_for(item, "generic")))
                continue
        academic = item.name.startswith(("Trung tâm Thông tin", "Thư viện Trường")) or "Đại học" in item.name
        region = _region_of(item.province, item.former_provinces)
        result.append(_Lib(item.code, region, academic, _style_for(item.code, item.profile)))
    if len({lib.code for lib in result}) != len(result):
        raise ValueError("library codes must be unique")
    return result


#: Share of a library's records that are its own local-studies (địa chí) material.
_LOCAL_SHARE = 0.13
_LOCAL_SHARE_ACADEMIC = 0.04
_GENRE_FACTORS_PUBLIC = {"academic": 0.2, "foreign": 0.06, "children": 1.4, "agriculture": 1.4, "textbook": 0.7}
_GENRE_FACTORS_ACADEMIC = {"academic": 9.0, "foreign": 12.0, "children": 0.08, "agriculture": 0.5, "textbook": 0.5,
                           "lit": 0.7, "reference": 2.0, "serial": 0.5}


def _weighted_sample(items: list[tuple[float, int]], count: int, rng: random.Random) -> list[int]:
    """Efraimidis–Spirakis: the ``count`` largest u ** (1 / w) are a weighted sample without replacement."""
    keyed = [(math.log(rng.random() or 1e-300) / w, index) for w, index in items]
    return [index for _, index in heapq.nlargest(count, keyed)]


def _select(pool: list[_Manif], lib: _Lib, count: int, rng: random.Random) -> list[_Manif]:
    """A library's holdings: a quota of its own local-studies material, the rest from everything else."""
    factors = _GENRE_FACTORS_ACADEMIC if lib.academic else _GENRE_FACTORS_PUBLIC
    neighbours = V.NEIGHBOURS.get(lib.region, ())
    local: list[tuple[float, int]] = []
    general: list[tuple[float, int]] = []
    for index, m in enumerate(pool):
        w = m.weight * factors.get(m.genre, 1.0)
        if m.scope and m.scope == lib.region:
            local.append((w, index))
            continue
        if m.scope:
            w *= 0.12 if m.scope in neighbours else 0.02
        general.append((w, index))
    quota = min(len(local), round(count * (_LOCAL_SHARE_ACADEMIC if lib.academic else _LOCAL_SHARE)))
    chosen = _weighted_sample(local, quota, rng)
    chosen += _weighted_sample(general, count - len(chosen), rng)
    return [pool[i] for i in sorted(chosen)]


# --------------------------------------------------------------------------------------------------
# Rendering one record
# --------------------------------------------------------------------------------------------------


class _Writer:
    """Collects fields as MARCXML text and their ISO 2709 lengths (for a correct leader)."""

    __slots__ = ("parts", "count", "data_length")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.count = 0
        self.data_length = 0

    def control(self, tag: str, value: str) -> None:
        self.parts.append(f'<controlfield tag="{tag}">{value.translate(_XML_ESCAPES)}</controlfield>')
        self.count += 1
        self.data_length += len(value.encode()) + 1

    def data(self, tag: str, ind1: str, ind2: str, subfields: Iterable[tuple[str, str]]) -> None:
        body = []
        length = 3  # indicators + field terminator
        for code, value in subfields:
            if not value:
                continue
            length += 2 + (len(value) if value.isascii() else len(value.encode()))
            if "&" in value or "<" in value or ">" in value:
                value = value.translate(_XML_ESCAPES)
            body.append(f'<subfield code="{code}">{value}</subfield>')
        if not body:
            return
        self.parts.append(f'<datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">{"".join(body)}</datafield>')
        self.count += 1
        self.data_length += length

    def finish(self, leader_template: str, transform=None) -> bytes:
        """The record; ``transform`` rewrites all of its text at once (tone placement, NFD …).

        Markup is ASCII and unchanged by such transforms, so the ISO 2709 length grows by exactly
        the number of bytes the transform adds.
        """
        body = "".join(self.parts)
        extra = 0
        if transform is not None:
            before = len(body.encode())
            body = transform(body)
            extra = len(body.encode()) - before
        base = 24 + 12 * self.count + 1
        total = base + self.data_length + extra + 1
        leader = f"{total:05d}{leader_template[5:12]}{base:05d}{leader_template[17:]}"
        return (f'<record xmlns="{MARC_NS}"><leader>{leader}</leader>' + body + "</record>").encode()


def _iso(moment: datetime) -> str:
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")


def _identity(value: str) -> str:
    return value


def _weighted(rng: random.Random, weights: Sequence[float]) -> int:
    total = sum(weights)
    x = rng.random() * total
    for i, w in enumerate(weights):
        x -= w
        if x < 0:
            return i
    return len(weights) - 1


def _punct(value: str, mark: str, isbd: bool) -> str:
    """Append ISBD punctuation (" :", " /", " ;", ",", ".") unless the library omits it."""
    if not isbd or not value:
        return value
    if mark == ".":
        return value if value.endswith((".", "?", "!", ")")) else value + "."
    if mark == ",":
        return value + ","
    return f"{value} {mark}"


_PLACE_FORMS = {
    "Hà Nội": ("H.", "Hà Nội"),
    "Thành phố Hồ Chí Minh": ("Tp. Hồ Chí Minh", "TP. Hồ Chí Minh", "TP. HCM", "Thành phố Hồ Chí Minh"),
    "Nghệ An": ("Nghệ An", "Vinh"),
}
_SERIAL_PLACES = {"Thanh Hóa": "Thanh Hóa", "Nghệ An": "Vinh", "Hà Tĩnh": "Hà Tĩnh", "Quảng Bình": "Đồng Hới",
                  "Quảng Trị": "Đông Hà", "Thừa Thiên Huế": "Huế"}
_LOCATIONS = {
    "children": ("Phòng thiếu nhi", "TN"), "local": ("Kho địa chí", "DC"), "serial": ("Kho báo - tạp chí", "BT"),
    "foreign": ("Kho ngoại văn", "NV"), "reference": ("Kho tra cứu", "TC"),
}
_KOHA_LOCATIONS = {"academic": ("GT", "GT"), "foreign": ("NV", "BK"), "reference": ("TC", "BK"),
                   "serial": ("BT", "SE"), "textbook": ("GT", "GT")}
_LANG_NAMES = {"eng": "tiếng Anh", "fre": "tiếng Pháp", "rus": "tiếng Nga", "por": "tiếng Bồ Đào Nha",
               "jpn": "tiếng Nhật"}


class _LibraryRenderer:
    def __init__(self, lib: _Lib, rng: random.Random) -> None:
        self.lib = lib
        self.s = lib.style
        self.rng = rng
        self.barcode = _randrange(rng, 1000, 20000)
        self.itemnumber = _randrange(rng, 1, 5000)

    # -- dates -------------------------------------------------------------------------------------

    def dates(self, m: _Manif) -> tuple[datetime, datetime]:
        rng, s = self.rng, self.s
        start = datetime(s.automation_year, 1, 1)
        if m.year < s.automation_year or m.serial:
            # retrospective conversion in the first years of the system
            created = start + timedelta(days=_randrange(rng, 0, 4 * 365), seconds=_randrange(rng, 8 * 3600, 17 * 3600))
        else:
            created = datetime(m.year, 1, 1) + timedelta(days=_randrange(rng, 20, 540), seconds=_randrange(rng, 7 * 3600, 17 * 3600))
        if created >= DEMO_NOW:
            created = DEMO_NOW - timedelta(days=_randrange(rng, 1, 60), seconds=_randrange(rng, 0, 36000))
        if created < datetime(m.year, 1, 1):
            created = datetime(min(m.year, DEMO_NOW.year), 1, 2, 9)
        modified = created
        if rng.random() < s.modified_share:
            span = (DEMO_NOW - created).total_seconds()
            if span > 3600:
                modified = created + timedelta(seconds=_randrange(rng, 3600, int(span)))
        return created, modified

    # -- text --------------------------------------------------------------------------------------

    def text_filter(self, nfd: bool, modern: bool, iy: bool):
        pattern = _IY_TO_I if self.s.iy == "i" else _IY_TO_Y

        if not (nfd or modern or iy):
            return _identity

        def tx(value: str) -> str:
            if not value or value.isascii():
                return value
            if modern:
                value = _modern_tones(value)
            if iy:
                for old, new in pattern:
                    value = value.replace(old, new)
            if nfd:
                value = unicodedata.normalize("NFD", value)
            return value

        return tx

    def name(self, person: _Person, inverted: bool) -> str:
        return person.inverted if inverted else person.direct

    def publisher(self, m: _Manif) -> str:
        name = _publisher_name(m.publisher, m.year)
        if m.publisher in _FOREIGN:
            return name
        form = _weighted(self.rng, self.s.publisher_forms)
        if m.publisher == "ctqg" and self.rng.random() < 0.3:
            name = name.replace("Quốc gia", "quốc gia")
        return (f"Nxb. {name}", f"NXB {name}", f"Nhà xuất bản {name}", f"Nxb.{name}", name)[form]

    def place(self, m: _Manif) -> str:
        if m.serial:
            return _SERIAL_PLACES.get(m.scope, "H." if self.rng.random() < self.s.hanoi_abbrev else "Hà Nội")
        if m.publisher in _FOREIGN:
            return _FOREIGN[m.publisher][1]
        place = _PUB[m.publisher][1]
        if place == "Hà Nội":
            return "H." if self.rng.random() < self.s.hanoi_abbrev else "Hà Nội"
        forms = _PLACE_FORMS.get(place)
        if forms:
            return forms[zlib.crc32((self.lib.code + place).encode()) % len(forms)] if self.rng.random() < 0.9 \
                else _pick(self.rng, forms)
        return place

    # -- the record --------------------------------------------------------------------------------

    def render(self, m: _Manif, local_id: str, created: datetime, modified: datetime, tcvn3: bool) -> bytes:
        rng, s = self.rng, self.s
        isbd = rng.random() < s.isbd
        nfd = rng.random() < s.nfd and not tcvn3
        modern = rng.random() < s.modern_tones and not tcvn3
        iy = bool(s.iy) and rng.random() < s.iy_rate
        inverted = rng.random() < s.inverted_names
        caps = rng.random() < s.caps
        sparse = rng.random() < s.sparse and not m.serial
        rda = bool(s.rda_from) and created.year >= s.rda_from
        # Tone placement, i/y spelling and NFD apply to the whole record at the end (Writer.finish).
        transform = self.text_filter(nfd, modern, iy)
        tx = _identity
        year = m.year
        w = _Writer()

        # control fields
        w.control("001", local_id)
        w.control("003", s.agency)
        w.control("005", f"{modified.year:04d}{modified.month:02d}{modified.day:02d}{modified.hour:02d}{modified.minute:02d}{modified.second:02d}.0")
        lang = m.language
        if m.serial:
            f008 = f"{created.year % 100:02d}{created.month:02d}{created.day:02d}c{m.year:04d}9999vm {m.frequency[0]}r p" + " " * 7 + "0" + " " * 4 + f"0{lang} d"
        else:
            illus = "a   " if m.illustrated else "    "
            form = m.lit_form if m.lit_form else "0"
            country = "vm " if m.publisher not in _FOREIGN else ("enk" if _FOREIGN[m.publisher][2] == "0" else "fr ")
            f008 = f"{created.year % 100:02d}{created.month:02d}{created.day:02d}s{year:04d}    {country}{illus}{m.audience}" + " " * 6 + f"000 {form} {lang} d"
        assert len(f008) == 40, (f008, len(f008))
        w.control("008", f008)

        # identifiers
        if m.isbn and not sparse:
            shown = _weighted(rng, s.isbn_forms)
            if m.publisher in _FOREIGN and m.year < 2007 and shown != 3:
                shown = 2  # books printed before 2007 carry an ISBN-10
            value = None
            if shown == 0:
                value = m.isbn.hyphenated
            elif shown == 1:
                value = m.isbn.isbn13
            elif shown == 2:
                value = m.isbn.isbn10_hyphenated if rng.random() < 0.5 else m.isbn.isbn10
            price = self.price(m)
            if value:
                w.data("020", " ", " ", [("a", value), ("q", "bìa mềm" if rng.random() < 0.03 else ""), ("c", price)])
            elif price:
                w.data("020", " ", " ", [("c", price)])
        elif m.price and not sparse and rng.random() < 0.5:
            w.data("020", " ", " ", [("c", self.price(m))])
        if m.issn:
            w.data("022", "0", " ", [("a", m.issn)])
        if m.nlv_id and rng.random() < s.copy_nlv:
            w.data("035", " ", " ", [("a", m.nlv_id)])
        w.data("040", " ", " ", [("a", s.agency), ("b", "vie"), ("c", s.agency), ("e", "rda" if rda else "")])
        if m.original_language and not sparse:
            w.data("041", "1", " ", [("a", lang), ("h", m.original_language)])
        elif lang != "vie" or not sparse:
            w.data("041", "0", " ", [("a", lang)])
        if not sparse:
            ddc = m.ddc
            if "." in ddc and len(ddc.split(".")[1]) > s.ddc_digits:
                ddc = ddc[: ddc.index(".") + 1 + s.ddc_digits]
            w.data("082", "0", "4", [("a", ddc), ("2", "23" if created.year >= 2014 else "14")])
            w.data("084", " ", " ", [("a", f"{ddc}{s.call_sep}{m.author_mark()}")] if not s.koha and rng.random() < 0.15 else [])

        # main entry
        main_person = None
        persons = [(p, r) for p, r in m.people]
        if m.corporate:
            if rng.random() < 0.75:
                w.data("110", "2", " ", [("a", tx(m.corporate))])
            main = "corporate"
        elif persons and persons[0][1] in ("", "ch.b.", "b.s.") and len([p for p in persons if p[1] != "dịch"]) <= 3 \
                and persons[0][1] != "Tổng ch.b.":
            main_person = persons[0][0]
            main = "person"
            ind1 = "1" if inverted or rng.random() < 0.3 else "0"
            if m.language != "vie":
                ind1 = "1"
            name = self.name(main_person, inverted or (m.language != "vie" and ", " in main_person.inverted))
            dates = main_person.dates if main_person.dates and rng.random() < s.with_dates else ""
            role = persons[0][1]
            w.data("100", ind1, " ", [("a", tx(_punct(name, ",", isbd and bool(dates or role)))),
                                     ("d", _punct(dates, ",", isbd and bool(role))),
                                     ("e", tx(role))])
        else:
            main = "title"

        # 240 for translations
        if m.original_title and main == "person" and rng.random() < 0.4:
            w.data("240", "1", "0", [("a", m.original_title), ("l", "Tiếng Việt" if rng.random() < 0.5 else "")])

        # title
        title, subtitle, statement = m.title, m.subtitle, m.statement
        if rng.random() < 0.07:
            subtitle = ""
        if rng.random() < 0.05 and not isbd:
            statement = ""
        volume = ""
        if m.volume:
            volume = f"{s.volume_form}{m.volume}" if rng.random() < 0.92 else f"Q.{m.volume}"
        title_fields = []
        nonfiling = "0"
        if m.language == "eng" and title.startswith("The "):
            nonfiling = "4"
        elif m.language == "fre" and title.startswith(("Le ", "La ", "Les ", "L'")):
            nonfiling = "2" if title.startswith("L'") else ("4" if title.startswith("Les ") else "3")
        has_more_after_a = bool(subtitle or volume or statement)
        a_mark = ":" if subtitle else ("." if volume else "/" if statement else ".")
        title_fields.append(("a", _punct(title, a_mark, isbd) if has_more_after_a or isbd else title))
        if volume:
            n_mark = "," if m.part else (":" if subtitle else "/" if statement else ".")
            title_fields.append(("n", _punct(volume, n_mark, isbd)))
            if m.part:
                title_fields.append(("p", _punct(m.part, ":" if subtitle else "/" if statement else ".", isbd)))
        if subtitle:
            title_fields.append(("b", _punct(subtitle, "/" if statement else ".", isbd)))
        if statement:
            title_fields.append(("c", _punct(statement, ".", isbd) if not statement.endswith(".") else statement))
        converted = []
        for code, value in title_fields:
            value = tx(value) if not tcvn3 else value
            if caps and code in "anpb":
                value = value.upper()
            if tcvn3:
                value = tcvn3_mojibake(value)
            converted.append((code, value))
        w.data("245", "0" if main == "title" else "1", nonfiling, converted)

        # edition
        if m.edition and not m.serial:
            forms = (f"Tái bản lần thứ {m.edition}", f"Tái bản lần {m.edition}", f"Tb. lần thứ {m.edition}",
                     f"In lần thứ {m.edition + 1}")
            choice = 0 if rng.random() < 0.75 else _randrange(rng, 1, 4)
            w.data("250", " ", " ", [("a", tx(_punct(forms[choice], ".", isbd)))])

        # imprint
        place = self.place(m)
        publisher = m.statement if m.serial else self.publisher(m)
        year_text = str(year)
        if rda and rng.random() < 0.15:
            year_text = f"[{year}]"
        imprint = [("a", tx(_punct(place, ":", isbd))), ("b", tx(_punct(publisher, ",", isbd))),
                   ("c", _punct(year_text + ("-" if m.serial else ""), ".", isbd and not m.serial))]
        if rda:
            w.data("264", " ", "1", imprint)
        else:
            w.data("260", " ", " ", imprint)

        # physical description
        if not m.serial and not sparse:
            pages = m.pages
            if rng.random() < 0.1:
                pages += _randint(rng, -4, 4)
            unit = ("tr.", "p.", "trang")[_weighted(rng, s.pages_forms)]
            if rda and unit != "p.":
                unit = "trang"
            extent = f"{pages} {unit}"
            illus = tx(m.illustrated) if m.illustrated else ""
            size = f"{m.size} cm" if rng.random() < 0.9 else f"{m.size}cm"
            if isbd:
                w.data("300", " ", " ", [("a", f"{extent} :" if illus else f"{extent} ;"),
                                         ("b", f"{illus} ;" if illus else ""), ("c", size + ".")])
            else:
                w.data("300", " ", " ", [("a", extent), ("b", illus), ("c", size)])
        elif m.serial:
            w.data("300", " ", " ", [("a", "tập"), ("c", f"{m.size} cm")])
            w.data("310", " ", " ", [("a", tx(m.frequency[1]))])
        if rda:
            w.data("336", " ", " ", [("a", "văn bản"), ("b", "txt"), ("2", "rdacontent")])
            w.data("337", " ", " ", [("a", "không qua thiết bị"), ("b", "n"), ("2", "rdamedia")])
            w.data("338", " ", " ", [("a", "tập"), ("b", "nc"), ("2", "rdacarrier")])
        if m.serial:
            w.data("362", "0", " ", [("a", f"Năm thứ 1, số 1 ({m.year})-")])

        # series
        if m.series and not sparse:
            no = m.volume if m.series.startswith("Tủ") and m.volume else ""
            w.data("490", "0", " ", [("a", tx(_punct(m.series, ";", isbd and bool(no)))), ("v", no)])

        # notes
        if m.original_language and not sparse:
            original = _LANG_NAMES.get(m.original_language, "tiếng nước ngoài")
            note = f"Dịch từ nguyên bản {original}" + (f": {m.original_title}" if m.original_title else "")
            w.data("500", " ", " ", [("a", tx(_punct(note, ".", isbd)))])
        if m.genre == "textbook" and m.series and not sparse:
            w.data("500", " ", " ", [("a", tx(f"Bộ sách {m.series}"))])

        # subjects
        if not sparse:
            ind2, source = ("7", s.subject_source) if s.subject_source and not s.koha else ("4", "")
            for person in m.person_subjects:
                w.data("600", "0", ind2, [("a", tx(person)), ("2", source)])
            for subject in m.subjects:
                w.data("650", " ", ind2, [("a", tx(subject)), ("2", source)])
            for place_subject in m.places:
                w.data("651", " ", ind2, [("a", tx(place_subject)), ("2", source)])
            if m.audience == "j" and rng.random() < 0.5:
                w.data("655", " ", "7", [("a", tx("Sách thiếu nhi")), ("2", source or "local")])

        # added entries
        if rng.random() < s.with_700 and not sparse:
            for index, (person, role) in enumerate(persons):
                if main == "person" and index == 0:
                    continue
                name = self.name(person, inverted)
                w.data("700", "1" if inverted else "0", " ", [("a", tx(_punct(name, ",", isbd and bool(role)))),
                                                             ("e", tx(role))])
                if index >= 4:
                    break
        if m.corporate and main == "corporate" and rng.random() < 0.2:
            w.data("710", "2", " ", [("a", tx(m.corporate))])

        # holdings
        self.holdings(w, m, created, tx)

        leader = "00000{status}a{kind} a22000007a 4500".format(
            status="c" if modified > created else "n", kind="s" if m.serial else "m")
        level = "7" if sparse else " "
        desc = "i" if rda else ("a" if isbd else "c")
        leader = leader[:17] + level + desc + leader[19:]
        return w.finish(leader, None if transform is _identity else transform)

    def price(self, m: _Manif) -> str:
        if not m.price:
            return ""
        dotted = f"{m.price:,}".replace(",", ".")
        return self.s.price_form.format(n=m.price, d=dotted)

    def holdings(self, w: _Writer, m: _Manif, created: datetime, tx) -> None:
        rng, s = self.rng, self.s
        copies = 1 if m.serial else _pick(rng, (1, 1, 2, 2, 3, 4))
        call = f"{m.ddc}{s.call_sep}{m.author_mark()}"
        if s.koha:
            location, itype = _KOHA_LOCATIONS.get(m.genre, ("TK", "BK"))
            w.data("942", " ", " ", [("2", "ddc"), ("c", itype)])
            for _ in range(copies):
                self.barcode += 1
                self.itemnumber += 1
                branch = self.lib.code if rng.random() < 0.8 else f"{self.lib.code}-CS2"
                acquired = created + timedelta(days=_randrange(rng, 0, 30))
                w.data("952", " ", " ", [("0", "0"), ("1", "0"), ("2", "ddc"), ("4", "0"), ("7", "0"),
                                         ("a", branch), ("b", branch), ("c", location),
                                         ("d", f"{acquired.year:04d}-{acquired.month:02d}-{acquired.day:02d}"), ("o", call),
                                         ("p", f"{self.barcode:0{s.barcode_digits}d}"), ("y", itype),
                                         ("9", str(self.itemnumber))])
            return
        default = ("Kho mượn", "MV") if rng.random() < 0.6 else ("Kho đọc", "DV")
        location, prefix = _LOCATIONS.get(m.genre, default)
        if m.language != "vie" and m.genre != "foreign":
            location, prefix = default
        for i in range(copies):
            self.barcode += 1
            if i == 1 and location in ("Kho mượn", "Kho đọc"):
                location, prefix = ("Kho đọc", "DV") if location == "Kho mượn" else ("Kho mượn", "MV")
            w.data("852", "1", " ", [("a", s.agency), ("b", tx(location)), ("h", call),
                                     ("p", f"{prefix}.{self.barcode:0{s.barcode_digits}d}")])


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def generate_catalogues(records_per_library: int = 2500, seed: int = 2025, libraries=None) -> dict[str, list[DemoRecord]]:
    """Generate every library's catalogue: ``{code: [DemoRecord, ...]}``, records in 001 order.

    ``libraries``: :class:`harvesters.definitions.LibraryDefinition` objects or library codes
    (codes of the bundled definitions get their province and style; other codes get a derived
    style and no local-history collection). Default: the bundled Bắc Miền Trung members.
    Each library gets exactly ``records_per_library`` records, about 1 % of them deleted.
    """
    if records_per_library < 1:
        raise ValueError("records_per_library must be at least 1")
    libs = _libs_from(demo_libraries() if libraries is None else libraries)
    pool = _build_pool(records_per_library, [lib.region for lib in libs if lib.region], seed, len(libs))
    result: dict[str, list[DemoRecord]] = {}
    for lib in libs:
        rng = random.Random(f"unioncat-demo-library:{seed}:{records_per_library}:{lib.code}")
        chosen = _select(pool, lib, min(records_per_library, len(pool)), rng)
        renderer = _LibraryRenderer(lib, rng)
        dated = [(renderer.dates(m), m) for m in chosen]
        dated.sort(key=lambda item: (item[0][0], item[1].mid))  # 001 follows the order of cataloguing
        n_tcvn3 = max(3, round(records_per_library * 0.004)) if lib.style.tcvn3 else 0
        legacy = [i for i, ((created, _), m) in enumerate(dated) if m.language == "vie" and not m.serial][: n_tcvn3 * 4]
        tcvn3_rows = set(rng.sample(legacy, min(n_tcvn3, len(legacy))))
        records = []
        host = f"{lib.code.lower()}.lib.vn"
        for row, ((created, modified), m) in enumerate(dated):
            number = lib.style.id_start + row
            local_id = f"{lib.style.id_prefix}{number:0{lib.style.id_width}d}" if lib.style.id_width else str(number)
            deleted = rng.random() < 0.01
            if deleted and modified == created:
                span = int((DEMO_NOW - created).total_seconds())
                modified = created + timedelta(seconds=_randrange(rng, min(3600, span), span)) if span > 3600 else created
            marcxml = renderer.render(m, local_id, created, modified, tcvn3=row in tcvn3_rows)
            records.append(DemoRecord(f"oai:{host}:{local_id}", _iso(modified), deleted,
                                      marcxml, m.mid, m.wid))
        result[lib.code] = records
    return result


def ground_truth(catalogues: dict[str, list[DemoRecord]],
                 level: Literal["manifestation", "work"] = "manifestation") -> dict[str, str]:
    """OAI identifier → the manifestation (or work) it describes, for every record, deleted ones included.

    Records with the same manifestation id describe the same book and should end in one cluster;
    volumes of a set and editions of a work are different manifestations of … different works (each
    volume is its own work) or of the same work (editions), see ``level``.
    """
    attr = "manifestation_id" if level == "manifestation" else "work_id"
    return {record.identifier: getattr(record, attr) for records in catalogues.values() for record in records}


def overlap_statistics(catalogues: dict[str, list[DemoRecord]]) -> dict[str, float]:
    """Per library, the share of its live records whose manifestation another library also holds."""
    holders: dict[str, set[str]] = defaultdict(set)
    for code, records in catalogues.items():
        for record in records:
            if not record.deleted:
                holders[record.manifestation_id].add(code)
    stats = {}
    for code, records in catalogues.items():
        live = [r for r in records if not r.deleted]
        shared = sum(1 for r in live if len(holders[r.manifestation_id]) > 1)
        stats[code] = shared / len(live) if live else 0.0
    return stats


def marcxml_collection(records: Iterable[DemoRecord], include_deleted: bool = False) -> bytes:
    """The records as one MARCXML ``<collection>`` document (for files, ``unioncat import``, pymarc)."""
    body = b"".join(r.marcxml.replace(b' xmlns="' + MARC_NS.encode() + b'"', b"", 1)
                    for r in records if include_deleted or not r.deleted)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="' + MARC_NS.encode() + b'">' + body
            + b"</collection>\n")


def holders_by_manifestation(catalogues: dict[str, list[DemoRecord]]) -> Counter:
    """How many libraries hold each manifestation (live records only)."""
    holders: dict[str, set[str]] = defaultdict(set)
    for code, records in catalogues.items():
        for record in records:
            if not record.deleted:
                holders[record.manifestation_id].add(code)
    return Counter({mid: len(codes) for mid, codes in holders.items()})
