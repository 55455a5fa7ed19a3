"""OAI-PMH 2.0 data provider over the union records: ``GET /oai`` and ``POST /oai`` (form-encoded).

Policy (reference/oai-pmh.md §2):
- identifiers ``oai:unioncat:{cluster id}``; datestamp = ``clusters.updated_at`` (UTC, seconds granularity;
  day-granularity ``from``/``until`` accepted on input, both inclusive);
- ``deletedRecord=persistent``: a cluster absorbed by a merge or left without members answers as a deleted
  header (no metadata). A cluster not built yet (no members counted) is not disseminated at all;
- sets: ``library`` (every record) and ``library:{CODE}`` (records a member library holds). A deleted record
  has lost its membership, so set-restricted lists report every deletion (harvesters ignore unknown ids);
- resumption tokens are stateless keyset tokens: the original arguments, the ``(updated_at, id)`` of the last
  record served, the cursor and the list size, with a checksum and an expiry. Lists are sorted by
  ``(updated_at, id)``, so records never shift between pages; a record changed during a harvest moves to the
  end of the list and is served again, never lost;
- every protocol error is HTTP 200 with ``<error code=…>``; ``<request>`` echoes only valid arguments (none
  after badVerb/badArgument); XML is built with lxml and text outside XML 1.0 ``Char`` is dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

import pymarc
from fastapi import APIRouter, Request
from fastapi.responses import Response
from lxml import etree
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db import Cluster, ClusterMember, Library, SourceRecord
from unioncat.interop import exports
from unioncat.records import base_marc_records

router = APIRouter()

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_XSD = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"

ID_PREFIX = "oai:unioncat:"
METADATA_FORMATS = {  # prefix -> (schema, namespace)
    "oai_dc": (OAI_DC_XSD, OAI_DC_NS),
    "marc21": (MARC_XSD, MARC_NS),
}
LIBRARY_SET = "library"
DELETED_STATUSES = ("absorbed", "empty")

SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DAY = "YYYY-MM-DD"
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TOKEN_KEY = b"unioncat-oai-keyset-token-v1"  # integrity check, not a secret: every field is re-validated

# verb -> (required, optional, exclusive)
VERBS: dict[str, tuple[frozenset, frozenset, str | None]] = {
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken"),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken"),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
}

DCMI_TYPE = {
    "book": "Text", "serial": "Text", "score": "Text", "electronic": "Text", "map": "Image",
    "music": "Sound", "audio": "Sound", "video": "MovingImage", "mixed": "Collection",
}  # fmt: skip


class OAIError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OAIErrors(Exception):
    """One or more protocol errors; ``echo`` says whether the request's arguments may be echoed."""

    def __init__(self, errors: list[OAIError], echo: bool = True) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
        self.echo = echo


# ------------------------------------------------------------------------------------------------ pure helpers


def xml_text(value) -> str:
    """NFC text with every character XML 1.0 forbids removed (lxml refuses them, harvesters choke on them)."""
    return _XML_INVALID.sub("", unicodedata.normalize("NFC", str(value)))


def utc(dt: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive datetimes, stored as UTC)."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def format_datestamp(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datestamp(value: str) -> tuple[datetime, str]:
    """An OAI ``from``/``until`` value -> (aware UTC datetime, granularity). Raises ValueError."""
    if _DAY_RE.match(value):
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc), DAY
    if _SECONDS_RE.match(value):
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc), SECONDS
    raise ValueError(value)


def oai_identifier(cluster_id: str) -> str:
    return ID_PREFIX + cluster_id


def cluster_id_of(identifier: str) -> str | None:
    if not identifier.startswith(ID_PREFIX):
        return None
    local = identifier[len(ID_PREFIX):]
    if not local or len(local) > 24 or not local.isascii() or not local.isprintable():
        return None
    return local


def set_specs(record: dict | None) -> list[str]:
    if not record:
        return []
    return [f"{LIBRARY_SET}:{code}" for code in record.get("libraries", [])]


