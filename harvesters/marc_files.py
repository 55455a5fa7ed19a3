"""MARC file import (``unioncat import CODE FILE...``) for libraries whose ILS has no OAI-PMH endpoint.

A file is told apart by its first bytes: ``<`` is MARCXML, anything else ISO 2709. Every record is cut out of
the file on its own, so a damaged record costs only itself, never its neighbours:

- ISO 2709 is split on the record terminator (0x1D), trusting the leader's record length only where it agrees
  with a terminator. A chunk whose leader or directory cannot be read (record length or base address not
  digits, no directory of 12-character entries ending in a field terminator before the base address; a record
  over 99999 bytes cannot give its base address) is quarantined; odd framing of a readable record is a warning.
- MARCXML is split at record start tags (``<record``, ``<marc:record``...: MARCXML records never nest), each
  chunk running to the next record start or to the closing ``</collection>``, so a record cut short or missing
  its end tag does not take the next one down. Each chunk is parsed on its own with the strict, entity-free
  parser and the namespace declarations of the enclosing elements; one that does not parse is quarantined with
  the parser's error (line and column within the record).

Quarantined records (harvesters/quarantine.py) keep their bytes exactly as in the file, their position
("books.mrc, record 12 (byte 3456)") and their 001 where readable; they count in ``records_failed``, and a later
import with a good copy of the same 001 resolves them. A file that is not MARC at all (XML whose root is not a
MARC collection or record, or without records; no chunk that even starts like an ISO 2709 record: random bytes,
a PDF, an empty file) is refused whole: nothing of it is imported or quarantined, and the run says why in a
``harvest_errors`` row. The run fails when no file could be read; it succeeds "with errors" when a record was
quarantined or a file refused (the refusal is then also a run warning).

Good records are stored as they are (``raw_format`` "iso2709" or "marcxml") through the same store as
harvesting; only field 001 is read here, for the identifier (else "file name#position").
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvesters.harvest import HarvestRunSummary
from harvesters.oai import safe_parser, serialize_self_contained
from harvesters.quarantine import BrokenRecord
from harvesters.store import IncomingRecord, Problem, RunCounters, record_problems, save_run_counters, store_page
from unioncat.db.session import transaction
from unioncat.db.tables import HarvestError, HarvestRun, Library, utcnow
from unioncat.settings import Settings

log = logging.getLogger(__name__)

RECORD_TERMINATOR = 0x1D
FIELD_TERMINATOR = 0x1E
MARC_NS = "http://www.loc.gov/MARC21/slim"
BATCH = 1000
MAX_LISTED = 20  # broken records named in the run summary
MAX_ISO2709_LENGTH = 99999  # what a leader can say; longer records overflow their length and base address


@dataclass
class FileRecord:
    """One record cut out of a file: readable (``error`` None) or to be quarantined with ``error``."""

    identifier: str | None  # its 001 where readable
    raw: bytes  # a readable MARCXML record is re-serialized self-contained; everything else as in the file
    raw_format: str  # iso2709 | marcxml
    number: int  # its place in the file, from 1
    position: str  # "books.mrc, record 12 (byte 3456)"
    error: str | None = None
    warning: str | None = None  # readable, but something was odd (framing)


@dataclass
class MarcFile:
    """What a file holds: its records, or why it is not a MARC file at all (``refused``)."""

    records: list[FileRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the file as a whole
    refused: str | None = None


def _position(name: str, number: int, offset: int) -> str:
    return f"{name}, record {number} (byte {offset})"


# --- ISO 2709 -----------------------------------------------------------------------------------------------


def split_iso2709(data: bytes) -> Iterator[tuple[bytes, str | None]]:
    """(record bytes, note) for each record; the note says what was odd about its framing."""
    for _offset, chunk, note in _frame_iso2709(data):
        yield chunk, note


def _frame_iso2709(data: bytes) -> Iterator[tuple[int, bytes, str | None]]:
    """(byte offset, record bytes, framing note) for each record of the file."""
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
                yield pos, data[pos:], "no record terminator at the end of the file (truncated record?)"
                return
            stop = term + 1
            if length and pos + length <= stop and _looks_like_leader(data, pos + length - 1) \
                    and data[pos + length - 2] == FIELD_TERMINATOR:
                stop = pos + length - 1  # the terminator is missing: the next leader starts where it should be
                note = "record terminator missing: cut at the leader's record length"
            elif length != stop - pos:
                note = f"leader length {length or 'invalid'} but the record is {stop - pos} bytes"
        yield pos, data[pos:stop], note
        pos = stop


def _leader_length(data: bytes, pos: int) -> int | None:
    head = data[pos:pos + 5]
    return int(head) if len(head) == 5 and head.isdigit() and int(head) >= 24 else None


def _looks_like_leader(data: bytes, pos: int) -> bool:
    return _leader_length(data, pos) is not None and len(data) >= pos + 24


# a directory entry: a tag of 3 printable ASCII characters (Aleph exports have CAT, FMT...), 4+5 digits
_DIRECTORY_ENTRY_RE = re.compile(rb"[\x21-\x7e ]{3}[0-9]{9}")


def iso2709_problem(record: bytes) -> str | None:
    """Why this chunk cannot be read as an ISO 2709 record (its leader or directory), or None when it can."""
    if len(record) < 25:
        return f"{len(record)} bytes: too short for a MARC record"
    leader = record[:24]
    if not leader[:5].isdigit():
        return f"leader {leader!r}: the record length (00-04) is not a number"
    if not leader[12:17].isdigit():
        return f"leader {leader!r}: the base address of data (12-16) is not a number"
    base_address = int(leader[12:17])
    directory_end = record.find(bytes([FIELD_TERMINATOR]), 24)
    if directory_end < 0:
        return "no field terminator (0x1E) after the directory"
    if len(record) <= MAX_ISO2709_LENGTH:  # longer, it cannot give its base address: the directory just ends
        if base_address > len(record):
            return f"the base address of data ({base_address}) is past the end of the record ({len(record)} bytes)"
        if directory_end >= base_address:
            return f"the directory runs to byte {directory_end}, past the base address of data ({base_address})"
    directory = record[24:directory_end]
    if not directory:
        return "the directory is empty: the record has no fields"
    for i in range(0, len(directory), 12):
        entry = directory[i:i + 12]
        if not _DIRECTORY_ENTRY_RE.fullmatch(entry):
            return (f"directory entry {i // 12 + 1} at byte {24 + i} ({entry!r}) is not a tag, a 4-digit length "
                    "and a 5-digit start")
    return None


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


def read_iso2709(data: bytes, name: str) -> MarcFile:
    records = []
    for number, (offset, chunk, note) in enumerate(_frame_iso2709(data), start=1):
        position = _position(name, number, offset)
        problem = iso2709_problem(chunk)
        if problem is not None and note is not None:
            problem += f" ({note})"
        records.append(FileRecord(control_number_iso2709(chunk), chunk, "iso2709", number, position,
                                  error=problem, warning=note if problem is None else None))
    if not any(starts_like_iso2709(r.raw) for r in records):
        return MarcFile(refused="neither MARCXML nor ISO 2709: no record leader and directory found"
                                + _looks_like(data))
    return MarcFile(records)


def starts_like_iso2709(record: bytes) -> bool:
    """A numeric record length and base address, then a directory entry: a MARC record, if maybe a damaged one.

    A file with no such chunk is not a MARC file; one with a damaged record among good ones (or a lone record
    whose directory breaks further on) is, and its unreadable records are quarantined.
    """
    return (record[:5].isdigit() and record[12:17].isdigit()
            and _DIRECTORY_ENTRY_RE.fullmatch(record[24:36]) is not None)


_SIGNATURES = {
    b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive (or an Office document)", b"\x1f\x8b": "gzip data",
    b"\xff\xfe": "UTF-16 text", b"\xfe\xff": "UTF-16 text", b"\xd0\xcf\x11\xe0": "an old Office document",
}


def _looks_like(data: bytes) -> str:
    for magic, what in _SIGNATURES.items():
        if data.startswith(magic):
            return f"; it looks like {what}"
    return ""


# --- MARCXML ----------------------------------------------------------------------------------------------

# the first element: after blanks, the XML declaration, processing instructions, comments and a doctype
_ROOT_RE = re.compile(rb"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>)*+<(?P<name>[\w.:-]+)",
                      re.S | re.I)
_RECORD_START_RE = re.compile(rb"<(?:[\w.-]+:)?record(?=[\s>/])")
_COLLECTION_END_RE = re.compile(rb"</(?:[\w.-]+:)?collection\s*>")
_NS_DECL_RE = re.compile(rb"\sxmlns(?::[\w.-]+)?\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.-]+)[\"'][^>]*\?>")
_CONTROL_001_RE = re.compile(rb"<(?:[\w.-]+:)?controlfield\s[^>]*?tag\s*=\s*[\"']001[\"'][^>]*>\s*([^<]*?)\s*<")
_POSITION_RE = re.compile(r", line \d+, column \d+$")


def read_marcxml(data: bytes, name: str) -> MarcFile:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    offset0 = len(data) - len(body)
    root = _ROOT_RE.match(body)
    if root is None:
        return MarcFile(refused="it starts like XML but has no root element")
    root_name = root.group("name").decode("ascii", "replace")
    if root_name.split(":")[-1] not in ("collection", "record"):
        return MarcFile(refused=f"XML whose root element is <{root_name}>, not a MARC collection or record")
    starts = [m.start() for m in _RECORD_START_RE.finditer(body, root.start("name") - 1)]
    if not starts:
        return MarcFile(refused=f"a <{root_name}> without any MARC record")
    result = MarcFile()
    encoding = _declared_encoding(body)
    if encoding is not None and not _codec_exists(encoding):
        result.warnings.append(f"{name}: unknown encoding {encoding!r} declared, read as UTF-8")
        encoding = None
    decls = _namespace_declarations(body[:starts[0]])
    for number, start in enumerate(starts, start=1):
        end = starts[number] if number < len(starts) else len(body)
        close = _COLLECTION_END_RE.search(body, start, end)
        if close is not None:
            end = close.start()
        elif number == len(starts) and root_name.split(":")[-1] == "collection":
            result.warnings.append(f"{name}: the file ends without closing its <{root_name}>: it may have been "
                                   "cut short (records after the last one read would be missing)")
        chunk = body[start:end].rstrip()
        position = _position(name, number, offset0 + start)
        record, error = parse_marcxml_record(chunk, decls, encoding)
        if error is not None:
            match = _CONTROL_001_RE.search(chunk)
            identifier = match.group(1).decode("utf-8", "replace").strip()[:512] if match else ""
            result.records.append(FileRecord(identifier or None, chunk, "marcxml", number, position,
                                             error=error))
            continue
        control = record.find(f"{{{MARC_NS}}}controlfield[@tag='001']")
        identifier = (control.text or "").strip() if control is not None and control.text else ""
        result.records.append(FileRecord(identifier or None, serialize_self_contained(record), "marcxml", number,
                                         position))
    return result


def parse_marcxml_record(chunk: bytes, decls: Sequence[bytes], encoding: str | None = None):
    """(record element, None), or (None, the parser's error with line and column within the chunk).

    ``decls`` (the namespace declarations of the enclosing elements) are added to the record's start tag
    where it does not declare them itself; the chunk is read in the file's declared ``encoding``.
    """
    if encoding is not None:
        try:
            chunk = chunk.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not valid {encoding} at byte {exc.start} of the record: {exc.reason}"
    start_tag = _RECORD_START_RE.match(chunk)
    tag_end = chunk.find(b">")
    own = {_decl_name(d) for d in _NS_DECL_RE.findall(chunk, 0, tag_end if tag_end >= 0 else len(chunk))}
    extra = b"".join(b" " + d.strip() for d in decls if _decl_name(d) not in own)
    at = start_tag.end()
    try:
        record = etree.fromstring(chunk[:at] + extra + chunk[at:], safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        if line == 1 and column > at:
            column -= len(extra)
        message = _POSITION_RE.sub("", exc.msg or str(exc))
        return None, f"MARCXML record not well-formed: {message} (line {line}, column {column} of the record)"
    if etree.QName(record).namespace is None:  # un-namespaced MARCXML (Alma exports): inject the namespace
        for el in record.iter():
            if isinstance(el.tag, str) and etree.QName(el).namespace is None:
                el.tag = f"{{{MARC_NS}}}{etree.QName(el).localname}"
    return record, None


def _namespace_declarations(prolog: bytes) -> list[bytes]:
    """The xmlns declarations of the elements enclosing the first record, one per prefix (the first wins)."""
    found: dict[bytes, bytes] = {}
    for decl in _NS_DECL_RE.findall(prolog):
        found.setdefault(_decl_name(decl), decl)
    return list(found.values())


def _decl_name(decl: bytes) -> bytes:
    return decl.split(b"=")[0].strip()


def _declared_encoding(data: bytes) -> str | None:
    """The encoding of the XML declaration, None for UTF-8 (or none declared)."""
    match = _DECL_RE.match(data)
    if match is None or match.group(1).lower() in (b"utf-8", b"utf8"):
        return None
    return match.group(1).decode("ascii")


def _codec_exists(encoding: str) -> bool:
    try:
        b"".decode(encoding)
    except LookupError:
        return False
    return True


# --- a file -----------------------------------------------------------------------------------------------


def read_marc(data: bytes, name: str) -> MarcFile:
    """The records of one ISO 2709 or MARCXML file (told apart by the first bytes), or why it is refused."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n\x00")[:1]
    if not head:
        return MarcFile(refused="the file is empty" if not data else "the file holds only blank space")
    if head == b"<":
        return read_marcxml(data, name)
    return read_iso2709(data, name)


