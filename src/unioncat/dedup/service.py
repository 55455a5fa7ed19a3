"""Cluster stage: put changed records into union records, then rebuild the union records that changed.

The decision itself is `cluster.Clustering` (pure); this module loads what it needs and writes what it decides,
by one of two paths: incremental (batches of changed records, candidates looked up by their keys) and bulk
(many new records — the first load of a library or a consortium: a few big queries, clustering in memory,
bulk inserts). Both place records in the same order with the same engine, so they give the same clusters.

Incremental: only records whose status says they changed are looked at, and of those only the ones whose
match fingerprint (everything matching compares) changed, or that staff overrides concern, are matched
again. A record that is matched again leaves its cluster, and so do the other members of that cluster (they
may have been there only because of it); all of them are matched in the same batch, and the first of them
that founds a cluster takes the old id back, so ids stay stable. When two clusters merge (a record with exact
evidence for both, or a staff "always merge"), the younger id is absorbed and redirects to the older one.

One transaction per batch (bulk path: per BULK_FLUSH records), so an interrupted run loses nothing and the next
run finishes the work.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from unioncat.db import (
    Cluster,
    ClusterMember,
    Library,
    MatchKey,
    MatchOverride,
    NormalizedRecord,
    PipelineState,
    SourceRecord,
    transaction,
)
from unioncat.db.tables import utcnow
from unioncat.dedup.cluster import (
    MAX_PER_KEY,
    Changes,
    Clustering,
    Item,
    Overrides,
    cluster_id_for,
    processing_order,
)
from unioncat.dedup.keys import MatchView, blocking_keys
from unioncat.dedup.merge import LibraryInfo, Member, build_union_record
from unioncat.dedup.weights import SCORER_VERSION
from unioncat.normalize.record import CanonicalRecord

Progress = Callable[[int, int], None]
UNUSABLE = ("deleted", "quarantined", "excluded")
CHUNK = 500  # bound parameters per IN (...) list, safe for SQLite
BIG_CHUNK = 5000  # the bulk path's IN lists and executemany batches (SQLite allows 32,766 parameters)
PREV = "prev:"  # a match_keys row remembering the cluster a record left, so its id can come back
BULK_MIN = 10_000  # at least this many new records (no cluster, no former cluster): the bulk path
BULK_FLUSH = 50_000  # the bulk path writes (and commits) every this many placed records

__all__ = ["MAX_PER_KEY", "Overrides", "cluster_id_for", "cluster_pending", "rebuild_dirty", "ClusterStats"]


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
    unchanged: int = 0  # changed records whose match fingerprint did not change
    rematched: int = 0  # members matched again because their cluster lost or changed a member
    absorbed: int = 0  # clusters merged into another (their id now redirects)
    bulk: int = 0  # records placed by the bulk path
    rescored: int = 0  # clustered records matched again because the scorer changed (weights.SCORER_VERSION)

    def add(self, engine: Clustering) -> None:
        self.new_clusters += engine.counts.new_clusters
        self.joined += engine.counts.joined
        self.absorbed += engine.counts.absorbed


async def load_overrides(session: AsyncSession) -> Overrides:
    out = Overrides()
    for kind, a, b in (await session.execute(
        select(MatchOverride.kind, MatchOverride.record_a, MatchOverride.record_b)
    )).all():
        if kind == "split":
            out.split.add(a)
        elif kind == "never" and b is not None and a != b:
            out.never.add(frozenset((a, b)))
        elif kind == "always" and b is not None and a != b:
            out.always[a].add(b)
            out.always[b].add(a)
    return out


async def library_codes(session: AsyncSession) -> dict[int, str]:
    return dict((await session.execute(select(Library.id, Library.code))).all())


async def library_infos(session: AsyncSession) -> dict[str, LibraryInfo]:
    rows = (await session.execute(select(Library))).scalars().all()
    return {
        lib.code: LibraryInfo(lib.code, lib.name, lib.province, tuple(lib.former_provinces or ()), lib.opac_url)
        for lib in rows
    }


async def _detach_unusable(session: AsyncSession) -> tuple[int, set[str]]:
    """Records deleted, quarantined or excluded since they were clustered leave their clusters.

    The other members of those clusters are matched again (they may have been there only through the record
    that left): their membership goes, a "prev:" key remembers the cluster so its id comes back.
    """
    rows = (
        await session.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id)
            .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
            .where(SourceRecord.status.in_(UNUSABLE))
        )
    ).all()
    ids = [r[0] for r in rows]
    clusters = sorted({r[1] for r in rows})
    for chunk in _chunks(ids):
        await session.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(chunk)))
        await session.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(chunk)))
    rest: list[tuple[int, str]] = []
    for chunk in _chunks(clusters):
        rest += (await session.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id).where(ClusterMember.cluster_id.in_(chunk))
        )).all()
    if rest:
        rids = [r for r, _ in rest]
        for chunk in _chunks(rids):
            await session.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(chunk)))
            await session.execute(delete(MatchKey).where(
                MatchKey.source_record_id.in_(chunk), MatchKey.key.like(f"{PREV}%")))
        await session.execute(insert(MatchKey), [{"source_record_id": r, "key": f"{PREV}{c}"} for r, c in rest])
        for chunk in _chunks(rids):
            await session.execute(update(SourceRecord).where(
                SourceRecord.id.in_(chunk), SourceRecord.status == "clustered").values(status="normalized"))
    await session.execute(update(SourceRecord).where(SourceRecord.status == "deleted").values(status="gone"))
    return len(ids), set(clusters)


# --- reading ---------------------------------------------------------------------------------------------------

def _load_clusters(ss: Session, engine: Clustering, cids, codes: dict[int, str], size: int = CHUNK) -> None:
    """Every member of the given clusters, with its view, into the engine."""
    for chunk in _chunks(sorted(set(cids) - set(engine.created)), size):
        for cid, created in ss.execute(select(Cluster.id, Cluster.created_at).where(Cluster.id.in_(chunk))).all():
            engine.created[cid] = created if created.tzinfo else created.replace(tzinfo=timezone.utc)  # SQLite: naive
        for rid, cid, lib_id, ident, data in ss.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id, SourceRecord.library_id,
                   SourceRecord.identifier, NormalizedRecord.data)
            .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
            .join(NormalizedRecord, NormalizedRecord.source_record_id == ClusterMember.source_record_id)
            .where(ClusterMember.cluster_id.in_(chunk))
        ).all():
            if rid not in engine.cluster_of:
                engine.add_member(rid, cid, MatchView.from_data(rid, codes[lib_id], data), ident)


def _load_candidates(ss: Session, engine: Clustering, keys: set[str], codes: dict[int, str],
                     size: int = CHUNK) -> None:
    """The clustered records sharing a key with the records to place, and all their cluster-mates."""
    rows = []
    q = select(MatchKey.key, MatchKey.source_record_id, ClusterMember.cluster_id).join(
        ClusterMember, ClusterMember.source_record_id == MatchKey.source_record_id)
    if len(keys) > 4 * size and ss.execute(select(func.count()).select_from(MatchKey)).scalar_one() < 4 * len(keys):
        rows = [r for r in ss.execute(q).all() if r[0] in keys]  # most keys wanted: one scan beats many lookups
    else:
        for chunk in _chunks(sorted(keys), size):
            rows += ss.execute(q.where(MatchKey.key.in_(chunk))).all()
    _load_clusters(ss, engine, [r[2] for r in rows], codes, size)
    for key, rid, _cid in sorted(rows):
        engine.index(rid, [key])


def _load_partners(ss: Session, engine: Clustering, overrides: Overrides, work, codes: dict[int, str],
                   size: int = CHUNK) -> None:
    """Staff "always" partners are found whatever their keys say."""
    work = set(work)
    partners = {p for rid in work for p in overrides.always.get(rid, ())} - work
    found = []
    for chunk in _chunks(sorted(partners), size):
        found += ss.execute(select(ClusterMember.cluster_id).where(ClusterMember.source_record_id.in_(chunk))).scalars().all()
    _load_clusters(ss, engine, found, codes, size)


def _prefetch_status(ss: Session, engine: Clustering, cids: set[str], size: int = CHUNK) -> None:
    """The status of each cluster id a record may found or take back, so founding needs no query."""
    cids = cids - set(engine.known_status)
    if not cids:
        return
    engine.known_status.update(dict.fromkeys(cids))
    if len(cids) > 4 * size and ss.execute(select(func.count()).select_from(Cluster)).scalar_one() < 4 * len(cids):
        engine.known_status.update((c, st) for c, st in ss.execute(select(Cluster.id, Cluster.status)).all() if c in cids)
        return
    for chunk in _chunks(sorted(cids), size):
        engine.known_status.update(ss.execute(select(Cluster.id, Cluster.status).where(Cluster.id.in_(chunk))).all())


def _load_records(ss: Session, ids: list[int], size: int = CHUNK) -> list[tuple]:
    rows = []
    for chunk in _chunks(ids, size):
        rows += ss.execute(
            select(SourceRecord.id, SourceRecord.library_id, SourceRecord.identifier, NormalizedRecord.data)
            .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id)
            .where(SourceRecord.id.in_(chunk))
        ).all()
    return rows


def _items(rows: list[tuple], codes: dict[int, str]) -> dict[int, Item]:
    out = {}
    for rid, lib, ident, data in rows:
        view = MatchView.from_data(rid, codes[lib], data)
        out[rid] = Item(view, ident, blocking_keys(view), view.fingerprint())
    return out


def _status_query(ss: Session) -> Callable[[str], str | None]:
    return lambda cid: ss.execute(select(Cluster.status).where(Cluster.id == cid)).scalar_one_or_none()


# --- writing ---------------------------------------------------------------------------------------------------

def _write(ss: Session, changes: Changes, engine: Clustering, items: dict[int, Item], prev: dict[int, str],
           dirty: set[str], processed: list[int], size: int = CHUNK) -> None:
    """Write what the engine decided: clusters created, reused or absorbed, memberships, keys, dirty flags.

    Inserts go to the tables (Core executemany), not through the ORM's bulk layer: a third less time per row.
    """
    for rid, row in changes.rows.items():
        dirty.add(row["cluster_id"])
        if rid in prev:
            dirty.add(prev[rid])
    if changes.new_clusters:
        for chunk in _chunks(sorted(changes.new_clusters), size):
            ss.execute(insert(Cluster.__table__), [
                {"id": cid, "status": "active", "dirty": True, "index_dirty": True, "created_at": changes.new_clusters[cid],
                 "updated_at": changes.new_clusters[cid], "member_count": 0} for cid in chunk])
    for chunk in _chunks(changes.reused, size):
        ss.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(status="active", redirect_to=None))
    if changes.absorbed:
        now = utcnow()
        by_target: dict[str, list[str]] = defaultdict(list)
        for old, target in changes.absorbed.items():
            by_target[target].append(old)
        for target, olds in by_target.items():
            for chunk in _chunks(sorted(olds), size):  # members not placed again follow their cluster
                ss.execute(update(ClusterMember).where(ClusterMember.cluster_id.in_(chunk)).values(cluster_id=target))
        ss.execute(update(Cluster), [
            {"id": old, "status": "absorbed", "redirect_to": target, "data": None, "member_count": 0,
             "dirty": False, "index_dirty": True, "updated_at": now}
            for old, target in changes.absorbed.items()
        ])
    dirty -= set(changes.absorbed) | set(engine.absorbed)
    rows = list(changes.rows.values())
    for chunk in _chunks(rows, size):
        ss.execute(insert(ClusterMember.__table__), chunk)
    keys_rows = [{"source_record_id": rid, "key": k} for rid in changes.rows for k in dict.fromkeys(items[rid].keys)]
    for chunk in _chunks(keys_rows, size * 2):
        ss.execute(insert(MatchKey.__table__), chunk)
    for chunk in _chunks(sorted(dirty - set(changes.new_clusters)), size):
        ss.execute(update(Cluster).where(Cluster.id.in_(chunk), Cluster.status != "absorbed").values(dirty=True))
    for chunk in _chunks(sorted(processed), size):
        ss.execute(update(SourceRecord).where(SourceRecord.id.in_(chunk)).values(status="clustered"))


# --- the incremental path --------------------------------------------------------------------------------------

def _cluster_batch(ss: Session, ids: list[int], codes: dict[int, str], overrides: Overrides,
                   stats: ClusterStats) -> None:
    rows = _load_records(ss, ids)
    items = _items(rows, codes)
    current: dict[int, tuple[str, dict]] = {}
    for chunk in _chunks(ids):
        for rid, cid, evidence in ss.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id, ClusterMember.evidence)
            .where(ClusterMember.source_record_id.in_(chunk))
        ).all():
            current[rid] = (cid, evidence or {})
    prev: dict[int, str] = {}
    for chunk in _chunks(ids):
        for rid, key in ss.execute(
            select(MatchKey.source_record_id, MatchKey.key)
            .where(MatchKey.source_record_id.in_(chunk), MatchKey.key.like(f"{PREV}%"))
        ).all():
            prev[rid] = key[len(PREV):]

    involved = overrides.involved
    unchanged, work = [], []
    for rid in sorted(items):
        cur = current.get(rid)
        if cur and cur[1].get("fingerprint") == items[rid].fingerprint and rid not in involved:
            unchanged.append(rid)
        else:
            work.append(rid)
    stats.unchanged += len(unchanged)
    dirty = {current[rid][0] for rid in unchanged}
    processed = sorted(items)

    # the other members of the clusters the re-matched records leave are matched again with them
    left = sorted({current[rid][0] for rid in work if rid in current})
    extra: list[int] = []
    for chunk in _chunks(left):
        for r, c in ss.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id).where(ClusterMember.cluster_id.in_(chunk))
        ).all():
            if r not in items:
                extra.append(r)
                current[r] = (c, {})
    if extra:
        items |= _items(_load_records(ss, extra), codes)
        extra = [r for r in extra if r in items]
        work += extra
        stats.rematched += len(extra)
    for rid in work:
        if rid in current:
            prev[rid] = current[rid][0]
    for chunk in _chunks(work):
        ss.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(chunk)))
        ss.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(chunk)))

    engine = Clustering(overrides, _status_query(ss))
    _load_candidates(ss, engine, {k for rid in work for k in items[rid].keys}, codes)
    _load_partners(ss, engine, overrides, work, codes)
    _prefetch_status(ss, engine, {items[r].first_id for r in work}
                     | set(prev.values()))
    engine.assign(items, processing_order(work, overrides, set(extra)), prev, utcnow())
    _write(ss, engine.take_changes(), engine, items, prev, dirty, processed)
    stats.add(engine)
    stats.records += len(rows)


# --- the bulk path ---------------------------------------------------------------------------------------------

def _new_records(ss: Session) -> list[int]:
    """Pending records with no cluster and no former cluster: nothing to re-match, only to place."""
    pending = ss.execute(select(SourceRecord.id).where(SourceRecord.status == "normalized")).scalars().all()
    placed = set(ss.execute(
        select(ClusterMember.source_record_id).join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
        .where(SourceRecord.status == "normalized")).scalars().all())
    placed |= set(ss.execute(
        select(MatchKey.source_record_id).join(SourceRecord, SourceRecord.id == MatchKey.source_record_id)
        .where(SourceRecord.status == "normalized", MatchKey.key.like(f"{PREV}%"))).scalars().all())
    return sorted(set(pending) - placed)


def _cluster_bulk(ss: Session, ids: list[int], codes: dict[int, str], overrides: Overrides, stats: ClusterStats,
                  batch_size: int, on_progress: Progress | None) -> None:
    """Place many new records: read in a few big queries, decide in memory, write with bulk inserts.

    Records are placed batch by batch in the order the incremental path would place them, so both paths
    give the same clusters; writes (one transaction each) come every BULK_FLUSH records. The cyclic garbage
    collector is off meanwhile: the millions of objects made here hold no cycles, and full collections over
    them would cost more than the clustering.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        _bulk(ss, ids, codes, overrides, stats, batch_size, on_progress)
    finally:
        if enabled:
            gc.enable()


