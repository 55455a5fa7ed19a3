"""Helpers for the harvest tests (imported by the test modules and conftest)."""

from __future__ import annotations

from sqlalchemy import select

from unioncat.db import transaction
from unioncat.db.tables import HarvestError, HarvestRun, Library, SourceRecord

MARC_NS = "http://www.loc.gov/MARC21/slim"


def marc_record(control_number: str, title: str) -> bytes:
    """A small MARCXML record (generated data; real pages come from testdata)."""
    return (
        f'<record xmlns="{MARC_NS}"><leader>00000nam a2200000 a 4500</leader>'
        f'<controlfield tag="001">{control_number}</controlfield>'
        f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield>'
        "</record>"
    ).encode()


def make_records(n: int, *, start: int = 0, datestamp: str = "2024-01-10T08:00:00Z", prefix: str = "oai:lib:"):
    return [(f"{prefix}{i}", datestamp, False, marc_record(str(i), f"Sách số {i}"), []) for i in range(start, start + n)]


async def add_library(sessions, code: str, url: str, *, metadata_prefix: str = "marc21", set_spec=None) -> int:
    async with transaction(sessions) as session:
        lib = Library(code=code, name=f"Library {code}", oai_url=url, metadata_prefix=metadata_prefix,
                      set_spec=set_spec)
        session.add(lib)
        await session.flush()
        return lib.id


async def source_rows(sessions, code: str) -> dict[str, SourceRecord]:
    async with sessions() as session:
        rows = (await session.execute(
            select(SourceRecord).join(Library, Library.id == SourceRecord.library_id).where(Library.code == code)
        )).scalars().all()
    return {r.identifier: r for r in rows}


async def get_library(sessions, code: str) -> Library:
    async with sessions() as session:
        return (await session.execute(select(Library).where(Library.code == code))).scalar_one()


async def get_run(sessions, run_id: int) -> HarvestRun:
    async with sessions() as session:
        return await session.get(HarvestRun, run_id)


async def harvest_errors(sessions, run_id: int) -> list[HarvestError]:
    async with sessions() as session:
        return list((await session.execute(
            select(HarvestError).where(HarvestError.run_id == run_id).order_by(HarvestError.id))).scalars())
