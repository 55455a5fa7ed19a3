"""The OAI-PMH client: Sickle, through its extension points, with its unsafe defaults overridden.

- ``OAIClient(sickle.Sickle)``: ``_request`` goes through one pooled ``httpx.Client`` with connect/read
  timeouts, a wall-clock budget per page and a size cap; ``harvest`` retries 408/429/5xx and network
  errors with exponential backoff, honouring ``Retry-After`` as seconds or an HTTP date, clamped; OAI
  errors in 4xx bodies (Zenodo's 422) are OAI errors; 401/403 fail at once.
- ``ParsedResponse(sickle.OAIResponse)``: parsed once, strictly, never resolving entities or touching the
  network; when the strict parse fails only invalid UTF-8 and characters outside XML 1.0 ``Char`` are
  repaired, and every repair is recorded with the identifiers it touched; a list page that still does not
  parse is salvaged record by record (harvesters/salvage.py: the records that parse are kept, the others
  quarantined) when its envelope is readable. HTML or other non-OAI bodies raise ``NotOAIResponse``.
- ``PageIterator(sickle.iterator.BaseOAIIterator)``: one page per ``next()``, lazy (so each page can run in
  a worker thread), resumable from a saved token, with a token-loop guard; ``badResumptionToken`` is an
  error, never "end of list"; ``noRecordsMatch`` is an empty list on a first request and the end of the
  list (with a warning) after a token.
- ``HarvestedRecord``/``HarvestedHeader`` (the class mapping): the header fields plus the metadata's single
  child serialized self-contained (its namespaces declared on it).

Everything Sickle, httpx or lxml raises leaves this module as a ``harvesters.errors.HarvestFailure``.
"""

from __future__ import annotations

import copy
import logging
import re
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx
from lxml import etree
from sickle import Sickle
from sickle.iterator import BaseOAIIterator
from sickle.models import OAIItem
from sickle.response import OAIResponse

from harvesters.errors import (
    AccessDenied,
    BadResumptionToken,
    HarvestFailure,
    HTTPStatusFailure,
    MalformedXML,
    NoRecordsMatch,
    NotOAIResponse,
    OAIError,
    PageTooLarge,
    RedirectRefused,
    TokenLoop,
    TransportFailure,
    oai_error,
)
from harvesters.quarantine import BrokenRecord
from harvesters.salvage import LIST_VERBS, EnvelopeUnreadable, salvage_page

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI = "{%s}" % OAI_NS
MARC_NS = "http://www.loc.gov/MARC21/slim"
DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
RAW_FORMATS = {MARC_NS: "marcxml", DC_NS: "oai_dc", "http://www.loc.gov/mods/v3": "mods"}

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
DEFAULT_MAX_PAGE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_EMPTY_PAGES = 10

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEADER_ID = re.compile(r"<(?:[\w.-]+:)?header\b[^>]*>\s*<(?:[\w.-]+:)?identifier>\s*([^<]*?)\s*<")
_INNER_XML_DECL = re.compile(rb"(?<!^)<\?xml\s[^>]*\?>")
_DECLARED_ENCODING = re.compile(rb"^(\s*<\?xml[^>]*?\bencoding\s*=\s*)([\"'])[^\"']*\2")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)

SAFE_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_blank_text=False, recover=False)


def safe_parser() -> etree.XMLParser:
    """Strict, no entities resolved, nothing fetched (XXE, billion laughs). One per thread/page."""
    return etree.XMLParser(**SAFE_PARSER_OPTIONS)


# --- parsed responses --------------------------------------------------------------------------------


