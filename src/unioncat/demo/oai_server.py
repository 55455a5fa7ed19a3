"""A real OAI-PMH 2.0 data provider over HTTP on loopback, for the demo, tests and benchmarks.

It serves several repositories at ``/{code}/oai``, each a mutable set of records with pre-rendered XML,
keyset resumption tokens (sorted by datestamp, identifier), ``from``/``until``/``set`` filtering and the
protocol errors of the specification. Every repository has a queue of faults applied to its upcoming
requests (HTTP errors with ``Retry-After``, delays, dropped connections, HTML, raw bodies replayed byte
for byte, invalid characters, bad or repeating tokens), so harvesters can be tested against real HTTP.
Single records can be served broken, persistently until fixed (``Repository.break_record``, the kinds of
``broken_records.BREAKS``), so harvesters can be tested on per-record recovery.

    with OAIServer() as server:
        repo = server.add_repository("HN", records, metadata_prefix="marc21", page_size=100)
        repo.add_fault(Fault.http_status(503, retry_after=120))
        url = server.base_url("HN")

``OAIServer(ssl_context=...)`` serves HTTPS. ``python -m unioncat.demo.oai_server`` runs a provider with the
demo catalogues in its own process (benchmarks, kill-and-resume tests): it prints one JSON line with the
base URLs, then serves until killed.

Only the standard library is used (the demo catalogues for ``python -m``).
"""

from __future__ import annotations

import base64
import bisect
import binascii
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from unioncat.demo import broken_records

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DAY = "YYYY-MM-DD"

FORMATS = {
    "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", "http://www.loc.gov/MARC21/slim"),
    "marcxml": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", "http://www.loc.gov/MARC21/slim"),
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
}

VERB_ARGS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")


def utc_now_string() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sort_key(datestamp: str) -> str:
    """Datestamps of either granularity as comparable seconds strings."""
    return datestamp + "T00:00:00Z" if len(datestamp) == 10 else datestamp


def _parse_date_arg(value: str, *, until: bool) -> tuple[str, str] | None:
    """(granularity, comparable key) of a from/until argument, or None when malformed."""
    if _DAY_RE.match(value):
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return None
        return DAY, value + ("T23:59:59Z" if until else "T00:00:00Z")
    if _SECONDS_RE.match(value):
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return None
        return SECONDS, value
    return None


@dataclass
class Record:
    """One record of a repository. ``metadata`` is the metadata element's single child, as bytes."""

    identifier: str
    datestamp: str
    deleted: bool = False
    metadata: bytes = b""
    sets: list[str] = field(default_factory=list)


