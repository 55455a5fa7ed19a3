"""Cluster stage: put changed records into union records, then rebuild the union records that changed.

Incremental: only records whose status says they changed are (re)matched, only their clusters rebuilt.
One transaction per batch, so an interrupted run loses nothing and the next run finishes the work.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import Cluster, ClusterMember, Library, MatchKey, NormalizedRecord, SourceRecord, transaction
from unioncat.db.tables import utcnow
from unioncat.dedup.keys import MatchView, blocking_keys
from unioncat.dedup.matching import Decision, decide, is_exact
from unioncat.dedup.merge import LibraryInfo, Member, build_union_record
from unioncat.normalize.record import CanonicalRecord

Progress = Callable[[int, int], None]
UNUSABLE = ("deleted", "quarantined", "excluded")
CHUNK = 500  # bound parameters per IN (...) list, safe for SQLite


def cluster_id_for(library: str, identifier: str, attempt: int = 0) -> str:
    """A stable union id derived from the founding member: the same data gives the same ids."""
    seed = f"{library}\x1f{identifier}" + (f"\x1f{attempt}" if attempt else "")
    digest = hashlib.sha1(seed.encode()).digest()
    return "u" + base64.b32encode(digest).decode().lower()[:11]


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class ClusterStats:
    records: int = 0
    new_clusters: int = 0
    joined: int = 0
    detached: int = 0
    rebuilt: int = 0


async def library_codes(session: AsyncSession) -> dict[int, str]:
    return dict((await session.execute(select(Library.id, Library.code))).all())


async def library_infos(session: AsyncSession) -> dict[str, LibraryInfo]:
    rows = (await session.execute(select(Library))).scalars().all()
    return {
        lib.code: LibraryInfo(lib.code, lib.name, lib.province, tuple(lib.former_provinces or ()), lib.opac_url)
        for lib in rows
    }


async def _detach_unusable(session: AsyncSession) -> tuple[int, set[str]]:
    """Records deleted, quarantined or excluded since they were clustered leave their clusters."""
    rows = (
        await session.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id)
            .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
            .where(SourceRecord.status.in_(UNUSABLE))
        )
    ).all()
    ids = [r[0] for r in rows]
    for chunk in _chunks(ids):
        await session.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(chunk)))
        await session.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(chunk)))
    await session.execute(update(SourceRecord).where(SourceRecord.status == "deleted").values(status="gone"))
    return len(ids), {r[1] for r in rows}


class _Batch:
    """Matching state for one batch: candidate members by key, cluster libraries, views."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.views: dict[int, MatchView] = {}
        self.cluster_libraries: dict[str, list[str]] = defaultdict(list)

    def add(self, view: MatchView, keys: list[str], cluster_id: str) -> None:
        self.views[view.record_id] = view
        for key in keys:
            self.by_key[key].append((view.record_id, cluster_id))
        self.cluster_libraries[cluster_id].append(view.library)

    def choose(self, view: MatchView, keys: list[str]) -> tuple[str, Decision, int] | None:
        """The cluster this record joins, with the decision and the member that decided it; None = new cluster."""
        candidates: dict[str, set[int]] = defaultdict(set)
        for key in keys:
            for rid, cid in self.by_key.get(key, ()):
                if rid != view.record_id:
                    candidates[cid].add(rid)
        best: tuple[str, Decision, int] | None = None
        for cid, rids in candidates.items():
            decisions = [(decide(view, self.views[rid]), rid) for rid in sorted(rids)]
            if any(d.rule == "veto" for d, _ in decisions):
                continue  # one conflicting member is enough: no chaining past a veto
            positive = [(d, rid) for d, rid in decisions if d.match]
            if not positive:
                continue
            decision, rid = max(positive, key=lambda p: p[0].score)
            if view.library in self.cluster_libraries[cid] and not is_exact(decision):
                continue  # at most one record per library per cluster unless the evidence is exact
            if best is None or decision.score > best[1].score:
                best = (cid, decision, rid)
        return best