@dataclass(frozen=True)
class ListArgs:
    """The arguments of a ListIdentifiers/ListRecords list, as first requested."""

    verb: str
    prefix: str
    from_: str | None = None
    until: str | None = None
    set_: str | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """(inclusive lower, exclusive upper) bounds on updated_at."""
        low = high = None
        if self.from_:
            low, _ = parse_datestamp(self.from_)
        if self.until:
            high, gran = parse_datestamp(self.until)
            try:
                high += timedelta(days=1) if gran == DAY else timedelta(seconds=1)
            except OverflowError:  # until=9999-12-31: no upper bound
                high = None
        return low, high

    def echo(self) -> dict[str, str]:
        out = {"metadataPrefix": self.prefix}
        for name, value in (("from", self.from_), ("until", self.until), ("set", self.set_)):
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True)
class Position:
    """Where a list stopped: the last record served, the cursor of the next page and the list size."""

    updated_at: datetime
    cluster_id: str
    cursor: int
    total: int
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(args: ListArgs, pos: Position) -> str:
    payload = json.dumps({
        "v": 1, "verb": args.verb, "p": args.prefix, "f": args.from_, "u": args.until, "s": args.set_,
        "t": utc(pos.updated_at).isoformat(), "i": pos.cluster_id, "c": pos.cursor, "n": pos.total,
        "e": int(pos.expires.timestamp()),
    }, separators=(",", ":"), ensure_ascii=True).encode()
    sig = hmac.new(_TOKEN_KEY, payload, hashlib.sha256).digest()[:9]
    return f"{_b64(payload)}.{_b64(sig)}"


def decode_token(token: str, verb: str, now: datetime) -> tuple[ListArgs, Position]:
    """The list a token continues; OAIError badResumptionToken for anything garbled, foreign or expired."""
    bad = OAIError("badResumptionToken", "The resumptionToken is invalid or has expired.")
    if len(token) > 2000 or token.count(".") != 1:
        raise bad
    body, sig = token.split(".")
    try:
        payload = _unb64(body)
        if not hmac.compare_digest(_unb64(sig), hmac.new(_TOKEN_KEY, payload, hashlib.sha256).digest()[:9]):
            raise bad
        data = json.loads(payload)
        if data.get("v") != 1 or data.get("verb") != verb:
            raise bad
        args = ListArgs(verb, data["p"], data["f"], data["u"], data["s"])
        check_list_args(args)
        pos = Position(utc(datetime.fromisoformat(data["t"])), str(data["i"]), int(data["c"]), int(data["n"]),
                       datetime.fromtimestamp(int(data["e"]), timezone.utc))
    except OAIError:
        raise bad from None
    except (ValueError, TypeError, KeyError, AttributeError, json.JSONDecodeError):
        raise bad from None
    if pos.expires < now or pos.cursor < 0 or pos.total < 0 or cluster_id_of(ID_PREFIX + pos.cluster_id) is None:
        raise bad
    return args, pos


def check_list_args(args: ListArgs) -> None:
    """badArgument for malformed dates, mixed granularities or from > until; cannotDisseminateFormat."""
    grans = []
    for name, value in (("from", args.from_), ("until", args.until)):
        if value is None:
            continue
        try:
            grans.append(parse_datestamp(value)[1])
        except ValueError:
            raise OAIError("badArgument", f"'{name}' must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.") from None
    if len(grans) == 2:
        if grans[0] != grans[1]:
            raise OAIError("badArgument", "'from' and 'until' must have the same granularity.")
        if parse_datestamp(args.from_)[0] > parse_datestamp(args.until)[0]:
            # an impossible window is the harvester's mistake: badArgument (hathitrust answers noRecordsMatch)
            raise OAIError("badArgument", "'from' is later than 'until'.")
    if args.set_ is not None and not SET_SPEC.fullmatch(args.set_):
        raise OAIError("badArgument", "'set' is not a setSpec (letters, digits and - _ . ! ~ * ' ( ), parts "
                                      "joined by ':').")
    check_prefix(args.prefix)


