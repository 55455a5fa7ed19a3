"""Deletion reconciliation for libraries that do not (or not reliably) report deletions.

A library with ``deletedRecord=no`` (or ``transient``, or a set-restricted harvest, where records leaving
the set are never signalled) is listed in full with ListIdentifiers; stored live records absent from a
*complete* listing are marked deleted. Nothing is deleted when the listing failed or stopped early, when it
is empty, or when more than ``max_fraction`` of the stored records would go (RecordManager's guard:
"No records received during reharvesting -- assuming an error").
"""

from __future__ import annotations

import asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvesters.oai import OAIClient
from harvesters.store import DELETED_HASH
from unioncat.db.session import transaction
from unioncat.db.tables import SourceRecord, utcnow

DEFAULT_MAX_FRACTION = 0.5
CHUNK = 500


class ReconcileRefused(Exception):
    """The listing cannot be trusted enough to delete anything."""


def plan_deletions(stored_live: set[str], listed: set[str], *, max_fraction: float = DEFAULT_MAX_FRACTION) -> set[str]:
    """Identifiers to mark deleted, or ReconcileRefused when the listing looks wrong (pure)."""
    if not stored_live:
        return set()
    if not listed:
        raise ReconcileRefused(f"the complete identifier list is empty but {len(stored_live)} records are stored: "
                               "assuming an error, nothing deleted")
    gone = stored_live - listed
    if len(gone) > max_fraction * len(stored_live):
        raise ReconcileRefused(f"{len(gone)} of {len(stored_live)} stored records are missing from the list "
                               f"(more than {max_fraction:.0%}): nothing deleted")
    return gone


def list_all_identifiers(client: OAIClient, metadata_prefix: str, set_spec: str | None) -> set[str]:
    """Every live identifier of a complete ListIdentifiers (synchronous; raises HarvestFailure, and
    ReconcileRefused when a header cannot be read: the list would be incomplete)."""
    listed: set[str] = set()
    pages = client.list_pages("ListIdentifiers", metadataPrefix=metadata_prefix, set=set_spec)
    while not pages.finished:
        page = pages.next()
        if page.failure is not None:
            raise page.failure
        for broken in page.broken:  # an unreadable header still names a record that exists, when it can
            if not broken.identifier:
                raise ReconcileRefused(f"an identifier cannot be read ({broken.position}: {broken.error}): "
                                       "the list is incomplete, nothing deleted")
            listed.add(broken.identifier)
        for header in page.items:
            if not header.identifier:
                raise ReconcileRefused(f"a header without identifier on page {page.number}: the list is "
                                       "incomplete, nothing deleted")
            if not header.deleted:
                listed.add(header.identifier)
    return listed


async def reconcile_library(sessions: async_sessionmaker[AsyncSession], client: OAIClient, library_id: int,
                            run_id: int | None, metadata_prefix: str, set_spec: str | None, *,
                            max_fraction: float = DEFAULT_MAX_FRACTION) -> int:
    """List identifiers, then mark stored live records that are absent as deleted. Returns how many.

    Raises HarvestFailure when the listing fails and ReconcileRefused when it cannot be trusted.
    """
    listed = await asyncio.to_thread(list_all_identifiers, client, metadata_prefix, set_spec)
    async with sessions() as session:
        stored_live = set((await session.execute(
            select(SourceRecord.identifier).where(SourceRecord.library_id == library_id,
                                                  SourceRecord.deleted.is_(False)))).scalars())
    gone = sorted(plan_deletions(stored_live, listed, max_fraction=max_fraction))
    now = utcnow()
    async with transaction(sessions) as session:
        for start in range(0, len(gone), CHUNK):
            await session.execute(
                update(SourceRecord)
                .where(SourceRecord.library_id == library_id, SourceRecord.identifier.in_(gone[start:start + CHUNK]))
                .values(deleted=True, status="deleted", content_hash=DELETED_HASH, run_id=run_id, updated_at=now)
                .execution_options(synchronize_session=False))
    return len(gone)