async def _load_candidates(
    session: AsyncSession, batch: _Batch, keys: set[str], exclude: set[int], codes: dict[int, str]
) -> None:
    rows = []
    for chunk in _chunks(sorted(keys)):
        rows += (
            await session.execute(
                select(MatchKey.key, MatchKey.source_record_id, ClusterMember.cluster_id)
                .join(ClusterMember, ClusterMember.source_record_id == MatchKey.source_record_id)
                .where(MatchKey.key.in_(chunk))
            )
        ).all()
    rows = [r for r in rows if r[1] not in exclude]
    record_ids = sorted({r[1] for r in rows})
    cluster_ids = sorted({r[2] for r in rows})
    for chunk in _chunks(record_ids):
        for rid, lib_id, data in (
            await session.execute(
                select(SourceRecord.id, SourceRecord.library_id, NormalizedRecord.data)
                .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id)
                .where(SourceRecord.id.in_(chunk))
            )
        ).all():
            batch.views[rid] = MatchView.of(rid, codes[lib_id], CanonicalRecord.model_validate(data))
    for chunk in _chunks(cluster_ids):
        for cid, lib_id in (
            await session.execute(
                select(ClusterMember.cluster_id, SourceRecord.library_id)
                .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
                .where(ClusterMember.cluster_id.in_(chunk))
            )
        ).all():
            batch.cluster_libraries[cid].append(codes[lib_id])
    for key, rid, cid in rows:
        batch.by_key[key].append((rid, cid))


async def _new_cluster_id(session: AsyncSession, library: str, identifier: str, taken: set[str]) -> tuple[str, bool]:
    """(id, reused): an emptied or absorbed cluster founded by the same record comes back under its old id."""
    for attempt in range(100):
        cid = cluster_id_for(library, identifier, attempt)
        if cid in taken:
            continue
        existing = await session.get(Cluster, cid)
        if existing is None:
            return cid, False
        if existing.status != "active":
            return cid, True
    raise RuntimeError(f"no free cluster id for {library}:{identifier}")


async def _cluster_batch(session: AsyncSession, ids: list[int], codes: dict[int, str], stats: ClusterStats) -> None:
    rows = (
        await session.execute(
            select(SourceRecord.id, SourceRecord.library_id, SourceRecord.identifier, NormalizedRecord.data)
            .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id)
            .where(SourceRecord.id.in_(ids))
            .order_by(SourceRecord.id)
        )
    ).all()
    # leave current clusters (a changed record is matched again from scratch)
    old = (
        await session.execute(select(ClusterMember.cluster_id).where(ClusterMember.source_record_id.in_(ids)))
    ).scalars().all()
    dirty = set(old)
    await session.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(ids)))
    await session.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(ids)))

    batch = _Batch()
    views = [(MatchView.of(rid, codes[lib], CanonicalRecord.model_validate(data)), ident) for rid, lib, ident, data in rows]
    keyed = [(view, ident, blocking_keys(view)) for view, ident in views]
    await _load_candidates(session, batch, {k for _, _, keys in keyed for k in keys}, set(ids), codes)

    members, keys_rows, new_clusters, reused, taken = [], [], [], [], set()
    identifiers = {view.record_id: (view.library, ident) for view, ident in views}
    for view, ident, keys in keyed:
        choice = batch.choose(view, keys)
        if choice is None:
            cid, was_used = await _new_cluster_id(session, view.library, ident, taken)
            taken.add(cid)
            (reused if was_used else new_clusters).append(cid)
            rule, evidence = "founder", {"rule": "founder", "keys": keys}
            stats.new_clusters += 1
        else:
            cid, decision, matched = choice
            lib, matched_ident = identifiers.get(matched, (batch.views[matched].library, None))
            evidence = decision.evidence() | {"matched": matched, "matched_library": lib, "keys": keys}
            if matched_ident:
                evidence["matched_identifier"] = matched_ident
            rule = decision.rule
            stats.joined += 1
        batch.add(view, keys, cid)
        dirty.add(cid)
        members.append({"source_record_id": view.record_id, "cluster_id": cid, "rule": rule, "evidence": evidence,
                        "added_at": utcnow()})
        keys_rows += [{"source_record_id": view.record_id, "key": k} for k in keys]

    now = utcnow()
    if new_clusters:
        await session.execute(insert(Cluster), [
            {"id": cid, "status": "active", "dirty": True, "index_dirty": True, "created_at": now, "updated_at": now,
             "member_count": 0}
            for cid in new_clusters
        ])
    for chunk in _chunks(reused):
        await session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(status="active", redirect_to=None))
    if members:
        await session.execute(insert(ClusterMember), members)
    if keys_rows:
        await session.execute(insert(MatchKey), keys_rows)
    for chunk in _chunks(sorted(dirty)):
        await session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(dirty=True))
    await session.execute(update(SourceRecord).where(SourceRecord.id.in_(ids)).values(status="clustered"))
    stats.records += len(rows)


