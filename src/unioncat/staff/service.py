"""What the staff pages show. Each function returns one plain dict; the HTML page and its `.json` twin are both
rendered from that same dict (style.md §4 convention 10)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat import libraries as library_service
from unioncat.db import (
    Cluster,
    ClusterMember,
    HarvestError,
    Library,
    MatchOverride,
    NormalizedRecord,
    QuarantinedRecord,
    SourceRecord,
)
from unioncat.errors import NotFound, RecordNotFound
from unioncat.records import Moved
from unioncat.scheduler import next_run
from harvesters.quarantine import OPEN, RESOLVED, entry_dict

RAW_PREVIEW = 4000  # characters of a quarantined record's payload shown inline
BROKEN_PREVIEW = 1500  # characters of an unreadable (harvest quarantine) record's bytes shown inline
RESOLVED_WINDOW = timedelta(days=30)  # "fixed lately" on the library page
PAGE = 50


def _next_run(schedule: str | None, now: datetime) -> str:
    """ISO time of the next scheduled harvest, or a note when the stored cron expression is invalid."""
    try:
        return next_run(schedule, now).isoformat()
    except (ValueError, KeyError) as exc:
        return f"invalid schedule {schedule!r}: {exc}"


def _raw_text(raw: bytes | None, limit: int | None = RAW_PREVIEW) -> str:
    if not raw:
        return ""
    text = raw[: limit * 4 if limit else None].decode("utf-8", errors="replace")
    return text[:limit] if limit else text


def sniff_format(raw: bytes | None) -> str:
    """"iso2709" for bytes that look like a MARC transmission record (length digits, or field and record
    terminators outside markup), else "xml": what a harvest quarantine entry holds."""
    head = (raw or b"")[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head[:5].isdigit() or b"\x1d" in (raw or b"") or b"\x1e" in (raw or b""):
        return "iso2709"
    return "xml"


async def dashboard(session: AsyncSession, now: datetime | None = None) -> dict:
    now = now or datetime.now(timezone.utc)
    members = await library_service.library_status(session)
    schedules = dict((await session.execute(select(Library.code, Library.schedule))).all())
    last_run_ids = [m["last_run"]["id"] for m in members if m.get("last_run")]
    errors = dict((await session.execute(
        select(HarvestError.run_id, func.count()).where(HarvestError.run_id.in_(last_run_ids or [-1]))
        .group_by(HarvestError.run_id)
    )).all())
    held = dict((await session.execute(
        select(Library.code, func.count(func.distinct(ClusterMember.cluster_id)))
        .join(SourceRecord, SourceRecord.library_id == Library.id)
        .join(ClusterMember, ClusterMember.source_record_id == SourceRecord.id)
        .group_by(Library.code)
    )).all())
    union_records = (await session.execute(
        select(func.count()).select_from(Cluster).where(Cluster.status == "active"))).scalar_one()
    for m in members:
        run = m.get("last_run")
        m["union_records"] = held.get(m["code"], 0)
        m["last_run_errors"] = (errors.get(run["id"], 0) + (run.get("records_failed") or 0)) if run else 0
        m["schedule"] = schedules.get(m["code"])
        m["next_run"] = _next_run(schedules.get(m["code"]), now) if m.get("enabled", True) else None
    return {
        "generated_at": now.isoformat(),
        "union_records": union_records,
        "source_records": sum(m["records"] for m in members),
        "quarantined": sum(m["quarantined"] for m in members),
        "quarantine": {stage: sum(m["quarantine"][stage] for m in members) for stage in ("harvest", "normalize")},
        "libraries": members,
    }


async def library_page(session: AsyncSession, code: str, page: int = 1, qpage: int = 1,
                       now: datetime | None = None) -> dict:
    """A library's configuration, harvests, harvest quarantine (open entries, newest seen first, page
    ``qpage``), normalize-quarantined records (page ``page``) and recent harvest errors."""
    lib = await library_service.get_library(session, code)
    status = next(s for s in await library_service.library_status(session) if s["code"] == code)
    status["schedule"] = lib.schedule
    status["next_run"] = _next_run(lib.schedule, datetime.now(timezone.utc)) if lib.enabled else None
    history = await library_service.harvest_history(session, code, 50)
    total_quarantined = (await session.execute(
        select(func.count()).select_from(SourceRecord)
        .where(SourceRecord.library_id == lib.id, SourceRecord.status == "quarantined"))).scalar_one()
    rows = (await session.execute(
        select(SourceRecord.id, SourceRecord.identifier, SourceRecord.datestamp, SourceRecord.error,
               SourceRecord.raw, SourceRecord.raw_format, SourceRecord.updated_at)
        .where(SourceRecord.library_id == lib.id, SourceRecord.status == "quarantined")
        .order_by(SourceRecord.id.desc()).offset((page - 1) * PAGE).limit(PAGE)
    )).all()
    quarantined = [
        {"id": r.id, "identifier": r.identifier, "datestamp": r.datestamp, "error": r.error,
         "raw_format": r.raw_format, "raw_preview": _raw_text(r.raw), "raw_bytes": len(r.raw or b""),
         "updated_at": r.updated_at.isoformat() if r.updated_at else None}
        for r in rows
    ]
    errors = (await session.execute(
        select(HarvestError).where(HarvestError.library_id == lib.id).order_by(HarvestError.id.desc()).limit(PAGE)
    )).scalars().all()
    harvest_errors = [
        {"id": e.id, "run_id": e.run_id, "identifier": e.identifier, "stage": e.stage, "message": e.message,
         "payload_preview": _raw_text(e.payload), "payload_bytes": len(e.payload or b""),
         "created_at": e.created_at.isoformat() if e.created_at else None}
        for e in errors
    ]
    return {
        "library": status, "harvests": history, "quarantined_total": total_quarantined, "page": page,
        "page_size": PAGE, "quarantined": quarantined, "harvest_errors": harvest_errors,
        "harvest_quarantine": await _harvest_quarantine(session, lib, qpage, now or datetime.now(timezone.utc)),
    }


async def _harvest_quarantine(session: AsyncSession, lib: Library, qpage: int, now: datetime) -> dict:
    """Open harvest quarantine entries of a library (newest seen first) and how many were resolved lately."""
    mine = QuarantinedRecord.library_id == lib.id
    total = (await session.execute(
        select(func.count()).select_from(QuarantinedRecord).where(mine, QuarantinedRecord.status == OPEN)
    )).scalar_one()
    resolved = (await session.execute(
        select(func.count()).select_from(QuarantinedRecord).where(
            mine, QuarantinedRecord.status == RESOLVED, QuarantinedRecord.resolved_at >= now - RESOLVED_WINDOW)
    )).scalar_one()
    rows = (await session.execute(
        select(QuarantinedRecord).where(mine, QuarantinedRecord.status == OPEN)
        .order_by(QuarantinedRecord.last_seen_at.desc(), QuarantinedRecord.id.desc())
        .offset((qpage - 1) * PAGE).limit(PAGE)
    )).scalars().all()
    entries = [entry_dict(e, lib.code) | {"raw_format": sniff_format(e.raw),
                                          "raw_preview": _raw_text(e.raw, BROKEN_PREVIEW)} for e in rows]
    return {"total": total, "page": qpage, "page_size": PAGE, "resolved_recently": resolved,
            "resolved_window_days": RESOLVED_WINDOW.days, "entries": entries}


async def raw_payload(session: AsyncSession, code: str, kind: str, item_id: int) -> tuple[bytes, str]:
    """(raw bytes, raw format) of one of a library's source records ("record"), harvest errors ("error") or
    harvest quarantine entries ("quarantine"; format "iso2709" or "xml", sniffed from the bytes)."""
    lib = await library_service.get_library(session, code)
    if kind == "record":
        row = (await session.execute(select(SourceRecord.raw, SourceRecord.raw_format).where(
            SourceRecord.id == item_id, SourceRecord.library_id == lib.id))).first()
    elif kind == "quarantine":
        raw = (await session.execute(select(QuarantinedRecord.raw).where(
            QuarantinedRecord.id == item_id, QuarantinedRecord.library_id == lib.id))).scalar_one_or_none()
        row = None if raw is None else (raw, sniff_format(raw))
    else:
        row = (await session.execute(select(HarvestError.payload, HarvestError.stage).where(
            HarvestError.id == item_id, HarvestError.library_id == lib.id))).first()
    if row is None or row[0] is None:
        raise NotFound(f"no stored payload {kind} {item_id} for library {code!r}")
    return row[0], row[1]


async def cluster_page(session: AsyncSession, cluster_id: str) -> dict:
    """A union record with each member's own description and the evidence that put it there."""
    cluster = await session.get(Cluster, cluster_id[:24])
    if cluster is not None and cluster.status == "absorbed" and cluster.redirect_to:
        raise Moved(cluster.redirect_to)
    if cluster is None or cluster.status != "active" or not cluster.data:
        raise RecordNotFound(f"no active cluster with id {cluster_id!r}")
    record = cluster.data
    ids = [m["source_record_id"] for m in record.get("members", [])]
    normalized = dict((await session.execute(
        select(NormalizedRecord.source_record_id, NormalizedRecord.data)
        .where(NormalizedRecord.source_record_id.in_(ids or [-1])))).all())
    members = []
    for m in record.get("members", []):
        data = normalized.get(m["source_record_id"]) or {}
        members.append(m | {
            "title": data.get("title"), "part": data.get("part"), "subtitle": data.get("subtitle"),
            "authors": [p.get("name") for p in data.get("authors", [])], "year": data.get("year"),
            "edition": data.get("edition"), "publisher": data.get("publisher"), "extent": data.get("extent"),
            "isbns": data.get("isbns", []), "repairs": data.get("repairs", []),
        })
    overrides = (await session.execute(
        select(MatchOverride).where(
            MatchOverride.record_a.in_(ids or [-1]) | MatchOverride.record_b.in_(ids or [-1]))
        .order_by(MatchOverride.id)
    )).scalars().all()
    return {
        "id": record["id"], "status": cluster.status, "member_count": cluster.member_count,
        "updated_at": cluster.updated_at.isoformat() if cluster.updated_at else None,
        "record": record, "members": members,
        "overrides": [
            {"id": o.id, "kind": o.kind, "record_a": o.record_a, "record_b": o.record_b, "note": o.note,
             "created_by": o.created_by, "created_at": o.created_at.isoformat() if o.created_at else None}
            for o in overrides
        ],
    }


