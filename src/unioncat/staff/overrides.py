"""Staff match decisions from the cluster page: split, never-merge, merge.

Each decision is stored as a `MatchOverride` row (the dedup stage applies those on every clustering run), the
records it concerns go back to status "normalized", and `pipeline.process` re-clusters them at once. Until the
clustering stage reads overrides itself, `_enforce` makes the decision visible right away by moving cluster
members directly (the same state the override asks the clustering to keep); once clustering honours the
overrides, `_enforce` finds nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import Cluster, ClusterMember, Library, MatchOverride, SourceRecord, transaction
from unioncat.db.tables import utcnow
from unioncat.dedup.service import cluster_id_for, rebuild_dirty
from unioncat.errors import BadRequest, Conflict, RecordNotFound
from unioncat.pipeline import process
from unioncat.search.backend import SearchBackend
from unioncat.search.indexer import index_dirty

KINDS = ("split", "never", "always")


@dataclass
class Decision:
    kind: str  # split | never | always
    record_a: int
    record_b: int | None
    note: str | None
    created_by: str
    absorb: str | None = None  # "always": the union record the reader knew for record_b; its id must redirect


async def _cluster_of(session: AsyncSession, record_id: int) -> str | None:
    return (await session.execute(
        select(ClusterMember.cluster_id).where(ClusterMember.source_record_id == record_id))).scalar_one_or_none()


async def _members(session: AsyncSession, cluster_id: str) -> list[int]:
    return list((await session.execute(
        select(ClusterMember.source_record_id).where(ClusterMember.cluster_id == cluster_id)
        .order_by(ClusterMember.source_record_id))).scalars())


async def _fresh_cluster_id(session: AsyncSession, record_id: int) -> str:
    library, identifier = (await session.execute(
        select(Library.code, SourceRecord.identifier).join(Library, Library.id == SourceRecord.library_id)
        .where(SourceRecord.id == record_id))).one()
    for attempt in range(100):
        cid = cluster_id_for(library, identifier, attempt)
        existing = await session.get(Cluster, cid)
        if existing is None:
            now = utcnow()
            session.add(Cluster(id=cid, status="active", dirty=True, index_dirty=True, member_count=0,
                                created_at=now, updated_at=now))
            await session.flush()
            return cid
        if existing.status == "empty":
            existing.status, existing.redirect_to, existing.dirty = "active", None, True
            await session.flush()
            return cid
    raise Conflict(f"no free cluster id for record {record_id}")


async def validate(sessions: async_sessionmaker[AsyncSession], cluster_id: str, kind: str, record_a: int | None,
                   record_b: int | None, other_cluster: str | None) -> tuple[int, int | None]:
    """Check a decision posted from the page of `cluster_id`; returns the two source record ids it concerns."""
    if kind not in KINDS:
        raise BadRequest(f"unknown decision {kind!r}")
    async with sessions() as session:
        members = await _members(session, cluster_id)
        if not members:
            raise RecordNotFound(f"no active cluster with id {cluster_id!r}")
        if kind == "split":
            if record_a not in members:
                raise BadRequest("the record to split off is not a member of this cluster")
            if len(members) < 2:
                raise Conflict("a cluster with one member cannot be split")
            return record_a, None
        if kind == "never":
            if record_a not in members or record_b not in members or record_a == record_b:
                raise BadRequest("never-merge needs two different members of this cluster")
            return record_a, record_b
        other = (other_cluster or "").strip()[:24]
        other_members = await _members(session, other) if other else []
        if not other_members:
            raise BadRequest(f"no active union record with id {other!r} to merge with")
        if other == cluster_id:
            raise BadRequest("a union record cannot be merged with itself")
        return members[0], other_members[0]


async def _enforce(session: AsyncSession, decision: Decision) -> bool:
    """Make the cluster state agree with the decision; True if something had to move."""
    a, b = decision.record_a, decision.record_b
    ca = await _cluster_of(session, a)
    cb = await _cluster_of(session, b) if b is not None else None
    if ca is None:
        return False
    now = utcnow()
    if decision.kind == "split":
        if len(await _members(session, ca)) < 2:
            return False
        moving, old = a, ca
    elif decision.kind == "never":
        if cb != ca:
            return False
        moving, old = b, ca
    else:  # always: b's whole cluster joins a's, and the id readers knew for b redirects to a's
        moved = False
        if cb is not None and cb != ca:
            moved = True
            await _absorb(session, cb, ca, a, decision.created_by, now)
        if decision.absorb and decision.absorb not in (ca, cb):
            old_cluster = await session.get(Cluster, decision.absorb)
            if old_cluster is not None and old_cluster.status != "absorbed":
                if await _members(session, decision.absorb):
                    await _absorb(session, decision.absorb, ca, a, decision.created_by, now)
                else:
                    old_cluster.status, old_cluster.redirect_to, old_cluster.data = "absorbed", ca, None
                    old_cluster.index_dirty, old_cluster.dirty = True, False
                moved = True
        return moved
    new = await _fresh_cluster_id(session, moving)
    await session.execute(
        update(ClusterMember).where(ClusterMember.source_record_id == moving)
        .values(cluster_id=new, rule="override", evidence={"rule": "override", "override": decision.kind,
                                                           "from": old, "by": decision.created_by}))
    await session.execute(update(Cluster).where(Cluster.id.in_([old, new])).values(dirty=True))
    return True


async def _absorb(session: AsyncSession, cb: str, ca: str, a: int, by: str, now) -> None:
    """Every member of cluster `cb` joins `ca`; `cb` is kept as a redirect to `ca`."""
    await session.execute(
        update(ClusterMember).where(ClusterMember.cluster_id == cb)
        .values(cluster_id=ca, rule="override", evidence={"rule": "override", "override": "always",
                                                           "with": a, "by": by}))
    await session.execute(update(Cluster).where(Cluster.id == cb).values(
        status="absorbed", redirect_to=ca, data=None, member_count=0, dirty=False, index_dirty=True,
        updated_at=now))
    await session.execute(update(Cluster).where(Cluster.id == ca).values(dirty=True))


async def apply(sessions: async_sessionmaker[AsyncSession], backend: SearchBackend, decision: Decision) -> dict:
    """Store the decision, re-process the records it concerns, and return where they ended up."""
    records = [r for r in (decision.record_a, decision.record_b) if r is not None]
    async with transaction(sessions) as session:
        session.add(MatchOverride(kind=decision.kind, record_a=decision.record_a, record_b=decision.record_b,
                                  note=decision.note, created_by=decision.created_by))
        await session.execute(update(SourceRecord).where(
            SourceRecord.id.in_(records), SourceRecord.status == "clustered").values(status="normalized"))
    await process(sessions, backend)
    async with transaction(sessions) as session:
        moved = await _enforce(session, decision)
    if moved:
        await rebuild_dirty(sessions)
        await index_dirty(sessions, backend)
    async with sessions() as session:
        return {"kind": decision.kind, "clusters": {r: await _cluster_of(session, r) for r in records},
                "enforced_directly": moved}