@dataclass
class Repair:
    """One kind of repair made to a page so that it parses; visible to staff."""

    kind: str  # "invalid-utf8" | "invalid-xml-chars" | "inner-xml-declaration" | "gzip-sniffed"
    count: int
    identifiers: list[str] = field(default_factory=list)  # records touched (empty: envelope only)
    sample: bytes = b""  # a slice of the original bytes around the first problem

    def describe(self) -> str:
        where = f" in {', '.join(self.identifiers[:5])}" if self.identifiers else ""
        more = f" (+{len(self.identifiers) - 5} more)" if len(self.identifiers) > 5 else ""
        return f"{self.kind}: {self.count} repaired{where}{more}"


def _record_ids_at(text: str, positions: list[int]) -> list[str]:
    """Identifiers of the OAI records whose text holds these character positions."""
    starts: list[tuple[int, str]] = [(m.start(), m.group(1)) for m in _HEADER_ID.finditer(text)]
    if not starts:
        return []
    found: list[str] = []
    j = 0
    for pos in sorted(positions):
        while j + 1 < len(starts) and starts[j + 1][0] <= pos:
            j += 1
        if starts[j][0] <= pos and (not found or found[-1] != starts[j][1]):
            found.append(starts[j][1])
    return list(dict.fromkeys(found))


def repair_xml(data: bytes) -> tuple[bytes, list[Repair]]:
    """Decode as UTF-8 replacing invalid sequences (U+FFFD), then drop characters XML 1.0 forbids.

    Only these two repairs are made: anything else that does not parse stays an error. Returns the
    repaired UTF-8 bytes and what was done.
    """
    pieces: list[str] = []
    bad_utf8: list[int] = []
    pos = 0
    length = 0
    first_bad = None
    while True:
        try:
            piece = data[pos:].decode("utf-8")
            pieces.append(piece)
            length += len(piece)
            break
        except UnicodeDecodeError as exc:
            good = data[pos:pos + exc.start].decode("utf-8")
            pieces.append(good)
            length += len(good)
            bad_utf8.append(length)
            if first_bad is None:
                first_bad = pos + exc.start
            pieces.append("\ufffd")
            length += 1
            pos += exc.end
    text = "".join(pieces)
    repairs: list[Repair] = []
    if bad_utf8:
        repairs.append(Repair("invalid-utf8", len(bad_utf8), _record_ids_at(text, bad_utf8),
                              data[max(0, first_bad - 80):first_bad + 80]))
    bad_chars = [m.start() for m in _NOT_XML_CHAR.finditer(text)]
    if bad_chars:
        first = bad_chars[0]
        sample = text[max(0, first - 80):first + 80].encode("utf-8", "surrogatepass")
        repairs.append(Repair("invalid-xml-chars", len(bad_chars), _record_ids_at(text, bad_chars), sample))
        text = _NOT_XML_CHAR.sub("", text)
    return text.encode("utf-8", "surrogatepass"), repairs


def transcode(body: bytes, encoding: str) -> bytes:
    """A body known to be in ``encoding`` (whatever it declares) as UTF-8, with its declaration fixed.

    For a library configured ``force_encoding`` (oai-pmh.md item 35): undecodable bytes become U+FFFD.
    """
    data = body.decode(encoding, "replace").encode("utf-8")
    return _DECLARED_ENCODING.sub(rb"\1\2UTF-8\2", data, count=1)


