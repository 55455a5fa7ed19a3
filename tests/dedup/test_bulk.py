"""The bulk path (many new records: big queries, clustering in memory, bulk inserts) and the incremental path
(batches, candidates looked up by key) give the same union records — same members, same ids, same rules — on
SQLite and PostgreSQL: for the first load of a consortium, for a new library joining existing clusters, and
with staff overrides. And the pure clustering function agrees with both."""

from __future__ import annotations

import random

from sqlalchemy import delete, insert, select, update

from unioncat.db import Cluster, ClusterMember, Library, MatchKey, MatchOverride, NormalizedRecord, SourceRecord, transaction
from unioncat.dedup.cluster import Overrides, cluster_views
from unioncat.dedup.keys import MatchView
from unioncat.dedup.service import cluster_pending, rebuild_dirty
from unioncat.normalize.record import CanonicalRecord, Person

LIBS = ("THA", "NAN", "HTI", "QBI", "HUE")
WORDS = ("Lịch sử", "Địa chí", "Văn hóa", "Làng nghề", "Ca dao", "Truyện cổ", "Kinh tế", "Nghệ An", "Huế", "xứ Nghệ")
AUTHORS = ("Nguyễn Văn A", "Trần Thị B", "Lê Quang C", "Phạm Hữu D", "")
PUBLISHERS = ("Nxb. Nghệ An", "Nxb. Kim Đồng", "Nxb. Giáo dục")


def isbn13(n: int) -> str:
    body = f"978604{n:06d}"
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def catalogue(n_books: int, seed: int) -> list[tuple[str, dict]]:
    """(library, canonical record) — books catalogued by one to four libraries, with the variations and look-alikes
    that exercise every rule: shared/missing/extra ISBNs, other volumes and editions, pages, a library twice."""
    rng = random.Random(seed)
    out = []
    for i in range(n_books):
        title = " ".join(rng.sample(WORDS, rng.randint(1, 3)))  # few words: titles collide on purpose
        base = {"title": title, "author": rng.choice(AUTHORS), "year": rng.randint(2000, 2004),
                "isbns": [isbn13(i)] if rng.random() < 0.5 else [], "publisher": rng.choice(PUBLISHERS),
                "pages": rng.choice((None, 100, 104, 150, 200))}
        for lib in rng.sample(LIBS, rng.randint(1, 4)) + ([rng.choice(LIBS)] if rng.random() < 0.1 else []):
            d = dict(base)
            r = rng.random()
            if r < 0.15:
                d["isbns"] = []
            elif r < 0.2:
                d["isbns"] = d["isbns"] + [isbn13(rng.randrange(n_books))]  # a second ISBN: may bridge two clusters
            elif r < 0.25:
                d["part"] = "Tập 2"
            elif r < 0.3:
                d["edition"] = "Tái bản lần thứ 2"
            elif r < 0.35:
                d["year"] += 1
            elif r < 0.4:
                d["pages"] = None
            out.append((lib, d))
    return out


def canonical(d: dict) -> dict:
    d = dict(d)
    author = d.pop("author")
    return CanonicalRecord(source_format="marc21", authors=[Person(name=author)] if author else [], **d).model_dump(mode="json")


async def put(sessions, records: list[tuple[str, dict]], start: int = 0) -> list[int]:
    async with transaction(sessions) as s:
        libs = dict((await s.execute(select(Library.code, Library.id))).all())
        for code in sorted({lib for lib, _ in records} - set(libs)):
            lib = Library(code=code, name=code)
            s.add(lib)
            await s.flush()
            libs[code] = lib.id
        ids = []
        for i, (lib, d) in enumerate(records, start):
            src = SourceRecord(library_id=libs[lib], identifier=f"oai:{lib.lower()}:{i}", status="normalized", raw=b"")
            s.add(src)
            await s.flush()
            ids.append(src.id)
        await s.execute(insert(NormalizedRecord), [{"source_record_id": rid, "data": canonical(d)}
                                                   for rid, (_lib, d) in zip(ids, records)])
    return ids


async def snapshot(sessions) -> dict:
    async with sessions() as s:
        members = {rid: (cid, rule) for rid, cid, rule in (await s.execute(
            select(ClusterMember.source_record_id, ClusterMember.cluster_id, ClusterMember.rule))).all()}
        clusters = {cid: (status, redirect) for cid, status, redirect in (await s.execute(
            select(Cluster.id, Cluster.status, Cluster.redirect_to))).all()}
        keys = set((await s.execute(select(MatchKey.source_record_id, MatchKey.key))).all())
        pending = (await s.execute(select(SourceRecord.id).where(SourceRecord.status == "normalized"))).all()
    assert not pending
    active = {cid for cid, (status, _) in clusters.items() if status == "active"}
    return {"members": members, "active": active, "keys": keys}


