"""MARC file import (``unioncat import CODE FILE...``) for libraries whose ILS has no OAI-PMH endpoint.

ISO 2709 files are split on the record terminator (0x1D), trusting the leader's record length only where
it agrees with a terminator, so a record with a wrong length, a broken directory or a missing terminator
costs at most itself, never its neighbours. MARCXML files are split by ``<record>`` elements, each parsed
on its own (with the namespace declarations of the enclosing elements), so one ill-formed record does not
stop the file. Raw bytes are stored as they are (``raw_format`` "iso2709" or "marcxml") through the same
store as harvesting; only field 001 is read here, for the identifier (else "file name#position").
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvesters.harvest import HarvestRunSummary
from harvesters.oai import safe_parser, serialize_self_contained
from harvesters.store import IncomingRecord, Problem, RunCounters, save_run_counters, store_page
from unioncat.db.session import transaction
from unioncat.db.tables import HarvestError, HarvestRun, Library, utcnow
from unioncat.settings import Settings

log = logging.getLogger(__name__)

RECORD_TERMINATOR = 0x1D
FIELD_TERMINATOR = 0x1E
MARC_NS = "http://www.loc.gov/MARC21/slim"
BATCH = 1000


@dataclass
class FileRecord:
    """One record cut out of a file, or a piece that could not be one (``problem`` set)."""

    identifier: str
    raw: bytes
    raw_format: str  # iso2709 | marcxml
    problem: str | None = None


# --- ISO 2709 -----------------------------------------------------------------------------------------------


def split_iso2709(data: bytes) -> Iterator[tuple[bytes, str | None]]:
    """(record bytes, note) for each record; the note says what was odd about its framing."""
    pos, end = 0, len(data)
    while pos < end:
        while pos < end and data[pos] in b"\r\n\t \x00\x1a":  # separators some exports put between records
            pos += 1
        if pos >= end:
            return
        note = None
        length = _leader_length(data, pos)
        if length and pos + length <= end and data[pos + length - 1] == RECORD_TERMINATOR:
            stop = pos + length
        else:
            term = data.find(bytes([RECORD_TERMINATOR]), pos)
            if term < 0:
                yield data[pos:], "no record terminator at the end of the file (truncated record?)"
                return
            stop = term + 1
            if length and pos + length <= stop and _looks_like_leader(data, pos + length - 1) \
                    and data[pos + length - 2] == FIELD_TERMINATOR:
                stop = pos + length - 1  # the terminator is missing: the next leader starts where it should be
                note = "record terminator missing: cut at the leader's record length"
            elif length != stop - pos:
                note = f"leader length {length or 'invalid'} but the record is {stop - pos} bytes"
        yield data[pos:stop], note
        pos = stop


def _leader_length(data: bytes, pos: int) -> int | None:
    head = data[pos:pos + 5]
    return int(head) if len(head) == 5 and head.isdigit() and int(head) >= 24 else None


def _looks_like_leader(data: bytes, pos: int) -> bool:
    return _leader_length(data, pos) is not None and len(data) >= pos + 24


def control_number_iso2709(record: bytes) -> str | None:
    """Field 001 through the directory; None when the directory cannot be read."""
    if len(record) < 25:
        return None
    base = record[12:17]
    if not base.isdigit():
        return None
    base_address = int(base)
    directory_end = record.find(bytes([FIELD_TERMINATOR]), 24)
    if directory_end < 0 or directory_end > base_address:
        return None
    directory = record[24:directory_end]
    for i in range(0, len(directory) - 11, 12):
        entry = directory[i:i + 12]
        if entry[:3] == b"001" and entry[3:12].isdigit():
            length, start = int(entry[3:7]), int(entry[7:12])
            value = record[base_address + start:base_address + start + length].rstrip(b"\x1e\x1d")
            try:
                text = value.decode("utf-8").strip()
            except UnicodeDecodeError:
                return None  # not UTF-8 (MARC-8 or a legacy code page): the file position is safer
            return text[:512] if text and text.isprintable() else None
    return None


def iso2709_records(data: bytes, name: str) -> Iterator[FileRecord]:
    for position, (chunk, note) in enumerate(split_iso2709(data), start=1):
        fallback = f"{name}#{position}"
        if len(chunk) < 24:
            yield FileRecord(fallback, chunk, "iso2709", f"{len(chunk)} bytes: too short for a MARC record")
            continue
        identifier = control_number_iso2709(chunk) or fallback
        yield FileRecord(identifier, chunk, "iso2709", None if note is None else f"warning: {note}")


# --- MARCXML ----------------------------------------------------------------------------------------------

_RECORD_RE = re.compile(rb"<(?P<p>[\w.-]+:)?record(?=[\s>/])[^>]*?(?:/>|>.*?</(?P=p)?record\s*>)", re.S)
_NS_DECL_RE = re.compile(rb"\sxmlns(?::[\w.-]+)?\s*=\s*(\"[^\"]*\"|'[^']*')")
_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.-]+)[\"'][^>]*\?>")


def marcxml_records(data: bytes, name: str) -> Iterator[FileRecord]:
    data = _to_utf8(data)
    decls: dict[bytes, bytes] = {}
    for position, match in enumerate(_RECORD_RE.finditer(data), start=1):
        if position == 1:
            for decl in _NS_DECL_RE.finditer(data, 0, match.start()):
                decls.setdefault(decl.group(0).split(b"=")[0].strip(), decl.group(0))
        chunk = match.group(0)
        fallback = f"{name}#{position}"
        wrapper = b"<wrapper" + b"".join(decls.values()) + b">" + chunk + b"</wrapper>"
        try:
            record = etree.fromstring(wrapper, safe_parser())[0]
        except (etree.XMLSyntaxError, IndexError) as exc:
            yield FileRecord(fallback, chunk, "marcxml", f"MARCXML record not well-formed: {exc}")
            continue
        if etree.QName(record).namespace is None:  # un-namespaced MARCXML (Alma exports): inject the namespace
            for el in record.iter():
                if isinstance(el.tag, str) and etree.QName(el).namespace is None:
                    el.tag = f"{{{MARC_NS}}}{etree.QName(el).localname}"
        control = record.find(f"{{{MARC_NS}}}controlfield[@tag='001']")
        identifier = (control.text or "").strip() if control is not None and control.text else ""
        yield FileRecord(identifier or fallback, serialize_self_contained(record), "marcxml")


def _to_utf8(data: bytes) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    match = _DECL_RE.match(data)
    if match and match.group(1).lower() not in (b"utf-8", b"utf8"):
        try:
            text = data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            return data
        return _DECL_RE.sub(b'<?xml version="1.0" encoding="UTF-8"?>', text.encode("utf-8"), count=1)
    return data


def read_marc_file(path: Path) -> Iterator[FileRecord]:
    """Records of one ISO 2709 or MARCXML file (told apart by the first bytes)."""
    data = path.read_bytes()
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return marcxml_records(data, path.name)
    return iso2709_records(data, path.name)


# --- the import run -----------------------------------------------------------------------------------------


async def import_files(sessions: async_sessionmaker[AsyncSession], settings: Settings, code: str,
                       paths: Sequence[Path | str]) -> HarvestRunSummary:
    """Import MARC files for library ``code`` as a HarvestRun of kind "import"; never raises for bad data."""
    started = time.monotonic()
    summary = HarvestRunSummary(code=code, status="running", kind="import", full=False)
    async with transaction(sessions) as session:
        library = (await session.execute(select(Library).where(Library.code == code))).scalar_one_or_none()
        if library is None:
            summary.status, summary.error, summary.error_type = "failed", f"no library with code {code!r}", \
                "UnknownLibrary"
            return summary
        run = HarvestRun(library_id=library.id, kind="import", full=False, status="running", started_at=utcnow(),
                         warnings=[])
        session.add(run)
        await session.flush()
        library_id, run_id = library.id, run.id
    summary.run_id = run_id
    counters = RunCounters()
    try:
        for raw_path in paths:
            path = Path(raw_path)
            try:
                records = list(read_marc_file(path))
            except OSError as exc:
                counters.warnings.append(f"{path}: cannot read: {exc}")
                counters.counts.failed += 1
                continue
            if not records:
                counters.warnings.append(f"{path.name}: no MARC records found")
            for start in range(0, len(records), BATCH):
                batch = records[start:start + BATCH]
                incoming, problems = [], []
                for rec in batch:
                    if rec.problem and not rec.problem.startswith("warning: "):
                        problems.append(Problem(f"{path.name}: {rec.problem}", rec.identifier, "parse", rec.raw))
                        continue
                    if rec.problem:
                        counters.warnings.append(f"{path.name} {rec.identifier}: {rec.problem[9:]}")
                    incoming.append(IncomingRecord(rec.identifier, None, False, rec.raw, rec.raw_format))
                counters.pages += 1
                async with transaction(sessions) as session:
                    await store_page(session, library_id=library_id, run_id=run_id, records=incoming,
                                     checkpoint=None, update_checkpoint=False, counters=counters,
                                     problems=problems)
        status = "succeeded_with_errors" if counters.counts.failed else "succeeded"
        async with transaction(sessions) as session:
            await save_run_counters(session, run_id, counters, status=status, finished_at=utcnow())
        summary.status = status
    except Exception as exc:  # noqa: BLE001 - the run row must say what happened
        log.exception("import for %s failed", code)
        summary.status, summary.error, summary.error_type = "failed", f"{type(exc).__name__}: {exc}", type(exc).__name__
        async with transaction(sessions) as session:
            await save_run_counters(session, run_id, counters, status="failed", finished_at=utcnow(),
                                    error=summary.error)
            session.add(HarvestError(library_id=library_id, run_id=run_id, stage="harvest", message=summary.error))
    c = counters.counts
    summary.pages = counters.pages
    summary.records_new, summary.records_updated, summary.records_unchanged = c.new, c.updated, c.unchanged
    summary.records_deleted, summary.records_failed = c.deleted, c.failed
    summary.warnings = list(counters.warnings)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary
