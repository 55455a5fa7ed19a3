"""Helpers for the harvest tests (imported by the test modules and conftest)."""

from __future__ import annotations

from sqlalchemy import select

from unioncat.db import transaction
from unioncat.db.tables import HarvestError, HarvestRun, Library, QuarantinedRecord, SourceRecord

MARC_NS = "http://www.loc.gov/MARC21/slim"


def marc_record(control_number: str, title: str) -> bytes:
    """A small MARCXML record (generated data; real pages come from tests/data)."""
    return (
        f'<record xmlns="{MARC_NS}"><leader>00000nam a2200000 a 4500</leader>'
        f'<controlfield tag="001">{control_number}</controlfield>'
        f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield>'
        "</record>"
    ).encode()


def make_records(n: int, *, start: int = 0, datestamp: str = "2024-01-10T08:00:00Z", prefix: str = "oai:lib:"):
    return [(f"{prefix}{i}", datestamp, False, marc_record(str(i), f"Sách số {i}"), []) for i in range(start, start + n)]


async def add_library(sessions, code: str, url: str, *, metadata_prefix: str = "marc21", set_spec=None,
                      options: dict | None = None, schedule: str | None = None) -> int:
    async with transaction(sessions) as session:
        lib = Library(code=code, name=f"Library {code}", oai_url=url, metadata_prefix=metadata_prefix,
                      set_spec=set_spec, options=options or {}, schedule=schedule)
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


def oai_page(records: list[tuple[str, str, bytes | None]], *, token: str | None = None, verb: str = "ListRecords",
             response_date: str = "2024-02-01T00:00:00Z") -> bytes:
    """A hand-made list page: (identifier, datestamp, metadata or None for a deleted header) per record."""
    parts = []
    for identifier, datestamp, metadata in records:
        status = "" if metadata is not None else ' status="deleted"'
        header = f"<header{status}><identifier>{identifier}</identifier><datestamp>{datestamp}</datestamp></header>"
        body = f"<metadata>{metadata.decode()}</metadata>" if metadata is not None else ""
        parts.append(f"<record>{header}{body}</record>")
    if token is not None:
        parts.append(f"<resumptionToken>{token}</resumptionToken>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            f"<responseDate>{response_date}</responseDate><request>http://example.org/oai</request>"
            f"<{verb}>{''.join(parts)}</{verb}></OAI-PMH>").encode()


async def quarantine_entries(sessions, code: str, status: str | None = None) -> list[QuarantinedRecord]:
    """A library's harvest quarantine entries, oldest first (``status``: "open" or "resolved")."""
    async with sessions() as session:
        query = select(QuarantinedRecord).join(Library, Library.id == QuarantinedRecord.library_id) \
            .where(Library.code == code).order_by(QuarantinedRecord.id)
        if status:
            query = query.where(QuarantinedRecord.status == status)
        return list((await session.execute(query)).scalars())
