"""Clustering as a librarian sees it, on SQLite and PostgreSQL: which union records exist, with which members,
under which ids, and why — across re-runs, edits, deletions and staff overrides."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update

from unioncat.db import ClusterMember, Library, NormalizedRecord, SourceRecord, transaction
from unioncat.dedup.overrides import add_override, delete_override, list_overrides
from unioncat.dedup.service import cluster_pending, rebuild_dirty
from unioncat.normalize.record import CanonicalRecord, Holding, Person
from unioncat.records import Moved, get_union_record

LIBS = ("THA", "NAN", "HTI", "QBI")


def book(title="Lịch sử Nghệ An", author="Nguyễn Văn A", year=2015, isbns=("9786049580123",), **kw) -> dict:
    rec = CanonicalRecord(source_format="marc21", title=title, authors=[Person(name=author)] if author else [],
                          year=year, isbns=list(isbns), publisher=kw.pop("publisher", "Nxb. Nghệ An"), **kw)
    return rec.model_dump(mode="json")


class Catalogue:
    """Source records put straight into the database as the normalize stage leaves them."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.ids: dict[str, int] = {}

    async def libraries(self):
        async with transaction(self.sessions) as s:
            for code in LIBS:
                s.add(Library(code=code, name=f"Thư viện {code}", province=code))

    async def put(self, name: str, library: str, data: dict) -> int:
        async with transaction(self.sessions) as s:
            lib_id = (await s.execute(select(Library.id).where(Library.code == library))).scalar_one()
            if name in self.ids:
                rid = self.ids[name]
                await s.execute(update(NormalizedRecord).where(NormalizedRecord.source_record_id == rid)
                                .values(data=data))
                await s.execute(update(SourceRecord).where(SourceRecord.id == rid).values(status="normalized"))
                return rid
            src = SourceRecord(library_id=lib_id, identifier=f"oai:{library.lower()}:{name}", status="normalized",
                               raw=b"<record/>")
            s.add(src)
            await s.flush()
            s.add(NormalizedRecord(source_record_id=src.id, data=data))
            self.ids[name] = src.id
            return src.id

    async def delete(self, name: str):
        async with transaction(self.sessions) as s:
            await s.execute(update(SourceRecord).where(SourceRecord.id == self.ids[name]).values(status="deleted"))

    async def run(self):
        stats = await cluster_pending(self.sessions)
        await rebuild_dirty(self.sessions)
        return stats

    async def clusters(self) -> dict[str, set[str]]:
        names = {v: k for k, v in self.ids.items()}
        async with self.sessions() as s:
            rows = (await s.execute(select(ClusterMember.cluster_id, ClusterMember.source_record_id))).all()
        out: dict[str, set[str]] = {}
        for cid, rid in rows:
            out.setdefault(cid, set()).add(names[rid])
        return out

    async def cluster_of(self, name: str) -> str:
        async with self.sessions() as s:
            return (await s.execute(select(ClusterMember.cluster_id)
                                    .where(ClusterMember.source_record_id == self.ids[name]))).scalar_one()

    async def member(self, name: str) -> ClusterMember:
        async with self.sessions() as s:
            return await s.get(ClusterMember, self.ids[name])

    async def partition(self) -> set[frozenset[str]]:
        return {frozenset(v) for v in (await self.clusters()).values()}


@pytest.fixture
async def cat(sessions):
    c = Catalogue(sessions)
    await c.libraries()
    return c


async def test_same_book_in_four_cataloguing_styles_is_one_union_record_with_evidence(cat):
    await cat.put("a", "THA", book())
    await cat.put("b", "NAN", book(title="LỊCH SỬ NGHỆ AN", author="Nguyễn, Văn A", publisher="Nhà xuất bản Nghệ An"))
    await cat.put("c", "HTI", book(title="Lịch sử Nghệ An", isbns=()))  # no ISBN: title, author, year
    await cat.put("d", "QBI", book(title="Lịch sử Nghệ An", author="NGUYỄN VĂN A", isbns=(), year=2015))
    await cat.run()
    assert await cat.partition() == {frozenset("abcd")}
    b = await cat.member("b")
    assert b.rule == "isbn" and b.evidence["matched_identifier"] == "oai:tha:a"
    assert "ISBN 9786049580123" in b.evidence["reasons"]
    c = await cat.member("c")
    assert c.rule == "score" and c.evidence["compared"] >= 2  # checked against every member


