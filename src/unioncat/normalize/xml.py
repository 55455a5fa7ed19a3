"""Hardened XML parsing for source records: no entities resolved, no network, no DTD."""

from __future__ import annotations

import threading

from lxml import etree

from unioncat.normalize.errors import NormalizeError

_local = threading.local()


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def parse_xml(raw: bytes, what: str) -> etree._Element:
    """Parse `raw` into its root element or raise NormalizeError naming `what` ("MARCXML record")."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not raw or not raw.strip():
        raise NormalizeError(f"empty {what}")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise NormalizeError(f"{what} is not well-formed XML: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise NormalizeError(f"{what} could not be read as XML: {exc}") from exc
    if root is None:
        raise NormalizeError(f"empty {what}")
    if b"<!DOCTYPE" in raw and root.getroottree().docinfo.doctype:
        raise NormalizeError(f"{what} carries a DOCTYPE; records with DTDs or entity declarations are refused")
    return root


def local_name(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag[0] == "{" else tag


def element_text(el: etree._Element) -> str:
    """All text inside `el`; an unresolved entity reference is an error, not silent data loss."""
    if len(el) == 0:
        return el.text or ""
    parts = []
    for node in el.iter():
        if isinstance(node, etree._Entity):
            raise NormalizeError(f"unresolved entity reference {node.text} in <{local_name(el)}>")
    parts.append("".join(el.itertext()))
    return "".join(parts)