def _bulk(ss: Session, ids: list[int], codes: dict[int, str], overrides: Overrides, stats: ClusterStats,
          batch_size: int, on_progress: Progress | None) -> None:
    q = (select(SourceRecord.id, SourceRecord.library_id, SourceRecord.identifier, NormalizedRecord.data)
         .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id)
         .where(SourceRecord.status == "normalized"))
    wanted = set(ids)
    rows = [r for r in ss.execute(q).all() if r[0] in wanted]
    items = _items(rows, codes)
    del rows
    ids = sorted(items)
    engine = Clustering(overrides, _status_query(ss))
    _load_candidates(ss, engine, {k for it in items.values() for k in it.keys}, codes, BIG_CHUNK)
    _load_partners(ss, engine, overrides, ids, codes, BIG_CHUNK)
    _prefetch_status(ss, engine, {it.first_id for it in items.values()}, BIG_CHUNK)
    ss.commit()  # end the read transaction (SQLite: do not hold a snapshot while writing)

    start = utcnow()
    done = since_flush = 0
    batches = list(_chunks(ids, batch_size))
    processed: list[int] = []
    for n, batch in enumerate(batches):
        # the incremental path dates each batch's new clusters a little later than the one before
        engine.assign(items, processing_order(batch, overrides), {}, start + timedelta(microseconds=n))
        processed += batch
        done += len(batch)
        since_flush += len(batch)
        if since_flush >= BULK_FLUSH or n == len(batches) - 1:
            _write(ss, engine.take_changes(), engine, items, {}, set(), processed, BIG_CHUNK)
            ss.commit()
            processed, since_flush = [], 0
        if on_progress:
            on_progress(done, len(ids))
    stats.add(engine)
    stats.records += len(ids)
    stats.bulk += len(ids)