async def test_no_chaining_through_weak_links(cat):
    # B has no page count, so it agrees with A (200 p.) and with C (240 p.); A and C cannot be one book
    await cat.put("a", "THA", book(isbns=(), pages=200))
    await cat.put("b", "NAN", book(isbns=()))
    await cat.put("c", "HTI", book(isbns=(), pages=240))
    await cat.run()
    part = await cat.partition()
    assert frozenset("abc") not in part and frozenset("ac") not in part
    refused = (await cat.member("c")).evidence["refused"][0]["reasons"]
    assert any("pages differ" in r for r in refused)


async def test_volumes_editions_and_one_record_per_library(cat):
    await cat.put("v1", "THA", book(part="Tập 1"))
    await cat.put("v2", "NAN", book(part="Tập 2"))
    await cat.put("ed2", "HTI", book(isbns=(), edition="Tái bản lần thứ 2"))
    await cat.put("ed0", "QBI", book(isbns=()))
    # the same library twice: a shared ISBN is exact evidence, a description alone is not
    await cat.put("t1", "THA", book(title="Truyện Kiều", author="Nguyễn Du", isbns=("9786041234567",), year=2010))
    await cat.put("t2", "THA", book(title="Truyện Kiều", author="Nguyễn Du", isbns=("9786041234567",), year=2010))
    await cat.put("k1", "NAN", book(title="Thơ Hồ Xuân Hương", author="Hồ Xuân Hương", isbns=(), year=2001))
    await cat.put("k2", "NAN", book(title="Thơ Hồ Xuân Hương", author="Hồ Xuân Hương", isbns=(), year=2001))
    await cat.run()
    part = await cat.partition()
    assert {frozenset(["v1"]), frozenset(["v2"]), frozenset(["ed2"]), frozenset(["ed0"])} <= part
    assert frozenset(["t1", "t2"]) in part
    assert frozenset(["k1"]) in part and frozenset(["k2"]) in part


async def test_ids_are_stable_across_reruns_edits_and_deletions(cat):
    await cat.put("a", "THA", book(holdings=[Holding(call_number="959.742 L302S")]))
    await cat.put("b", "NAN", book())
    await cat.put("c", "HTI", book(isbns=()))
    await cat.run()
    cid = await cat.cluster_of("a")
    assert await cat.partition() == {frozenset("abc")}

    # a nightly re-harvest that only changes holdings does not match anything again
    await cat.put("a", "THA", book(holdings=[Holding(call_number="959.742 L302S"), Holding(barcode="VV2")]))
    stats = await cat.run()
    assert stats.unchanged == 1 and stats.rematched == 0
    async with cat.sessions() as s:
        data = await get_union_record(s, cid)
    assert sum(len(h["items"]) for h in data["holdings"]) == 2 + 0 + 0

    # the founder is corrected into another book: it leaves, the others keep the union record's id
    await cat.put("a", "THA", book(title="Địa chí Nghệ An", isbns=("9786041234567",)))
    await cat.run()
    assert await cat.partition() == {frozenset("a"), frozenset("bc")}
    assert await cat.cluster_of("b") == cid

    # and when b is withdrawn, c still keeps it
    await cat.delete("b")
    await cat.run()
    assert await cat.partition() == {frozenset("a"), frozenset("c")}
    assert await cat.cluster_of("c") == cid


async def test_a_record_with_two_identifiers_joins_two_union_records_and_the_younger_id_redirects(cat):
    await cat.put("x", "THA", book(isbns=("9786041234567",)))
    await cat.run()
    await cat.put("y", "NAN", book(isbns=("9786049580123",), year=2016))  # a year apart, other ISBN: kept apart
    await cat.run()
    older, younger = await cat.cluster_of("x"), await cat.cluster_of("y")
    await cat.put("z", "HTI", book(isbns=("9786041234567", "9786049580123")))
    await cat.run()
    assert await cat.partition() == {frozenset("xyz")}
    assert await cat.cluster_of("z") == older
    async with cat.sessions() as s:
        with pytest.raises(Moved) as moved:
            await get_union_record(s, younger)
    assert moved.value.target == older


