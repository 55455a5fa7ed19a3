"""Cluster stage: put changed records into union records, then rebuild the union records that changed.

Incremental: only records whose status says they changed are looked at, and of those only the ones whose
match fingerprint (everything matching compares) changed, or that staff overrides concern, are matched
again. A record that is matched again leaves its cluster, and so do the other members of that cluster (they
may have been there only because of it); all of them are matched in the same batch, and the first of them
that founds a cluster takes the old id back, so ids stay stable. When two clusters merge (a record with exact
evidence for both, or a staff "always merge"), the younger id is absorbed and redirects to the older one.

One transaction per batch, so an interrupted run loses nothing and the next run finishes the work.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import (
    Cluster,
    ClusterMember,
    Library,
    MatchKey,
    MatchOverride,
    NormalizedRecord,
    SourceRecord,
    transaction,
)
from unioncat.db.tables import utcnow
from unioncat.dedup.keys import MatchView, blocking_keys
from unioncat.dedup.matching import Decision, decide
from unioncat.dedup.merge import LibraryInfo, Member, build_union_record
from unioncat.normalize.record import CanonicalRecord

Progress = Callable[[int, int], None]
UNUSABLE = ("deleted", "quarantined", "excluded")
CHUNK = 500  # bound parameters per IN (...) list, safe for SQLite
MAX_PER_KEY = 100  # candidates looked at per blocking key (a very common title and year say little anyway)
PREV = "prev:"  # a match_keys row remembering the cluster a record left, so its id can come back


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
    unchanged: int = 0  # changed records whose match fingerprint did not change
    rematched: int = 0  # members matched again because their cluster lost or changed a member
    absorbed: int = 0  # clusters merged into another (their id now redirects)


@dataclass
class Overrides:
    """Staff decisions, by source record id."""

    never: set[frozenset[int]] = field(default_factory=set)
    always: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    split: set[int] = field(default_factory=set)

    @property
    def involved(self) -> set[int]:
        return {r for pair in self.never for r in pair} | set(self.always) | self.split

    def forbids(self, a: int, b: int) -> bool:
        return frozenset((a, b)) in self.never


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


@dataclass
class _Choice:
    cluster: str
    decision: Decision
    matched: int
    compared: int


class _Batch:
    """Matching state for one batch: members of every cluster in play, their views, keys."""

    def __init__(self, overrides: Overrides) -> None:
        self.overrides = overrides
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.views: dict[int, MatchView] = {}
        self.identifiers: dict[int, str] = {}
        self.cluster_of: dict[int, str] = {}
        self.members: dict[str, list[int]] = defaultdict(list)
        self.created: dict[str, datetime] = {}

    def place(self, rid: int, cid: str) -> None:
        self.cluster_of[rid] = cid
        self.members[cid].append(rid)

    def index(self, rid: int, keys: list[str]) -> None:
        for key in keys:
            bucket = self.by_key[key]
            if len(bucket) < MAX_PER_KEY:
                bucket.append(rid)

    def _acceptable(self, view: MatchView, cid: str) -> tuple[_Choice | None, list[str]]:
        """Whether `view` may join cluster `cid`, and on what evidence; else the reasons it may not."""
        members = self.members.get(cid, [])
        if not members:
            return None, ["empty"]
        ov = self.overrides
        if any(m in ov.split for m in members):
            return None, ["a member was split off by staff"]
        if any(ov.forbids(view.record_id, m) for m in members):
            return None, ["staff: never merge with a member"]
        decisions = [(decide(view, self.views[m]), m) for m in members]
        vetoed = [d for d, _ in decisions if d.rule == "veto"]
        if vetoed:
            return None, vetoed[0].reasons
        strong = [(d, m) for d, m in decisions if d.strong]
        same_library = [m for m in members if self.views[m].library == view.library]
        if strong:
            # at most one record per library per cluster unless the evidence is exact
            if same_library and not all(d.strong for d, m in decisions if m in same_library):
                return None, ["the library already has a record here and the evidence is not exact"]
            d, m = strong[0]
            return _Choice(cid, d, m, len(members)), []
        if same_library:
            return None, ["the library already has a record here"]
        # weak evidence must hold against every member: no chaining through weak links
        if not all(d.match for d, _ in decisions):
            missing = next(d for d, _ in decisions if not d.match)
            return None, ["weak evidence does not hold for every member", *missing.reasons]
        d, m = max(decisions, key=lambda p: p[0].score)
        return _Choice(cid, d, m, len(members)), []

    def candidates(self, view: MatchView, keys: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for key in keys:
            for rid in self.by_key.get(key, ()):
                cid = self.cluster_of.get(rid)
                if rid != view.record_id and cid is not None:
                    seen[cid] = None
        return list(seen)

    def choose(self, view: MatchView, keys: list[str], prefer: str | None = None) -> tuple[list[_Choice], list[dict]]:
        """Clusters this record may join, best first (ties: the cluster it was in), and why others were refused."""
        ok, refused = [], []
        for cid in self.candidates(view, keys):
            choice, reasons = self._acceptable(view, cid)
            if choice:
                ok.append(choice)
            elif len(refused) < 5:
                refused.append({"cluster": cid, "reasons": reasons[:3]})
        ok.sort(key=lambda c: (-c.decision.score, c.cluster != prefer, -c.compared,
                               self.created.get(c.cluster, utcnow()), c.cluster))
        return ok, refused

    def compatible(self, a: str, b: str) -> bool:
        """Can clusters a and b become one? No veto, no staff objection, one record per library unless exact."""
        ov = self.overrides
        for x in self.members[a]:
            for y in self.members[b]:
                if ov.forbids(x, y) or x in ov.split or y in ov.split:
                    return False
                d = decide(self.views[x], self.views[y])
                if d.rule == "veto":
                    return False
                if self.views[x].library == self.views[y].library and not d.strong:
                    return False
        return True

    def merge(self, keep: str, gone: str) -> None:
        for rid in self.members.pop(gone, []):
            self.place(rid, keep)


async def _load_clusters(session: AsyncSession, batch: _Batch, cids: list[str], codes: dict[int, str]) -> None:
    """Every member of the given clusters, with its view, into the batch."""
    for chunk in _chunks(sorted(set(cids) - set(batch.created))):
        for cid, created in (await session.execute(
            select(Cluster.id, Cluster.created_at).where(Cluster.id.in_(chunk))
        )).all():
            batch.created[cid] = created
        for rid, cid, lib_id, ident, data in (
            await session.execute(
                select(ClusterMember.source_record_id, ClusterMember.cluster_id, SourceRecord.library_id,
                       SourceRecord.identifier, NormalizedRecord.data)
                .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
                .join(NormalizedRecord, NormalizedRecord.source_record_id == ClusterMember.source_record_id)
                .where(ClusterMember.cluster_id.in_(chunk))
            )
        ).all():
            if rid in batch.cluster_of:
                continue
            view = MatchView.from_data(rid, codes[lib_id], data)
            batch.views[rid] = view
            batch.identifiers[rid] = ident
            batch.place(rid, cid)


async def _load_candidates(
    session: AsyncSession, batch: _Batch, keys: set[str], codes: dict[int, str]
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
    await _load_clusters(session, batch, [r[2] for r in rows], codes)
    for key, rid, _cid in sorted(rows):
        batch.index(rid, [key])


async def _load_records(session: AsyncSession, ids: list[int]) -> list[tuple]:
    rows = []
    for chunk in _chunks(ids):
        rows += (
            await session.execute(
                select(SourceRecord.id, SourceRecord.library_id, SourceRecord.identifier, NormalizedRecord.data)
                .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id)
                .where(SourceRecord.id.in_(chunk))
            )
        ).all()
    return rows


async def _cluster_batch(
    session: AsyncSession, ids: list[int], codes: dict[int, str], overrides: Overrides, stats: ClusterStats
) -> None:
    rows = await _load_records(session, ids)
    views = {rid: MatchView.from_data(rid, codes[lib], data) for rid, lib, _ident, data in rows}
    idents = {rid: ident for rid, _lib, ident, _data in rows}
    current: dict[int, tuple[str, dict]] = {}
    for chunk in _chunks(ids):
        for rid, cid, evidence in (await session.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id, ClusterMember.evidence)
            .where(ClusterMember.source_record_id.in_(chunk))
        )).all():
            current[rid] = (cid, evidence or {})
    prev: dict[int, str] = {}
    for chunk in _chunks(ids):
        for rid, key in (await session.execute(
            select(MatchKey.source_record_id, MatchKey.key)
            .where(MatchKey.source_record_id.in_(chunk), MatchKey.key.like(f"{PREV}%"))
        )).all():
            prev[rid] = key[len(PREV):]

    involved = overrides.involved
    fingerprints = {rid: v.fingerprint() for rid, v in views.items()}
    unchanged, work = [], []
    for rid in sorted(views):
        cur = current.get(rid)
        if cur and cur[1].get("fingerprint") == fingerprints[rid] and rid not in involved:
            unchanged.append(rid)
        else:
            work.append(rid)
    stats.unchanged += len(unchanged)
    dirty = {current[rid][0] for rid in unchanged}

    # the other members of the clusters the re-matched records leave are matched again with them
    left = sorted({current[rid][0] for rid in work if rid in current})
    extra: list[int] = []
    for chunk in _chunks(left):
        for r, c in (await session.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id).where(ClusterMember.cluster_id.in_(chunk))
        )).all():
            if r not in views:
                extra.append(r)
                current[r] = (c, {})
    if extra:
        for rid, lib, ident, data in await _load_records(session, extra):
            views[rid] = MatchView.from_data(rid, codes[lib], data)
            idents[rid] = ident
            fingerprints[rid] = views[rid].fingerprint()
        extra = [r for r in extra if r in views]
        work += extra
        stats.rematched += len(extra)
    for rid in work:
        if rid in current:
            prev[rid] = current[rid][0]
    for chunk in _chunks(work):
        await session.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(chunk)))
        await session.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(chunk)))

    batch = _Batch(overrides)
    keyed = {rid: blocking_keys(views[rid]) for rid in work}
    await _load_candidates(session, batch, {k for keys in keyed.values() for k in keys}, codes)
    # staff "always" partners are found whatever their keys say
    partners = {p for rid in work for p in overrides.always.get(rid, ())} - set(work)
    if partners:
        found = []
        for chunk in _chunks(sorted(partners)):
            found += (await session.execute(
                select(ClusterMember.cluster_id).where(ClusterMember.source_record_id.in_(chunk)))).scalars().all()
        await _load_clusters(session, batch, found, codes)

    # prefetch the status of each record's first-choice id, so founding a cluster needs no query
    first_ids = {rid: cluster_id_for(views[rid].library, idents[rid]) for rid in work}
    status_of: dict[str, str] = {}
    for chunk in _chunks(sorted(set(first_ids.values()) | set(prev.values()))):
        status_of.update((await session.execute(select(Cluster.id, Cluster.status).where(Cluster.id.in_(chunk)))).all())

    now = utcnow()
    new_clusters: list[str] = []
    reused: list[str] = []
    absorbed: dict[str, str] = {}
    members: dict[int, dict] = {}
    # staff "always" first; then members pulled in only because a cluster-mate changed (so a union record keeps
    # its id when the record that changed goes elsewhere); then changed records; records split off last
    pulled = set(extra)
    order = sorted(work, key=lambda r: (
        0 if r in overrides.always else 3 if r in overrides.split else 1 if r in pulled else 2, r))
    former = Counter(prev[r] for r in work if r in prev)

    def free(cid: str) -> bool:
        return not batch.members.get(cid) and cid not in absorbed

    async def found(rid: int) -> str:
        p = prev.get(rid)
        if p and rid not in overrides.split and free(p) and p in status_of:
            reused.append(p)
            return p
        for attempt in range(100):
            cid = first_ids[rid] if attempt == 0 else cluster_id_for(views[rid].library, idents[rid], attempt)
            if not free(cid) or cid in new_clusters:
                continue
            if rid in overrides.split and former.get(cid):
                continue  # a record split off never takes the id its old cluster-mates keep
            status = status_of.get(cid) if attempt == 0 else (
                await session.execute(select(Cluster.status).where(Cluster.id == cid))).scalar_one_or_none()
            if status is None:
                new_clusters.append(cid)
                batch.created[cid] = now
                return cid
            if status != "active" or cid == p:
                reused.append(cid)
                return cid
        raise RuntimeError(f"no free cluster id for {views[rid].library}:{idents[rid]}")

    def absorb(keep: str, gone: str) -> None:
        batch.merge(keep, gone)
        absorbed[gone] = keep
        for old, target in list(absorbed.items()):
            if target == gone:
                absorbed[old] = keep
        stats.absorbed += 1

    def older(a: str, b: str) -> tuple[str, str]:
        ka = (batch.created.get(a, now), a)
        kb = (batch.created.get(b, now), b)
        return (a, b) if ka <= kb else (b, a)

    for rid in order:
        view, keys = views[rid], keyed[rid]
        batch.views[rid] = view
        batch.identifiers[rid] = idents[rid]
        evidence: dict = {"keys": keys, "fingerprint": fingerprints[rid]}
        cid = None
        if rid in overrides.split:
            rule = "override"
            evidence |= {"rule": "override", "override": "split", "reasons": ["split off by staff"]}
        else:
            pals = [p for p in sorted(overrides.always.get(rid, ())) if p in batch.cluster_of]
            pals = [p for p in pals if not any(overrides.forbids(rid, m) for m in batch.members[batch.cluster_of[p]])]
            if pals:
                cid = batch.cluster_of[pals[0]]
                rule = "override"
                evidence |= {"rule": "override", "override": "always", "score": 1.0, "matched": pals[0],
                             "matched_library": batch.views[pals[0]].library,
                             "matched_identifier": batch.identifiers[pals[0]],
                             "reasons": ["staff: always merge"]}
                for p in pals[1:]:
                    other = batch.cluster_of[p]
                    if other != cid:
                        keep, gone = older(cid, other)
                        absorb(keep, gone)
                        cid = keep
            else:
                choices, refused = batch.choose(view, keys, prev.get(rid))
                if choices:
                    best = choices[0]
                    cid = best.cluster
                    rule = best.decision.rule
                    evidence |= best.decision.evidence() | {
                        "matched": best.matched, "matched_library": batch.views[best.matched].library,
                        "matched_identifier": batch.identifiers[best.matched], "compared": best.compared,
                    }
                    # exact evidence for several clusters: they describe one book, so they become one
                    for other in choices[1:]:
                        if other.decision.strong and other.cluster != cid and other.cluster in batch.members \
                                and batch.compatible(cid, other.cluster):
                            keep, gone = older(cid, other.cluster)
                            absorb(keep, gone)
                            cid = keep
                            evidence.setdefault("bridged", []).append(gone)
                else:
                    rule = "founder"
                    evidence |= {"rule": "founder"}
                if refused:
                    evidence["refused"] = refused
        if cid is None:
            cid = await found(rid)
            stats.new_clusters += 1
        else:
            stats.joined += 1
        batch.place(rid, cid)
        batch.index(rid, keys)
        members[rid] = {"source_record_id": rid, "cluster_id": cid, "rule": rule, "evidence": evidence, "added_at": now}

    # a cluster whose former members all went elsewhere redirects to where most of them went
    for old, _count in former.items():
        if old in absorbed or batch.members.get(old):
            continue
        went = Counter(batch.cluster_of[r] for r in work if prev.get(r) == old and r in batch.cluster_of)
        if went:
            target = went.most_common(1)[0][0]
            if target != old:
                absorbed[old] = target
    for old in list(absorbed):
        target = absorbed[old]
        while target in absorbed and absorbed[target] != target:
            target = absorbed[target]
        absorbed[old] = target

    # write
    for rid in work:
        members[rid]["cluster_id"] = batch.cluster_of[rid]
        dirty.add(batch.cluster_of[rid])
        if rid in prev:
            dirty.add(prev[rid])
    if new_clusters:
        await session.execute(insert(Cluster), [
            {"id": cid, "status": "active", "dirty": True, "index_dirty": True, "created_at": now, "updated_at": now,
             "member_count": 0}
            for cid in new_clusters if cid not in absorbed
        ])
    for chunk in _chunks(sorted(set(reused) - set(absorbed))):
        await session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(status="active", redirect_to=None))
    if absorbed:
        by_target: dict[str, list[str]] = defaultdict(list)
        for old, target in absorbed.items():
            if old not in new_clusters:
                by_target[target].append(old)
        for target, olds in by_target.items():
            for chunk in _chunks(sorted(olds)):  # members not matched again in this batch follow their cluster
                await session.execute(update(ClusterMember).where(ClusterMember.cluster_id.in_(chunk))
                                      .values(cluster_id=target))
        await session.execute(update(Cluster), [
            {"id": old, "status": "absorbed", "redirect_to": target, "data": None, "member_count": 0,
             "dirty": False, "index_dirty": True, "updated_at": now}
            for old, target in absorbed.items() if old not in new_clusters
        ])
        dirty -= set(absorbed)
    if members:
        await session.execute(insert(ClusterMember), list(members.values()))
    keys_rows = [{"source_record_id": rid, "key": k} for rid in work for k in dict.fromkeys(keyed[rid])]
    if keys_rows:
        await session.execute(insert(MatchKey), keys_rows)
    for chunk in _chunks(sorted(dirty)):
        await session.execute(update(Cluster).where(Cluster.id.in_(chunk), Cluster.status != "absorbed")
                              .values(dirty=True))
    for chunk in _chunks(sorted(views)):
        await session.execute(update(SourceRecord).where(SourceRecord.id.in_(chunk)).values(status="clustered"))
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
        overrides = await load_overrides(session)
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
                await _cluster_batch(session, ids, codes, overrides, stats)
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
