"""Test records shared by the suites: a small MARCXML book catalogued the way a Vietnamese library would,
and the records of a real OAI-PMH ListRecords page from tests/data."""

from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape

from lxml import etree

MARC_NS = "http://www.loc.gov/MARC21/slim"
OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def marc_book(control: str, title: str, author: str, isbn: str | None, publisher: str, place: str, extent: str,
              *, call_number: str = "959.742 L302S", part: str | None = None, subject: str = "Lịch sử",
              year: str = "2015", nfd: bool = False) -> bytes:
    """One MARCXML <record>: 001, 008, 020, 100, 245 (with $n part and $c), 260, 300, 650, 852."""

    def sf(code: str, value: str) -> str:
        return f'<subfield code="{code}">{escape(value)}</subfield>'

    fields = [f'<controlfield tag="001">{escape(control)}</controlfield>',
              f'<controlfield tag="008">150101s{year}    vm            000 0 vie d</controlfield>']
    if isbn:
        fields.append(f'<datafield tag="020" ind1=" " ind2=" ">{sf("a", isbn)}</datafield>')
    fields.append(f'<datafield tag="100" ind1="0" ind2=" ">{sf("a", author)}</datafield>')
    title_sfs = sf("a", title + (" ." if part else " /")) + (sf("n", part) if part else "") + sf("c", author)
    fields.append(f'<datafield tag="245" ind1="1" ind2="0">{title_sfs}</datafield>')
    fields.append(f'<datafield tag="260" ind1=" " ind2=" ">{sf("a", place + " :")}{sf("b", publisher + ",")}'
                  f'{sf("c", year)}</datafield>')
    fields.append(f'<datafield tag="300" ind1=" " ind2=" ">{sf("a", extent)}</datafield>')
    fields.append(f'<datafield tag="650" ind1=" " ind2="7">{sf("a", subject)}</datafield>')
    fields.append(f'<datafield tag="852" ind1=" " ind2=" ">{sf("a", "TV")}{sf("h", call_number)}'
                  f'{sf("p", "VV" + control)}</datafield>')
    xml = f'<record xmlns="{MARC_NS}"><leader>00000nam a2200000 a 4500</leader>{"".join(fields)}</record>'
    return unicodedata.normalize("NFD" if nfd else "NFC", xml).encode()


def real_oai_records(path, limit: int | None = None) -> list[tuple]:
    """(identifier, datestamp, deleted, metadata bytes, sets) for each record with metadata on a real page."""
    tree = etree.parse(str(path))
    out = []
    for rec in list(tree.iterfind(".//oai:record", OAI_NS))[:limit]:
        ident = rec.findtext("oai:header/oai:identifier", namespaces=OAI_NS)
        meta = rec.find("oai:metadata", OAI_NS)
        if meta is not None and len(meta):
            out.append((ident, "2024-01-01T00:00:00Z", False, etree.tostring(meta[0]), []))
    return out
