"""Write harvested records into ``source_records``: one page and its checkpoint in one transaction.

Upsert by (library_id, identifier), batched: one SELECT of the stored hashes for the page's identifiers,
then one bulk INSERT and one bulk UPDATE. The same code path serves OAI-PMH pages and MARC file imports,
on SQLite and PostgreSQL alike.

    new identifier              -> insert, status "new"                       (records_new)
    stored, content hash differs -> raw replaced, status "new", deleted False  (records_updated)
    stored, same hash            -> untouched                                  (records_unchanged)
    deleted header              -> deleted True, status "deleted", raw kept    (records_deleted)
                                   (untouched when already deleted: records_unchanged)
    datestamp older than stored -> untouched: the newer version wins            (older)

The same identifier twice (in one page, or already written by this run) counts as a duplicate; the
version with the newer datestamp wins, the later one on a tie (a delete then a re-add leaves the re-add).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from harvesters.dates import is_older
from harvesters.quarantine import BrokenRecord, quarantine, resolve
from unioncat.db.tables import HarvestError, HarvestRun, Library, SourceRecord, utcnow

DELETED_HASH = "deleted"  # content_hash of a tombstone: never equal to a sha256 hex digest
SELECT_CHUNK = 500  # identifiers per IN (...) (SQLite's and asyncpg's parameter limits)


@dataclass(frozen=True)
class IncomingRecord:
    """What the harvest (or an import) hands to the store."""

    identifier: str
    datestamp: str | None
    deleted: bool
    raw: bytes | None
    raw_format: str | None


def content_hash(raw: bytes | None, deleted: bool) -> str:
    return DELETED_HASH if deleted else hashlib.sha256(raw or b"").hexdigest()


@dataclass
class PageCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    duplicates: int = 0  # same identifier more than once in the page or the run (the newer one wins)
    older: int = 0  # older than the stored version: ignored

    def add(self, other: "PageCounts") -> None:
        for name in ("new", "updated", "unchanged", "deleted", "failed", "duplicates", "older"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.deleted


@dataclass
class Problem:
    """A per-record or per-page problem to record in ``harvest_errors``."""

    message: str
    identifier: str | None = None
    stage: str = "harvest"  # harvest | parse | repair
    payload: bytes | None = None


@dataclass
class RunCounters:
    """Cumulative counters written to the ``harvest_runs`` row with every page."""

    pages: int = 0
    requests: int = 0
    retries: int = 0
    counts: PageCounts = field(default_factory=PageCounts)
    warnings: list[str] = field(default_factory=list)


async def upsert_records(session: AsyncSession, library_id: int, run_id: int | None,
                         records: Sequence[IncomingRecord]) -> PageCounts:
    """Upsert one batch of records (no commit: the caller's transaction decides)."""
    counts = PageCounts()
    latest: dict[str, IncomingRecord] = {}
    for rec in records:
        previous = latest.get(rec.identifier)
        if previous is not None:
            counts.duplicates += 1
            if is_older(rec.datestamp, previous.datestamp):
                continue
        latest[rec.identifier] = rec
    if not latest:
        return counts
    ids = list(latest)
    stored: dict[str, tuple[int, str | None, bool]] = {}
    table = SourceRecord.__table__
    for start in range(0, len(ids), SELECT_CHUNK):
        chunk = ids[start:start + SELECT_CHUNK]
        result = await session.execute(
            select(table.c.identifier, table.c.id, table.c.content_hash, table.c.deleted, table.c.datestamp,
                   table.c.run_id)
            .where(table.c.library_id == library_id, table.c.identifier.in_(chunk)))
        for identifier, row_id, hash_, deleted, datestamp, row_run in result:
            if run_id is not None and row_run == run_id:
                counts.duplicates += 1  # already written by this run, from an earlier page
            if is_older(latest[identifier].datestamp, datestamp):
                counts.older += 1
                del latest[identifier]
                continue
            stored[identifier] = (row_id, hash_, deleted)
    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    tombstones: list[dict] = []
    for identifier, rec in latest.items():
        new_hash = content_hash(rec.raw, rec.deleted)
        old = stored.get(identifier)
        if rec.deleted:
            if old is None:
                inserts.append(dict(library_id=library_id, identifier=identifier, datestamp=rec.datestamp,
                                    deleted=True, raw=None, raw_format=rec.raw_format or "marcxml",
                                    content_hash=new_hash, status="deleted", error=None, run_id=run_id,
                                    first_seen_at=now, updated_at=now))
                counts.deleted += 1
            elif old[2]:
                counts.unchanged += 1
            else:
                tombstones.append(dict(b_id=old[0], b_datestamp=rec.datestamp))
                counts.deleted += 1
            continue
        if old is None:
            inserts.append(dict(library_id=library_id, identifier=identifier, datestamp=rec.datestamp,
                                deleted=False, raw=rec.raw, raw_format=rec.raw_format or "marcxml",
                                content_hash=new_hash, status="new", error=None, run_id=run_id,
                                first_seen_at=now, updated_at=now))
            counts.new += 1
        elif old[1] == new_hash and not old[2]:
            counts.unchanged += 1
        else:
            updates.append(dict(b_id=old[0], b_datestamp=rec.datestamp, b_raw=rec.raw,
                                b_raw_format=rec.raw_format or "marcxml", b_hash=new_hash))
            counts.updated += 1
    if inserts:
        await session.execute(table.insert(), inserts)
    if updates:
        await session.execute(
            table.update().where(table.c.id == bindparam("b_id")).values(
                datestamp=bindparam("b_datestamp"), raw=bindparam("b_raw"), raw_format=bindparam("b_raw_format"),
                content_hash=bindparam("b_hash"), run_id=run_id, updated_at=now, deleted=False, status="new",
                error=None),
            updates)
    if tombstones:
        await session.execute(
            table.update().where(table.c.id == bindparam("b_id")).values(
                datestamp=bindparam("b_datestamp"), content_hash=DELETED_HASH, run_id=run_id, updated_at=now,
                deleted=True, status="deleted"),
            tombstones)
    return counts


async def record_problems(session: AsyncSession, library_id: int, run_id: int | None,
                          problems: Iterable[Problem]) -> int:
    rows = [dict(library_id=library_id, run_id=run_id, identifier=(p.identifier or None) and p.identifier[:512],
                 stage=p.stage, message=p.message, payload=p.payload, created_at=utcnow()) for p in problems]
    if rows:
        await session.execute(HarvestError.__table__.insert(), rows)
    return len(rows)


async def save_run_counters(session: AsyncSession, run_id: int, counters: RunCounters, **extra) -> None:
    c = counters.counts
    await session.execute(
        update(HarvestRun).where(HarvestRun.id == run_id).values(
            pages=counters.pages, requests=counters.requests, retries=counters.retries,
            records_new=c.new, records_updated=c.updated, records_unchanged=c.unchanged,
            records_deleted=c.deleted, records_failed=c.failed, warnings=list(counters.warnings), **extra))


async def store_page(session: AsyncSession, *, library_id: int, run_id: int,
                     records: Sequence[IncomingRecord], checkpoint: dict | None,
                     counters: RunCounters, problems: Sequence[Problem] = (),
                     broken: Sequence[BrokenRecord] = (), source: str = "list",
                     update_checkpoint: bool = True) -> PageCounts:
    """A page's records, its broken records, its problems, the run's counters and the library's checkpoint,
    together.

    Call inside one transaction (``unioncat.db.transaction``): either all of it is stored or none.
    ``broken`` records are quarantined (harvesters/quarantine.py) and counted as failed; a record that arrives
    readable (or deleted) resolves an open quarantine entry of its identifier. ``source`` says where the
    records came from ("list", "getrecord", "import"). ``update_checkpoint=False`` leaves the library's
    checkpoint alone (file imports). ``counters`` is updated in place with this page's counts before the run
    row is written.
    """
    counts = await upsert_records(session, library_id, run_id, records)
    counts.failed += sum(1 for p in problems if p.stage != "repair") + len(broken)
    await record_problems(session, library_id, run_id, problems)
    await quarantine(session, library_id, run_id, broken, source=source)
    verb = {"import": "imported again", "getrecord": "recovered with GetRecord"}.get(source, "harvested again")
    await resolve(session, library_id, (r.identifier for r in records if not r.deleted),
                  f"{verb} (run {run_id})")
    await resolve(session, library_id, (r.identifier for r in records if r.deleted),
                  f"deleted by the library (run {run_id})")
    counters.counts.add(counts)
    await save_run_counters(session, run_id, counters)
    if update_checkpoint:
        await session.execute(update(Library).where(Library.id == library_id).values(checkpoint=checkpoint))
    return counts


async def run_problems(session: AsyncSession, run_ids: Sequence[int], *, limit: int = 20) -> dict[int, dict]:
    """What went wrong in each run, for status pages: ``{run_id: {"errors": [...], "errors_total": n,
    "quarantined": [...], "quarantined_total": n}}``.

    ``errors`` are the run's harvest problems (a repair, a failed reconciliation, the failure itself) with the
    record's identifier; ``quarantined`` are the records this run could not read (``"stage": "harvest"``,
    open quarantine entries last seen by this run, with their position) and those it brought in that
    normalization could not read (``"stage": "normalize"``), with their error. At most ``limit`` of each per
    run, newest runs first as given.
    """
    from sqlalchemy import func

    from unioncat.db.tables import QuarantinedRecord

    out: dict[int, dict] = {}
    for run_id in run_ids:
        errors = (await session.execute(
            select(HarvestError.identifier, HarvestError.stage, HarvestError.message)
            .where(HarvestError.run_id == run_id).order_by(HarvestError.id).limit(limit))).all()
        errors_total = (await session.execute(
            select(func.count()).select_from(HarvestError).where(HarvestError.run_id == run_id))).scalar_one()
        broken = (await session.execute(
            select(QuarantinedRecord.identifier, QuarantinedRecord.position, QuarantinedRecord.error)
            .where(QuarantinedRecord.run_id == run_id, QuarantinedRecord.status == "open")
            .order_by(QuarantinedRecord.id).limit(limit))).all()
        broken_total = (await session.execute(
            select(func.count()).select_from(QuarantinedRecord)
            .where(QuarantinedRecord.run_id == run_id, QuarantinedRecord.status == "open"))).scalar_one()
        quarantined = (await session.execute(
            select(SourceRecord.identifier, SourceRecord.error)
            .where(SourceRecord.run_id == run_id, SourceRecord.status == "quarantined")
            .order_by(SourceRecord.id).limit(limit))).all()
        quarantined_total = (await session.execute(
            select(func.count()).select_from(SourceRecord)
            .where(SourceRecord.run_id == run_id, SourceRecord.status == "quarantined"))).scalar_one()
        listed = [{"identifier": i, "position": p, "stage": "harvest", "error": e} for i, p, e in broken]
        listed += [{"identifier": i, "position": None, "stage": "normalize", "error": e} for i, e in quarantined]
        out[run_id] = {
            "errors": [{"identifier": i, "stage": s, "message": m} for i, s, m in errors],
            "errors_total": errors_total,
            "quarantined": listed[:limit],
            "quarantined_total": broken_total + quarantined_total,
        }
    return out
