"""MARC 21 (MARCXML or ISO 2709, UTF-8 or MARC-8) → CanonicalRecord.

Parsing gives a `pymarc.Record`; `record_to_canonical` maps it to the canonical model, running every
text value through `repair_text` and collecting the repairs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Subfield
from pymarc.leader import Leader

from unioncat.normalize.errors import NormalizeError
from unioncat.normalize.identifiers import isbn13, isbn_candidate, issn, lccn, system_number
from unioncat.normalize.record import CanonicalRecord, Holding, Link, Person
from unioncat.normalize.vietnamese import normalize_place, normalize_publisher, parse_pages, repair_text
from unioncat.normalize.xml import element_text, local_name, parse_xml

__all__ = [
    "parse_marcxml",
    "parse_iso2709",
    "decode_iso2709",
    "record_to_canonical",
    "split_iso2709",
    "iter_marcxml_records",
]

MARC_NS = "http://www.loc.gov/MARC21/slim"
RECORD_TERMINATOR = b"\x1d"

# ---------------------------------------------------------------------------------------------
# MARCXML
# ---------------------------------------------------------------------------------------------


def _find_record(root: etree._Element) -> etree._Element:
    if local_name(root) == "record" and _has_marc_children(root):
        return root
    found = [
        el
        for el in root.iter("{%s}record" % MARC_NS, "record")
        if el is not root and _has_marc_children(el)
    ]
    if not found:
        raise NormalizeError(f"no MARC <record> element found (root element is <{local_name(root)}>)")
    if len(found) > 1:
        raise NormalizeError(f"expected one MARC record, found {len(found)}")
    return found[0]


def _has_marc_children(el: etree._Element) -> bool:
    return any(local_name(c) in ("leader", "controlfield", "datafield") for c in el)


_DATAFIELD = frozenset(("{%s}datafield" % MARC_NS, "datafield"))
_CONTROLFIELD = frozenset(("{%s}controlfield" % MARC_NS, "controlfield"))
_LEADER = frozenset(("{%s}leader" % MARC_NS, "leader"))
_SUBFIELD = frozenset(("{%s}subfield" % MARC_NS, "subfield"))

# The tags record_to_canonical reads; normalize_source skips the rest (880, 9xx...) when parsing.
CANONICAL_TAGS = frozenset(
    ["001", "007", "008", "010", "020", "022", "035", "041", "082", "084", "100", "110", "111", "130", "200",
     "240", "245", "246", "250", "260", "264", "300", "490", "700", "710", "711", "740", "830", "852", "856", "952"]
    + [f"5{i:02d}" for i in range(100)] + [f"6{i:02d}" for i in range(100)]
)  # fmt: skip


class _LightField:
    """A read-only MARC field with the attributes record_to_canonical uses (cheaper than pymarc.Field)."""

    __slots__ = ("tag", "control_field", "data", "indicators", "subfields")

    def __init__(self, tag: str, indicators: tuple[str, str] | None, subfields: list, data: str | None):
        self.tag = tag
        self.control_field = data is not None
        self.data = data
        self.indicators = indicators
        self.subfields = subfields


class _LightRecord:
    __slots__ = ("leader", "fields", "repairs")

    def __init__(self, leader: str, fields: list[_LightField], repairs: list[str]):
        self.leader = leader
        self.fields = fields
        self.repairs = repairs


def _text(el: etree._Element) -> str:
    return (el.text or "") if len(el) == 0 else element_text(el)


def _marcxml_fields(el: etree._Element, keep: frozenset[str] | None, light: bool) -> tuple[str, list]:
    leader = None
    fields: list = []
    for child in el:
        name = child.tag
        if name in _DATAFIELD:
            tag = child.get("tag")
            if keep is not None and tag not in keep:
                continue
            tag = (tag or "").strip()
            if not tag:
                raise NormalizeError("datafield without a tag")
            ind1 = (child.get("ind1") or " ")[:1] or " "
            ind2 = (child.get("ind2") or " ")[:1] or " "
            if light:
                subs = [((sf.get("code") or " ")[:1] or " ", _text(sf)) for sf in child if sf.tag in _SUBFIELD]
                fields.append(_LightField(tag, (ind1, ind2), subs, None))
            else:
                subfields = [
                    Subfield(code=(sf.get("code") or " ")[:1] or " ", value=_text(sf))
                    for sf in child
                    if sf.tag in _SUBFIELD
                ]
                fields.append(Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subfields))
        elif name in _CONTROLFIELD:
            tag = (child.get("tag") or "").strip()
            if not tag:
                raise NormalizeError("controlfield without a tag")
            if keep is None or tag in keep:
                if light:
                    fields.append(_LightField(tag, None, [], _text(child)))
                else:
                    fields.append(Field(tag=tag, data=_text(child)))
        elif name in _LEADER:
            leader = _text(child)
        # anything else (Koha's leaked <identifier>/<datestamp>, comments) is ignored
    if leader is None:
        raise NormalizeError("MARC record has no leader")
    repairs = []
    if len(leader) != 24:
        fixed = _fix_leader(leader)
        repairs.append(f"leader: {len(leader)} characters {leader!r} padded to 24 {fixed!r}")
        leader = fixed
    if not fields and keep is None:
        raise NormalizeError("MARC record has no fields")
    return leader, fields, repairs


_RECORD_STATUS = frozenset("acdnposx ")
_RECORD_TYPE = frozenset("acdefgijkmoprtuvxyzq")


def _fix_leader(leader: str) -> str:
    """Pad or cut a leader whose spaces were collapsed or doubled, when 05/06 still make sense."""
    if 12 <= len(leader) <= 30 and leader[5] in _RECORD_STATUS and leader[6] in _RECORD_TYPE:
        return (leader + " " * 24)[:24]
    raise NormalizeError(f"MARC leader must be 24 characters, got {len(leader)}: {leader!r}")


def _marcxml_to_record(el: etree._Element) -> pymarc.Record:
    leader, fields, _ = _marcxml_fields(el, None, light=False)
    rec = pymarc.Record(fields=fields or None)
    rec.leader = Leader(leader)
    return rec


def parse_marcxml(raw: bytes) -> pymarc.Record:
    """One MARCXML `<record>` (namespaced, prefixed or plain) as a pymarc.Record.

    Wrappers around a single record (an OAI `<record>`/`<metadata>`, a one-record `<collection>`)
    are accepted. Raises NormalizeError for anything else.
    """
    root = parse_xml(raw, "MARCXML record")
    return _marcxml_to_record(_find_record(root))


def _parse_marcxml_for_canonical(raw: bytes) -> _LightRecord:
    """Like parse_marcxml, but keeps only the fields record_to_canonical reads, in light objects."""
    root = parse_xml(raw, "MARCXML record")
    return _LightRecord(*_marcxml_fields(_find_record(root), CANONICAL_TAGS, light=True))


def iter_marcxml_records(raw: bytes) -> Iterator[bytes]:
    """Each MARC `<record>` inside a collection or OAI-PMH page, serialized on its own."""
    root = parse_xml(raw, "MARCXML document")
    for el in root.iter("{%s}record" % MARC_NS, "record"):
        if _has_marc_children(el):
            yield etree.tostring(el, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# ISO 2709
# ---------------------------------------------------------------------------------------------


def split_iso2709(data: bytes) -> list[bytes]:
    """Split a file of ISO 2709 records on the record terminator (0x1D); blank tails dropped."""
    chunks = data.split(RECORD_TERMINATOR)
    return [c + RECORD_TERMINATOR for c in chunks if c.strip(b"\r\n \x00\x1a")]


_STRUCTURE_ERRORS = {
    "RecordLeaderInvalid": "the leader is not 24 characters",
    "BaseAddressNotFound": "the leader gives no base address of data",
    "BaseAddressInvalid": "the leader's base address points outside the record",
    "RecordDirectoryInvalid": "the directory is damaged (its length is not a multiple of 12)",
    "NoFieldsFound": "the record has no fields",
    "TruncatedRecord": "the record is shorter than its leader says (truncated)",
    "FieldNotFound": "a field is missing",
}


def decode_iso2709(raw: bytes) -> tuple[pymarc.Record, list[str]]:
    """One ISO 2709 record as (pymarc.Record, repairs).

    Encoding per record: leader/09 'a' means UTF-8, but files lie, so bytes that decode as UTF-8 and
    contain non-ASCII are read as UTF-8 whatever the leader says; otherwise MARC-8. A record declared
    UTF-8 with invalid bytes is read with U+FFFD replacements and the repair is noted.
    """
    if isinstance(raw, str):
        raise NormalizeError("ISO 2709 input must be bytes")
    raw = raw.lstrip(b"\r\n \x00")
    if len(raw) < 25:
        raise NormalizeError(f"ISO 2709 record too short ({len(raw)} bytes)")
    if not raw.endswith(RECORD_TERMINATOR):
        raw = raw + RECORD_TERMINATOR
    repairs: list[str] = []
    declared_utf8 = raw[9:10] == b"a"
    body_ascii = raw.isascii()
    utf8_ok = True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        utf8_ok = False

    kwargs: dict = {"hide_utf8_warnings": True}
    if declared_utf8:
        if not utf8_ok:
            kwargs["utf8_handling"] = "replace"
            repairs.append("invalid UTF-8 bytes replaced with U+FFFD (leader/09 says UTF-8)")
    elif utf8_ok and not body_ascii:
        kwargs["force_utf8"] = True
        repairs.append("read as UTF-8 although leader/09 is blank (MARC-8 declared)")
    try:
        rec = pymarc.Record(data=raw, **kwargs)
    except Exception as exc:  # noqa: BLE001 - pymarc raises many types; all mean "unreadable record"
        raise NormalizeError(_describe_iso_error(exc)) from exc
    if not declared_utf8 and "force_utf8" not in kwargs and not body_ascii and _looks_misdecoded(rec):
        raise NormalizeError(
            "character data does not read as MARC-8 (leader/09 blank) nor as UTF-8: the file is probably in "
            "another character set (e.g. cp1251, cp866, cp1252); re-export it as UTF-8 MARC"
        )
    return rec, repairs


def _looks_misdecoded(rec: pymarc.Record) -> bool:
    """MARC-8 decoding of bytes in another charset yields piles of combining marks on non-letters."""
    marks = stray = 0
    for f in rec.fields:
        for sf in f.subfields:
            prev = " "
            for ch in sf.value:
                if unicodedata.combining(ch):
                    marks += 1
                    if not prev.isalpha():
                        stray += 1
                else:
                    prev = ch
    return marks >= 5 and stray * 3 > marks


def _describe_iso_error(exc: Exception) -> str:
    name = type(exc).__name__
    if name in _STRUCTURE_ERRORS:
        return f"unreadable ISO 2709 record: {_STRUCTURE_ERRORS[name]}"
    if isinstance(exc, UnicodeDecodeError):
        if exc.encoding == "ascii":
            return "unreadable ISO 2709 record: non-ASCII bytes in the leader, directory or indicators"
        return f"unreadable ISO 2709 record: invalid {exc.encoding} character data ({exc.reason})"
    if isinstance(exc, ValueError):
        return f"unreadable ISO 2709 record: a number in the leader or directory is not numeric ({exc})"
    return f"unreadable ISO 2709 record: {name}: {exc}"


def parse_iso2709(raw: bytes) -> pymarc.Record:
    """One ISO 2709 record as a pymarc.Record (see `decode_iso2709` for the encoding rules)."""
    return decode_iso2709(raw)[0]


# ---------------------------------------------------------------------------------------------
# pymarc.Record → CanonicalRecord
# ---------------------------------------------------------------------------------------------

_FORMATS = {
    "a": "book", "t": "book", "c": "score", "d": "score", "e": "map", "f": "map", "g": "video",
    "i": "audio", "j": "music", "k": "other", "m": "electronic", "o": "mixed", "p": "mixed", "r": "other",
}  # fmt: skip
_BLANKS = str.maketrans("#^-|", "    ")
_TRAIL = re.compile(r"[\s/:;,=]+$")
_ABBREV_END = re.compile(
    r"(?:^|[\s.(\[-])(?:[^\W\d_]|tr|p|pp|cm|mm|ed|eds|jr|sr|co|inc|ltd|corp|bros|nxb|tp|vol|etc|al|ill|st|"
    r"dr|mr|mrs|ca|fl|no|nr|bd|hrsg|éd|t|tb|xb)\.$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_NOTE_SKIP = frozenset("5568")
_SUBJECT_SKIP = frozenset("0123456789e")
_SUBDIVISIONS = frozenset("vxyz")


class _Ctx:
    """Collects repairs while values are read from fields."""

    __slots__ = ("repairs",)

    def __init__(self) -> None:
        self.repairs: list[str] = []

    def text(self, value: str | None, where: str) -> str:
        if not value:
            return ""
        fixed, repairs = repair_text(value)
        for r in repairs:
            self.repairs.append(f"{where}: {r}")
        return fixed.strip()


def _strip_isbd(s: str) -> str:
    """Drop trailing ISBD punctuation (" /", " :", " ;", ",", "=", "."); keep "...", initials, "tr.", "Jr."."""
    s = s.strip()
    if s.endswith("..."):
        return s
    s = _TRAIL.sub("", s)
    if s.endswith(".") and not _ABBREV_END.search(s):
        s = _TRAIL.sub("", s[:-1].rstrip())
    return s


def _sub(field: Field, codes: str) -> list[str]:
    return [v for c, v in field.subfields if c in codes and v]


def _first(field: Field, code: str) -> str | None:
    for c, v in field.subfields:
        if c == code and v:
            return v
    return None


def _kind_and_format(leader: str, f008: str | None) -> tuple[str, str]:
    t = leader[6:7].translate(_BLANKS)
    lvl = leader[7:8].translate(_BLANKS)
    if t == "z":
        return "authority", "other"
    if t in ("u", "v", "x", "y"):
        return "holdings", "other"
    if t == "q":
        return "other", "other"
    if t in ("a", "t") and lvl in ("b", "i", "s"):
        return "bibliographic", "serial"
    fmt = _FORMATS.get(t)
    if fmt is None:
        return "bibliographic", "other"
    if fmt == "book" and f008 and len(f008) > 23 and f008[23] in ("o", "q", "s"):
        fmt = "electronic"
    return "bibliographic", fmt


# 245 $h (general material designation) as catalogued in English and Vietnamese
_GMD = (("electronic", "electronic"), ("điện tử", "electronic"), ("dien tu", "electronic"), ("online", "electronic"),
        ("sound", "audio"), ("ghi âm", "audio"), ("âm thanh", "audio"), ("audio", "audio"), ("video", "video"),
        ("băng hình", "video"), ("microform", "other"), ("vi phim", "other"))


def _physical_form(f007: list[str], rec) -> str:
    """A "book" by its leader may still be an e-book or a sound recording: 007/00-01 ("cr" remote electronic,
    "s" sound, "v" video) or the 245 $h designation say so (libraries code one or the other)."""
    for code in f007:
        if code[:2] == "cr" or code[:1] == "c" and code[1:2] in ("o", "d", "z", "j"):
            return "electronic"
        if code[:1] == "s":
            return "audio"
        if code[:1] == "v":
            return "video"
    for f in rec.fields:
        if f.tag == "245" and not f.control_field:
            h = " ".join(_sub(f, "h")).lower()
            for word, fmt in _GMD:
                if h and word in h:
                    return fmt
            break
    return "book"


def _person(field: Field, ctx: _Ctx, kind: str) -> Person | None:
    tag = field.tag
    if kind == "person":
        parts = _sub(field, "abcq")
    elif kind == "corporate":
        parts = _sub(field, "ab")
    else:
        parts = _sub(field, "aenq") if tag.endswith("11") else _sub(field, "a")
    if not parts:
        return None
    name = ctx.text(" ".join(_strip_isbd(p) for p in parts), f"{tag}$a")
    name = _strip_isbd(name)
    if not name:
        return None
    dates = _first(field, "d")
    roles = _sub(field, "e") if kind != "meeting" else _sub(field, "j")
    role = ", ".join(_strip_isbd(ctx.text(r, f"{tag}$e")) for r in roles) or _first(field, "4")
    return Person(
        name=name,
        role=role or None,
        dates=_strip_isbd(dates) if dates else None,
        kind=kind,
    )


_PERSON_KIND = {"100": "person", "700": "person", "110": "corporate", "710": "corporate",
                "111": "meeting", "711": "meeting"}  # fmt: skip


def _koha_status(field: Field) -> str:
    def flag(code: str) -> bool:
        v = _first(field, code)
        return bool(v) and v.strip() not in ("0", "")

    if flag("1"):
        return "lost"
    if flag("0"):
        return "withdrawn"
    if flag("4"):
        return "damaged"
    if _first(field, "q"):
        return "on loan"
    if flag("7"):
        return "not for loan"
    return "available"


def record_to_canonical(rec: pymarc.Record, profile: str = "generic") -> CanonicalRecord:
    """Map a MARC 21 record to the canonical model. Raises NormalizeError for a bib record with no title.

    `profile` "koha" also reads Koha's 952 item fields as holdings.
    """
    ctx = _Ctx()
    ctx.repairs.extend(getattr(rec, "repairs", ()))
    leader = str(rec.leader)
    f008 = None
    f007: list[str] = []
    control_number = None
    for f in rec.fields:
        if f.tag == "001" and control_number is None:
            control_number = (f.data or "").strip() or None
        elif f.tag == "008" and f008 is None:
            f008 = (f.data or "").translate(_BLANKS)
        elif f.tag == "007" and f.control_field:
            f007.append((f.data or "").lower())
    kind, fmt = _kind_and_format(leader, f008)
    if kind == "bibliographic" and fmt == "book":
        fmt = _physical_form(f007, rec)

    title = subtitle = part = sor = None
    alt_title = None
    variant_titles: list[str] = []
    authors_main: list[Person] = []
    authors_added: list[Person] = []
    edition = publisher = place = date_text = None
    imprint_rank = -1
    isbns: list[str] = []
    invalid_isbns: list[str] = []
    issns: list[str] = []
    lccn_value = None
    system_numbers: list[str] = []
    language = None
    lang_041 = None
    extent = None
    pages = None
    subjects: list[str] = []
    classification: list[str] = []
    series = series_number = None
    series_830 = series_830_number = None
    notes: list[str] = []
    links: list[Link] = []
    holdings: list[Holding] = []

    for f in rec.fields:
        tag = f.tag
        if f.control_field:
            continue
        t0 = tag[:1]
        if tag == "245":
            if title is None:
                title = _strip_isbd(ctx.text(" ".join(_sub(f, "a")), "245$a"))
                b = _sub(f, "b")
                subtitle = _strip_isbd(ctx.text(" ".join(b), "245$b")) if b else None
                a = _sub(f, "a")
                if subtitle and (a and a[-1].rstrip().endswith("=") or b[0].lstrip().startswith("=")):
                    parallel = subtitle.lstrip("= ").split(" : ")[0].split(" = ")[0]
                    variant_titles.append(_strip_isbd(parallel))  # "Title = Parallel title": another form
                np = _sub(f, "np")
                part = _strip_isbd(ctx.text(" ".join(_strip_isbd(x) for x in np), "245$n$p")) if np else None
                c = _first(f, "c")
                sor = _strip_isbd(ctx.text(c, "245$c")) if c else None
        elif tag == "020":
            for code, value in f.subfields:
                if code == "a":
                    good = isbn13(value)
                    if good:
                        if good not in isbns:
                            isbns.append(good)
                    else:
                        bad = isbn_candidate(value)
                        if bad and bad not in invalid_isbns:
                            invalid_isbns.append(bad)
                elif code == "z":
                    bad = isbn_candidate(value)
                    if bad and bad not in invalid_isbns:
                        invalid_isbns.append(bad)
        elif tag == "022":
            for v in _sub(f, "a"):
                n = issn(v)
                if n and n not in issns:
                    issns.append(n)
        elif tag == "010":
            if lccn_value is None:
                a = _first(f, "a")
                lccn_value = lccn(a) if a else None
        elif tag == "035":
            for v in _sub(f, "a"):
                n = system_number(v)
                if n and n not in system_numbers:
                    system_numbers.append(n)
        elif tag == "041":
            if lang_041 is None:
                a = _first(f, "a")
                if a:
                    code = a.strip().lower()[:3]
                    lang_041 = code if re.fullmatch(r"[a-z]{3}", code) else None
        elif tag in ("082", "084"):
            for v in _sub(f, "a"):
                v = ctx.text(v, f"{tag}$a").replace("/", "").replace("'", "").strip()
                if v and v not in classification:
                    classification.append(v)
        elif tag in _PERSON_KIND:
            p = _person(f, ctx, _PERSON_KIND[tag])
            if p is not None:
                (authors_main if t0 == "1" else authors_added).append(p)
        elif tag in ("130", "240", "246", "740"):
            a = _first(f, "a")
            if a and tag != "740" and alt_title is None:
                alt_title = (tag, _strip_isbd(ctx.text(a, f"{tag}$a")))
            if a and tag in ("246", "740"):
                variant = _strip_isbd(ctx.text(" ".join(_strip_isbd(x) for x in _sub(f, "ab")), f"{tag}$a$b"))
                if variant and variant not in variant_titles:
                    variant_titles.append(variant)
        elif tag == "250":
            if edition is None:
                edition = _strip_isbd(ctx.text(" ".join(_sub(f, "ab")), "250")) or None
        elif tag in ("260", "264"):
            rank = 2 if tag == "260" or f.indicators[1] == "1" else (1 if f.indicators[1] in " 0" else 0)
            if rank > imprint_rank:
                imprint_rank = rank
                a, b, c = _first(f, "a"), _first(f, "b"), _first(f, "c")
                place = normalize_place(ctx.text(a, f"{tag}$a")) if a else None
                publisher = normalize_publisher(ctx.text(b, f"{tag}$b")).display or None if b else None
                date_text = _strip_isbd(ctx.text(c, f"{tag}$c")) or None if c else None
        elif tag == "300":
            if extent is None:
                a = _first(f, "a")
                if a:
                    extent = _strip_isbd(ctx.text(a, "300$a")) or None
                    pages = parse_pages(a)
        elif tag == "490":
            if series is None:
                a = _first(f, "a")
                if a:
                    series = _strip_isbd(ctx.text(a, "490$a")) or None
                    v = _first(f, "v")
                    series_number = _strip_isbd(ctx.text(v, "490$v")) or None if v else None
        elif tag == "830":
            if series_830 is None:
                a = _first(f, "a")
                if a:
                    series_830 = _strip_isbd(ctx.text(a, "830$a")) or None
                    v = _first(f, "v")
                    series_830_number = _strip_isbd(ctx.text(v, "830$v")) or None if v else None
        elif t0 == "5":
            text = " ".join(v for c, v in f.subfields if c not in _NOTE_SKIP and v)
            text = ctx.text(text, tag)
            if text:
                notes.append(text)
        elif t0 == "6" and tag.isdigit():
            main = [v.strip() for c, v in f.subfields if v and c not in _SUBJECT_SKIP and c not in _SUBDIVISIONS]
            subs = [_strip_isbd(v) for c, v in f.subfields if v and c in _SUBDIVISIONS]
            heading = " -- ".join([_strip_isbd(" ".join(main))] * bool(main) + subs)
            heading = ctx.text(heading, tag)
            if heading and heading not in subjects:
                subjects.append(heading)
        elif tag == "856":
            label = _first(f, "y") or _first(f, "3") or _first(f, "z")
            label = ctx.text(label, "856") or None if label else None
            for u in _sub(f, "u"):
                u = u.strip()
                if u:
                    links.append(Link(url=u, label=label))
        elif tag == "852":
            loc = [ctx.text(v, "852$b") for v in _sub(f, "bc")]
            call = " ".join(ctx.text(v, "852$h") for v in _sub(f, "khim")).strip()
            note = _first(f, "z")
            holdings.append(
                Holding(
                    call_number=call or None,
                    location=" / ".join(x for x in loc if x) or None,
                    barcode=(_first(f, "p") or "").strip() or None,
                    note=ctx.text(note, "852$z") or None if note else None,
                )
            )
        elif tag == "952" and profile == "koha":
            loc = [ctx.text(v, "952") for v in _sub(f, "ac")]
            call = _first(f, "o")
            holdings.append(
                Holding(
                    call_number=ctx.text(call, "952$o") or None if call else None,
                    location=" / ".join(x for x in loc if x) or None,
                    barcode=(_first(f, "p") or "").strip() or None,
                    status=_koha_status(f),
                    note=ctx.text(_first(f, "z"), "952$z") or None,
                )
            )

    # year: 008/07-10, else the imprint date
    year = None
    if f008 and len(f008) >= 11 and kind == "bibliographic":
        d1 = f008[7:11]
        if d1.isdigit() and 1000 <= int(d1) <= 2100 and f008[6:7] != "q":  # q: "[199-]", a range, not a year
            year = int(d1)
        if len(f008) >= 38:
            code = f008[35:38].strip().lower()
            if re.fullmatch(r"[a-z]{3}", code):
                language = code
    if year is None and date_text and not (f008 and f008[6:7] == "q"):
        m = _YEAR.search(date_text)
        if m:
            year = int(m.group(1))
    language = language or lang_041

    if not title and alt_title:
        ctx.repairs.append(f"no 245 title; title taken from {alt_title[0]}")
        title = alt_title[1]
    if kind == "authority" and not title and authors_main:
        title = authors_main[0].name
    if not title:
        if kind == "bibliographic":
            if any(f.tag == "200" for f in rec.fields):
                raise NormalizeError(
                    "record has no title (245); field 200 suggests UNIMARC, and only MARC 21 is supported"
                )
            raise NormalizeError("record has no title (no 245 $a, 130, 240 or 246)")
        title = ""

    return CanonicalRecord(
        source_format="marc21",
        record_kind=kind,
        control_number=control_number,
        title=title,
        subtitle=subtitle or None,
        part=part or None,
        variant_titles=[v for v in variant_titles if v != title],
        statement_of_responsibility=sor or None,
        authors=authors_main + authors_added,
        edition=edition,
        publisher=publisher,
        place=place,
        year=year,
        date_text=date_text,
        isbns=isbns,
        invalid_isbns=invalid_isbns,
        issns=issns,
        lccn=lccn_value,
        system_numbers=system_numbers,
        language=language,
        format=fmt,
        extent=extent,
        pages=pages,
        subjects=subjects,
        classification=classification,
        series=series_830 or series,
        series_number=series_830_number or series_number,
        notes=notes,
        links=links,
        holdings=holdings,
        repairs=list(dict.fromkeys(ctx.repairs)),
        deleted=leader[5:6] == "d",
    )
