"""The harvest quarantine: records received but unreadable, kept with their bytes until a good copy arrives.

A broken record (bad markup inside an otherwise readable list page, a header without an identifier, a damaged
record in an imported file) becomes an open ``quarantined_records`` entry: library, identifier where readable
(else its position), datestamp, the parser's error, the raw bytes, the request URL. It is not a deletion: a good
copy already in ``source_records`` stays live and unchanged.

    broken again (same identifier, or same bytes)  -> the open entry is updated (last seen, error, bytes)
    a good copy or a deletion of that identifier  -> resolved, with how ("harvested again in run 12", ...)
    GetRecord of an open entry parses             -> stored as a good copy; resolved "recovered with GetRecord"

Everything here runs inside the caller's transaction, so a page's records, its broken records and its checkpoint
are written together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db.tables import QuarantinedRecord, utcnow

SELECT_CHUNK = 500
OPEN = "open"
RESOLVED = "resolved"


@dataclass(frozen=True)
class BrokenRecord:
    """One record that could not be read, as the harvest or an import found it."""

    error: str  # what the parser said, with line and column where it gave them
    raw: bytes  # the record's bytes as received
    position: str  # where it was: "page 3, record 7" or "books.mrc, record 12"
    identifier: str | None = None  # the OAI identifier from its header (or the 001 of a file record)
    datestamp: str | None = None
    url: str | None = None  # the request URL, or the file name


MAX_IDENTIFIER = 512  # source_records.identifier and quarantined_records.identifier


def _key(identifier: str | None) -> str | None:
    return identifier[:MAX_IDENTIFIER] if identifier else None


def raw_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


async def quarantine(session: AsyncSession, library_id: int, run_id: int | None, broken: Sequence[BrokenRecord],
                     *, source: str = "list") -> int:
    """Record broken records as open entries (updating an open entry of the same identifier, or of the same
    bytes when there is no identifier). Returns how many entries are new."""
    if not broken:
        return 0
    table = QuarantinedRecord.__table__
    now = utcnow()
    by_identifier: dict[str, int] = {}
    by_hash: dict[str, int] = {}
    ids = sorted({_key(b.identifier) for b in broken if b.identifier})
    for start in range(0, len(ids), SELECT_CHUNK):
        rows = await session.execute(
            select(table.c.identifier, table.c.id).where(
                table.c.library_id == library_id, table.c.status == OPEN,
                table.c.identifier.in_(ids[start:start + SELECT_CHUNK])))
        by_identifier.update(dict(rows.all()))
    hashes = sorted({raw_hash(b.raw) for b in broken if not b.identifier})
    for start in range(0, len(hashes), SELECT_CHUNK):
        rows = await session.execute(
            select(table.c.raw_hash, table.c.id).where(
                table.c.library_id == library_id, table.c.status == OPEN, table.c.identifier.is_(None),
                table.c.raw_hash.in_(hashes[start:start + SELECT_CHUNK])))
        by_hash.update(dict(rows.all()))
    new = 0
    for b in broken:
        digest = raw_hash(b.raw)
        values = dict(run_id=run_id, source=source, position=b.position[:300], datestamp=b.datestamp,
                      error=b.error, raw=b.raw, raw_hash=digest, url=b.url, last_seen_at=now)
        existing = by_identifier.get(_key(b.identifier)) if b.identifier else by_hash.get(digest)
        if existing is not None:
            await session.execute(update(table).where(table.c.id == existing).values(**values))
            continue
        result = await session.execute(table.insert().values(
            library_id=library_id, identifier=_key(b.identifier), status=OPEN, attempts=0,
            first_seen_at=now, **values))
        row_id = result.inserted_primary_key[0]
        if b.identifier:
            by_identifier[_key(b.identifier)] = row_id
        else:
            by_hash[digest] = row_id
        new += 1
    return new


async def resolve(session: AsyncSession, library_id: int, identifiers: Iterable[str], how: str) -> int:
    """Open entries of these identifiers are resolved (a good copy or a deletion arrived). Returns how many."""
    table = QuarantinedRecord.__table__
    ids = sorted({_key(i) for i in identifiers if i})
    if not ids:
        return 0
    any_open = (await session.execute(
        select(table.c.id).where(table.c.library_id == library_id, table.c.status == OPEN).limit(1))).first()
    if any_open is None:  # the common case: nothing to look up for every page
        return 0
    done = 0
    now = utcnow()
    for start in range(0, len(ids), SELECT_CHUNK):
        result = await session.execute(
            update(table).where(table.c.library_id == library_id, table.c.status == OPEN,
                                table.c.identifier.in_(ids[start:start + SELECT_CHUNK]))
            .values(status=RESOLVED, resolution=how, resolved_at=now))
        done += result.rowcount or 0
    return done


async def open_entries(session: AsyncSession, library_id: int, *, with_identifier: bool = False,
                       limit: int | None = None) -> list[QuarantinedRecord]:
    """Open entries of a library, least recently tried first (``with_identifier``: those GetRecord can fetch)."""
    query = select(QuarantinedRecord).where(QuarantinedRecord.library_id == library_id,
                                            QuarantinedRecord.status == OPEN)
    if with_identifier:
        query = query.where(QuarantinedRecord.identifier.is_not(None), QuarantinedRecord.source != "import")
    # never tried first, then the longest untried: a bounded retry budget reaches every entry in turn
    query = query.order_by(QuarantinedRecord.last_attempt_at.is_not(None), QuarantinedRecord.last_attempt_at,
                           QuarantinedRecord.id)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def resolve_entry(session: AsyncSession, entry_id: int, how: str) -> None:
    table = QuarantinedRecord.__table__
    await session.execute(update(table).where(table.c.id == entry_id).values(
        status=RESOLVED, resolution=how, resolved_at=utcnow(), last_attempt_at=utcnow(), attempts=table.c.attempts + 1))


async def note_attempt(session: AsyncSession, entry_id: int, error: str) -> None:
    """A GetRecord retry that did not give a readable copy."""
    table = QuarantinedRecord.__table__
    await session.execute(update(table).where(table.c.id == entry_id).values(
        attempts=table.c.attempts + 1, last_attempt_error=error, last_attempt_at=utcnow()))


async def open_counts(session: AsyncSession) -> dict[int, int]:
    """{library_id: open entries}."""
    rows = await session.execute(
        select(QuarantinedRecord.library_id, func.count()).where(QuarantinedRecord.status == OPEN)
        .group_by(QuarantinedRecord.library_id))
    return dict(rows.all())


def entry_dict(entry: QuarantinedRecord, library_code: str | None = None) -> dict:
    """An entry as the CLI, the API and the staff pages show it (without the raw bytes)."""
    return {
        "id": entry.id,
        "library": library_code,
        "identifier": entry.identifier,
        "position": entry.position,
        "datestamp": entry.datestamp,
        "error": entry.error,
        "source": entry.source,
        "url": entry.url,
        "status": entry.status,
        "resolution": entry.resolution,
        "attempts": entry.attempts,
        "last_attempt_error": entry.last_attempt_error,
        "raw_bytes": len(entry.raw or b""),
        "run_id": entry.run_id,
        "first_seen_at": entry.first_seen_at.isoformat() if entry.first_seen_at else None,
        "last_seen_at": entry.last_seen_at.isoformat() if entry.last_seen_at else None,
        "resolved_at": entry.resolved_at.isoformat() if entry.resolved_at else None,
    }
