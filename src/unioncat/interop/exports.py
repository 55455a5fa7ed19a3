"""Exports of one union record: MARCXML, ISO 2709, JSON, RIS, BibTeX (pure).

Every function takes the union record dict (`unioncat.dedup.merge.build_union_record`) and returns bytes or
text; nothing here touches the database. For MARC the caller may pass the base member's own MARC record
(`pymarc.Record`, already parsed): it is the richest description we have, so the export starts from it and
adds what the union knows (union id, every member's identifier, every library's holdings, unioned ISBNs and
subjects). Without it, the MARC record is built from the union record's fields.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from xml.etree import ElementTree

import pymarc
from pymarc import Field, Indicators, Subfield

from unioncat.errors import BadRequest
from unioncat.normalize.vietnamese import fold

# format -> (media type, file extension)
FORMATS: dict[str, tuple[str, str]] = {
    "marcxml": ("application/marcxml+xml; charset=utf-8", "xml"),
    "marc": ("application/marc", "mrc"),
    "json": ("application/json; charset=utf-8", "json"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
}

# union format -> (leader/06 type of record, leader/07 bibliographic level)
_LEADER_TYPE = {
    "book": ("a", "m"), "serial": ("a", "s"), "map": ("e", "m"), "music": ("j", "m"), "score": ("c", "m"),
    "video": ("g", "m"), "audio": ("i", "m"), "electronic": ("m", "m"), "mixed": ("p", "c"),
    "other": ("k", "m"),
}  # fmt: skip
_LOCAL_TAGS = ("001", "003", "005", "852", "952")
_SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "655")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def filename(record: dict, fmt: str) -> str:
    return f"{record['id']}.{FORMATS[fmt][1]}"


def _clean(value) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", str(value))).strip()


def _sf(code: str, value) -> Subfield:
    return Subfield(code, _clean(value))


def _datafield(tag: str, ind: str, *subfields: tuple[str, object]) -> Field | None:
    subs = [_sf(code, value) for code, value in subfields if value not in (None, "")]
    if not subs:
        return None
    return Field(tag, Indicators(ind[0], ind[1]), subs)


# ------------------------------------------------------------------------------------------------ MARC


def _member_035(record: dict) -> list[Field]:
    return [f for m in record.get("members", [])
            if (f := _datafield("035", "  ", ("a", f"({m['library']}){m['identifier']}")))]


def _holdings_852(record: dict) -> list[Field]:
    out = []
    for h in record.get("holdings", []):
        items = h.get("items") or [{}]
        for item in items:
            field = _datafield(
                "852", "  ", ("a", h.get("library")), ("b", item.get("location") or h.get("library_name")),
                ("h", item.get("call_number") or h.get("call_number")), ("p", item.get("barcode")),
                ("z", item.get("status")), ("u", h.get("opac_url")),
            )
            if field:
                out.append(field)
    return out


def _leader(record: dict) -> str:
    type_, level = _LEADER_TYPE.get(record.get("format") or "book", ("a", "m"))
    return f"00000n{type_}{level} a2200000 i 4500"


def _f008(record: dict) -> str:
    year = record.get("year")
    date1 = f"{year:04d}" if isinstance(year, int) and 0 <= year <= 9999 else "    "
    lang = (record.get("language") or "   ")[:3].ljust(3)
    value = "      " + ("s" if date1.strip() else "n") + date1 + "    " + "xx " + " " * 17 + lang + " d"
    assert len(value) == 40
    return value


def _from_fields(record: dict) -> pymarc.Record:
    rec = pymarc.Record(force_utf8=True)
    rec.leader = pymarc.Leader(_leader(record))
    fields: list[Field | None] = [Field("001", data=record["id"]), Field("008", data=_f008(record))]
    if record.get("lccn"):
        fields.append(_datafield("010", "  ", ("a", record["lccn"])))
    fields += [_datafield("020", "  ", ("a", isbn)) for isbn in record.get("isbns", [])]
    fields += [_datafield("022", "  ", ("a", issn)) for issn in record.get("issns", [])]
    fields += _member_035(record)
    if record.get("language"):
        fields.append(_datafield("041", "0 ", ("a", record["language"])))
    fields += [_datafield("084", "  ", ("a", c)) for c in record.get("classification", [])]
    authors = record.get("authors", [])
    for i, name in enumerate(authors):
        ind1 = "1" if "," in name else "0"
        fields.append(_datafield("100" if i == 0 else "700", ind1 + " ", ("a", name)))
    title = record.get("title") or ""
    fields.append(_datafield(
        "245", ("1" if authors else "0") + "0", ("a", title), ("b", record.get("subtitle")),
        ("n", record.get("part")), ("c", record.get("statement_of_responsibility")),
    ))
    if record.get("edition"):
        fields.append(_datafield("250", "  ", ("a", record["edition"])))
    fields.append(_datafield(
        "264", " 1", ("a", record.get("place")), ("b", record.get("publisher")),
        ("c", record.get("date_text") or record.get("year")),
    ))
    if record.get("extent"):
        fields.append(_datafield("300", "  ", ("a", record["extent"])))
    if record.get("series"):
        fields.append(_datafield("490", "0 ", ("a", record["series"]), ("v", record.get("series_number"))))
    fields += [_datafield("500", "  ", ("a", note)) for note in record.get("notes", [])]
    fields += [_datafield("650", " 4", ("a", s)) for s in record.get("subjects", [])]
    fields += [_datafield("856", "40", ("u", link.get("url")), ("y", link.get("label")))
               for link in record.get("links", [])]
    fields += _holdings_852(record)
    for field in fields:
        if field is not None:
            rec.add_ordered_field(field)
    return rec


def _from_base(record: dict, base: pymarc.Record) -> pymarc.Record:
    rec = copy.deepcopy(base)
    rec.force_utf8 = True
    for tag in _LOCAL_TAGS:
        rec.remove_fields(tag)
    leader = str(rec.leader).ljust(24)[:24]
    rec.leader = pymarc.Leader(leader[:9] + "a" + leader[10:])  # everything we write is UTF-8
    for field in rec.fields:
        if field.is_control_field():
            field.data = _clean(field.data or "")
        else:
            field.subfields = [Subfield(sf.code, _clean(sf.value)) for sf in field.subfields]
    rec.add_ordered_field(Field("001", data=record["id"]))
    have_isbns = {re.sub(r"[^0-9Xx]", "", v) for f in rec.get_fields("020") for v in f.get_subfields("a")}
    for isbn in record.get("isbns", []):
        if isbn not in have_isbns:
            rec.add_ordered_field(_datafield("020", "  ", ("a", isbn)))
    have_035 = {v for f in rec.get_fields("035") for v in f.get_subfields("a")}
    for field in _member_035(record):
        if field.get("a") not in have_035:
            rec.add_ordered_field(field)
    have_subjects = {fold(v.rstrip(" .")) for f in rec.get_fields(*_SUBJECT_TAGS) for v in f.get_subfields("a")}
    for subject in record.get("subjects", []):
        if fold(subject.rstrip(" .")) not in have_subjects:
            rec.add_ordered_field(_datafield("650", " 4", ("a", subject)))
    for field in _holdings_852(record):
        rec.add_ordered_field(field)
    return rec


def marc_record(record: dict, base: pymarc.Record | None = None) -> pymarc.Record:
    """The union record as MARC 21: from the base member's MARC when given, else from the union fields; its
    leader's record length and base address computed for what it now holds (never a member's stale ones)."""
    rec = _from_base(record, base) if base is not None else _from_fields(record)
    leader = str(rec.leader).ljust(24)[:24]
    data = rec.as_marc()
    length, base_address = len(data), data.index(b"\x1e") + 1
    if length > ISO2709_MAX:  # more than five digits can say (MARCXML has no limit): left blank
        rec.leader = pymarc.Leader("     " + leader[5:12] + f"{base_address:05d}"[-5:] + leader[17:])
    else:
        rec.leader = pymarc.Leader(f"{length:05d}" + leader[5:12] + f"{base_address:05d}" + leader[17:])
    return rec


def to_marcxml(record: dict, base: pymarc.Record | None = None) -> bytes:
    node = pymarc.record_to_xml_node(marc_record(record, base), namespace=True)
    return ElementTree.tostring(node, encoding="UTF-8", xml_declaration=True) + b"\n"


ISO2709_MAX = 99_999  # the leader's record length has five digits


def _library_852(record: dict) -> list[Field]:
    """One 852 per library (call number and item count) instead of one per item."""
    return [f for h in record.get("holdings", [])
            if (f := _datafield("852", "  ", ("a", h.get("library")), ("b", h.get("library_name")),
                                ("h", h.get("call_number")), ("z", f"{max(1, len(h.get('items') or []))} bản"),
                                ("u", h.get("opac_url"))))]


def to_iso2709(record: dict, base: pymarc.Record | None = None) -> bytes:
    """ISO 2709 cannot hold more than 99,999 bytes: a record with very many items lists one 852 per library;
    if it is still too long, a clear error (MARCXML has no such limit)."""
    marc = marc_record(record, base)
    data = marc.as_marc()
    if len(data) > ISO2709_MAX:
        marc.remove_fields("852")
        for field in _library_852(record):
            marc.add_ordered_field(field)
        data = marc.as_marc()
    if len(data) > ISO2709_MAX:
        raise BadRequest(f"record {record.get('id')} is {len(data)} bytes, too long for ISO 2709; use marcxml")
    return data


# ------------------------------------------------------------------------------------------------ JSON


def to_json(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------------------ RIS

_RIS_TYPE = {
    "book": "BOOK", "serial": "JFULL", "map": "MAP", "music": "SOUND", "score": "MUSIC", "video": "VIDEO",
    "audio": "SOUND", "electronic": "EBOOK", "mixed": "GEN", "other": "GEN",
}  # fmt: skip


def _title_with_subtitle(record: dict) -> str:
    title = record.get("title") or ""
    if record.get("subtitle"):
        title = f"{title}: {record['subtitle']}"
    if record.get("part"):
        title = f"{title}. {record['part']}"
    return title


def to_ris(record: dict, permalink: str | None = None) -> str:
    lines: list[tuple[str, object]] = [("TY", _RIS_TYPE.get(record.get("format") or "book", "GEN"))]
    lines.append(("TI", _title_with_subtitle(record)))
    lines += [("AU", name) for name in record.get("authors", [])]
    if record.get("year") is not None:
        lines.append(("PY", record["year"]))
    for tag, key in (("ET", "edition"), ("PB", "publisher"), ("CY", "place"), ("LA", "language"),
                     ("T2", "series"), ("VL", "series_number")):
        if record.get(key):
            lines.append((tag, record[key]))
    if record.get("pages"):
        lines.append(("SP", record["pages"]))
    lines += [("SN", v) for v in record.get("isbns", []) + record.get("issns", [])]
    lines += [("KW", s) for s in record.get("subjects", [])]
    lines += [("CN", c) for c in record.get("classification", [])]
    lines += [("N1", n) for n in record.get("notes", [])]
    lines += [("UR", link["url"]) for link in record.get("links", []) if link.get("url")]
    if permalink:
        lines.append(("UR", permalink))
    lines.append(("ID", record["id"]))
    out = [f"{tag}  - {_clean(value)}" for tag, value in lines if _clean(value)]
    out.append("ER  - ")
    return "\r\n".join(out) + "\r\n"


# ------------------------------------------------------------------------------------------------ BibTeX

_BIBTEX_TYPE = {"book": "book", "serial": "periodical", "electronic": "online"}
_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def _tex(value) -> str:
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in _clean(value))


def bibtex_key(record: dict) -> str:
    authors = record.get("authors") or []
    who = fold(authors[0].split(",")[0].split()[0]) if authors and authors[0].split() else "anon"
    who = re.sub(r"[^a-z0-9]", "", who) or "anon"
    year = record.get("year") if record.get("year") is not None else "nd"
    return f"{who}{year}_{record['id']}"


def to_bibtex(record: dict, permalink: str | None = None) -> str:
    entry = _BIBTEX_TYPE.get(record.get("format") or "book", "misc")
    fields: list[tuple[str, object]] = [("title", _title_with_subtitle(record))]
    if record.get("authors"):
        fields.append(("author", " and ".join(_tex(a) for a in record["authors"])))
    for name, key in (("edition", "edition"), ("publisher", "publisher"), ("address", "place"),
                      ("year", "year"), ("series", "series"), ("number", "series_number"),
                      ("language", "language"), ("pagetotal", "pages")):
        if record.get(key) not in (None, ""):
            fields.append((name, record[key]))
    if record.get("isbns"):
        fields.append(("isbn", ", ".join(record["isbns"])))
    if record.get("issns"):
        fields.append(("issn", ", ".join(record["issns"])))
    if record.get("subjects"):
        fields.append(("keywords", ", ".join(record["subjects"])))
    if permalink:
        fields.append(("url", permalink))
    body = []
    for name, value in fields:
        text = value if name == "author" else _tex(value)
        if text:
            body.append(f"  {name} = {{{text}}}")
    return f"@{entry}{{{bibtex_key(record)},\n" + ",\n".join(body) + "\n}\n"


def export(record: dict, fmt: str, base: pymarc.Record | None = None, permalink: str | None = None) -> bytes:
    """One format by name (a key of FORMATS), as bytes."""
    if fmt == "marcxml":
        return to_marcxml(record, base)
    if fmt == "marc":
        return to_iso2709(record, base)
    if fmt == "json":
        return to_json(record)
    if fmt == "ris":
        return to_ris(record, permalink).encode("utf-8")
    if fmt == "bibtex":
        return to_bibtex(record, permalink).encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")
