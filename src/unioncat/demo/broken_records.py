"""Single badly catalogued records, broken the ways real OAI-PMH providers break them, for the test provider.

``break_record`` takes one ``<record>…</record>`` element as ``Repository`` renders it (default OAI namespace,
no prefixes, the header first) and returns it broken as ``kind`` (one of ``BREAKS``) names; ``break_header``
does the same to a ListIdentifiers ``<header>``. Every kind but "no-identifier" makes it not well-formed XML.
"""

from __future__ import annotations

import re

BREAKS = ("mismatched-end-tag", "unescaped-ampersand", "bare-lt", "cut-off", "no-identifier", "broken-header")
HEADER_BREAKS = ("no-identifier", "broken-header")  # the kinds that also break ListIdentifiers

_IDENTIFIER_RE = re.compile(rb"<identifier>[^<]*</identifier>")
_END_TAG_RE = re.compile(rb"</([^>\s]+)")
_TEXT_RE = re.compile(rb">\s*[^<\s]")  # the start of a non-blank text node


def _check(kind: str) -> None:
    if kind not in BREAKS:
        raise ValueError(f"unknown break {kind!r}; one of {', '.join(BREAKS)}")


def break_header(header: bytes, kind: str) -> bytes:
    """The header broken by a header kind (``HEADER_BREAKS``); other kinds leave it unchanged."""
    _check(kind)
    if kind == "no-identifier":
        return _IDENTIFIER_RE.sub(b"", header, count=1)
    if kind == "broken-header":
        return header.replace(b"</datestamp>", b"</datestmp>", 1)
    return header


def break_record(record: bytes, kind: str) -> bytes:
    """The rendered ``<record>`` broken as ``kind`` says (ValueError: a metadata kind, a deleted record)."""
    _check(kind)
    if kind in HEADER_BREAKS:
        return break_header(record, kind)  # the header comes first: its elements are the first matches
    start = record.find(b"<metadata>")
    if start < 0:
        raise ValueError(f"{kind}: the record has no metadata")
    start += len(b"<metadata>")
    end = record.rfind(b"</metadata>")
    if kind == "cut-off":
        cut = start + (end - start) // 2
        while cut > start and 0x80 <= record[cut] < 0xC0:  # not inside a UTF-8 sequence
            cut -= 1
        return record[:cut]
    if kind == "mismatched-end-tag":  # the first end tag inside <metadata> (</metadata> itself if none)
        m = _END_TAG_RE.search(record, start)
        name = m.group(1)
        wrong = name[:-2] + name[-1:] + name[-2:-1] if len(name) > 1 and name[-1] != name[-2] else name + b"x"
        return record[:m.start(1)] + wrong + record[m.end(1):]
    m = _TEXT_RE.search(record, start, end)  # at the end of the first text node; none: right after <metadata>
    at = record.find(b"<", m.end()) if m else start
    return record[:at] + (b" & " if kind == "unescaped-ampersand" else b" a < b ") + record[at:]