# OAI-PMH 2.0 schema: setSpecType and metadataPrefixType
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
METADATA_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")


def check_prefix(prefix: str) -> None:
    """badArgument for a metadataPrefix that is not one by the schema (empty, spaces); cannotDisseminateFormat
    for one we do not offer."""
    if not METADATA_PREFIX.fullmatch(prefix or ""):
        raise OAIError("badArgument", "'metadataPrefix' is not a metadata prefix.")
    if prefix not in METADATA_FORMATS:
        raise OAIError("cannotDisseminateFormat", f"Metadata format {prefix!r} is not supported "
                       f"(supported: {', '.join(METADATA_FORMATS)}).")


def check_arguments(pairs: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """(verb, arguments) of a request, or OAIErrors (badVerb / badArgument, echo=False)."""
    verbs = [v for k, v in pairs if k == "verb"]
    if len(verbs) != 1 or verbs[0] not in VERBS:
        what = "missing" if not verbs else "repeated" if len(verbs) > 1 else "not a legal OAI-PMH verb"
        raise OAIErrors([OAIError("badVerb", f"The verb is {what}.")], echo=False)
    verb = verbs[0]
    required, optional, exclusive = VERBS[verb]
    errors: list[OAIError] = []
    args: dict[str, str] = {}
    for key, value in pairs:
        if key == "verb":
            continue
        if key in args:
            errors.append(OAIError("badArgument", f"Argument {xml_text(key)!r} is repeated."))
        elif key not in required | optional and key != exclusive:
            errors.append(OAIError("badArgument", f"Argument {xml_text(key)!r} is not legal for {verb}."))
        args[key] = value
    if exclusive and exclusive in args:
        if len(args) > 1:
            errors.append(OAIError("badArgument", f"{exclusive} is an exclusive argument."))
    else:
        errors += [OAIError("badArgument", f"Missing required argument {name!r}.")
                   for name in sorted(required - args.keys())]
    if errors:
        raise OAIErrors(errors, echo=False)
    return verb, args


def dc_elements(record: dict, permalink: str | None) -> list[tuple[str, str]]:
    """(Dublin Core element, value) pairs of a union record, shared by oai_dc and SRU's dc schema."""
    out: list[tuple[str, str]] = []
    title = record.get("title") or ""
    if record.get("subtitle"):
        title = f"{title} : {record['subtitle']}"
    if record.get("part"):
        title = f"{title}. {record['part']}"
    if title:
        out.append(("title", title))
    out += [("creator", name) for name in record.get("authors", []) if name]
    out += [("subject", s) for s in record.get("subjects", []) if s]
    if record.get("publisher"):
        out.append(("publisher", record["publisher"]))
    if record.get("year") is not None:
        out.append(("date", f"{record['year']:04d}" if isinstance(record["year"], int) else str(record["year"])))
    if DCMI_TYPE.get(record.get("format") or "book"):
        out.append(("type", DCMI_TYPE[record.get("format") or "book"]))
    if record.get("extent"):
        out.append(("format", record["extent"]))
    if permalink:
        out.append(("identifier", permalink))
    out += [("identifier", f"urn:isbn:{isbn}") for isbn in record.get("isbns", [])]
    out += [("identifier", f"urn:issn:{issn}") for issn in record.get("issns", [])]
    if record.get("language"):
        out.append(("language", record["language"]))
    return [(name, xml_text(value).strip()) for name, value in out if xml_text(value).strip()]


def oai_dc_element(record: dict, permalink: str | None) -> etree._Element:
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_XSD}")
    for name, value in dc_elements(record, permalink):
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value
    return root