@dataclass
class Fault:
    """Something to do instead of (or to) the normal answer of one upcoming request.

    ``verb`` restricts the fault to requests with that verb (others pass it by); ``repeat`` applies it to
    that many matching requests in a row. Build faults with the class methods.
    """

    kind: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "text/xml; charset=utf-8"
    delay: float = 0.0
    code: str = ""
    chars: bytes = b"\x0b"
    location: str = ""
    verb: str | None = None
    repeat: int = 1

    @classmethod
    def ok(cls, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Answer normally (use it to let some requests pass before a fault)."""
        return cls("ok", verb=verb, repeat=repeat)

    @classmethod
    def http_status(cls, status: int, *, retry_after: str | int | None = None, headers: dict | None = None,
                    body: bytes = b"", verb: str | None = None, repeat: int = 1) -> "Fault":
        hdrs = dict(headers or {})
        if retry_after is not None:
            hdrs["Retry-After"] = str(retry_after)
        return cls("status", status=status, headers=hdrs, body=body, content_type="text/plain",
                   verb=verb, repeat=repeat)

    @classmethod
    def delay_response(cls, seconds: float, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Wait before answering normally (a client with a shorter read timeout gives up)."""
        return cls("delay", delay=seconds, verb=verb, repeat=repeat)

    @classmethod
    def stall_mid_body(cls, seconds: float, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Send half the body, then stall (slow-loris)."""
        return cls("stall", delay=seconds, verb=verb, repeat=repeat)

    @classmethod
    def drop_mid_body(cls, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Announce the full Content-Length, send half the body, close the connection."""
        return cls("drop", verb=verb, repeat=repeat)

    @classmethod
    def truncate(cls, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """A complete HTTP response whose XML body stops mid-document."""
        return cls("truncate", verb=verb, repeat=repeat)

    @classmethod
    def html(cls, *, status: int = 200, verb: str | None = None, repeat: int = 1) -> "Fault":
        body = (b"<!DOCTYPE html>\n<html><head><title>Login</title></head>"
                b"<body><h1>Please log in</h1></body></html>")
        return cls("raw", status=status, body=body, content_type="text/html; charset=utf-8",
                   verb=verb, repeat=repeat)

    @classmethod
    def raw(cls, body: bytes, *, status: int = 200, content_type: str = "text/xml; charset=utf-8",
            headers: dict | None = None, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Answer with exactly these bytes (e.g. a real page from testdata)."""
        return cls("raw", status=status, body=body, content_type=content_type, headers=dict(headers or {}),
                   verb=verb, repeat=repeat)

    @classmethod
    def invalid_chars(cls, chars: bytes = b"\x0b\x0c", *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Answer normally, with ``chars`` inserted into the text of the first record's metadata."""
        return cls("chars", chars=chars, verb=verb, repeat=repeat)

    @classmethod
    def oai_error(cls, code: str, message: str = "", *, status: int = 200, verb: str | None = None,
                  repeat: int = 1) -> "Fault":
        """Answer with an OAI-PMH <error> (status 422 imitates Zenodo)."""
        return cls("error", code=code, body=message.encode(), status=status, verb=verb, repeat=repeat)

    @classmethod
    def redirect(cls, location: str, *, status: int = 302, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Answer ``status`` with ``Location: location``; ``{query}`` in it is replaced by the request's query."""
        return cls("redirect", status=status, location=location, content_type="text/plain", verb=verb,
                   repeat=repeat)

    @classmethod
    def empty_page(cls, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """A list page with no records but a fresh token that continues where this request was (pyoai #8)."""
        return cls("empty", verb=verb, repeat=repeat)

    @classmethod
    def repeat_token(cls, *, verb: str | None = None, repeat: int = 1) -> "Fault":
        """Answer normally but hand back the request's own resumption token (a token loop)."""
        return cls("repeat_token", verb=verb, repeat=repeat)


class OAIErrorResponse(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message


class Repository:
    """One OAI-PMH repository: records plus configuration, mutable while the server runs."""

    def __init__(self, code: str, records: Iterable = (), *, metadata_prefix: str = "marc21",
                 granularity: str = SECONDS, deleted_record: str = "persistent", page_size: int = 100,
                 name: str | None = None, earliest_datestamp: str | None = None,
                 admin_email: str = "admin@example.org", other_prefixes: Iterable[str] = (),
                 request_delay: float = 0.0) -> None:
        if granularity not in (SECONDS, DAY):
            raise ValueError(f"granularity must be {SECONDS!r} or {DAY!r}")
        if deleted_record not in ("persistent", "transient", "no"):
            raise ValueError("deleted_record must be persistent, transient or no")
        self.code = code
        self.name = name or f"Repository {code}"
        self.metadata_prefix = metadata_prefix
        self.prefixes = [metadata_prefix, *[p for p in other_prefixes if p != metadata_prefix]]  # same records
        self.request_delay = request_delay  # seconds before every answer (a slow provider)
        self.granularity = granularity
        self.deleted_record = deleted_record
        self.page_size = page_size
        self.admin_email = admin_email
        self.earliest_datestamp = earliest_datestamp
        self.response_date: str | None = None  # fixed responseDate for tests; None = the clock
        self.base_url = ""
        self.requests: list[dict[str, str]] = []  # every request's arguments, in order
        self.raw_queries: list[str] = []  # every request's query string as sent (before decoding)
        self.headers: list[dict[str, str]] = []  # every request's HTTP headers
        self._nonce = 0
        self._local = threading.local()  # per request thread: answer() options
        self._lock = threading.RLock()
        self._faults: deque[Fault] = deque()
        self._records: dict[str, tuple[Record, bytes, bytes]] = {}  # id -> (record, <record>, <header>)
        self._keys: list[tuple[str, str]] | None = None
        self._broken: dict[str, tuple[str, bool]] = {}  # id -> (kind, in_get_record), applied when serving
        self.put_many(records)

    # -- records -------------------------------------------------------------------------------------
    def _render(self, rec: Record) -> tuple[Record, bytes, bytes]:
        attrs = ' status="deleted"' if rec.deleted else ""
        header = (f"<header{attrs}><identifier>{escape(rec.identifier)}</identifier>"
                  f"<datestamp>{escape(rec.datestamp)}</datestamp>"
                  + "".join(f"<setSpec>{escape(s)}</setSpec>" for s in rec.sets)
                  + "</header>").encode()
        if rec.deleted:
            body = b"<record>" + header + b"</record>"
        else:
            metadata = _XML_DECL_RE.sub(b"", rec.metadata)
            body = b"<record>" + header + b"<metadata>" + metadata + b"</metadata></record>"
        return rec, body, header

    def put(self, identifier: str, datestamp: str | None = None, deleted: bool = False,
            metadata: bytes = b"", sets: Iterable[str] = ()) -> Record:
        """Add or replace a record; the datestamp defaults to now in the repository's granularity."""
        rec = Record(identifier, datestamp or self.now(), deleted, metadata, list(sets))
        with self._lock:
            self._records[identifier] = self._render(rec)
            self._broken.pop(identifier, None)
            self._keys = None
        return rec

    def put_many(self, records: Iterable) -> None:
        with self._lock:
            for item in records:
                rec = item if isinstance(item, Record) else Record(*item)
                rec.sets = list(rec.sets)
                self._records[rec.identifier] = self._render(rec)
                self._broken.pop(rec.identifier, None)
            self._keys = None

    def delete(self, identifier: str, datestamp: str | None = None) -> None:
        """Mark deleted (a repository with deletedRecord=no then simply stops listing it)."""
        with self._lock:
            old = self._records[identifier][0]
            self.put(identifier, datestamp, True, b"", old.sets)

    def remove(self, identifier: str) -> None:
        """Forget a record entirely (no trace, as a deletedRecord=no repository would)."""
        with self._lock:
            del self._records[identifier]
            self._broken.pop(identifier, None)
            self._keys = None

    def break_record(self, identifier: str, kind: str, *, in_get_record: bool = False) -> None:
        """Serve this record broken as ``kind`` (``broken_records.BREAKS``) in every list response from now
        on (ListIdentifiers too for the header kinds); GetRecord too only with ``in_get_record``."""
        with self._lock:
            broken_records.break_record(self._records[identifier][1], kind)  # ValueError if it cannot apply
            self._broken[identifier] = (kind, in_get_record)

    def fix_record(self, identifier: str, datestamp: str | None = None) -> Record:
        """The provider repaired it: served intact again, with a new datestamp (default now, as ``put``)."""
        with self._lock:
            old = self._records[identifier][0]
            return self.put(identifier, datestamp, old.deleted, old.metadata, old.sets)

    @property
    def broken_identifiers(self) -> list[str]:
        with self._lock:
            return sorted(self._broken)

    def _served(self, entry: tuple[Record, bytes, bytes], verb: str) -> bytes:
        """The bytes of ``entry`` that ``verb`` serves, broken if its record is (called only if some are)."""
        good = entry[2] if verb == "ListIdentifiers" else entry[1]
        kind, in_get_record = self._broken.get(entry[0].identifier, (None, False))
        if kind is None or (verb == "GetRecord" and not in_get_record):
            return good
        if verb == "ListIdentifiers":
            return broken_records.break_header(good, kind)
        return broken_records.break_record(good, kind)

    def get(self, identifier: str) -> Record | None:
        entry = self._records.get(identifier)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._records)

    def now(self) -> str:
        now = self.response_date or utc_now_string()
        return now[:10] if self.granularity == DAY else now

    def _sorted_keys(self) -> list[tuple[str, str]]:
        with self._lock:
            if self._keys is None:
                self._keys = sorted((_sort_key(r.datestamp), i) for i, (r, _, _) in self._records.items())
            return self._keys

    # -- faults ----------------------------------------------------------------------------------------
    def add_fault(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def replay(self, bodies: Iterable[bytes], *, verb: str | None = "ListRecords") -> None:
        """Answer the next requests (of ``verb``) with these bodies, one each, byte for byte."""
        self.add_fault(*(Fault.raw(b, verb=verb) for b in bodies))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        return len(self._faults)

    def _take_fault(self, verb: str | None) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault.verb is not None and fault.verb != verb:
                return None
            fault.repeat -= 1
            if fault.repeat <= 0:
                self._faults.popleft()
            return fault

    # -- protocol ----------------------------------------------------------------------------------------
    def answer(self, args: dict[str, list[str]], *, empty: bool = False) -> tuple[bytes, dict[str, str], str | None]:
        """(response body, echoed request attributes, token received) for the parsed query arguments.

        ``empty``: a list request answers no records and a token that continues at the same place.
        """
        self._local.empty = empty
        token_in = None
        verbs = args.get("verb", [])
        request_attrs: dict[str, str] = {}
        try:
            if len(verbs) != 1 or verbs[0] not in VERB_ARGS:
                raise OAIErrorResponse("badVerb", "Illegal OAI verb")
            verb = verbs[0]
            required, optional = VERB_ARGS[verb]
            for key, values in args.items():
                if key == "verb":
                    continue
                if key not in required | optional:
                    raise OAIErrorResponse("badArgument", f"Illegal argument {key}")
                if len(values) != 1:
                    raise OAIErrorResponse("badArgument", f"Repeated argument {key}")
            one = {k: v[0] for k, v in args.items()}
            if "resumptionToken" in one:
                if set(one) != {"verb", "resumptionToken"}:
                    raise OAIErrorResponse("badArgument", "resumptionToken is an exclusive argument")
                token_in = one["resumptionToken"]
            else:
                missing = required - set(one)
                if missing:
                    raise OAIErrorResponse("badArgument", f"Missing argument(s): {', '.join(sorted(missing))}")
            request_attrs = one
            content = getattr(self, "_" + verb)(one)
        except OAIErrorResponse as err:
            if err.code in ("badVerb", "badArgument"):
                request_attrs = {}
            msg = escape(err.message)
            content = f'<error code="{err.code}">{msg}</error>'.encode()
        return content, request_attrs, token_in

    def _Identify(self, args: dict) -> bytes:
        earliest = self.earliest_datestamp
        if earliest is None:
            keys = self._sorted_keys()
            earliest = keys[0][0] if keys else (self.response_date or utc_now_string())  # empty: nothing before now
            if self.granularity == DAY:
                earliest = earliest[:10]
        return (
            "<Identify>"
            f"<repositoryName>{escape(self.name)}</repositoryName>"
            f"<baseURL>{escape(self.base_url)}</baseURL>"
            "<protocolVersion>2.0</protocolVersion>"
            f"<adminEmail>{escape(self.admin_email)}</adminEmail>"
            f"<earliestDatestamp>{escape(earliest)}</earliestDatestamp>"
            f"<deletedRecord>{self.deleted_record}</deletedRecord>"
            f"<granularity>{self.granularity}</granularity>"
            "</Identify>"
        ).encode()

    def _format_xml(self, prefix: str) -> str:
        schema, ns = FORMATS.get(prefix, ("", ""))
        return (f"<metadataFormat><metadataPrefix>{escape(prefix)}</metadataPrefix>"
                f"<schema>{schema}</schema><metadataNamespace>{ns}</metadataNamespace></metadataFormat>")

    def _ListMetadataFormats(self, args: dict) -> bytes:
        if "identifier" in args and args["identifier"] not in self._records:
            raise OAIErrorResponse("idDoesNotExist", "No such identifier")
        formats = "".join(self._format_xml(p) for p in self.prefixes)
        return f"<ListMetadataFormats>{formats}</ListMetadataFormats>".encode()

    def _ListSets(self, args: dict) -> bytes:
        if "resumptionToken" in args:
            raise OAIErrorResponse("badResumptionToken", "Unknown token")
        specs = sorted({s for r, _, _ in self._records.values() for s in r.sets})
        if not specs:
            raise OAIErrorResponse("noSetHierarchy", "This repository has no sets")
        body = "".join(f"<set><setSpec>{escape(s)}</setSpec><setName>{escape(s)}</setName></set>" for s in specs)
        return f"<ListSets>{body}</ListSets>".encode()

    def _visible(self, rec: Record) -> bool:
        return not (rec.deleted and self.deleted_record == "no")

    def _GetRecord(self, args: dict) -> bytes:
        if args["metadataPrefix"] not in self.prefixes:
            raise OAIErrorResponse("cannotDisseminateFormat", "Format not supported")
        entry = self._records.get(args["identifier"])
        if entry is None or not self._visible(entry[0]):
            raise OAIErrorResponse("idDoesNotExist", "No such identifier")
        body = entry[1]
        if self._broken:
            with self._lock:
                body = self._served(entry, "GetRecord")
        return b"<GetRecord>" + body + b"</GetRecord>"

    def _ListIdentifiers(self, args: dict) -> bytes:
        return self._list("ListIdentifiers", args)

    def _ListRecords(self, args: dict) -> bytes:
        return self._list("ListRecords", args)

    def _list(self, verb: str, args: dict) -> bytes:
        if "resumptionToken" in args:
            state = self._decode_token(args["resumptionToken"], verb)
        else:
            if args["metadataPrefix"] not in self.prefixes:
                raise OAIErrorResponse("cannotDisseminateFormat", "Format not supported")
            lo_key, hi_key = "", "\uffff"
            grans = set()
            if "from" in args:
                parsed = _parse_date_arg(args["from"], until=False)
                if parsed is None:
                    raise OAIErrorResponse("badArgument", "Illegal from")
                grans.add(parsed[0])
                lo_key = parsed[1]
            if "until" in args:
                parsed = _parse_date_arg(args["until"], until=True)
                if parsed is None:
                    raise OAIErrorResponse("badArgument", "Illegal until")
                grans.add(parsed[0])
                hi_key = parsed[1]
            if len(grans) > 1:
                raise OAIErrorResponse("badArgument", "from and until differ in granularity")
            if SECONDS in grans and self.granularity == DAY:
                raise OAIErrorResponse("badArgument", "Finer granularity than the repository supports")
            if lo_key > hi_key:
                raise OAIErrorResponse("noRecordsMatch", "from is after until")
            state = {"v": verb, "lo": lo_key, "hi": hi_key, "set": args.get("set"), "after": None, "cursor": 0}
            state["size"] = self._count(state)
            if state["size"] == 0:
                raise OAIErrorResponse("noRecordsMatch", "No records match")
        if getattr(self._local, "empty", False):
            with self._lock:
                self._nonce += 1
                items, last, more, nxt = [], None, True, dict(state, nonce=self._nonce)
        else:
            items, last, more = self._page(state)
            nxt = dict(state, after=list(last) if last else state["after"], cursor=state["cursor"] + len(items))
        if self._broken:
            with self._lock:
                parts = [self._served(e, verb) for e in items]
        else:
            parts = [e[1] if verb == "ListRecords" else e[2] for e in items]
        cursor = state["cursor"]
        if more:
            expires = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            parts.append(
                f'<resumptionToken completeListSize="{state["size"]}" cursor="{cursor}" '
                f'expirationDate="{expires}">{self._encode_token(nxt)}</resumptionToken>'.encode())
        elif "resumptionToken" in args:
            parts.append(f'<resumptionToken completeListSize="{state["size"]}" cursor="{cursor}"/>'.encode())
        return f"<{verb}>".encode() + b"".join(parts) + f"</{verb}>".encode()

    def _matches(self, rec: Record, set_spec: str | None) -> bool:
        if not self._visible(rec):
            return False
        if set_spec is None:
            return True
        return any(s == set_spec or s.startswith(set_spec + ":") for s in rec.sets)

    def _count(self, state: dict) -> int:
        keys = self._sorted_keys()
        lo = bisect.bisect_left(keys, (state["lo"], ""))
        hi = bisect.bisect_right(keys, (state["hi"], "\uffff"))
        if state["set"] is None and self.deleted_record != "no":
            return max(0, hi - lo)
        return sum(1 for _, i in keys[lo:hi] if self._matches(self._records[i][0], state["set"]))

    def _page(self, state: dict) -> tuple[list, tuple | None, bool]:
        with self._lock:
            keys = self._sorted_keys()
            records = self._records
            start = (bisect.bisect_right(keys, tuple(state["after"])) if state["after"]
                     else bisect.bisect_left(keys, (state["lo"], "")))
            hi = bisect.bisect_right(keys, (state["hi"], "\uffff"))
            items: list = []
            last = None
            pos = start
            while pos < hi and len(items) < self.page_size:
                key = keys[pos]
                entry = records[key[1]]
                if self._matches(entry[0], state["set"]):
                    items.append(entry)
                    last = key
                pos += 1
            more = any(self._matches(records[k[1]][0], state["set"]) for k in keys[pos:hi]) \
                if pos < hi and (state["set"] is not None or self.deleted_record == "no") else pos < hi
            return items, last, more

    def _encode_token(self, state: dict) -> str:
        raw = json.dumps(state, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_token(self, token: str, verb: str) -> dict:
        try:
            state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(state, dict) or state.get("v") != verb:
                raise ValueError(token)
            for key in ("lo", "hi", "after", "cursor", "size"):
                state[key]  # noqa: B018 - presence check
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise OAIErrorResponse("badResumptionToken", "The value of the resumptionToken is invalid") from None
        return state


def _envelope(base_url: str, response_date: str, request_attrs: dict[str, str], content: bytes) -> bytes:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in request_attrs.items())
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
        b'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
        + f"<responseDate>{response_date}</responseDate><request{attrs}>{escape(base_url)}</request>".encode()
        + content
        + b"</OAI-PMH>\n"
    )


_TOKEN_ELEMENT_RE = re.compile(rb"(<resumptionToken[^>]*?)(/>|>[^<]*</resumptionToken>)")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_HTTPServer"

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._handle(urlsplit(self.path).query)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length).decode("utf-8", "replace"))

    def _handle(self, query: str) -> None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        repo = self.server.owner.repositories.get(parts[0]) if len(parts) == 2 and parts[1] == "oai" else None
        if repo is None:
            self._send(404, b"not found", "text/plain")
            return
        args = parse_qs(query, keep_blank_values=True)
        repo.requests.append({k: v[0] if len(v) == 1 else v for k, v in args.items()})
        repo.raw_queries.append(query)
        repo.headers.append(dict(self.headers.items()))
        if repo.request_delay and self.server.owner.stopping.wait(repo.request_delay):
            return
        verb = args.get("verb", [None])[0]
        fault = repo._take_fault(verb)
        if fault is not None and fault.kind not in ("ok", "delay", "chars", "repeat_token", "drop", "truncate",
                                                      "stall", "empty"):
            if fault.kind == "redirect":
                location = fault.location.replace("{query}", query)
                self._send(fault.status, b"moved", "text/plain", {"Location": location})
            elif fault.kind == "status":
                self._send(fault.status, fault.body or b"", fault.content_type, fault.headers)
            elif fault.kind == "raw":
                self._send(fault.status, fault.body or b"", fault.content_type, fault.headers)
            elif fault.kind == "error":
                msg = escape((fault.body or b"").decode())
                content = f'<error code="{fault.code}">{msg}</error>'.encode()
                self._send(fault.status, _envelope(repo.base_url, repo.response_date or utc_now_string(), {},
                                                   content), "text/xml; charset=utf-8")
            return
        if fault is not None and fault.kind == "delay":
            if self.server.owner.stopping.wait(fault.delay):
                return
        content, attrs, token_in = repo.answer(args, empty=fault is not None and fault.kind == "empty")
        body = _envelope(repo.base_url, repo.response_date or utc_now_string(), attrs, content)
        if fault is not None:
            body = self._apply(fault, body, token_in)
            if body is None:
                return
        self._send(200, body, "text/xml; charset=utf-8")

    def _apply(self, fault: Fault, body: bytes, token_in: str | None) -> bytes | None:
        if fault.kind == "chars":
            at = body.find(b"<metadata>")
            if at >= 0:
                first_text = body.find(b"</", at)  # the end of the first leaf element inside <metadata>
                body = body[:first_text] + fault.chars + body[first_text:]
        elif fault.kind == "repeat_token" and token_in is not None:
            body = _TOKEN_ELEMENT_RE.sub(
                lambda m: m.group(1) + b">" + escape(token_in).encode() + b"</resumptionToken>", body, count=1)
        elif fault.kind == "truncate":
            body = body[: len(body) // 2]
        elif fault.kind in ("drop", "stall"):
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if fault.kind == "stall":
                self.server.owner.stopping.wait(fault.delay)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        return body

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: "OAIServer"


class OAIServer:
    """Serves repositories at ``http://127.0.0.1:{port}/{code}/oai`` from a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, ssl_context=None) -> None:
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context is not None else "http"
        self.repositories: dict[str, Repository] = {}
        self.stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add_repository(self, code: str, records: Iterable = (), **options) -> Repository:
        repo = options.pop("repository", None) or Repository(code, records, **options)
        self.repositories[code] = repo
        if self._httpd is not None:
            repo.base_url = self.base_url(code)
        return repo

    def base_url(self, code: str) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"{self.scheme}://{self.host}:{self.port}/{code}/oai"

    def start(self) -> "OAIServer":
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        if self.ssl_context is not None:
            self._httpd.socket = self.ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        for code, repo in self.repositories.items():
            repo.base_url = self.base_url(code)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "OAIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until_listening(url: str, timeout: float = 5.0) -> None:
    """Block until the server accepts connections (handy for a server started in another process)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# --- a provider in its own process ---------------------------------------------------------------------------


def _simple_records(code: str, n: int) -> list[Record]:
    """Small MARCXML records, fast to make (the demo catalogues are realistic but slower to generate)."""
    out = []
    for i in range(n):
        marc = (f'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
                f'<controlfield tag="001">{code}{i}</controlfield><datafield tag="245" ind1="0" ind2="0">'
                f'<subfield code="a">Sách số {i} của {code}</subfield></datafield></record>').encode()
        stamp = f"20{20 + i % 4}-0{1 + i % 9}-1{i % 10}T08:00:00Z"
        out.append(Record(f"oai:{code.lower()}:{i}", stamp, False, marc, []))
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(prog="python -m unioncat.demo.oai_server",
                                     description="Serve OAI-PMH repositories on loopback until killed.")
    parser.add_argument("--libraries", type=int, default=1, help="how many repositories")
    parser.add_argument("--records", type=int, default=1000, help="records per repository")
    parser.add_argument("--generator", choices=["demo", "simple"], default="demo",
                        help="demo: the Bắc Miền Trung demo catalogues; simple: small synthetic records")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--response-date", help="fixed responseDate (default: the clock)")
    parser.add_argument("--sizes", help="instead: repositories S<n> of n demo records each, e.g. 10000,50000 "
                                        "(records of all demo libraries pooled)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    if args.sizes:
        from unioncat.demo.catalogues import generate_catalogues

        sizes = [int(n) for n in args.sizes.split(",")]
        per_library = -(-max(sizes) // 7) + 1
        catalogues = generate_catalogues(records_per_library=per_library)
        pool = [Record(r.identifier, r.datestamp, r.deleted, r.marcxml, [])
                for code in sorted(catalogues) for r in catalogues[code]]
        if len(pool) < max(sizes):
            parser.error(f"only {len(pool)} demo records")
        records = {f"S{n}": pool[:n] for n in sizes}
    elif args.generator == "demo":
        from unioncat.demo.catalogues import generate_catalogues

        from harvesters.definitions import BUNDLED_LIBRARIES_DIR, load_definitions

        bundled = sorted(d.code for d in load_definitions(BUNDLED_LIBRARIES_DIR))[: args.libraries]
        catalogues = generate_catalogues(records_per_library=args.records, libraries=bundled)
        codes = sorted(catalogues)[: args.libraries]
        if len(codes) < args.libraries:
            parser.error(f"the demo catalogues have only {len(codes)} libraries")
        records = {c: [Record(r.identifier, r.datestamp, r.deleted, r.marcxml, []) for r in catalogues[c]]
                   for c in codes}
    else:
        records = {f"L{i + 1}": _simple_records(f"L{i + 1}", args.records) for i in range(args.libraries)}
    server = OAIServer(port=args.port)
    for code, recs in records.items():
        repo = server.add_repository(code, recs, page_size=args.page_size, request_delay=args.delay)
        repo.response_date = args.response_date
    server.start()
    print(json.dumps({"urls": {c: server.base_url(c) for c in records},
                      "records": {c: len(r) for c, r in records.items()}}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop()
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
