"""SRU 1.2 and 2.0 over the union records: ``GET /sru`` (and ``POST``, form-encoded).

- ``explain`` (the default when no query is given) answers a ZeeRex record describing exactly what is
  supported; ``searchRetrieve`` translates the CQL query (`unioncat.interop.cql`) into the engine-neutral
  `SearchQuery` and asks the configured search backend, then loads the union records of the hits in one query;
- version ``1.2`` (default) answers in ``http://www.loc.gov/zing/srw/``, ``2.0`` in the OASIS namespaces;
- ``recordSchema`` ``marcxml`` (default) or ``dc``; records packed as XML (or escaped, ``string``);
- every problem with the request is a diagnostic in an HTTP 200 response, never an error page; only an
  unavailable search engine answers 503 (with a diagnostic body).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from lxml import etree
from sqlalchemy import select

from unioncat.db import Cluster
from unioncat.interop import cql
from unioncat.interop.oai_provider import (
    DC_NS,
    dc_elements,
    marc21_element,
    xml_text,
)
from unioncat.records import base_marc_records
from unioncat.search.backend import BadQuery, SearchError, SearchQuery

router = APIRouter()

SRW_NS = "http://www.loc.gov/zing/srw/"
SRW_DIAG_NS = "http://www.loc.gov/zing/srw/diagnostic/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
SRU2_DIAG_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
DIAG_PREFIX = "info:srw/diagnostic/1/"
VERSIONS = ("1.2", "2.0")
DEFAULT_VERSION = "1.2"
DEFAULT_MAXIMUM_RECORDS = 10

# accepted names -> (canonical URI, short name)
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", "marcxml"),
    "marc21": ("info:srw/schema/1/marcxml-v1.1", "marcxml"),
    "info:srw/schema/1/marcxml-v1.1": ("info:srw/schema/1/marcxml-v1.1", "marcxml"),
    "http://www.loc.gov/marc21/slim": ("info:srw/schema/1/marcxml-v1.1", "marcxml"),
    "dc": ("info:srw/schema/1/dc-v1.1", "dc"),
    "info:srw/schema/1/dc-v1.1": ("info:srw/schema/1/dc-v1.1", "dc"),
}
SEARCH_PARAMS = {"operation", "version", "query", "startRecord", "maximumRecords", "recordPacking", "recordSchema",
                 "recordXMLEscaping", "resultSetTTL", "queryType", "httpAccept", "stylesheet"}
EXPLAIN_PARAMS = {"operation", "version", "recordPacking", "recordXMLEscaping", "httpAccept", "stylesheet"}

# the explain record's index list: (context set, index, title)
INDEXES = [
    ("cql", "serverChoice", "Any field"), ("cql", "anywhere", "Any field"), ("cql", "allRecords", "Every record"),
    ("dc", "title", "Title"), ("dc", "creator", "Author"), ("dc", "subject", "Subject"),
    ("dc", "publisher", "Publisher"), ("dc", "date", "Year of publication (=, <, >, <=, >=, within)"),
    ("dc", "identifier", "ISBN"), ("bath", "isbn", "ISBN"), ("rec", "identifier", "ISBN"),
    ("unioncat", "library", "Holding library code (filter)"), ("unioncat", "province", "Province (filter)"),
]  # fmt: skip
CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2", "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/", "rec": "info:srw/cql-context-set/2/rec-1.1",
    "unioncat": "info:unioncat/cql-context-set/1",
}  # fmt: skip
SUPPORT_NOTE = (
    "CQL subset: terms and quoted phrases; relations = (adjacency for several words), ==, adj, all, any on text "
    "indexes; =, <, >, <=, >=, within on dc.date (years); booleans and, or, not and parentheses: 'or' is "
    "expanded exactly, 'not' excludes a term or an OR of terms ('A not B' at the top level); dc.date and the "
    "unioncat filters only in the top-level AND; sortby dc.date[/sort.descending] or dc.title; masking "
    "characters (* ?) are dropped, not expanded; prox, prefix assignments and scan are not supported. "
    "Unaccented terms match accented text (hoa finds hòa)."
)


class Diagnostic(Exception):
    def __init__(self, number: int, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.number, self.message, self.details = number, message, details


@dataclass
class Request_:
    version: str
    operation: str
    params: dict[str, str]


class Writer:
    """Response elements in the namespaces of the requested SRU version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.ns = SRU2_NS if version == "2.0" else SRW_NS
        self.prefix = "sruResponse" if version == "2.0" else "srw"
        self.diag_ns = SRU2_DIAG_NS if version == "2.0" else SRW_DIAG_NS

    def root(self, name: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{name}", nsmap={self.prefix: self.ns})

    def sub(self, parent, name: str, text=None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            el.text = xml_text(text)
        return el

    def diagnostics(self, parent, diags: list[Diagnostic]) -> None:
        if not diags:
            return
        box = self.sub(parent, "diagnostics")
        for d in diags:
            el = etree.SubElement(box, f"{{{self.diag_ns}}}diagnostic", nsmap={"diag": self.diag_ns})
            etree.SubElement(el, f"{{{self.diag_ns}}}uri").text = f"{DIAG_PREFIX}{d.number}"
            if d.details:
                etree.SubElement(el, f"{{{self.diag_ns}}}details").text = xml_text(d.details)
            etree.SubElement(el, f"{{{self.diag_ns}}}message").text = xml_text(d.message)


def _xml_response(root: etree._Element, status: int = 200) -> Response:
    return Response(etree.tostring(root, encoding="UTF-8", xml_declaration=True), status_code=status,
                    media_type="text/xml; charset=utf-8")


async def _pairs(request: Request) -> list[tuple[str, str]]:
    if request.method == "POST":
        body = await request.body()
        return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return list(request.query_params.multi_items())


def _read_request(pairs: list[tuple[str, str]]) -> tuple[Request_, list[Diagnostic]]:
    """The version, the operation and the parameters; fatal diagnostics for what cannot be honoured."""
    params: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for key, value in pairs:
        if key in params:
            diags.append(Diagnostic(6, "Unsupported parameter value", f"{key} is repeated"))
        params.setdefault(key, value)
    version = params.get("version") or DEFAULT_VERSION
    if version not in VERSIONS:
        diags.append(Diagnostic(5, "Unsupported version", f"{version}; supported: {', '.join(VERSIONS)}"))
        version = DEFAULT_VERSION
    operation = params.get("operation")
    if operation is None:
        operation = "searchRetrieve" if "query" in params else "explain"
    if operation == "scan" or operation not in ("searchRetrieve", "explain"):
        diags.append(Diagnostic(4, "Unsupported operation", operation))
        operation = "explain"
    known = SEARCH_PARAMS if operation == "searchRetrieve" else EXPLAIN_PARAMS
    for key in params:
        if key not in known and not key.startswith("x-"):
            diags.append(Diagnostic(8, "Unsupported parameter", key))
    if "stylesheet" in params:
        diags.append(Diagnostic(110, "Stylesheets not supported", params["stylesheet"]))
    if params.get("queryType", "cql") != "cql":
        diags.append(Diagnostic(6, "Unsupported parameter value", f"queryType={params['queryType']}"))
    return Request_(version, operation, params), diags


def _packing(req: Request_) -> str:
    """'xml' or 'string': 1.2 recordPacking; 2.0 recordXMLEscaping (2.0 recordPacking is packed/unpacked)."""
    if req.version == "2.0":
        escaping = req.params.get("recordXMLEscaping", "xml")
        packing = req.params.get("recordPacking", "packed")
        if packing not in ("packed",):
            raise Diagnostic(71, "Unsupported record packing", f"recordPacking={packing} (only 'packed')")
        value = escaping
    else:
        value = req.params.get("recordPacking", "xml")
    if value not in ("xml", "string"):
        raise Diagnostic(71, "Unsupported record packing", value)
    return value


def _positive_int(req: Request_, name: str, default: int, minimum: int) -> int:
    raw = req.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise Diagnostic(6, "Unsupported parameter value", f"{name}={raw}") from None
    if value < minimum:
        raise Diagnostic(6, "Unsupported parameter value", f"{name}={raw}")
    return value


def _record_element(w: Writer, parent, schema_uri: str, packing: str, payload: etree._Element, position: int):
    rec = w.sub(parent, "record")
    w.sub(rec, "recordSchema", schema_uri)
    w.sub(rec, "recordXMLEscaping" if w.version == "2.0" else "recordPacking", packing)
    data = w.sub(rec, "recordData")
    if packing == "xml":
        data.append(payload)
    else:
        data.text = etree.tostring(payload, encoding="unicode")
    w.sub(rec, "recordPosition", str(position))
    return rec


def _surrogate(w: Writer, parent, packing: str, position: int, record_id: str) -> None:
    rec = w.sub(parent, "record")
    w.sub(rec, "recordSchema", "info:srw/schema/1/diagnostics-v1.1")
    w.sub(rec, "recordXMLEscaping" if w.version == "2.0" else "recordPacking", packing)
    data = w.sub(rec, "recordData")
    diag = etree.SubElement(data, f"{{{w.diag_ns}}}diagnostic", nsmap={"diag": w.diag_ns})
    etree.SubElement(diag, f"{{{w.diag_ns}}}uri").text = f"{DIAG_PREFIX}64"
    etree.SubElement(diag, f"{{{w.diag_ns}}}details").text = xml_text(record_id)
    etree.SubElement(diag, f"{{{w.diag_ns}}}message").text = "Record temporarily unavailable"
    w.sub(rec, "recordPosition", str(position))


def dc_record(record: dict, permalink: str) -> etree._Element:
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    for name, value in dc_elements(record, permalink):
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value
    return root


@router.api_route("/sru", methods=["GET", "POST"], summary="SRU 1.2 / 2.0 over the union records")
async def sru(request: Request) -> Response:
    req, diags = _read_request(await _pairs(request))
    if req.operation == "explain" or any(d.number in (4, 5) for d in diags):
        return _explain(request, req, diags)
    return await _search_retrieve(request, req, diags)


def _explain(request: Request, req: Request_, diags: list[Diagnostic]) -> Response:
    w = Writer(req.version)
    settings = request.app.state.settings
    root = w.root("explainResponse")
    w.sub(root, "version", req.version)
    try:
        packing = _packing(req)
    except Diagnostic as exc:
        diags.append(exc)
        packing = "xml"
    rec = w.sub(root, "record")
    w.sub(rec, "recordSchema", ZEEREX_NS)
    w.sub(rec, "recordXMLEscaping" if req.version == "2.0" else "recordPacking", packing)
    data = w.sub(rec, "recordData")
    zr = etree.Element(f"{{{ZEEREX_NS}}}explain", nsmap={"zr": ZEEREX_NS})

    def z(parent, tag, text=None, **attrs):
        el = etree.SubElement(parent, f"{{{ZEEREX_NS}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
        if text is not None:
            el.text = xml_text(text)
        return el

    url = request.url
    server = z(zr, "serverInfo", protocol="SRU", version=req.version, transport=url.scheme, method="GET POST")
    z(server, "host", url.hostname or "localhost")
    z(server, "port", str(url.port or (443 if url.scheme == "https" else 80)))
    z(server, "database", url.path.lstrip("/") or "sru")
    info = z(zr, "databaseInfo")
    z(info, "title", settings.oai_repository_name, lang="vi", primary="true")
    z(info, "description", SUPPORT_NOTE, lang="en", primary="true")
    z(info, "contact", settings.oai_admin_email)
    index_info = z(zr, "indexInfo")
    for name, identifier in CONTEXT_SETS.items():
        z(index_info, "set", name=name, identifier=identifier)
    for context, name, title in INDEXES:
        index = z(index_info, "index", search="true", scan="false", sort="true" if name in ("date", "title") else "false")
        z(index, "title", title, lang="en")
        mapping = z(index, "map")
        z(mapping, "name", name, set=context)
    schema_info = z(zr, "schemaInfo")
    for uri, short, title in (("info:srw/schema/1/marcxml-v1.1", "marcxml", "MARCXML (MARC 21 slim)"),
                              ("info:srw/schema/1/dc-v1.1", "dc", "Simple Dublin Core")):
        schema = z(schema_info, "schema", identifier=uri, name=short, retrieve="true", sort="false")
        z(schema, "title", title, lang="en")
    config = z(zr, "configInfo")
    z(config, "default", str(DEFAULT_MAXIMUM_RECORDS), type="numberOfRecords")
    z(config, "default", "marcxml", type="retrieveSchema")
    z(config, "default", "cql.serverChoice", type="index")
    z(config, "default", "=", type="relation")
    z(config, "setting", str(settings.sru_max_records), type="maximumRecords")
    for relation in ("=", "==", "adj", "all", "any", "<", ">", "<=", ">=", "within"):
        z(config, "supports", relation, type="relation")
    for boolean in ("and", "or", "not"):
        z(config, "supports", boolean, type="booleanOperator")
    z(config, "supports", "dc.date", type="sort")
    z(config, "supports", "dc.title", type="sort")
    data.append(zr)
    echo = w.sub(root, "echoedExplainRequest")
    w.sub(echo, "version", req.version)
    if req.version != "2.0":
        w.sub(echo, "recordPacking", packing)
    w.diagnostics(root, diags)
    return _xml_response(root)


async def _search_retrieve(request: Request, req: Request_, diags: list[Diagnostic]) -> Response:
    settings = request.app.state.settings
    w = Writer(req.version)
    root = w.root("searchRetrieveResponse")
    w.sub(root, "version", req.version)
    count_el = w.sub(root, "numberOfRecords", "0")
    status = 200
    query_text = req.params.get("query")
    start = 1
    maximum = DEFAULT_MAXIMUM_RECORDS
    schema_uri, schema_name, packing = SCHEMAS["marcxml"][0], "marcxml", "xml"
    records_el = None
    next_position = None
    try:
        if diags:
            raise diags.pop(0)
        if query_text is None or not query_text.strip():
            raise Diagnostic(7, "Mandatory parameter not supplied", "query")
        start = _positive_int(req, "startRecord", 1, 1)
        maximum = min(_positive_int(req, "maximumRecords", DEFAULT_MAXIMUM_RECORDS, 0), settings.sru_max_records)
        schema_key = req.params.get("recordSchema", "marcxml")
        if schema_key.lower() not in SCHEMAS:
            raise Diagnostic(66, "Unknown schema for retrieval", schema_key)
        schema_uri, schema_name = SCHEMAS[schema_key.lower()]
        packing = _packing(req)
        try:
            translation = cql.to_search(query_text)
        except cql.CQLError as exc:
            raise Diagnostic(exc.number, exc.message, exc.details) from None
        hits, total = await _search(request, translation, start, maximum)
        count_el.text = str(total)
        if total and start > total:
            raise Diagnostic(61, "First record position out of range", str(start))
        if hits:
            records_el = w.sub(root, "records")
            await _write_records(request, w, records_el, hits, start, schema_uri, schema_name, packing)
        if start + len(hits) <= total and maximum > 0:
            next_position = start + len(hits)
    except Diagnostic as exc:
        diags.insert(0, exc)
        if exc.number == 1:
            status = 503
    if next_position is not None:
        w.sub(root, "nextRecordPosition", str(next_position))
    echo = w.sub(root, "echoedSearchRetrieveRequest")
    if req.version != "2.0":
        w.sub(echo, "version", req.version)
    if query_text is not None:
        w.sub(echo, "query", query_text)
    w.sub(echo, "startRecord", str(start))
    w.sub(echo, "maximumRecords", str(maximum))
    w.sub(echo, "recordXMLEscaping" if req.version == "2.0" else "recordPacking", packing)
    w.sub(echo, "recordSchema", schema_uri)
    w.diagnostics(root, diags)
    if req.version == "2.0" and not diags:
        w.sub(root, "resultCountPrecision", "info:srw/vocabulary/resultCountPrecision/1/exact")
    return _xml_response(root, status)


async def _search(request: Request, translation: cql.Translation, start: int, maximum: int) -> tuple[list[str], int]:
    """The ids of hits start..start+maximum-1 (1-based) and the total, in at most two page-aligned searches."""
    backend = request.app.state.backend

    def run(page: int, size: int):
        query = SearchQuery(q=translation.q, filters=translation.filters, year_from=translation.year_from,
                            year_to=translation.year_to, sort=translation.sort, page=page, size=size, facets=False)
        return backend.search(query)

    try:
        if maximum == 0:
            result = await run_in_threadpool(run, 1, 0)
            return [], result.total
        offset = start - 1
        page = offset // maximum + 1
        first = await run_in_threadpool(run, page, maximum)
        ids = [h.id for h in first.hits]
        skip = offset - (page - 1) * maximum
        if skip and len(ids) == maximum and first.total > page * maximum:
            second = await run_in_threadpool(run, page + 1, maximum)
            ids += [h.id for h in second.hits]
        return ids[skip:skip + maximum], first.total
    except BadQuery as exc:
        raise Diagnostic(61, "First record position out of range", str(exc)) from None
    except SearchError as exc:
        raise Diagnostic(1, "General system error", f"search engine unavailable: {exc}") from None


async def _write_records(request: Request, w: Writer, parent, ids: list[str], start: int, schema_uri: str,
                         schema_name: str, packing: str) -> None:
    async with request.app.state.sessions() as session:
        rows = (await session.execute(
            select(Cluster.id, Cluster.data).where(Cluster.id.in_(ids), Cluster.status == "active"))).all()
        records = {cid: data for cid, data in rows if data}
        bases = await base_marc_records(session, list(records.values())) if schema_name == "marcxml" else {}
    site_root = str(request.base_url)
    for i, record_id in enumerate(ids):
        record = records.get(record_id)
        if record is None:  # the index is a step behind the database (merged or emptied meanwhile)
            _surrogate(w, parent, packing, start + i, record_id)
            continue
        if schema_name == "marcxml":
            payload = marc21_element(record, bases.get(record_id))
        else:
            payload = dc_record(record, f"{site_root}records/{record_id}")
        _record_element(w, parent, schema_uri, packing, payload, start + i)