async def test_staff_overrides_survive_reruns_and_can_be_undone(cat):
    await cat.put("a", "THA", book())
    await cat.put("b", "NAN", book())
    await cat.put("c", "HTI", book(isbns=()))
    await cat.put("d", "QBI", book(title="Nghệ An xưa và nay", isbns=(), author="Trần B"))
    await cat.run()
    cid = await cat.cluster_of("a")
    assert await cat.partition() == {frozenset("abc"), frozenset("d")}

    never = await add_override(cat.sessions, "never", "NAN:oai:nan:b", {"library": "THA", "identifier": "oai:tha:a"})
    assert {c["identifier"] for c in never["changes"] if c["moved"]} == {"oai:nan:b"}
    assert frozenset("ab") not in {frozenset(p & set("ab")) for p in await cat.partition()}
    assert await cat.cluster_of("a") == cid

    # a re-harvest of b with a new call number: the override still holds
    await cat.put("b", "NAN", book(holdings=[Holding(call_number="X")]))
    await cat.run()
    assert await cat.cluster_of("b") != await cat.cluster_of("a")

    split = await add_override(cat.sessions, "split", cat.ids["c"])
    assert await cat.cluster_of("a") == cid  # the record split off gets a new id, the union record keeps its own
    assert (await cat.member("c")).rule == "override"
    assert any(ch["identifier"] == "oai:hti:c" and ch["moved"] for ch in split["changes"])

    always = await add_override(cat.sessions, "always", cat.ids["a"], cat.ids["d"])
    assert await cat.cluster_of("d") == cid
    member = await cat.member("d")
    assert member.rule == "override" and member.evidence["override"] == "always"

    async with cat.sessions() as s:
        listed = await list_overrides(s)
    assert [o["kind"] for o in listed] == ["never", "split", "always"]
    assert listed[0]["record_a"]["library"] in ("THA", "NAN")

    split_id = await cat.cluster_of("c")
    for o in (never, split, always):
        await delete_override(cat.sessions, o["override"]["id"])
    assert await cat.partition() == {frozenset("abc"), frozenset("d")}
    # no fresh ids: the union records come back under ids readers have seen
    assert {await cat.cluster_of("a"), await cat.cluster_of("d")} == {cid, split_id}


async def test_overrides_api_is_staff_only_and_says_what_moved(db_settings, cat):
    from unioncat.api.overrides import overrides_router
    from unioncat.app import create_app

    await cat.put("a", "THA", book())
    await cat.put("b", "NAN", book())
    await cat.run()
    settings = db_settings.model_copy(update={"staff_token": "s3cret"})
    app = create_app(settings)
    if not any(getattr(r, "path", "") == "/api/v1/overrides" for r in app.routes):
        app.include_router(overrides_router)
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        body = {"kind": "never", "record_a": "THA:oai:tha:a", "record_b": {"library": "NAN", "identifier": "oai:nan:b"}}
        assert (await client.post("/api/v1/overrides", json=body)).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        r = await client.post("/api/v1/overrides", json=body, headers=auth)
        assert r.status_code == 201, r.text
        out = r.json()
        assert [c["identifier"] for c in out["changes"] if c["moved"]] == ["oai:nan:b"]
        bad = await client.post("/api/v1/overrides", json={"kind": "never", "record_a": "THA:nope", "record_b": 1},
                                headers=auth)
        assert bad.status_code == 404 and bad.json()["error"] == "RecordNotFound"
        bad = await client.post("/api/v1/overrides", json={"kind": "merge", "record_a": 1}, headers=auth)
        assert bad.status_code == 400
        listed = (await client.get("/api/v1/overrides", headers=auth)).json()["overrides"]
        assert len(listed) == 1
        r = await client.delete(f"/api/v1/overrides/{listed[0]['id']}", headers=auth)
        assert r.status_code == 200 and any(c["moved"] for c in r.json()["changes"])
        assert (await client.delete(f"/api/v1/overrides/{listed[0]['id']}", headers=auth)).status_code == 404
    assert await cat.partition() == {frozenset("ab")}


async def test_a_new_scorer_matches_everything_again_and_keeps_the_union_ids(cat, monkeypatch):
    await cat.put("a", "THA", book())
    await cat.put("b", "NAN", book(title="Lịch sử Nghệ An", isbns=()))
    await cat.put("c", "HTI", book(title="Địa chí Hà Tĩnh", author="Lê B", isbns=()))
    await cat.run()
    before = {name: await cat.cluster_of(name) for name in "abc"}
    again = await cat.run()
    assert again.rescored == 0 and again.records == 0  # same scorer: nothing to do

    # the next release changes the weights: one `unioncat process` re-matches every clustered record
    monkeypatch.setattr("unioncat.dedup.service.SCORER_VERSION", "next")
    monkeypatch.setattr("unioncat.dedup.keys.SCORER_VERSION", "next")
    stats = await cat.run()
    assert stats.rescored == 3
    assert {name: await cat.cluster_of(name) for name in "abc"} == before
    assert (await cat.member("b")).evidence["fingerprint"] != ""
    assert (await cat.run()).rescored == 0