async def cluster_pending(
    sessions: async_sessionmaker[AsyncSession], batch_size: int = 2000, on_progress: Progress | None = None
) -> ClusterStats:
    stats = ClusterStats()
    async with transaction(sessions) as session:
        stats.detached, dirty = await _detach_unusable(session)
        for chunk in _chunks(sorted(dirty)):
            await session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(dirty=True))
        codes = await library_codes(session)
        total = (await session.execute(
            select(SourceRecord.id).where(SourceRecord.status == "normalized")
        )).scalars().all()
    done = 0
    for ids in _chunks(total, batch_size):
        async with transaction(sessions) as session:
            await _cluster_batch(session, ids, codes, stats)
        done += len(ids)
        if on_progress:
            on_progress(done, len(total))
    return stats


async def rebuild_dirty(
    sessions: async_sessionmaker[AsyncSession], batch_size: int = 1000, on_progress: Progress | None = None
) -> int:
    """Rebuild the union record of every dirty cluster; emptied clusters become "empty" (and leave the index)."""
    async with sessions() as session:
        dirty_ids = (await session.execute(select(Cluster.id).where(Cluster.dirty.is_(True)))).scalars().all()
        libraries = await library_infos(session)
        codes = {i: c for i, c in (await session.execute(select(Library.id, Library.code))).all()}
    done = 0
    for chunk in _chunks(sorted(dirty_ids), batch_size):
        async with transaction(sessions) as session:
            rows = (
                await session.execute(
                    select(ClusterMember, SourceRecord.library_id, SourceRecord.identifier, NormalizedRecord.data)
                    .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
                    .join(NormalizedRecord, NormalizedRecord.source_record_id == ClusterMember.source_record_id)
                    .where(ClusterMember.cluster_id.in_(chunk))
                )
            ).all()
            by_cluster: dict[str, list[Member]] = defaultdict(list)
            for cm, lib_id, ident, data in rows:
                by_cluster[cm.cluster_id].append(
                    Member(cm.source_record_id, codes[lib_id], ident, CanonicalRecord.model_validate(data),
                           cm.rule, cm.evidence or {})
                )
            now = utcnow()
            for cid in chunk:
                members = by_cluster.get(cid, [])
                values = (
                    {"status": "active", "data": build_union_record(cid, members, libraries),
                     "member_count": len(members)}
                    if members else {"status": "empty", "data": None, "member_count": 0}
                )
                await session.execute(
                    update(Cluster).where(Cluster.id == cid, Cluster.status != "absorbed")
                    .values(dirty=False, index_dirty=True, updated_at=now, **values)
                )
        done += len(chunk)
        if on_progress:
            on_progress(done, len(dirty_ids))
    return len(dirty_ids)