async def _rematch_on_new_scorer(session: AsyncSession) -> int:
    """When the matcher changed (weights.SCORER_VERSION) since the clusters were made, every clustered record is
    matched again by this run (their fingerprints changed with it; union ids stay stable as for any re-match).
    Returns how many records were sent back."""
    state = await session.get(PipelineState, "scorer_version")
    if state is not None and state.value == SCORER_VERSION:
        return 0
    count = 0
    if state is not None or (await session.execute(select(ClusterMember.source_record_id).limit(1))).first():
        result = await session.execute(update(SourceRecord).where(SourceRecord.status == "clustered")
                                       .values(status="normalized").execution_options(synchronize_session=False))
        count = result.rowcount or 0
    if state is None:
        session.add(PipelineState(key="scorer_version", value=SCORER_VERSION, updated_at=utcnow()))
    else:
        state.value, state.updated_at = SCORER_VERSION, utcnow()
    return count


async def cluster_pending(
    sessions: async_sessionmaker[AsyncSession], batch_size: int = 2000, on_progress: Progress | None = None,
    bulk_min: int | None = None,
) -> ClusterStats:
    """Place every pending record. New records (no cluster, no former cluster) first, by the bulk path when there
    are at least `bulk_min` of them; then the rest (changed, released, or few new ones) by the incremental path."""
    bulk_min = BULK_MIN if bulk_min is None else bulk_min
    stats = ClusterStats()
    async with transaction(sessions) as session:
        stats.rescored = await _rematch_on_new_scorer(session)
        stats.detached, dirty = await _detach_unusable(session)
        for chunk in _chunks(sorted(dirty)):
            await session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(dirty=True))
        codes = await library_codes(session)
        overrides = await load_overrides(session)
    async with sessions() as session:
        new = await session.run_sync(_new_records)
    if len(new) >= bulk_min:
        async with sessions() as session:
            await session.run_sync(lambda ss: _cluster_bulk(ss, new, codes, overrides, stats, batch_size, on_progress))
    for _round in range(5):  # a batch may pull in members of other batches' clusters; those are done then
        async with sessions() as session:
            total = (await session.execute(
                select(SourceRecord.id).where(SourceRecord.status == "normalized").order_by(SourceRecord.id)
            )).scalars().all()
        if not total:
            break
        done = 0
        for ids in _chunks(total, batch_size):
            async with transaction(sessions) as session:
                await session.run_sync(lambda ss: _cluster_batch(ss, ids, codes, overrides, stats))
            done += len(ids)
            if on_progress:
                on_progress(done, len(total))
    return stats