def marcxml_element(rec: pymarc.Record) -> etree._Element:
    """A pymarc record as a self-contained MARCXML ``<record>`` (namespace and schemaLocation on the root)."""
    root = etree.Element(f"{{{MARC_NS}}}record", nsmap={None: MARC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{MARC_NS} {MARC_XSD}")
    leader = xml_text(str(rec.leader)).ljust(24)[:24]
    etree.SubElement(root, f"{{{MARC_NS}}}leader").text = leader
    for field in rec.fields:
        if field.is_control_field():
            el = etree.SubElement(root, f"{{{MARC_NS}}}controlfield", tag=xml_text(field.tag))
            el.text = xml_text(field.data or "")
            continue
        ind1, ind2 = (list(field.indicators) + [" ", " "])[:2]
        el = etree.SubElement(root, f"{{{MARC_NS}}}datafield", tag=xml_text(field.tag),
                              ind1=xml_text(ind1 or " ")[:1] or " ", ind2=xml_text(ind2 or " ")[:1] or " ")
        for sf in field.subfields:
            sub = etree.SubElement(el, f"{{{MARC_NS}}}subfield", code=xml_text(sf.code)[:1] or " ")
            sub.text = xml_text(sf.value)
    return root


def marc21_element(record: dict, base: pymarc.Record | None) -> etree._Element:
    return marcxml_element(exports.marc_record(record, base))


# ------------------------------------------------------------------------------------------------ database


def _visible():
    """Clusters the provider disseminates: built union records, and deleted (absorbed or emptied) ones."""
    return or_(and_(Cluster.status == "active", Cluster.member_count > 0), Cluster.status.in_(DELETED_STATUSES))


def _is_deleted(status: str) -> bool:
    return status in DELETED_STATUSES


async def _set_filter(session: AsyncSession, set_spec: str | None):
    """A WHERE clause for a set, None for no restriction, False for an unknown set."""
    if set_spec is None or set_spec == LIBRARY_SET:
        return None
    if not set_spec.startswith(LIBRARY_SET + ":"):
        return False
    code = set_spec[len(LIBRARY_SET) + 1:]
    library_id = (await session.execute(select(Library.id).where(Library.code == code))).scalar_one_or_none()
    if library_id is None:
        return False
    held = exists(
        select(ClusterMember.source_record_id)
        .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
        .where(ClusterMember.cluster_id == Cluster.id, SourceRecord.library_id == library_id)
    )
    return or_(Cluster.status.in_(DELETED_STATUSES), held)


async def list_page(session: AsyncSession, args: ListArgs, after: tuple[datetime, str] | None, limit: int,
                    with_count: bool) -> tuple[list, int | None]:
    """One page of (id, status, updated_at, data) in (updated_at, id) order after the keyset position."""
    set_clause = await _set_filter(session, args.set_)
    if set_clause is False:
        return [], 0
    low, high = args.bounds()
    conditions = [_visible()]
    if low is not None:
        conditions.append(Cluster.updated_at >= low)
    if high is not None:
        conditions.append(Cluster.updated_at < high)
    if set_clause is not None:
        conditions.append(set_clause)
    total = None
    if with_count:
        total = (await session.execute(select(func.count()).select_from(Cluster).where(*conditions))).scalar_one()
    if after is not None:
        ts, cid = after
        conditions.append(or_(Cluster.updated_at > ts, and_(Cluster.updated_at == ts, Cluster.id > cid)))
    rows = (await session.execute(
        select(Cluster.id, Cluster.status, Cluster.updated_at, Cluster.data)
        .where(*conditions).order_by(Cluster.updated_at, Cluster.id).limit(limit)
    )).all()
    return rows, total


# ------------------------------------------------------------------------------------------------ responses


class Responder:
    """Builds one OAI-PMH response document for a request."""

    def __init__(self, request: Request, now: datetime) -> None:
        self.request = request
        self.now = now
        self.base_url = str(request.url.replace(query="", fragment=""))
        self.site_root = str(request.base_url)
        self.root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        self.root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_XSD}")
        etree.SubElement(self.root, f"{{{OAI_NS}}}responseDate").text = format_datestamp(now)
        self.request_el = etree.SubElement(self.root, f"{{{OAI_NS}}}request")
        self.request_el.text = xml_text(self.base_url)

    def echo(self, verb: str, args: dict[str, str]) -> None:
        self.request_el.set("verb", verb)
        for key, value in args.items():
            self.request_el.set(key, xml_text(value))

    def element(self, name: str, parent=None, text: str | None = None, **attrs) -> etree._Element:
        el = etree.SubElement(self.root if parent is None else parent, f"{{{OAI_NS}}}{name}",
                              {k: xml_text(v) for k, v in attrs.items()})
        if text is not None:
            el.text = xml_text(text)
        return el

    def errors(self, errors: list[OAIError]) -> None:
        for error in errors:
            self.element("error", text=error.message, code=error.code)

    def permalink(self, cluster_id: str) -> str:
        return f"{self.site_root}records/{cluster_id}"

    def header(self, parent, cluster_id: str, status: str, updated_at: datetime, data: dict | None):
        header = self.element("header", parent)
        if _is_deleted(status):
            header.set("status", "deleted")
        self.element("identifier", header, oai_identifier(cluster_id))
        self.element("datestamp", header, format_datestamp(updated_at))
        if not _is_deleted(status):
            for spec in set_specs(data):
                self.element("setSpec", header, spec)
        return header

    def record(self, parent, row, prefix: str, base: pymarc.Record | None) -> None:
        cluster_id, status, updated_at, data = row
        rec = self.element("record", parent)
        self.header(rec, cluster_id, status, updated_at, data)
        if _is_deleted(status) or not data:
            return
        metadata = self.element("metadata", rec)
        if prefix == "oai_dc":
            metadata.append(oai_dc_element(data, self.permalink(cluster_id)))
        else:
            metadata.append(marc21_element(data, base))

    def response(self) -> Response:
        body = etree.tostring(self.root, encoding="UTF-8", xml_declaration=True)
        return Response(body, media_type="text/xml; charset=utf-8")


async def _request_pairs(request: Request) -> list[tuple[str, str]]:
    pairs = list(request.query_params.multi_items()) if request.method == "GET" else []
    if request.method == "POST":
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
        pairs = parse_qsl(text, keep_blank_values=True)
    return pairs


@router.api_route("/oai", methods=["GET", "POST"], include_in_schema=True, summary="OAI-PMH 2.0 data provider")
async def oai(request: Request) -> Response:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    out = Responder(request, now)
    try:
        verb, args = check_arguments(await _request_pairs(request))
    except OAIErrors as exc:
        out.errors(exc.errors)
        return out.response()
    out.echo(verb, args)
    settings = request.app.state.settings
    try:
        async with request.app.state.sessions() as session:
            if verb == "Identify":
                await _identify(out, session, settings)
            elif verb == "ListMetadataFormats":
                await _list_metadata_formats(out, session, args.get("identifier"))
            elif verb == "ListSets":
                await _list_sets(out, session, args)
            elif verb == "GetRecord":
                await _get_record(out, session, args["identifier"], args["metadataPrefix"])
            else:
                await _list(out, session, settings, verb, args)
    except OAIError as exc:
        out = Responder(request, now)
        out.echo(verb, args)
        if exc.code == "badArgument":
            out.request_el.attrib.clear()
        out.errors([exc])
    return out.response()


async def _identify(out: Responder, session: AsyncSession, settings) -> None:
    earliest = (await session.execute(select(func.min(Cluster.updated_at)).where(_visible()))).scalar_one()
    ident = out.element("Identify")
    out.element("repositoryName", ident, settings.oai_repository_name)
    out.element("baseURL", ident, out.base_url)
    out.element("protocolVersion", ident, "2.0")
    out.element("adminEmail", ident, settings.oai_admin_email)
    out.element("earliestDatestamp", ident, format_datestamp(earliest if earliest is not None else out.now))
    out.element("deletedRecord", ident, "persistent")
    out.element("granularity", ident, SECONDS)


async def _cluster(session: AsyncSession, identifier: str):
    """(id, status, updated_at, data) of a disseminated record, or idDoesNotExist."""
    cluster_id = cluster_id_of(identifier)
    row = None
    if cluster_id is not None:
        row = (await session.execute(
            select(Cluster.id, Cluster.status, Cluster.updated_at, Cluster.data)
            .where(Cluster.id == cluster_id, _visible())
        )).first()
    if row is None:
        raise OAIError("idDoesNotExist", "No record with this identifier.")
    return row


async def _list_metadata_formats(out: Responder, session: AsyncSession, identifier: str | None) -> None:
    if identifier is not None:
        await _cluster(session, identifier)
    formats = out.element("ListMetadataFormats")
    for prefix, (schema, namespace) in METADATA_FORMATS.items():
        fmt = out.element("metadataFormat", formats)
        out.element("metadataPrefix", fmt, prefix)
        out.element("schema", fmt, schema)
        out.element("metadataNamespace", fmt, namespace)


async def _list_sets(out: Responder, session: AsyncSession, args: dict[str, str]) -> None:
    if "resumptionToken" in args:  # every set fits on one page: no token was ever issued
        raise OAIError("badResumptionToken", "The resumptionToken is invalid or has expired.")
    libraries = (await session.execute(
        select(Library.code, Library.name, Library.province).order_by(Library.code))).all()
    sets = out.element("ListSets")
    top = out.element("set", sets)
    out.element("setSpec", top, LIBRARY_SET)
    out.element("setName", top, "Thư viện thành viên (every member library)")
    for code, name, province in libraries:
        if not re.fullmatch(r"[A-Za-z0-9\-_.!~*'()]+", code):
            continue  # not a legal setSpec segment
        item = out.element("set", sets)
        out.element("setSpec", item, f"{LIBRARY_SET}:{code}")
        out.element("setName", item, name or code)
        if province:
            desc = out.element("setDescription", item)
            dc = etree.SubElement(desc, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS})
            etree.SubElement(dc, f"{{{DC_NS}}}coverage").text = xml_text(province)


