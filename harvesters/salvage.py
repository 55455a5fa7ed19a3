"""Per-record recovery inside a list page that does not parse.

One record with broken markup (an unescaped ``&`` or ``<`` in a title, a mismatched end tag, a record cut short
by a database error) makes the whole ListRecords page ill-formed. Instead of losing the page, and every page
after it, the page is split at its record boundaries (``<record>`` of ListRecords, ``<header>`` of
ListIdentifiers) by a scan that tolerates broken markup inside a record, and each record is parsed on its own
with the same strict, entity-free parser. Records that parse are kept; the others come back as
``BrokenRecord`` with the parser's error (line and column within the record) and their bytes.

A page declared in another encoding is read as UTF-8 first (the kept bytes of a broken record are then UTF-8);
text found between two items belongs to neither and is dropped (counted). The envelope must be readable, or
nothing is salvaged (``EnvelopeUnreadable``: the caller retries the page
and fails clearly): the head up to ``<ListRecords>`` parses, the page ends with ``</ListRecords></OAI-PMH>``,
and a ``resumptionToken`` element, when there is one, parses on its own. A token is never guessed.

Pure functions: bytes in, an lxml tree and plain values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import unescape

from lxml import etree

from harvesters.quarantine import BrokenRecord

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI = "{%s}" % OAI_NS
LIST_VERBS = {"ListRecords": "record", "ListIdentifiers": "header"}

_ROOT = re.compile(rb"<(?:([\w.-]+):)?OAI-PMH[\s>/]")
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([\w.:-]+)[\"']")
_WRAPPER = b"<salvage"


class EnvelopeUnreadable(Exception):
    """The page's envelope (head, token or end) cannot be read: the page is not salvageable."""


@dataclass
class SalvagedPage:
    root: etree._Element  # OAI-PMH tree: responseDate, request, the list with every record that parsed, token
    broken: list[BrokenRecord] = field(default_factory=list)  # position "record N (byte B)" within the page
    repaired: list[str] = field(default_factory=list)  # identifiers of records that parsed after repair_xml
    stray: int = 0  # pieces of text between items that belonged to none (dropped, counted)


def salvage_page(content: bytes, verb: str, repair=None) -> SalvagedPage:
    """The readable records of a list page that does not parse as a whole.

    ``repair`` (bytes -> (bytes, repairs)) is tried on a record that does not parse before it is given up
    (harvesters.oai.repair_xml: invalid UTF-8 and characters XML forbids). Raises EnvelopeUnreadable.
    """
    element = LIST_VERBS[verb]
    declared = _DECLARED.match(content)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        from harvesters.oai import transcode  # pieces are parsed without the page's declaration: as UTF-8

        try:
            content = transcode(content, declared.group(1).decode("ascii"))
        except LookupError:
            raise EnvelopeUnreadable(f"unknown encoding {declared.group(1)!r}") from None
    root_match = _ROOT.search(content)
    if root_match is None:
        raise EnvelopeUnreadable("no <OAI-PMH> root element")
    prefix = root_match.group(1)
    p = re.escape(prefix + b":") if prefix else b""
    opened = re.compile(rb"<" + p + verb.encode() + rb"(?:\s[^>]*)?>").search(content, root_match.start())
    if opened is None:
        raise EnvelopeUnreadable(f"no <{verb}> element")
    closing = re.compile(rb"</" + p + verb.encode() + rb"\s*>\s*</" + p + rb"OAI-PMH\s*>\s*$")
    closed = closing.search(content, opened.end())
    if closed is None:
        raise EnvelopeUnreadable(f"the page does not end with </{verb}></OAI-PMH> (cut off?)")
    root = _parse_head(content[:opened.end()], prefix, verb)
    container = root.find(OAI + verb)
    if container is None:
        raise EnvelopeUnreadable(f"no <{verb}> in the OAI-PMH namespace")
    declarations = _declarations(container)
    body_start, body_end = opened.end(), closed.start()
    token = _read_token(content, body_start, body_end, prefix + b":" if prefix else b"", declarations)
    if token is not None:
        body_end = token[0]
    page = SalvagedPage(root)
    starts = _record_starts(content, body_start, body_end, p, element)
    if not starts and content[body_start:body_end].strip():
        starts = [body_start]  # something is there but no record starts where one should: one broken piece
    closing = re.compile(rb"</" + p + element.encode() + rb"\s*>")
    for number, (start, end) in enumerate(zip(starts, starts[1:] + [body_end]), start=1):
        chunk = content[start:end].rstrip()
        ends = [m.end() for m in closing.finditer(chunk)]
        if ends and chunk[ends[-1]:].strip():  # stray text after the item (a script's notice): not the item's
            page.stray += 1
            chunk = chunk[:ends[-1]]
        parsed, error = _parse_piece(chunk, declarations, element)
        if parsed is None and repair is not None:
            repaired, repairs = repair(chunk)
            if repairs:
                parsed, _ = _parse_piece(repaired, declarations, element)
                if parsed is not None:
                    page.repaired.append(_header_value(chunk, p, "identifier") or f"record {number}")
        if parsed is not None:
            container.append(parsed)
            continue
        page.broken.append(BrokenRecord(
            error=error, raw=chunk, position=f"record {number} (byte {start})",
            identifier=_header_value(chunk, p, "identifier"), datestamp=_header_value(chunk, p, "datestamp")))
    if token is not None:
        container.append(token[1])
    return page