class ParsedResponse(OAIResponse):
    """An OAI response parsed once (Sickle re-parses with recover=True on every ``.xml`` access)."""

    def __init__(self, http_response: httpx.Response, params: dict, content: bytes) -> None:
        super().__init__(http_response, params)
        self.content = content
        self.repairs: list[Repair] = []
        self.broken: list[BrokenRecord] = []  # records of a salvaged list page that did not parse
        self.salvaged_from: str | None = None  # the page's XML error when it was salvaged record by record
        self._xml = self._parse(content)

    @property
    def xml(self):  # noqa: D401 - Sickle's attribute
        return self._xml

    @property
    def raw(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def url(self) -> str:
        return str(self.http_response.request.url) if self.http_response is not None else ""

    def _parse(self, content: bytes):
        url = self.url
        if not content.strip():
            raise NotOAIResponse("empty body instead of OAI-PMH XML", url=url)
        if _HTML_START.match(content[:2048]) or "html" in self.http_response.headers.get("content-type", ""):
            raise NotOAIResponse("HTML page instead of OAI-PMH XML", url=url, sample=content[:2000])
        if content.find(b"<?xml", 1) >= 0 and _INNER_XML_DECL.search(content):  # one per record (DPLA, Dataverse)
            n = len(_INNER_XML_DECL.findall(content))
            content = _INNER_XML_DECL.sub(b"", content)
            self.repairs.append(Repair("inner-xml-declaration", n))
        try:
            root = etree.fromstring(content, safe_parser())
        except etree.XMLSyntaxError as first_error:
            repaired, repairs = repair_xml(content)
            try:
                if not repairs:
                    raise first_error
                root = etree.fromstring(repaired, safe_parser())
                self.repairs.extend(repairs)
            except etree.XMLSyntaxError as exc:
                root = self._salvage(exc, content)
        if root.tag != OAI + "OAI-PMH":
            raise NotOAIResponse(f"not an OAI-PMH response (root element {root.tag!r})", url=url,
                                 sample=content[:2000])
        return root

    def _salvage(self, exc: etree.XMLSyntaxError, content: bytes):
        """A list page that does not parse: keep every record that does (harvesters/salvage.py)."""
        verb = (self.params or {}).get("verb")
        if verb not in LIST_VERBS or not content.lstrip().startswith(b"<"):
            raise self._malformed(exc, content) from exc
        try:
            salvaged = salvage_page(content, verb, repair=repair_xml)
        except EnvelopeUnreadable as why:
            raise self._malformed(exc, content, str(why)) from exc
        self.broken = salvaged.broken
        self.salvaged_from = f"XML not well-formed: {exc}"
        if salvaged.repaired:
            self.repairs.append(Repair("record-repaired", len(salvaged.repaired), salvaged.repaired))
        if salvaged.stray:
            self.repairs.append(Repair("stray-text-between-records", salvaged.stray))
        return salvaged.root

    def _malformed(self, exc: etree.XMLSyntaxError, content: bytes, why: str = "") -> HarvestFailure:
        if not content.lstrip().startswith(b"<"):
            return NotOAIResponse(f"not XML: {exc}", url=self.url, sample=content[:2000])
        detail = f"; no record salvaged: {why}" if why else ""
        return MalformedXML(f"XML not well-formed: {exc}{detail}", url=self.url, sample=content[:2000])

    @property
    def response_date(self) -> str | None:
        el = self._xml.find(OAI + "responseDate")
        return el.text.strip() if el is not None and el.text else None

    def errors(self) -> list[tuple[str, str]]:
        return [(e.get("code", "unknown"), (e.text or "").strip()) for e in self._xml.findall(OAI + "error")]


# --- the class mapping -------------------------------------------------------------------------------


class HarvestedHeader(OAIItem):
    """A header (ListIdentifiers, or the header of a record)."""

    def __init__(self, header_element) -> None:
        super().__init__(header_element, strip_ns=True)
        self.deleted = header_element.get("status") == "deleted"
        self.identifier = _text(header_element.find(OAI + "identifier"))
        self.datestamp = _text(header_element.find(OAI + "datestamp"))
        self.sets = [s.text for s in header_element.findall(OAI + "setSpec") if s.text]


class HarvestedRecord(OAIItem):
    """A record: header fields plus ``raw`` (metadata's child, self-contained bytes) and ``raw_format``."""

    raw: bytes | None = None  # replaces OAIItem.raw (the whole <record> as text)

    def __init__(self, record_element) -> None:
        super().__init__(record_element, strip_ns=True)
        header = record_element.find(OAI + "header")
        self.problem: str | None = None
        self.raw = None
        self.raw_format: str | None = None
        if header is None:
            self.identifier = self.datestamp = None
            self.deleted = False
            self.sets = []
            self.problem = "record without header"
            return
        h = HarvestedHeader(header)
        self.identifier, self.datestamp, self.deleted, self.sets = h.identifier, h.datestamp, h.deleted, h.sets
        if not self.identifier:
            self.problem = "record header without identifier"
            return
        if self.deleted:
            return
        metadata = record_element.find(OAI + "metadata")
        children = [c for c in metadata if isinstance(c.tag, str)] if metadata is not None else []
        if not children:
            self.problem = "record without metadata"
            return
        child = children[0]
        self.raw = serialize_self_contained(child)
        ns = etree.QName(child).namespace
        self.raw_format = RAW_FORMATS.get(ns or "", "marcxml" if etree.QName(child).localname in (
            "record", "collection") and ns is None else (etree.QName(child).localname or "xml"))[:20]


def serialize_self_contained(element) -> bytes:
    """The element as UTF-8 bytes with every namespace it uses declared on it, and no others."""
    detached = copy.deepcopy(element)  # carries the in-scope namespaces onto the new root
    detached.tail = None
    etree.cleanup_namespaces(detached)
    return etree.tostring(detached, encoding="utf-8", xml_declaration=False)


def _text(el) -> str | None:
    return el.text.strip() if el is not None and el.text and el.text.strip() else None


CLASS_MAPPING = {
    "ListRecords": HarvestedRecord,
    "GetRecord": HarvestedRecord,
    "ListIdentifiers": HarvestedHeader,
}
_ELEMENTS = {"ListRecords": "record", "GetRecord": "record", "ListIdentifiers": "header"}


# --- pages ---------------------------------------------------------------------------------------------


@dataclass
class Page:
    """One response of a list request."""

    number: int  # 1-based within this iterator
    items: list  # HarvestedRecord | HarvestedHeader, in document order
    token: str | None  # the next resumption token; None = this was the last page
    response_date: str | None
    complete_list_size: int | None = None
    cursor: int | None = None
    repairs: list[Repair] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    url: str = ""
    failure: HarvestFailure | None = None  # the list cannot continue after this page (store it, then fail)
    broken: list[BrokenRecord] = field(default_factory=list)  # unreadable records: quarantined, not stored


class PageIterator(BaseOAIIterator):
    """Pages of a list request; each ``next()`` is exactly one HTTP request (plus its retries).

    The first request is made by the first ``next()`` (Sickle's iterators request in ``__init__``),
    so a caller can run every request in a worker thread. ``resume_token`` continues a saved list.
    """

    def __init__(self, sickle: "OAIClient", params: dict, ignore_deleted: bool = False, *,
                 resume_token: str | None = None, max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES) -> None:
        if ignore_deleted:
            raise ValueError("deleted headers are data: ignore_deleted is never used")
        self.sickle = sickle
        self.params = dict(params)
        self.verb = self.params["verb"]
        self.ignore_deleted = False
        self.mapper = sickle.class_mapping[self.verb]
        self.element = _ELEMENTS[self.verb]
        self.resumption_token = resume_token
        self.started = False
        self.finished = False
        self.pages = 0
        self.seen_tokens: set[str] = set()
        self.empty_pages = 0
        self.max_empty_pages = max_empty_pages
        self.items_seen = 0
        self.complete_list_size: int | None = None
        self.oai_response: ParsedResponse | None = None

    def _next_response(self) -> None:
        params = self.params
        if self.resumption_token:
            params = {"verb": self.verb, "resumptionToken": self.resumption_token}  # exclusive argument
        self.oai_response = self.sickle.harvest(**params)

    def next(self) -> Page:
        if self.finished:
            raise StopIteration
        with_token = bool(self.resumption_token)
        self.started = True
        self._next_response()
        response = self.oai_response
        self.pages += 1
        page = Page(self.pages, [], None, response.response_date, repairs=list(response.repairs),
                    url=response.url)
        errors = response.errors()
        if errors:
            codes = [c for c, _ in errors]
            if codes == ["noRecordsMatch"]:
                if with_token:
                    page.warnings.append("noRecordsMatch answered a resumption token: treated as end of list")
                self.finished = True
                return page
            raise oai_error(codes[0], "; ".join(m for _, m in errors if m), codes=codes, url=response.url)
        container = response.xml.find(OAI + self.verb)
        if container is None:
            raise NotOAIResponse(f"OAI-PMH response without <{self.verb}>", url=response.url,
                                 sample=response.content[:2000])
        page.items = [self.mapper(el) for el in container.iterfind(OAI + self.element)]
        page.broken = [replace(b, position=f"page {self.pages}, {b.position}", url=response.url)
                       for b in response.broken]
        if response.salvaged_from:
            page.warnings.append(f"page {self.pages}: {len(page.broken)} unreadable records quarantined, "
                                 f"{len(page.items)} kept ({response.salvaged_from})")
        self.items_seen += len(page.items) + len(page.broken)
        self._read_token(container, page, with_token)
        # keep only what was extracted: the parsed page (about ten times its size) goes now, not when the
        # page has been stored, so a library in flight holds at most two pages of bytes (memory flat, §5 item 30)
        for item in page.items:
            if not getattr(item, "problem", None):
                item.xml = None
        self.oai_response = None
        return page

    def _read_token(self, container, page: Page, with_token: bool) -> None:
        el = container.find(OAI + "resumptionToken")
        token = (el.text or "").strip() if el is not None else ""
        if el is not None:
            page.complete_list_size = _int(el.get("completeListSize"))
            page.cursor = _int(el.get("cursor"))
            if page.complete_list_size is not None:
                self.complete_list_size = page.complete_list_size
        if not token:
            self.finished = True
            self.resumption_token = None
            if self.complete_list_size is not None and self.items_seen != self.complete_list_size:
                page.warnings.append(f"received {self.items_seen} items, completeListSize said "
                                     f"{self.complete_list_size}")
            return
        if token == self.resumption_token or token in self.seen_tokens:
            # this page's records are good; the list cannot go on: the caller stores them, then fails
            self.finished = True
            page.failure = TokenLoop(f"resumption token returned again after page {self.pages}: {token[:200]!r}",
                                     url=page.url)
            return
        if self.resumption_token:
            self.seen_tokens.add(self.resumption_token)
        self.seen_tokens.add(token)
        if not page.items and not page.broken:
            self.empty_pages += 1
            if self.empty_pages >= self.max_empty_pages:
                self.finished = True
                page.warnings.append(f"{self.empty_pages} empty pages in a row: stopped listing")
                if self.complete_list_size is not None and self.items_seen < self.complete_list_size:
                    page.failure = HarvestFailure(
                        f"{self.empty_pages} consecutive empty pages after {self.items_seen} of "
                        f"{self.complete_list_size} items: list possibly incomplete", url=page.url)
                return
        else:
            self.empty_pages = 0
        self.resumption_token = token
        page.token = token


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- the client -----------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if unusable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class OAIClient(Sickle):
    """Sickle on httpx with timeouts, retries, Retry-After, safe parsing and our errors.

    ``sleep`` is called with the seconds to wait between retries and for politeness (tests inject one
    that does not wait). ``requests`` and ``retries`` count what was done; ``waits`` lists every wait;
    ``notices`` collects what staff should act on without failing the run (permanent redirects).

    Per-library options (harvesters/options.py): ``force_encoding`` transcodes every body before parsing;
    ``token_encoding="verbatim"`` sends resumption tokens unencoded; ``delay`` is the least time between
    the end of one response and the next request; ``contact`` goes into ``From:`` and the User-Agent.
    Redirects are followed by hand: at most 5 hops, never from https to http, 301/308 noted.
    """

    def __init__(self, endpoint: str, *, timeout: float = 60.0, connect_timeout: float = 20.0,
                 max_retries: int = 5, max_retry_wait: float = 3600.0, backoff_base: float = 2.0,
                 user_agent: str = "unioncat", sleep: Callable[[float], None] = time.sleep,
                 page_budget: float | None = None, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
                 http_client: httpx.Client | None = None, force_encoding: str | None = None,
                 token_encoding: str = "standard", delay: float = 0.0, max_connections: int = 2,
                 contact: str | None = None, tls_ca_bundle: str | None = None, http_method: str = "GET") -> None:
        super().__init__(endpoint, http_method=http_method, iterator=PageIterator, max_retries=max_retries,
                         retry_status_codes=sorted(RETRY_STATUSES), class_mapping=CLASS_MAPPING)
        self.max_retry_wait = max_retry_wait
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.page_budget = page_budget if page_budget is not None else max(timeout * 5, 60.0)
        self.max_page_bytes = max_page_bytes
        self.force_encoding = force_encoding
        self.token_encoding = token_encoding
        self.delay = delay
        self.requests = 0
        self.retries = 0
        self.waits: list[float] = []
        self.notices: list[str] = []
        self._last_response_end: float | None = None
        headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
        if contact:
            headers["User-Agent"] = f"{user_agent} (+mailto:{contact})"
            headers["From"] = contact
        self._own_client = http_client is None
        self.http = http_client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            headers=headers,
            follow_redirects=False,  # followed in _request, under our rules
            verify=ssl.create_default_context(cafile=tls_ca_bundle) if tls_ca_bundle else True,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    @classmethod
    def from_settings(cls, endpoint: str, settings, *, sleep: Callable[[float], None] = time.sleep,
                      **overrides) -> "OAIClient":
        options = dict(timeout=settings.harvest_timeout, max_retries=settings.harvest_max_retries,
                       max_retry_wait=settings.harvest_max_retry_wait, user_agent=settings.harvest_user_agent,
                       sleep=sleep)
        options.update(overrides)
        return cls(endpoint, **options)

    def close(self) -> None:
        if self._own_client:
            self.http.close()

    def __enter__(self) -> "OAIClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _build(self, method: str, url: str | httpx.URL, kwargs: dict) -> httpx.Request:
        if method == "POST":
            return self.http.build_request("POST", url, data=kwargs)
        if self.token_encoding == "verbatim" and "resumptionToken" in kwargs:
            # escape hatch for servers that choke on encoded tokens (metha request.go): the token as received
            base = str(url)
            query = "&".join(f"{k}={v}" for k, v in kwargs.items())
            return self.http.build_request("GET", f"{base}{'&' if '?' in base else '?'}{query}")
        return self.http.build_request("GET", url, params=kwargs)

    def _follow(self, request: httpx.Request, response: httpx.Response, kwargs: dict) -> httpx.Request:
        """The request a redirect leads to, under the redirect rules (oai-pmh.md item 27, Q19)."""
        location = response.headers.get("location")
        if not location:
            raise RedirectRefused(f"HTTP {response.status_code} redirect without Location", url=str(request.url))
        target = request.url.join(location)
        if request.url.scheme == "https" and target.scheme != "https":
            raise RedirectRefused(f"redirect from https to {target.scheme} refused: {target}", url=str(request.url))
        if response.status_code in (301, 308):
            notice = (f"permanent redirect (HTTP {response.status_code}) from {request.url.copy_with(query=None)} "
                      f"to {target.copy_with(query=None)}: update the library's base URL")
            if notice not in self.notices:
                self.notices.append(notice)
        if target.query:
            return self.http.build_request("GET", target)
        return self._build(self.http_method if request.method == "POST" else "GET", target, kwargs)

    # Sickle's transport hook: one GET (or POST), streamed under a per-page budget and size cap.
    def _request(self, kwargs: dict) -> tuple[httpx.Response, bytes]:
        deadline = time.monotonic() + self.page_budget
        request = self._build(self.http_method, self.endpoint, kwargs)
        hops = 0
        while True:
            response = self.http.send(request, stream=True)
            if response.status_code not in REDIRECT_STATUSES:
                break
            response.close()
            hops += 1
            if hops > MAX_REDIRECTS:
                raise RedirectRefused(f"more than {MAX_REDIRECTS} redirects", url=str(self.endpoint))
            request = self._follow(request, response, kwargs)
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_page_bytes:
                    raise PageTooLarge(f"page larger than the configured maximum of {self.max_page_bytes} bytes "
                                       "(option max_page_bytes)", url=str(request.url))
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("page budget exceeded", request=request)
        finally:
            response.close()
            self._last_response_end = time.monotonic()
        body = b"".join(chunks)
        if body[:2] == b"\x1f\x8b":  # gzip without Content-Encoding (metha's maybeCompressed)
            body = self._gunzip_bounded(body)
        if self.force_encoding:
            body = transcode(body, self.force_encoding)
        return response, body

    def _gunzip_bounded(self, body: bytes) -> bytes:
        """Decompress a gzip body that came without Content-Encoding, never beyond max_page_bytes
        (a small compressed page must not expand into gigabytes)."""
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = inflater.decompress(body, self.max_page_bytes + 1)
        except zlib.error:
            return body  # not gzip after all: parse what was received
        if len(out) > self.max_page_bytes:
            raise PageTooLarge(f"gzip page expands beyond the configured maximum of {self.max_page_bytes} bytes "
                               "(option max_page_bytes)", url=str(self.endpoint))
        return out

    def _be_polite(self) -> None:
        if self.delay and self._last_response_end is not None:
            wait = self.delay - (time.monotonic() - self._last_response_end)
            if wait > 0:
                self.waits.append(wait)
                self.sleep(wait)

    def harvest(self, *, max_retries: int | None = None, **kwargs) -> ParsedResponse:
        """One OAI request with bounded retries (``max_retries``, default the client's); returns the parsed
        response or raises HarvestFailure."""
        max_retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            self._be_polite()
            self.requests += 1
            wait: float | None = None
            try:
                response, body = self._request(kwargs)
                status = response.status_code
                if status in (401, 403):
                    raise AccessDenied(status, f"HTTP {status}: access denied (needs manual intervention)",
                                       url=str(response.request.url))
                if status in RETRY_STATUSES:
                    wait = self._retry_after(response)
                    raise HTTPStatusFailure(status, url=str(response.request.url), sample=body[:2000])
                if status >= 300:
                    parsed = self._oai_error_body(response, kwargs, body)
                    if parsed is not None:
                        return parsed
                    raise HTTPStatusFailure(status, url=str(response.request.url), sample=body[:2000])
                return ParsedResponse(response, kwargs, body)
            except httpx.TimeoutException as exc:
                failure: HarvestFailure = TransportFailure(f"timeout: {exc or type(exc).__name__}",
                                                           url=self._url(kwargs))
            except (httpx.TransportError, httpx.DecodingError) as exc:
                failure = TransportFailure(f"network error: {exc or type(exc).__name__}", url=self._url(kwargs))
            except HarvestFailure as exc:
                if not exc.retryable:
                    raise
                failure = exc
            if attempt >= max_retries:
                if attempt:
                    failure.message += f" (after {attempt} retries)"
                raise failure
            attempt += 1
            self.retries += 1
            if wait is None or wait <= 0:
                wait = self.backoff_base * (2 ** (attempt - 1))
            wait = min(max(wait, 0.0), self.max_retry_wait)
            self.waits.append(wait)
            log.warning("%s; retry %d/%d in %.0f s", failure, attempt, max_retries, wait)
            self.sleep(wait)

    def _oai_error_body(self, response: httpx.Response, kwargs: dict, body: bytes) -> ParsedResponse | None:
        """An HTTP 4xx whose body is an OAI-PMH error (Zenodo answers 422) is handled as that error."""
        if not 400 <= response.status_code < 500:
            return None
        try:
            parsed = ParsedResponse(response, kwargs, body)
        except HarvestFailure:
            return None
        return parsed if parsed.errors() else None

    def _retry_after(self, response: httpx.Response) -> float | None:
        return parse_retry_after(response.headers.get("retry-after"))

    def _url(self, kwargs: dict) -> str:
        return str(httpx.URL(self.endpoint, params=kwargs))

    # Sickle verbs, returning our types
    def list_pages(self, verb: str = "ListRecords", *, resume_token: str | None = None,
                   max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES, **params) -> PageIterator:
        params = {k: v for k, v in params.items() if v is not None}
        params["verb"] = verb
        return PageIterator(self, params, resume_token=resume_token, max_empty_pages=max_empty_pages)

    def identify(self) -> "IdentifyInfo":
        response = self.harvest(verb="Identify")
        errors = response.errors()
        if errors:
            raise oai_error(errors[0][0], errors[0][1], codes=[c for c, _ in errors], url=response.url)
        el = response.xml.find(OAI + "Identify")
        if el is None:
            raise NotOAIResponse("Identify response without <Identify>", url=response.url,
                                 sample=response.content[:2000])
        return IdentifyInfo(
            response_date=response.response_date,
            granularity=_text(el.find(OAI + "granularity")),
            deleted_record=_text(el.find(OAI + "deletedRecord")),
            earliest_datestamp=_text(el.find(OAI + "earliestDatestamp")),
            base_url=_text(el.find(OAI + "baseURL")),
            repository_name=_text(el.find(OAI + "repositoryName")),
            repairs=response.repairs,
        )

    def list_metadata_formats(self) -> dict[str, str | None]:
        """{metadataPrefix: metadataNamespace} offered by the repository (raises HarvestFailure)."""
        response = self.harvest(verb="ListMetadataFormats")
        errors = response.errors()
        if errors:
            raise oai_error(errors[0][0], errors[0][1], codes=[c for c, _ in errors], url=response.url)
        formats: dict[str, str | None] = {}
        for el in response.xml.iterfind(f"{OAI}ListMetadataFormats/{OAI}metadataFormat"):
            prefix = _text(el.find(OAI + "metadataPrefix"))
            if prefix:
                formats[prefix] = _text(el.find(OAI + "metadataNamespace"))
        return formats

    def get_record(self, identifier: str, metadata_prefix: str, *, max_retries: int | None = None) -> HarvestedRecord:
        response = self.harvest(verb="GetRecord", identifier=identifier, metadataPrefix=metadata_prefix,
                                max_retries=max_retries)
        errors = response.errors()
        if errors:
            raise oai_error(errors[0][0], errors[0][1], codes=[c for c, _ in errors], url=response.url)
        el = response.xml.find(f"{OAI}GetRecord/{OAI}record")
        if el is None:
            raise NotOAIResponse("GetRecord response without <record>", url=response.url)
        return HarvestedRecord(el)


@dataclass
class IdentifyInfo:
    response_date: str | None
    granularity: str | None
    deleted_record: str | None
    earliest_datestamp: str | None
    base_url: str | None
    repository_name: str | None
    repairs: list[Repair] = field(default_factory=list)


__all__ = [
    "BadResumptionToken", "CLASS_MAPPING", "HarvestedHeader", "HarvestedRecord", "IdentifyInfo", "NoRecordsMatch",
    "OAIClient", "OAIError", "Page", "PageIterator", "ParsedResponse", "Repair", "parse_retry_after",
    "repair_xml", "safe_parser", "serialize_self_contained",
]
