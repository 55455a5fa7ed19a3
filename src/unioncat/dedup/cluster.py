"""The clustering decision, without a database (pure): which union record each record joins, and why.

One implementation of the rules, used by both paths of the cluster stage (`service.py`): the incremental path
(a batch of changed records, with the clusters their keys lead to loaded from the database) and the bulk path
(many pending records: loaded in a few big queries, clustered here in memory, written with bulk inserts).

Records are placed one at a time, in a given order; each looks up candidate clusters through its blocking keys
and joins the best one it may join:
  - vetoes first: a veto against any member refuses the cluster;
  - strong (identifier) evidence against one member suffices, and may join a second record of a library that
    already has one if the evidence against that library's records is exact;
  - weak (descriptive) evidence must hold against every member (no chaining through weak links) and never
    joins a second record of one library;
  - staff overrides: "never" refuses a cluster holding the other record, "always" joins the other record's
    cluster whatever the evidence, "split" stands alone;
  - exact evidence for several clusters merges them (the younger id is absorbed and redirects).
A record that joins nothing founds a cluster: it takes back the id of the cluster it was in if that is free,
else an id derived from its library and identifier (`cluster_id_for`).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from unioncat.dedup.keys import MatchView, blocking_keys
from unioncat.dedup.matching import Decision, decide

MAX_PER_KEY = 100  # candidates looked at per blocking key (a very common title and year say little anyway)
_EPOCH_END = datetime.max.replace(tzinfo=timezone.utc)


_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits -> two characters


def cluster_id_for(library: str, identifier: str, attempt: int = 0) -> str:
    """A stable union id derived from the founding member: the same data gives the same ids.

    "u" + the first 11 characters of the lower-case base32 of sha1(seed), i.e. its first 55 bits.
    """
    seed = f"{library}\x1f{identifier}" + (f"\x1f{attempt}" if attempt else "")
    bits = int.from_bytes(hashlib.sha1(seed.encode()).digest()[:7], "big") >> 1
    p = _B32_PAIRS
    return (f"u{p[bits >> 45]}{p[(bits >> 35) & 1023]}{p[(bits >> 25) & 1023]}{p[(bits >> 15) & 1023]}"
            f"{p[(bits >> 5) & 1023]}{_B32[bits & 31]}")


def _cluster_id_b32(library: str, identifier: str, attempt: int = 0) -> str:
    """The definition `cluster_id_for` computes faster (kept for the test that they agree)."""
    seed = f"{library}\x1f{identifier}" + (f"\x1f{attempt}" if attempt else "")
    return "u" + base64.b32encode(hashlib.sha1(seed.encode()).digest()).decode().lower()[:11]


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


@dataclass
class Item:
    """A record to place: its view, the identifier its founding id derives from, its keys and fingerprint."""

    view: MatchView
    identifier: str
    keys: list[str]
    fingerprint: str = ""
    _first_id: str = ""

    @property
    def rid(self) -> int:
        return self.view.record_id

    @property
    def first_id(self) -> str:
        """The id this record founds a cluster under, if that id is free."""
        if not self._first_id:
            self._first_id = cluster_id_for(self.view.library, self.identifier)
        return self._first_id


@dataclass
class _Choice:
    cluster: str
    decision: Decision
    matched: int
    compared: int


@dataclass
class Counts:
    new_clusters: int = 0
    joined: int = 0
    absorbed: int = 0
    compared: int = 0  # candidate pairs decided


def processing_order(rids: Iterable[int], overrides: Overrides, pulled: set[int] = frozenset()) -> list[int]:
    """Staff "always" first; then members pulled in only because a cluster-mate changed (so a union record keeps
    its id when the record that changed goes elsewhere); then changed records; records split off last."""
    return sorted(rids, key=lambda r: (
        0 if r in overrides.always else 3 if r in overrides.split else 1 if r in pulled else 2, r))


class Clustering:
    """Clusters in play (members, their views), the blocking index, and what placing records changed.

    `id_status(cid)` says whether a cluster id exists outside (None, or its status); it is asked only for ids
    that `known_status` (filled by the caller in advance) does not answer.
    """

    def __init__(self, overrides: Overrides | None = None, id_status: Callable[[str], str | None] | None = None,
                 max_per_key: int = MAX_PER_KEY) -> None:
        self.overrides = overrides or Overrides()
        self.id_status = id_status or (lambda cid: None)
        self.known_status: dict[str, str | None] = {}
        self.max_per_key = max_per_key
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.views: dict[int, MatchView] = {}
        self.identifiers: dict[int, str] = {}
        self.cluster_of: dict[int, str] = {}
        self.members: dict[str, list[int]] = defaultdict(list)
        self.created: dict[str, datetime] = {}
        self.counts = Counts()
        # what placing records changed, until the caller takes it (`take_changes`)
        self.rows: dict[int, dict] = {}  # rid -> cluster_members row (cluster_id filled at take_changes)
        self.new_clusters: dict[str, datetime] = {}
        self.reused: list[str] = []
        self.absorbed: dict[str, str] = {}
        self.placed: list[int] = []
        self._written: dict[str, str] = {}  # absorbed ids already handed out (they stay refused to founders)

    # --- state -------------------------------------------------------------------------------------------
    def add_member(self, rid: int, cid: str, view: MatchView, identifier: str) -> None:
        """An existing member of an existing cluster (not placed again)."""
        if rid in self.cluster_of:
            return
        self.views[rid] = view
        self.identifiers[rid] = identifier
        self.place(rid, cid)

    def place(self, rid: int, cid: str) -> None:
        self.cluster_of[rid] = cid
        self.members[cid].append(rid)

    def index(self, rid: int, keys: Iterable[str]) -> None:
        cap = self.max_per_key
        by_key = self.by_key
        for key in keys:
            bucket = by_key[key]
            if len(bucket) < cap:
                bucket.append(rid)

    # --- the decision ------------------------------------------------------------------------------------
    def _acceptable(self, view: MatchView, cid: str) -> tuple[_Choice | None, list[str]]:
        """Whether `view` may join cluster `cid`, and on what evidence; else the reasons it may not."""
        members = self.members.get(cid)
        if not members:
            return None, ["empty"]
        ov = self.overrides
        if ov.split and any(m in ov.split for m in members):
            return None, ["a member was split off by staff"]
        if ov.never and any(ov.forbids(view.record_id, m) for m in members):
            return None, ["staff: never merge with a member"]
        views = self.views
        self.counts.compared += len(members)
        decisions = [(decide(view, views[m]), m) for m in members]
        for d, _ in decisions:
            if d.rule == "veto":
                return None, d.reasons
        strong = [(d, m) for d, m in decisions if d.strong]
        library = view.library
        same_library = [m for m in members if views[m].library == library]
        if strong:
            # at most one record per library per cluster unless the evidence is exact
            if same_library and not all(d.strong for d, m in decisions if m in same_library):
                return None, ["the library already has a record here and the evidence is not exact"]
            d, m = strong[0]
            return _Choice(cid, d, m, len(members)), []
        if same_library:
            return None, ["the library already has a record here"]
        # weak evidence must hold against every member: no chaining through weak links
        for d, _ in decisions:
            if not d.match:
                return None, ["weak evidence does not hold for every member", *d.reasons]
        d, m = max(decisions, key=lambda p: p[0].score)
        return _Choice(cid, d, m, len(members)), []

    def candidates(self, view: MatchView, keys: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        by_key, cluster_of, me = self.by_key, self.cluster_of, view.record_id
        for key in keys:
            for rid in by_key.get(key, ()):
                if rid != me:
                    cid = cluster_of.get(rid)
                    if cid is not None:
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
        if len(ok) > 1:
            created = self.created
            ok.sort(key=lambda c: (-c.decision.score, c.cluster != prefer, -c.compared,
                                   created.get(c.cluster, _EPOCH_END), c.cluster))
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

    # --- placing records ---------------------------------------------------------------------------------
    def _free(self, cid: str) -> bool:
        return not self.members.get(cid) and cid not in self.absorbed

    def _status(self, cid: str) -> str | None:
        if cid in self.known_status:
            return self.known_status[cid]
        status = self.known_status[cid] = self.id_status(cid)
        return status

    def _found(self, item: Item, prev: str | None, former: Counter, now: datetime) -> str:
        rid, ov = item.rid, self.overrides
        if prev and rid not in ov.split and self._free(prev) and self._status(prev) is not None:
            self.reused.append(prev)
            return prev
        library = item.view.library
        for attempt in range(100):
            cid = item.first_id if attempt == 0 else cluster_id_for(library, item.identifier, attempt)
            if not self._free(cid) or cid in self.new_clusters:
                continue
            if rid in ov.split and former.get(cid):
                continue  # a record split off never takes the id its old cluster-mates keep
            status = self._status(cid)
            if status is None:
                self.new_clusters[cid] = now
                self.created[cid] = now
                return cid
            if status != "active" or cid == prev:
                self.reused.append(cid)
                return cid
        raise RuntimeError(f"no free cluster id for {library}:{item.identifier}")

    def _absorb(self, keep: str, gone: str) -> None:
        for rid in self.members.pop(gone, []):
            self.place(rid, keep)
        self.absorbed[gone] = keep
        for old, target in list(self.absorbed.items()):
            if target == gone:
                self.absorbed[old] = keep
        self.counts.absorbed += 1

    def _older(self, a: str, b: str, now: datetime) -> tuple[str, str]:
        ka = (self.created.get(a, now), a)
        kb = (self.created.get(b, now), b)
        return (a, b) if ka <= kb else (b, a)

    def assign(self, items: dict[int, Item], order: list[int], prev: dict[int, str], now: datetime) -> None:
        """Place the records of `order` (all in `items`; none placed yet), one at a time.

        `prev`: the cluster a record was in before it was released to be matched again (its id may come back).
        Clusters created here are dated `now`; the membership rows wait in `rows` for `take_changes`.
        """
        ov = self.overrides
        former = Counter(prev[r] for r in order if r in prev)
        for rid in order:
            item = items[rid]
            view, keys = item.view, item.keys
            self.views[rid] = view
            self.identifiers[rid] = item.identifier
            evidence: dict = {"keys": keys, "fingerprint": item.fingerprint}
            cid = None
            if rid in ov.split:
                rule = "override"
                evidence |= {"rule": "override", "override": "split", "reasons": ["split off by staff"]}
            else:
                pals = [p for p in sorted(ov.always.get(rid, ())) if p in self.cluster_of] if ov.always else []
                pals = [p for p in pals if not any(ov.forbids(rid, m) for m in self.members[self.cluster_of[p]])]
                if pals:
                    cid = self.cluster_of[pals[0]]
                    rule = "override"
                    evidence |= {"rule": "override", "override": "always", "score": 1.0, "matched": pals[0],
                                 "matched_library": self.views[pals[0]].library,
                                 "matched_identifier": self.identifiers[pals[0]],
                                 "reasons": ["staff: always merge"]}
                    for p in pals[1:]:
                        other = self.cluster_of[p]
                        if other != cid:
                            keep, gone = self._older(cid, other, now)
                            self._absorb(keep, gone)
                            cid = keep
                else:
                    choices, refused = self.choose(view, keys, prev.get(rid))
                    if choices:
                        best = choices[0]
                        cid = best.cluster
                        rule = best.decision.rule
                        evidence |= best.decision.evidence() | {
                            "matched": best.matched, "matched_library": self.views[best.matched].library,
                            "matched_identifier": self.identifiers[best.matched], "compared": best.compared,
                        }
                        # exact evidence for several clusters: they describe one book, so they become one
                        for other in choices[1:]:
                            if other.decision.strong and other.cluster != cid and other.cluster in self.members \
                                    and self.compatible(cid, other.cluster):
                                keep, gone = self._older(cid, other.cluster, now)
                                self._absorb(keep, gone)
                                cid = keep
                                evidence.setdefault("bridged", []).append(gone)
                    else:
                        rule = "founder"
                        evidence |= {"rule": "founder"}
                    if refused:
                        evidence["refused"] = refused
            if cid is None:
                cid = self._found(item, prev.get(rid), former, now)
                self.counts.new_clusters += 1
            else:
                self.counts.joined += 1
            self.place(rid, cid)
            self.index(rid, keys)
            self.placed.append(rid)
            self.rows[rid] = {"source_record_id": rid, "cluster_id": cid, "rule": rule, "evidence": evidence,
                              "added_at": now}

        # a cluster whose former members all went elsewhere redirects to where most of them went
        for old in former:
            if old in self.absorbed or self.members.get(old):
                continue
            went = Counter(self.cluster_of[r] for r in order if prev.get(r) == old and r in self.cluster_of)
            if went:
                target = went.most_common(1)[0][0]
                if target != old:
                    self.absorbed[old] = target
        for old in list(self.absorbed):
            target = self.absorbed[old]
            while target in self.absorbed and self.absorbed[target] != target:
                target = self.absorbed[target]
            self.absorbed[old] = target

    def take_changes(self) -> "Changes":
        """What to write since the last call: membership rows (with their final cluster), clusters to create,
        reuse or absorb. Clusters created and absorbed in between are never written."""
        for rid, row in self.rows.items():
            row["cluster_id"] = self.cluster_of[rid]
        out = Changes(rows=self.rows, new_clusters={c: t for c, t in self.new_clusters.items() if c not in self.absorbed},
                      reused=sorted(set(self.reused) - set(self.absorbed)),
                      absorbed={o: t for o, t in self.absorbed.items()
                                if o not in self.new_clusters and self._written.get(o) != t})
        self._written.update(out.absorbed)
        self.rows, self.reused, self.placed = {}, [], []
        self.new_clusters = {}
        return out


@dataclass
class Changes:
    rows: dict[int, dict]
    new_clusters: dict[str, datetime]
    reused: list[str]
    absorbed: dict[str, str]


def cluster_views(views: Iterable[MatchView], identifiers: dict[int, str] | None = None,
                  overrides: Overrides | None = None, batch_size: int = 2000,
                  now: datetime | None = None) -> dict[int, str]:
    """Cluster records from scratch (a first load), in record id order: record id -> cluster id.

    The same decisions the cluster stage makes on a database with no clusters yet, batch by batch.
    """
    ov = overrides or Overrides()
    engine = Clustering(ov)
    items = {v.record_id: Item(v, (identifiers or {}).get(v.record_id, str(v.record_id)), blocking_keys(v))
             for v in views}
    rids = sorted(items)
    base = now or datetime(2000, 1, 1, tzinfo=timezone.utc)
    for n, i in enumerate(range(0, len(rids), batch_size)):
        chunk = rids[i : i + batch_size]
        engine.assign(items, processing_order(chunk, ov), {}, base + timedelta(microseconds=n))
        engine.rows, engine.placed = {}, []
    return dict(engine.cluster_of)