async def statistics(session: AsyncSession) -> dict:
    """Records per library, overlap between libraries, unique holdings and growth per year — counted in SQL,
    so the page costs a few grouped queries whatever the size of the catalogue."""
    libs = (await session.execute(select(Library.id, Library.code, Library.name).order_by(Library.code))).all()
    codes = {i: c for i, c, _ in libs}
    names = {c: n for _, c, n in libs}
    source_counts = dict((await session.execute(
        select(SourceRecord.library_id, func.count()).where(SourceRecord.deleted.is_(False))
        .group_by(SourceRecord.library_id))).all())
    # (union record, library) once each, for active union records
    holds = (
        select(ClusterMember.cluster_id.label("cluster_id"), SourceRecord.library_id.label("library_id"))
        .join(SourceRecord, SourceRecord.id == ClusterMember.source_record_id)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.status == "active").distinct().subquery()
    )
    sizes = select(holds.c.cluster_id, func.count().label("n")).group_by(holds.c.cluster_id).subquery()
    held = {codes[i]: n for i, n in (await session.execute(
        select(holds.c.library_id, func.count()).group_by(holds.c.library_id))).all()}
    unique = {codes[i]: n for i, n in (await session.execute(
        select(holds.c.library_id, func.count()).join(sizes, sizes.c.cluster_id == holds.c.cluster_id)
        .where(sizes.c.n == 1).group_by(holds.c.library_id))).all()}
    other = holds.alias("other")
    overlap: dict[str, dict[str, int]] = defaultdict(dict)
    for a, b, n in (await session.execute(
        select(holds.c.library_id, other.c.library_id, func.count())
        .join(other, and_(other.c.cluster_id == holds.c.cluster_id, other.c.library_id != holds.c.library_id))
        .group_by(holds.c.library_id, other.c.library_id))).all():
        overlap[codes[a]][codes[b]] = n
    total, shared = (await session.execute(
        select(func.count(), func.coalesce(func.sum(case((sizes.c.n > 1, 1), else_=0)), 0)).select_from(sizes))).one()
    order = [c for _, c, _ in libs]
    per_library = [
        {"code": c, "name": names[c], "source_records": source_counts.get(i, 0), "union_records": held.get(c, 0),
         "unique": unique.get(c, 0), "shared": held.get(c, 0) - unique.get(c, 0)}
        for i, c, _ in libs
    ]
    matrix = [{"library": a, "held": held.get(a, 0),
               **{b: (held.get(a, 0) if a == b else overlap[a].get(b, 0)) for b in order}} for a in order]
    # growth: records first seen and union records created, per calendar year (UTC)
    seen_year = extract("year", SourceRecord.first_seen_at)
    seen_years = dict((await session.execute(
        select(seen_year, func.count()).where(SourceRecord.first_seen_at.is_not(None)).group_by(seen_year))).all())
    created_year = extract("year", Cluster.created_at)
    union_years = dict((await session.execute(
        select(created_year, func.count()).where(Cluster.status == "active", Cluster.created_at.is_not(None))
        .group_by(created_year))).all())
    growth, cum_s, cum_u = [], 0, 0
    for year in sorted({int(y) for y in (*seen_years, *union_years)}):
        s_n = sum(n for y, n in seen_years.items() if int(y) == year)
        u_n = sum(n for y, n in union_years.items() if int(y) == year)
        cum_s += s_n
        cum_u += u_n
        growth.append({"year": year, "source_records": s_n, "union_records": u_n,
                       "source_records_total": cum_s, "union_records_total": cum_u})
    return {
        "libraries": per_library, "order": order, "overlap": matrix, "growth": growth,
        "union_records": total, "shared_union_records": int(shared),
    }


STAT_TABLES = ("libraries", "overlap", "growth")


def statistics_csv(stats: dict, table: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if table == "libraries":
        cols = ["code", "name", "source_records", "union_records", "unique", "shared"]
        writer.writerow(cols)
        writer.writerows([[row[c] for c in cols] for row in stats["libraries"]])
    elif table == "overlap":
        writer.writerow(["library", "held", *stats["order"]])
        writer.writerows([[row["library"], row["held"], *(row[c] for c in stats["order"])]
                          for row in stats["overlap"]])
    elif table == "growth":
        cols = ["year", "source_records", "union_records", "source_records_total", "union_records_total"]
        writer.writerow(cols)
        writer.writerows([[row[c] for c in cols] for row in stats["growth"]])
    else:
        raise ValueError(table)
    return out.getvalue()