def _parse_head(head: bytes, prefix: bytes | None, verb: str) -> etree._Element:
    """The envelope up to the list's start tag, closed artificially, parsed strictly."""
    p = prefix + b":" if prefix else b""
    closing = b"</" + p + verb.encode() + b"></" + p + b"OAI-PMH>"
    try:
        return etree.fromstring(head + closing, _parser())
    except etree.XMLSyntaxError as exc:
        raise EnvelopeUnreadable(f"the envelope before <{verb}> is not well-formed: {exc}") from None


def _declarations(element: etree._Element) -> bytes:
    """The namespace declarations in scope at ``element``, as attributes for a wrapper start tag."""
    out = []
    for ns_prefix, uri in element.nsmap.items():
        name = f"xmlns:{ns_prefix}" if ns_prefix else "xmlns"
        value = uri.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        out.append(f' {name}="{value}"')
    return "".join(out).encode("utf-8")


def _read_token(content: bytes, start: int, end: int, raw_prefix: bytes, declarations: bytes):
    """(position, element) of the page's resumptionToken, None when there is none; EnvelopeUnreadable when
    one is there but cannot be read."""
    at = content.rfind(b"<" + raw_prefix + b"resumptionToken", start, end)
    if at < 0:
        return None
    piece = content[at:end].strip()
    p = re.escape(raw_prefix)
    whole = re.compile(rb"<" + p + rb"resumptionToken(?:\s[^<>]*)?(?:/>|>[^<]*</" + p + rb"resumptionToken\s*>)$")
    if not whole.match(piece):
        raise EnvelopeUnreadable("the resumptionToken element cannot be read")
    try:
        wrapper = etree.fromstring(_WRAPPER + declarations + b">" + piece + b"</salvage>", _parser())
    except etree.XMLSyntaxError as exc:
        raise EnvelopeUnreadable(f"the resumptionToken element is not well-formed: {exc}") from None
    token = wrapper[0] if len(wrapper) else None
    if token is None or token.tag != OAI + "resumptionToken":
        raise EnvelopeUnreadable("the resumptionToken element is not in the OAI-PMH namespace")
    return at, token


def _record_starts(content: bytes, start: int, end: int, p: bytes, element: str) -> list[int]:
    """Byte offsets where the list's items start, tolerating broken markup inside items.

    ListIdentifiers: every ``<header``. ListRecords: a ``<record`` start tag is an OAI record when an OAI
    ``<header`` follows it, or when only whitespace separates it from the list's start tag or from a previous
    ``</record>``; the MARCXML ``<record xmlns="…MARC21/slim">`` inside ``<metadata>`` is neither.
    """
    tag = re.compile(rb"<" + p + element.encode() + rb"(?=[\s>/])([^<>]*)>")
    if element == "header":
        return [m.start() for m in tag.finditer(content, start, end)]
    header_next = re.compile(rb"\s*<" + p + rb"header[\s>/]")
    after_record = re.compile(rb"</" + p + rb"record\s*>\s*$")
    starts = []
    for m in tag.finditer(content, start, end):
        if not p and b"xmlns" in m.group(1) and re.search(rb"\sxmlns\s*=", m.group(1)) \
                and OAI_NS.encode() not in m.group(1):
            continue  # declares a default namespace other than OAI's: a metadata record (MARCXML)
        before = content[max(start, m.start() - 200):m.start()]
        if header_next.match(content, m.end()) or after_record.search(before) \
                or (m.start() - start <= 200 and not before.strip()):
            starts.append(m.start())
    return starts


def _parse_piece(chunk: bytes, declarations: bytes, element: str) -> tuple[etree._Element | None, str]:
    """(the item's element, "") when the chunk is exactly one well-formed OAI item; else (None, the error)."""
    prefix = _WRAPPER + declarations + b">"
    try:
        wrapper = etree.fromstring(prefix + chunk + b"</salvage>", _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        if line == 1:
            column = max(1, column - len(prefix))
        message = (exc.msg or str(exc)).rsplit(", line ", 1)[0]
        return None, f"{message} (line {line}, column {column} of the record)"
    children = [c for c in wrapper if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag != OAI + element:
        found = ", ".join(etree.QName(c).localname for c in children) or "nothing"
        return None, f"expected one <{element}> element, found {found}"
    if (wrapper.text or "").strip() or (children[0].tail or "").strip():
        return None, f"text outside the <{element}> element"
    children[0].tail = None
    return children[0], ""


def _header_value(chunk: bytes, p: bytes, name: str) -> str | None:
    """The identifier or datestamp of a broken item, read from its header without parsing."""
    header_end = re.search(rb"</" + p + rb"header\s*>|<" + p + rb"metadata[\s>]", chunk)
    region = chunk[:header_end.start()] if header_end else chunk[:4000]
    m = re.search(rb"<" + p + name.encode() + rb"\s*>\s*([^<]*?)\s*</", region)
    if not m or not m.group(1):
        return None
    text = unescape(m.group(1).decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})
    text = _CHAR_REF.sub(lambda r: _char(r.group(1)), text)  # "caf&#233;" is the identifier "café"
    return text[:512] or None


_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")


def _char(ref: str) -> str:
    try:
        return chr(int(ref[1:], 16) if ref[0] in "xX" else int(ref))
    except (ValueError, OverflowError):
        return f"&#{ref};"


def _parser() -> etree.XMLParser:
    from harvesters.oai import safe_parser  # one definition of "strict and entity-free"

    return safe_parser()
