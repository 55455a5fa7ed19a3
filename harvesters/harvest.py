"""Harvest one library, or many concurrently: Identify → ListRecords from the watermark → store per page.

Policy (DESIGN.md "Harvesting rules", reference/oai-pmh.md §1.8):
- the watermark is Identify's ``responseDate`` (T0) of the last complete run, advanced only on success;
  the next ``from`` is the watermark minus one unit of the library's granularity, sent in that granularity;
- every page is stored with the checkpoint ``{run_id, full, from, until, token, page, response_date}`` in one
  transaction; an interrupted run resumes from the checkpointed token, and a resumed token answered with
  ``badResumptionToken`` restarts the window by date once;
- any failure leaves stored records and the watermark as they were, and the run row says why.

Sickle is synchronous: each page (one HTTP request plus its retries) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvesters.errors import BadResumptionToken, HarvestFailure, UnknownLibrary
from harvesters.oai import OAIClient, Page, PageIterator, Repair
from harvesters.reconcile import ReconcileRefused, reconcile_library
from harvesters.store import (
    IncomingRecord,
    Problem,
    RunCounters,
    record_problems,
    save_run_counters,
    store_page,
)
from unioncat.db.session import transaction
from unioncat.db.tables import HarvestError, HarvestRun, Library, utcnow
from unioncat.settings import Settings

log = logging.getLogger(__name__)

SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DAY = "YYYY-MM-DD"

Sleep = Callable[[float], Awaitable[object]]
Progress = Callable[[str, int, int | None], object]


@dataclass
class HarvestRunSummary:
    """What one library's run did (also in its ``harvest_runs`` row)."""

    code: str
    status: str  # succeeded | succeeded_with_errors | failed
    run_id: int | None = None
    kind: str = "oai"
    full: bool = False
    from_date: str | None = None
    until_date: str | None = None
    response_date: str | None = None
    resumed: bool = False
    pages: int = 0
    requests: int = 0
    retries: int = 0
    records_new: int = 0
    records_updated: int = 0
    records_unchanged: int = 0
    records_deleted: int = 0
    records_failed: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_type: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("succeeded", "succeeded_with_errors")

    @property
    def records_seen(self) -> int:
        return self.records_new + self.records_updated + self.records_unchanged + self.records_deleted

    def to_dict(self) -> dict:
        return asdict(self)


# --- granularity and windows (pure) -------------------------------------------------------------------


def normalize_granularity(value: str | None) -> tuple[str, str | None]:
    """(granularity, warning). Missing, malformed or unknown values fall back to day granularity."""
    if value and value.strip().upper() == SECONDS.upper():
        return SECONDS, None if value.strip() == SECONDS else f"granularity {value!r} read as {SECONDS}"
    if value and value.strip().upper() == DAY:
        return DAY, None
    return DAY, f"granularity {value!r} missing or invalid: using {DAY}"