def read_marc_file(path: Path) -> MarcFile:
    return read_marc(path.read_bytes(), path.name)


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
    file_problems: list[str] = []  # files refused or unreadable: nothing of them imported
    files_read = 0
    try:
        for raw_path in paths:
            path = Path(raw_path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                problem = f"{path}: cannot read: {exc}"
                file_problems.append(await _file_problem(sessions, library_id, run_id, problem))
                continue
            content = read_marc(data, path.name)
            if content.refused is not None:
                problem = f"{path.name}: not a MARC file ({content.refused})"
                file_problems.append(await _file_problem(sessions, library_id, run_id, problem, data[:256]))
                continue
            files_read += 1
            counters.warnings.extend(content.warnings)
            for start in range(0, len(content.records), BATCH):
                incoming, broken = [], []
                for rec in content.records[start:start + BATCH]:
                    if rec.error is not None:
                        broken.append(BrokenRecord(rec.error, rec.raw, rec.position, rec.identifier,
                                                   url=path.name))
                        continue
                    identifier = rec.identifier or f"{path.name}#{rec.number}"
                    if rec.warning:
                        counters.warnings.append(f"{path.name} {identifier}: {rec.warning}")
                    incoming.append(IncomingRecord(identifier, None, False, rec.raw, rec.raw_format))
                summary.quarantined.extend(b.identifier or b.position for b in broken)
                del summary.quarantined[MAX_LISTED:]
                counters.pages += 1
                async with transaction(sessions) as session:
                    await store_page(session, library_id=library_id, run_id=run_id, records=incoming,
                                     checkpoint=None, update_checkpoint=False, counters=counters,
                                     broken=broken, source="import")
        if not files_read:
            summary.status = "failed"
            summary.error = "; ".join(file_problems) or "no file given"
            summary.error_type = "NoMarcFile"
        else:
            counters.warnings.extend(file_problems)
            summary.status = "succeeded_with_errors" if counters.counts.failed or file_problems else "succeeded"
        async with transaction(sessions) as session:
            await save_run_counters(session, run_id, counters, status=summary.status, finished_at=utcnow(),
                                    error=summary.error)
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


async def _file_problem(sessions: async_sessionmaker[AsyncSession], library_id: int, run_id: int, message: str,
                        head: bytes = b"") -> str:
    """A file refused or unreadable, as a harvest_errors row with the file's first bytes; returns the message."""
    async with transaction(sessions) as session:
        await record_problems(session, library_id, run_id, [Problem(message, None, "harvest", head or None)])
    return message