async def _get_record(out: Responder, session: AsyncSession, identifier: str, prefix: str) -> None:
    check_prefix(prefix)
    row = await _cluster(session, identifier)
    bases = await base_marc_records(session, [row.data]) if prefix == "marc21" and row.data else {}
    out.record(out.element("GetRecord"), row, prefix, bases.get(row.id))


async def _list(out: Responder, session: AsyncSession, settings, verb: str, args: dict[str, str]) -> None:
    page_size = max(1, settings.oai_page_size)
    if "resumptionToken" in args:
        list_args, pos = decode_token(args["resumptionToken"], verb, out.now)
        after, cursor, total = (pos.updated_at, pos.cluster_id), pos.cursor, pos.total
    else:
        list_args = ListArgs(verb, args["metadataPrefix"], args.get("from"), args.get("until"), args.get("set"))
        check_list_args(list_args)
        after, cursor, total = None, 0, None
    rows, count = await list_page(session, list_args, after, page_size + 1, with_count=after is None)
    total = count if count is not None else total
    if not rows:
        raise OAIError("noRecordsMatch", "No records match the request.")
    more = len(rows) > page_size
    rows = rows[:page_size]
    total = max(total or 0, cursor + len(rows) + (1 if more else 0))  # an estimate; never below what we know
    container = out.element(verb)
    if verb == "ListIdentifiers":
        for row in rows:
            out.header(container, *row)
    else:
        bases = {}
        if list_args.prefix == "marc21":
            bases = await base_marc_records(session, [r.data for r in rows if r.data and not _is_deleted(r.status)])
        for row in rows:
            out.record(container, row, list_args.prefix, bases.get(row.id))
    if more:
        last = rows[-1]
        expires = out.now + timedelta(days=max(1, settings.oai_token_days))
        token = encode_token(list_args, Position(utc(last.updated_at), last.id, cursor + len(rows), total, expires))
        out.element("resumptionToken", container, token, completeListSize=str(total), cursor=str(cursor),
                    expirationDate=format_datestamp(expires))
    elif after is not None:  # the last page of a list that was split: an empty token closes it
        out.element("resumptionToken", container, None, completeListSize=str(total), cursor=str(cursor))
