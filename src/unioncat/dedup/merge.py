"""Build a union record from its members (pure).

The best member is the base (completeness, no ALL CAPS title, no repaired legacy encoding);
identifiers and subjects are unioned; holdings come from every member; each field names its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unioncat.normalize.record import CanonicalRecord
from unioncat.normalize.vietnamese import fold


@dataclass(frozen=True)
class Member:
    source_record_id: int
    library: str
    identifier: str
    record: CanonicalRecord
    rule: str = "founder"
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LibraryInfo:
    code: str
    name: str
    province: str | None = None
    former_provinces: tuple[str, ...] = ()
    opac_url: str | None = None


BASE_FIELDS = (
    "title", "subtitle", "part", "statement_of_responsibility", "edition", "publisher", "place", "year",
    "date_text", "language", "format", "extent", "pages", "series", "series_number", "lccn",
)


def quality(rec: CanonicalRecord) -> float:
    """Higher is a better base record."""
    score = 0.0
    for name in BASE_FIELDS:
        if getattr(rec, name) not in (None, ""):
            score += 1
    score += min(len(rec.subjects), 5) * 0.5 + min(len(rec.authors), 3) * 0.5
    score += 2 if rec.isbns else 0
    letters = [c for c in rec.title if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        score -= 4  # ALL CAPS title
    score -= 3 * len(rec.repairs)  # legacy encodings or detached marks were repaired
    return score


def _union(values: list[str], key=fold) -> list[str]:
    seen: dict[str, str] = {}
    for v in values:
        k = key(v)
        if v and k not in seen:
            seen[k] = v
    return list(seen.values())


def _opac_link(lib: LibraryInfo | None, identifier: str, control_number: str | None) -> str | None:
    if not lib or not lib.opac_url:
        return None
    return lib.opac_url.replace("{id}", control_number or identifier)


def build_union_record(cluster_id: str, members: list[Member], libraries: dict[str, LibraryInfo]) -> dict:
    if not members:
        raise ValueError("a union record needs at least one member")
    ordered = sorted(members, key=lambda m: (-quality(m.record), m.library, m.identifier))
    base = ordered[0]
    rec = base.record
    out: dict = {"id": cluster_id}
    provenance: dict[str, str] = {}
    for name in BASE_FIELDS:
        value = getattr(rec, name)
        if value in (None, ""):  # fill a gap from the next best member that has it
            for m in ordered[1:]:
                if getattr(m.record, name) not in (None, ""):
                    value = getattr(m.record, name)
                    provenance[name] = f"{m.library}:{m.identifier}"
                    break
        else:
            provenance[name] = f"{base.library}:{base.identifier}"
        out[name] = value
    out["authors"] = [p.name for p in rec.authors] or next(
        ([p.name for p in m.record.authors] for m in ordered if m.record.authors), []
    )
    out["isbns"] = sorted({i for m in members for i in m.record.isbns})
    out["issns"] = sorted({i for m in members for i in m.record.issns})
    out["subjects"] = _union([s for m in ordered for s in m.record.subjects])
    out["classification"] = _union([c for m in ordered for c in m.record.classification], key=str.strip)
    out["notes"] = rec.notes
    out["links"] = [link.model_dump() for link in rec.links]

    codes = sorted({m.library for m in members})
    out["libraries"] = codes
    provinces: list[str] = []
    for code in codes:
        lib = libraries.get(code)
        if lib:
            provinces += [p for p in (lib.province, *lib.former_provinces) if p]
    out["provinces"] = sorted(set(provinces))
    holdings = []
    for m in sorted(members, key=lambda m: (m.library, m.identifier)):
        items = [h.model_dump(exclude_none=True) for h in m.record.holdings]
        call_number = next((h.call_number for h in m.record.holdings if h.call_number), None)
        holdings.append({
            "library": m.library,
            "library_name": libraries[m.library].name if m.library in libraries else m.library,
            "identifier": m.identifier,
            "call_number": call_number,
            "items": items,
            "opac_url": _opac_link(libraries.get(m.library), m.identifier, m.record.control_number),
        })
    out["holdings"] = holdings
    out["holdings_count"] = sum(max(1, len(h["items"])) for h in holdings)
    out["members"] = [
        {
            "library": m.library,
            "identifier": m.identifier,
            "source_record_id": m.source_record_id,
            "rule": m.rule,
            "evidence": m.evidence,
            "base": m is base,
        }
        for m in sorted(members, key=lambda m: (m.library, m.identifier))
    ]
    out["provenance"] = provenance
    return out