def parse_oai_date(value: str) -> datetime | None:
    """Lenient: date only, seconds with Z, fractions, offsets, compact 20210311."""
    text = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def from_date_for(watermark: str | None, granularity: str) -> str | None:
    """The ``from`` of an incremental run: the watermark minus one granularity unit (the overlap)."""
    if not watermark:
        return None
    when = parse_oai_date(watermark)
    if when is None:
        return None
    if granularity == DAY:
        return (when - timedelta(days=1)).strftime("%Y-%m-%d")
    return (when - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one library ------------------------------------------------------------------------------------------


class _Run:
    """State of one running harvest (kept out of the public API)."""

    def __init__(self, sessions, settings: Settings, code: str, full: bool, sleep: Sleep,
                 on_progress: Progress | None, client_options: dict, reconcile: bool | None = None) -> None:
        self.reconcile = reconcile
        self.alerts: list[str] = []
        self.stopped = False
        self.sessions = sessions
        self.settings = settings
        self.code = code
        self.full = full
        self.sleep = sleep
        self.on_progress = on_progress
        self.client_options = client_options
        self.counters = RunCounters()
        self.summary = HarvestRunSummary(code=code, status="running", full=full)
        self.library_id: int | None = None
        self.client: OAIClient | None = None
        self.loop = asyncio.get_running_loop()

    def _sync_sleep(self, seconds: float) -> None:
        """Called by Sickle in the worker thread: wait through the (injectable) async sleep."""
        if self.stopped:
            raise HarvestFailure("harvest stopped")
        asyncio.run_coroutine_threadsafe(self.sleep(seconds), self.loop).result()

    async def start(self) -> Library:
        async with transaction(self.sessions) as session:
            library = (await session.execute(select(Library).where(Library.code == self.code))).scalar_one_or_none()
            if library is None:
                raise UnknownLibrary(f"no library with code {self.code!r}")
            if not library.oai_url:
                raise UnknownLibrary(f"library {self.code!r} has no OAI-PMH URL")
            self.library_id = library.id
            await session.execute(
                update(HarvestRun)
                .where(HarvestRun.library_id == library.id, HarvestRun.status == "running")
                .values(status="failed", finished_at=utcnow(), error="interrupted (a later run found it running)"))
            run = HarvestRun(library_id=library.id, kind="oai", full=self.full, status="running",
                             started_at=utcnow(), warnings=[])
            session.add(run)
            await session.flush()
            self.summary.run_id = run.id
        return library

    async def run(self) -> HarvestRunSummary:
        started = time.monotonic()
        library: Library | None = None
        try:
            library = await self.start()
            self.client = OAIClient.from_settings(library.oai_url, self.settings, sleep=self._sync_sleep,
                                                  **self.client_options)
            await self._harvest(library)
        except HarvestFailure as exc:
            await self._fail(exc)
        except (asyncio.CancelledError, KeyboardInterrupt):
            await asyncio.shield(self._fail(HarvestFailure("interrupted")))
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must still end the run row, then surface
            log.exception("harvest of %s crashed", self.code)
            await self._fail(HarvestFailure(f"internal error: {type(exc).__name__}: {exc}"))
        finally:
            if self.client is not None:
                self.client.close()
            self.summary.seconds = round(time.monotonic() - started, 3)
        return self.summary

    async def _harvest(self, library: Library) -> None:
        s = self.summary
        info = await asyncio.to_thread(self.client.identify)
        self._count_requests()
        granularity, warning = normalize_granularity(info.granularity)
        if warning:
            self._warn(warning)
        if info.base_url and info.base_url.rstrip("/") != library.oai_url.rstrip("/"):
            self._warn(f"Identify baseURL {info.base_url} differs from the configured {library.oai_url}")
        await self._record_repairs(info.repairs)
        deleted_record = (info.deleted_record or "").strip().lower() or None
        async with transaction(self.sessions) as session:
            await session.execute(update(Library).where(Library.id == library.id).values(
                granularity=granularity, deleted_record=deleted_record))
        checkpoint = library.checkpoint or {}
        resume_token = None
        if checkpoint.get("token") and (not self.full or checkpoint.get("full")):
            resume_token = checkpoint["token"]
            s.from_date = checkpoint.get("from")
            s.until_date = checkpoint.get("until")
            s.response_date = checkpoint.get("response_date") or info.response_date
            s.resumed = True
            self._warn(f"resuming run {checkpoint.get('run_id')} at page {checkpoint.get('page', 0) + 1}")
        else:
            s.from_date = None if self.full else from_date_for(library.watermark, granularity)
            s.response_date = info.response_date
        if not s.response_date:
            raise HarvestFailure("Identify has no responseDate: cannot set a watermark")
        await self._save_run(from_date=s.from_date, until_date=s.until_date, response_date=s.response_date)

        params = dict(metadataPrefix=library.metadata_prefix or "marc21", set=library.set_spec,
                      **{"from": s.from_date, "until": s.until_date})
        pages = self.client.list_pages("ListRecords", resume_token=resume_token, **params)
        page_no = int(checkpoint.get("page", 0)) if resume_token else 0
        first = True
        pending: asyncio.Future | None = None  # the next page, fetched while this one is stored
        try:
            while True:
                if pending is None:
                    if pages.finished:
                        break
                    pending = asyncio.ensure_future(asyncio.to_thread(pages.next))
                try:
                    page = await pending
                except BadResumptionToken:
                    if not (first and resume_token):
                        raise
                    self._count_requests()
                    self._warn("checkpointed resumption token rejected (expired?): window restarted by date")
                    pages = self.client.list_pages("ListRecords", **params)
                    page_no, first, pending = 0, False, None
                    continue
                pending = None
                first = False
                self._count_requests()
                page_no += 1
                if not pages.finished and page.failure is None:
                    pending = asyncio.ensure_future(asyncio.to_thread(pages.next))
                await self._store(library, page, pages, page_no)
                if page.failure is not None:
                    raise page.failure
        finally:
            if pending is not None:
                self.stopped = True  # a prefetch still running: its retries stop at their next wait
                pending.cancel()
        if self._should_reconcile(library, deleted_record):
            await self._reconcile(library, params)
        await self._succeed(library)

    def _should_reconcile(self, library: Library, deleted_record: str | None) -> bool:
        if self.reconcile is not None:
            return self.reconcile
        return self.full and (deleted_record != "persistent" or bool(library.set_spec))

    async def _reconcile(self, library: Library, params: dict) -> None:
        """After a complete list: deletions the library does not report (deletedRecord=no/transient, sets)."""
        try:
            gone = await reconcile_library(self.sessions, self.client, library.id, self.summary.run_id,
                                           params["metadataPrefix"], params.get("set"))
        except (ReconcileRefused, HarvestFailure) as exc:
            self._count_requests()
            message = f"deletion reconciliation not applied: {exc}"
            self._warn(message)
            self.alerts.append(message)
            async with transaction(self.sessions) as session:
                session.add(HarvestError(library_id=library.id, run_id=self.summary.run_id, stage="harvest",
                                         message=message))
            return
        self._count_requests()
        self.counters.counts.deleted += gone
        if gone:
            self._warn(f"deletion reconciliation: {gone} records absent from the complete identifier list "
                       "marked deleted")

    def _count_requests(self) -> None:
        self.counters.requests = self.client.requests
        self.counters.retries = self.client.retries

    def _warn(self, message: str) -> None:
        log.warning("%s: %s", self.code, message)
        self.counters.warnings.append(message)

    async def _store(self, library: Library, page: Page, pages: PageIterator, page_no: int) -> None:
        s = self.summary
        records: list[IncomingRecord] = []
        problems: list[Problem] = []
        for item in page.items:
            if item.problem:
                problems.append(Problem(item.problem, item.identifier, "parse", etree.tostring(item.xml)[:100_000]))
                continue
            records.append(IncomingRecord(item.identifier, item.datestamp, item.deleted, item.raw, item.raw_format))
        problems.extend(_repair_problems(page.repairs))
        for warning in page.warnings:
            self._warn(warning)
        for repair in page.repairs:
            self._warn(f"page {page_no}: {repair.describe()}")
        self.counters.pages += 1
        checkpoint = None
        if page.token:
            checkpoint = {"run_id": s.run_id, "full": self.full, "from": s.from_date, "until": s.until_date,
                          "token": page.token, "page": page_no, "response_date": s.response_date}
        async with transaction(self.sessions) as session:
            await store_page(session, library_id=library.id, run_id=s.run_id, records=records,
                             checkpoint=checkpoint, counters=self.counters, problems=problems)
        self._sync_summary()
        if self.on_progress is not None:
            self.on_progress(self.code, self.counters.counts.total + self.counters.counts.failed,
                             pages.complete_list_size)

    def _sync_summary(self) -> None:
        s, c = self.summary, self.counters
        s.pages, s.requests, s.retries = c.pages, c.requests, c.retries
        s.records_new, s.records_updated = c.counts.new, c.counts.updated
        s.records_unchanged, s.records_deleted, s.records_failed = c.counts.unchanged, c.counts.deleted, c.counts.failed
        s.warnings = list(c.warnings)

    async def _record_repairs(self, repairs: list[Repair]) -> None:
        if not repairs:
            return
        for repair in repairs:
            self._warn(f"Identify: {repair.describe()}")
        async with transaction(self.sessions) as session:
            await record_problems(session, self.library_id, self.summary.run_id, _repair_problems(repairs))

    async def _save_run(self, **values) -> None:
        async with transaction(self.sessions) as session:
            await session.execute(update(HarvestRun).where(HarvestRun.id == self.summary.run_id).values(**values))

    async def _succeed(self, library: Library) -> None:
        s = self.summary
        self._sync_summary()
        s.status = "succeeded_with_errors" if s.records_failed or self.alerts else "succeeded"
        async with transaction(self.sessions) as session:
            await save_run_counters(session, s.run_id, self.counters, status=s.status, finished_at=utcnow())
            await session.execute(update(Library).where(Library.id == library.id).values(
                watermark=s.response_date, checkpoint=None))

    async def _fail(self, exc: HarvestFailure) -> None:
        s = self.summary
        if self.client is not None:
            self._count_requests()
        self._sync_summary()
        s.status = "failed"
        s.error = str(exc)
        s.error_type = type(exc).__name__
        log.warning("harvest of %s failed: %s", self.code, exc)
        if s.run_id is None:
            return
        async with transaction(self.sessions) as session:
            await save_run_counters(session, s.run_id, self.counters, status="failed", finished_at=utcnow(),
                                    error=f"{type(exc).__name__}: {exc}")
            session.add(HarvestError(library_id=self.library_id, run_id=s.run_id, stage="harvest",
                                     message=f"{type(exc).__name__}: {exc}", payload=exc.sample))
            if isinstance(exc, BadResumptionToken):  # the token is dead: the next run restarts by date
                await session.execute(update(Library).where(Library.id == self.library_id).values(checkpoint=None))


def _repair_problems(repairs: Iterable[Repair]) -> list[Problem]:
    problems = []
    for repair in repairs:
        for identifier in repair.identifiers or [None]:
            problems.append(Problem(repair.describe(), identifier, "repair", repair.sample or None))
    return problems


async def harvest_library(sessions: async_sessionmaker[AsyncSession], settings: Settings, code: str, *,
                          full: bool = False, sleep: Sleep = asyncio.sleep, on_progress: Progress | None = None,
                          reconcile: bool | None = None, **client_options) -> HarvestRunSummary:
    """Harvest one library (incremental from its watermark unless ``full``); never raises HarvestFailure.

    ``reconcile``: list all identifiers after the records and mark absent ones deleted; by default on
    full harvests of libraries whose deletedRecord is not ``persistent`` or that harvest a set.
    ``client_options`` go to ``OAIClient`` (e.g. ``backoff_base``, ``page_budget``, ``max_page_bytes``).
    """
    run = _Run(sessions, settings, code, full, sleep, on_progress, client_options, reconcile)
    return await run.run()


async def harvest_many(sessions: async_sessionmaker[AsyncSession], settings: Settings, codes: Iterable[str], *,
                       full: bool = False, concurrency: int | None = None, on_progress: Progress | None = None,
                       sleep: Sleep = asyncio.sleep, reconcile: bool | None = None,
                       **client_options) -> list[HarvestRunSummary]:
    """Harvest several libraries, ``concurrency`` at a time; summaries in the order of ``codes``."""
    codes = list(dict.fromkeys(codes))
    limit = asyncio.Semaphore(max(1, concurrency or settings.harvest_concurrency))

    async def one(code: str) -> HarvestRunSummary:
        async with limit:
            return await harvest_library(sessions, settings, code, full=full, sleep=sleep,
                                         on_progress=on_progress, reconcile=reconcile, **client_options)

    return list(await asyncio.gather(*(one(code) for code in codes)))
