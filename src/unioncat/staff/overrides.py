"""Staff match decisions from the cluster page: split, never-merge, merge.

The page's forms are checked here (`validate`), then stored and applied through the dedup stage's override
service (`unioncat.dedup.overrides`), which re-clusters the records concerned at once and keeps applying
the decision on every clustering run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import ClusterMember, MatchOverride, transaction
from unioncat.dedup import overrides as dedup_overrides
from unioncat.errors import BadRequest, Conflict, RecordNotFound
from unioncat.pipeline import process
from unioncat.search.backend import SearchBackend

KINDS = ("split", "never", "always")


@dataclass
class Decision:
    kind: str  # split | never | always
    record_a: int
    record_b: int | None
    note: str | None
    created_by: str


async def _cluster_of(session: AsyncSession, record_id: int) -> str | None:
    return (await session.execute(
        select(ClusterMember.cluster_id).where(ClusterMember.source_record_id == record_id))).scalar_one_or_none()


async def _members(session: AsyncSession, cluster_id: str) -> list[int]:
    return list((await session.execute(
        select(ClusterMember.source_record_id).where(ClusterMember.cluster_id == cluster_id)
        .order_by(ClusterMember.source_record_id))).scalars())


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


async def apply(sessions: async_sessionmaker[AsyncSession], backend: SearchBackend, decision: Decision) -> dict:
    """Store the decision through the dedup stage's override service, which re-clusters the records it
    concerns and keeps applying it on every run; return where the records ended up.

    "Merge" on the cluster page joins two whole union records: every member of the page's union record is
    linked ("always") to a member of the other one, so all of them follow, not just one.
    """

    async def run_process():
        return await process(sessions, backend)

    if decision.kind != "always":
        await dedup_overrides.add_override(sessions, decision.kind, decision.record_a, decision.record_b,
                                           decision.note, created_by=decision.created_by, process=run_process)
    else:
        await _merge_union_records(sessions, decision, run_process)
    records = [r for r in (decision.record_a, decision.record_b) if r is not None]
    async with sessions() as session:
        return {"kind": decision.kind, "clusters": {r: await _cluster_of(session, r) for r in records}}


async def _merge_union_records(sessions: async_sessionmaker[AsyncSession], decision: Decision, run_process) -> None:
    """Link every member of record_a's union record to record_b ("always"), all or nothing, then re-cluster
    once. A "never" decision between any of them refuses the whole merge before anything is stored."""
    b = decision.record_b
    async with transaction(sessions) as session:
        cluster = await _cluster_of(session, decision.record_a)
        members = await _members(session, cluster) if cluster else [decision.record_a]
        pairs = {(min(m, b), max(m, b)) for m in members if m != b}
        nevers = (await session.execute(select(MatchOverride.record_a, MatchOverride.record_b).where(
            MatchOverride.kind == "never", MatchOverride.record_a.in_([p[0] for p in pairs]),
            MatchOverride.record_b.in_([p[1] for p in pairs])))).all()
        clash = sorted(set(map(tuple, nevers)) & pairs)
        if clash:
            raise BadRequest(f"records {clash[0][0]} and {clash[0][1]} are marked never-merge; remove that first")
        existing = set(map(tuple, (await session.execute(select(MatchOverride.record_a, MatchOverride.record_b).where(
            MatchOverride.kind == "always", MatchOverride.record_a.in_([p[0] for p in pairs]),
            MatchOverride.record_b.in_([p[1] for p in pairs])))).all()))
        for a, other in sorted(pairs - existing):
            session.add(MatchOverride(kind="always", record_a=a, record_b=other, note=decision.note,
                                      created_by=decision.created_by))
    await dedup_overrides.recluster(sessions, sorted({*members, b}), run_process)
