"""Staff match overrides: store, remove, list, and re-cluster what they concern.

kinds: "never" (record_a and record_b never share a union record), "always" (they always do),
"split" (record_a stands alone). The clustering stage reads every override on every run
(`service.load_overrides`); this module only changes the table and re-clusters at once the records an
override concerns, with every other member of their union records, so the answer can say what moved.

Records are named by internal id or, friendlier, by library code and OAI identifier.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import Cluster, ClusterMember, Library, MatchKey, MatchOverride, SourceRecord, transaction
from unioncat.dedup.service import PREV, cluster_pending, rebuild_dirty
from unioncat.errors import BadRequest, RecordNotFound

KINDS = ("never", "always", "split")
RecordRef = int | str | dict
Process = Callable[[], Awaitable[object]]


async def resolve_record(session: AsyncSession, ref: RecordRef) -> int:
    """A source record id from an id, "LIB:oai-identifier", or {"library": LIB, "identifier": ID}."""
    library = identifier = None
    if isinstance(ref, bool):
        raise BadRequest("a record is an id, 'LIBRARY:identifier' or {library, identifier}")
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        rid = int(ref)
        if await session.get(SourceRecord, rid) is None:
            raise RecordNotFound(f"no source record with id {rid}")
        return rid
    if isinstance(ref, str) and ":" in ref:
        library, _, identifier = ref.partition(":")
    elif isinstance(ref, dict):
        library, identifier = ref.get("library"), ref.get("identifier")
    if not library or not identifier or not isinstance(library, str) or not isinstance(identifier, str):
        raise BadRequest("a record is an id, 'LIBRARY:identifier' or {library, identifier}")
    rid = (await session.execute(
        select(SourceRecord.id).join(Library, Library.id == SourceRecord.library_id)
        .where(Library.code == library.strip(), SourceRecord.identifier == identifier.strip())
    )).scalar_one_or_none()
    if rid is None:
        raise RecordNotFound(f"no record {identifier!r} from library {library!r}")
    return rid


async def _placement(session: AsyncSession, ids: list[int]) -> dict[int, dict]:
    rows = (await session.execute(
        select(SourceRecord.id, Library.code, SourceRecord.identifier, ClusterMember.cluster_id, ClusterMember.rule)
        .join(Library, Library.id == SourceRecord.library_id)
        .outerjoin(ClusterMember, ClusterMember.source_record_id == SourceRecord.id)
        .where(SourceRecord.id.in_(ids))
    )).all()
    return {rid: {"record": rid, "library": lib, "identifier": ident, "cluster": cid, "rule": rule}
            for rid, lib, ident, cid, rule in rows}


async def _affected(session: AsyncSession, records: list[int]) -> list[int]:
    """The records and every other member of their union records."""
    clusters = (await session.execute(
        select(ClusterMember.cluster_id).where(ClusterMember.source_record_id.in_(records)))).scalars().all()
    members = (await session.execute(
        select(ClusterMember.source_record_id).where(ClusterMember.cluster_id.in_(set(clusters))))).scalars().all()
    return sorted(set(records) | set(members))


async def _release(session: AsyncSession, records: list[int]) -> None:
    """Make the records match again on the next clustering run, remembering the cluster each was in."""
    rows = (await session.execute(
        select(ClusterMember.source_record_id, ClusterMember.cluster_id)
        .where(ClusterMember.source_record_id.in_(records)))).all()
    await session.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(records)))
    await session.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(records)))
    if rows:
        await session.execute(insert(MatchKey), [{"source_record_id": r, "key": f"{PREV}{c}"} for r, c in rows])
        await session.execute(update(Cluster).where(Cluster.id.in_({c for _, c in rows})).values(dirty=True))
    await session.execute(update(SourceRecord).where(
        SourceRecord.id.in_(records), SourceRecord.status == "clustered").values(status="normalized"))


async def recluster(sessions: async_sessionmaker[AsyncSession], records: list[int],
                    process: Process | None = None) -> tuple[list[dict], dict[str, dict]]:
    """Match the records (and their cluster-mates) again now; returns each one's cluster before and after."""
    async with transaction(sessions) as session:
        affected = await _affected(session, records)
        before = await _placement(session, affected)
        await _release(session, affected)
    if process is not None:
        await process()
    else:
        await cluster_pending(sessions)
        await rebuild_dirty(sessions)
    async with sessions() as session:
        after = await _placement(session, affected)
        statuses = dict((await session.execute(select(Cluster.id, Cluster.status).where(
            Cluster.id.in_({p["cluster"] for p in before.values() if p["cluster"]})))).all())
        redirects = dict((await session.execute(select(Cluster.id, Cluster.redirect_to).where(
            Cluster.id.in_([c for c, s in statuses.items() if s == "absorbed"])))).all())
    changes = []
    for rid in affected:
        b, a = before.get(rid, {}), after.get(rid, {})
        changes.append({
            "record": rid, "library": a.get("library") or b.get("library"),
            "identifier": a.get("identifier") or b.get("identifier"),
            "before": b.get("cluster"), "after": a.get("cluster"), "rule": a.get("rule"),
            "moved": b.get("cluster") != a.get("cluster"),
        })
    return changes, {cid: {"status": s, "redirect_to": redirects.get(cid)} for cid, s in statuses.items()}