async def forget(sessions, ids: list[int]) -> None:
    """Make these records new again: no cluster, no keys; clusters left with no member go."""
    async with transaction(sessions) as s:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            await s.execute(delete(ClusterMember).where(ClusterMember.source_record_id.in_(chunk)))
            await s.execute(delete(MatchKey).where(MatchKey.source_record_id.in_(chunk)))
            await s.execute(update(SourceRecord).where(SourceRecord.id.in_(chunk)).values(status="normalized"))
        used = set((await s.execute(select(ClusterMember.cluster_id))).scalars())
        await s.execute(update(Cluster).values(redirect_to=None))
        gone = [c for c in (await s.execute(select(Cluster.id))).scalars() if c not in used]
        for i in range(0, len(gone), 500):
            await s.execute(delete(Cluster).where(Cluster.id.in_(gone[i : i + 500])))


async def both_paths(sessions, ids: list[int], batch_size: int) -> tuple[dict, dict]:
    bulk = await cluster_pending(sessions, batch_size=batch_size, bulk_min=0)
    assert bulk.bulk == len(ids)
    got_bulk = await snapshot(sessions)
    await forget(sessions, ids)
    incremental = await cluster_pending(sessions, batch_size=batch_size, bulk_min=10**9)
    assert incremental.bulk == 0
    got_incremental = await snapshot(sessions)
    return got_bulk, got_incremental


async def test_first_load_of_a_consortium_bulk_equals_incremental(sessions):
    records = catalogue(400, seed=1)
    ids = await put(sessions, records)
    got_bulk, got_incremental = await both_paths(sessions, ids, batch_size=97)
    assert got_bulk == got_incremental
    members = got_bulk["members"]
    assert len(set(c for c, _ in members.values())) < len(ids)  # some clusters were made...
    rules = {rule for _, rule in members.values()}
    assert {"founder", "isbn", "score"} <= rules
    # ...and the pure function, from the views alone, makes the same ones
    async with sessions() as s:
        rows = (await s.execute(select(SourceRecord.id, Library.code, SourceRecord.identifier, NormalizedRecord.data)
                                .join(Library, Library.id == SourceRecord.library_id)
                                .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id))).all()
    pure = cluster_views([MatchView.from_data(rid, lib, data) for rid, lib, _i, data in rows],
                         {rid: ident for rid, _l, ident, _d in rows}, Overrides(), batch_size=97)
    assert pure == {rid: cid for rid, (cid, _) in members.items()}
    await rebuild_dirty(sessions)


async def test_a_new_library_joining_existing_clusters_bulk_equals_incremental(sessions):
    records = catalogue(300, seed=2)
    old = [r for r in records if r[0] != "HUE"]
    new = [("HUE", d) for lib, d in records if lib == "HUE"] + [("HUE", d) for _lib, d in catalogue(80, seed=3)]
    await put(sessions, old)
    await cluster_pending(sessions, batch_size=64)
    await rebuild_dirty(sessions)
    ids = await put(sessions, new, start=len(old))
    got_bulk, got_incremental = await both_paths(sessions, ids, batch_size=64)
    assert got_bulk == got_incremental
    joined = [rid for rid in ids if got_bulk["members"][rid][1] != "founder"]
    assert len(joined) > len(ids) // 4  # many of the new library's records joined existing union records


async def test_overrides_bulk_equals_incremental(sessions):
    records = catalogue(200, seed=4)
    ids = await put(sessions, records)
    await cluster_pending(sessions, batch_size=50, bulk_min=0)
    before = await snapshot(sessions)
    by_cluster: dict[str, list[int]] = {}
    for rid, (cid, _) in before["members"].items():
        by_cluster.setdefault(cid, []).append(rid)
    multi = sorted(sorted(m) for m in by_cluster.values() if len(m) > 1)
    singles = sorted(m[0] for m in by_cluster.values() if len(m) == 1)
    async with transaction(sessions) as s:
        await s.execute(insert(MatchOverride), [
            {"kind": "never", "record_a": multi[0][0], "record_b": multi[0][1]},
            {"kind": "split", "record_a": multi[1][0], "record_b": None},
            {"kind": "always", "record_a": singles[0], "record_b": singles[-1]},
            {"kind": "always", "record_a": multi[2][0], "record_b": singles[1]},
        ])
    await forget(sessions, ids)
    got_bulk, got_incremental = await both_paths(sessions, ids, batch_size=50)
    assert got_bulk == got_incremental
    m = got_bulk["members"]
    assert m[multi[0][0]][0] != m[multi[0][1]][0]
    assert m[multi[1][0]][1] == "override" and all(m[r][0] != m[multi[1][0]][0] for r in ids if r != multi[1][0])
    assert m[singles[0]][0] == m[singles[-1]][0]
    assert m[multi[2][0]][0] == m[singles[1]][0]
