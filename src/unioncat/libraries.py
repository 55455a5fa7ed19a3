"""Member libraries: registration and their harvest status (shared by the CLI, the API and staff pages)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db import HarvestRun, Library, SourceRecord
from unioncat.errors import LibraryNotFound
from harvesters.quarantine import open_counts

EDITABLE = ("name", "province", "former_provinces", "oai_url", "metadata_prefix", "set_spec", "profile",
            "opac_url", "schedule", "enabled", "options")


async def upsert_library(session: AsyncSession, code: str, **fields) -> Library:
    """Register a library, or update the given fields of an existing one (harvest state is kept)."""
    lib = (await session.execute(select(Library).where(Library.code == code))).scalar_one_or_none()
    values = {k: v for k, v in fields.items() if k in EDITABLE and v is not None}
    if lib is None:
        lib = Library(code=code, **{"name": code, "former_provinces": [], **values})
        session.add(lib)
    else:
        for k, v in values.items():
            setattr(lib, k, v)
    await session.flush()
    return lib


async def get_library(session: AsyncSession, code: str) -> Library:
    lib = (await session.execute(select(Library).where(Library.code == code))).scalar_one_or_none()
    if lib is None:
        raise LibraryNotFound(f"no member library with code {code!r}")
    return lib


def run_dict(run: HarvestRun) -> dict:
    return {
        "id": run.id,
        "kind": run.kind,
        "full": run.full,
        "status": run.status,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "from": run.from_date,
        "until": run.until_date,
        "requests": run.requests,
        "retries": run.retries,
        "records_new": run.records_new,
        "records_updated": run.records_updated,
        "records_unchanged": run.records_unchanged,
        "records_deleted": run.records_deleted,
        "records_failed": run.records_failed,
        "error": run.error,
        "warnings": run.warnings or [],
    }


async def library_status(session: AsyncSession) -> list[dict]:
    """Every member with its record count, quarantined records, last run and last successful run (harvests
    and imports; GetRecord retry runs of the quarantine are in the history only)."""
    libs = (await session.execute(select(Library).order_by(Library.code))).scalars().all()
    counts = dict(
        (await session.execute(
            select(SourceRecord.library_id, func.count()).where(SourceRecord.deleted.is_(False))
            .group_by(SourceRecord.library_id)
        )).all()
    )
    quarantined = dict(
        (await session.execute(
            select(SourceRecord.library_id, func.count()).where(SourceRecord.status == "quarantined")
            .group_by(SourceRecord.library_id)
        )).all()
    )
    broken = await open_counts(session)
    out = []
    for lib in libs:
        harvests = select(HarvestRun).where(HarvestRun.library_id == lib.id, HarvestRun.kind != "retry")
        last = (await session.execute(harvests.order_by(HarvestRun.id.desc()).limit(1))).scalar_one_or_none()
        last_ok = (await session.execute(
            harvests.where(HarvestRun.status.in_(("succeeded", "succeeded_with_errors")))
            .order_by(HarvestRun.id.desc()).limit(1)
        )).scalar_one_or_none()
        out.append(library_dict(lib) | {
            "records": counts.get(lib.id, 0),
            # unreadable as received (harvest quarantine, open entries) + unreadable by normalization
            "quarantined": broken.get(lib.id, 0) + quarantined.get(lib.id, 0),
            "quarantine": {"harvest": broken.get(lib.id, 0), "normalize": quarantined.get(lib.id, 0)},
            "last_run": run_dict(last) if last else None,
            "last_success": last_ok.finished_at.isoformat() if last_ok and last_ok.finished_at else None,
        })
    return out


def library_dict(lib: Library) -> dict:
    return {
        "code": lib.code,
        "name": lib.name,
        "province": lib.province,
        "former_provinces": lib.former_provinces or [],
        "oai_url": lib.oai_url,
        "metadata_prefix": lib.metadata_prefix,
        "set": lib.set_spec,
        "profile": lib.profile,
        "opac_url": lib.opac_url,
        "enabled": lib.enabled,
        "watermark": lib.watermark,
    }


async def harvest_history(session: AsyncSession, code: str, limit: int = 50) -> list[dict]:
    lib = await get_library(session, code)
    runs = (await session.execute(
        select(HarvestRun).where(HarvestRun.library_id == lib.id).order_by(HarvestRun.id.desc()).limit(limit)
    )).scalars().all()
    return [run_dict(r) for r in runs]


async def register_definitions(sessions, definitions, oai_urls: dict[str, str] | None = None) -> list[str]:
    """Register (or update) libraries from their definitions (harvesters/definitions.py), in one transaction;
    `oai_urls` overrides some endpoints (the demo's loopback servers). Returns the codes."""
    from unioncat.db import transaction

    async with transaction(sessions) as s:
        for d in definitions:
            fields = d.model_dump(exclude={"code", "consortium"})
            if oai_urls and d.code in oai_urls:
                fields["oai_url"] = oai_urls[d.code]
            await upsert_library(s, d.code, **fields)
    return [d.code for d in definitions]