def _as_dict(o: MatchOverride) -> dict:
    return {"id": o.id, "kind": o.kind, "record_a": o.record_a, "record_b": o.record_b, "note": o.note,
            "created_by": o.created_by, "created_at": o.created_at.isoformat() if o.created_at else None}


async def add_override(sessions: async_sessionmaker[AsyncSession], kind: str, record_a: RecordRef,
                       record_b: RecordRef | None = None, note: str | None = None, created_by: str | None = None,
                       process: Process | None = None) -> dict:
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    async with transaction(sessions) as session:
        a = await resolve_record(session, record_a)
        b = None
        if kind == "split":
            if record_b is not None:
                raise BadRequest("a split concerns one record (record_a)")
        else:
            if record_b is None:
                raise BadRequest(f"a {kind!r} override needs record_b")
            b = await resolve_record(session, record_b)
            if a == b:
                raise BadRequest("record_a and record_b are the same record")
            a, b = min(a, b), max(a, b)
            opposite = "always" if kind == "never" else "never" if kind == "always" else None
            clash = (await session.execute(select(MatchOverride.id).where(
                MatchOverride.kind == opposite, MatchOverride.record_a.in_((a, b)),
                MatchOverride.record_b.in_((a, b))))).scalars().first()
            if clash is not None:
                raise BadRequest(f"override {clash} says {opposite!r} for these records; delete it first")
        existing = (await session.execute(select(MatchOverride).where(
            MatchOverride.kind == kind, MatchOverride.record_a == a,
            MatchOverride.record_b.is_(None) if b is None else MatchOverride.record_b == b))).scalars().first()
        if existing is None:
            existing = MatchOverride(kind=kind, record_a=a, record_b=b, note=note, created_by=created_by)
            session.add(existing)
            await session.flush()
        override = _as_dict(existing)
    changes, clusters = await recluster(sessions, [r for r in (a, b) if r is not None], process)
    return {"override": override, "changes": changes, "clusters": clusters}


async def delete_override(sessions: async_sessionmaker[AsyncSession], override_id: int,
                          process: Process | None = None) -> dict:
    async with transaction(sessions) as session:
        o = await session.get(MatchOverride, override_id)
        if o is None:
            raise RecordNotFound(f"no override with id {override_id}")
        gone = _as_dict(o)
        await session.delete(o)
    records = [r for r in (gone["record_a"], gone["record_b"]) if r is not None]
    changes, clusters = await recluster(sessions, records, process)
    return {"deleted": gone, "changes": changes, "clusters": clusters}


async def list_overrides(session: AsyncSession, record: int | None = None) -> list[dict]:
    q = select(MatchOverride).order_by(MatchOverride.id)
    if record is not None:
        q = q.where((MatchOverride.record_a == record) | (MatchOverride.record_b == record))
    rows = (await session.execute(q)).scalars().all()
    ids = sorted({r for o in rows for r in (o.record_a, o.record_b) if r is not None})
    where = await _placement(session, ids) if ids else {}
    out = []
    for o in rows:
        d = _as_dict(o)
        for side in ("record_a", "record_b"):
            rid = d[side]
            if rid is not None and rid in where:
                p = where[rid]
                d[side] = {"id": rid, "library": p["library"], "identifier": p["identifier"], "cluster": p["cluster"]}
        out.append(d)
    return out