async def rebuild_dirty(
    sessions: async_sessionmaker[AsyncSession], batch_size: int = 1000, on_progress: Progress | None = None
) -> int:
    """Rebuild the union record of every dirty cluster; emptied clusters become "empty" (and leave the index)."""
    async with sessions() as session:
        dirty = (await session.execute(
            select(Cluster.id, Cluster.status).where(Cluster.dirty.is_(True)))).all()
        libraries = await library_infos(session)
        codes = await library_codes(session)
    dirty_ids = sorted(cid for cid, _ in dirty)
    absorbed = {cid for cid, status in dirty if status == "absorbed"}
    done = 0
    for chunk in _chunks(dirty_ids, batch_size):
        async with transaction(sessions) as session:
            by_cluster: dict[str, list[Member]] = defaultdict(list)
            for sub in _chunks(chunk):
                rows = (
                    await session.execute(
                        select(ClusterMember.cluster_id, ClusterMember.source_record_id, ClusterMember.rule,
                               ClusterMember.evidence, SourceRecord.library_id, SourceRecord.identifier,
                               NormalizedRecord.data)
                        .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
                        .join(NormalizedRecord, NormalizedRecord.source_record_id == ClusterMember.source_record_id)
                        .where(ClusterMember.cluster_id.in_(sub))
                    )
                ).all()
                for cid, rid, rule, evidence, lib_id, ident, data in rows:
                    by_cluster[cid].append(
                        Member(rid, codes[lib_id], ident, CanonicalRecord.model_validate(data), rule, evidence or {})
                    )
            now = utcnow()
            values = []
            for cid in chunk:
                if cid in absorbed:
                    values.append({"id": cid, "dirty": False})
                    continue
                members = by_cluster.get(cid, [])
                if members:
                    values.append({"id": cid, "status": "active", "data": build_union_record(cid, members, libraries),
                                   "member_count": len(members), "dirty": False, "index_dirty": True,
                                   "updated_at": now})
                else:
                    values.append({"id": cid, "status": "empty", "data": None, "member_count": 0, "dirty": False,
                                   "index_dirty": True, "updated_at": now})
            # one executemany by primary key, grouped by the columns set
            groups: dict[tuple, list[dict]] = defaultdict(list)
            for v in values:
                groups[tuple(sorted(v))].append(v)
            for rows_ in groups.values():
                await session.execute(update(Cluster), rows_)
        done += len(chunk)
        if on_progress:
            on_progress(done, len(dirty_ids))
    return len(dirty_ids)
