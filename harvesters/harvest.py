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
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvesters.dates import (
    Window,
    date_windows,
    from_date_for,
    has_seconds,
    normalize_granularity,
    parse_oai_date,
    window_in_days,
)
from harvesters.errors import (
    BadResumptionToken,
    HarvestFailure,
    MalformedXML,
    Misconfigured,
    NotOAIResponse,
    OAIError,
    TransportFailure,
    UnknownLibrary,
)
from harvesters.oai import DC_NS, MARC_NS, OAIClient, Page, PageIterator, Repair
from harvesters.options import HarvestOptions, parse_options
from harvesters.quarantine import BrokenRecord, note_attempt, open_entries, resolve_entry
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
from unioncat.db.locks import Busy, exclusive
from unioncat.db.tables import HarvestError, HarvestRun, Library, utcnow
from unioncat.settings import Settings

log = logging.getLogger(__name__)

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
    records_older: int = 0  # older than the stored version: ignored
    records_out_of_window: int = 0  # datestamp before the requested `from`: the server ignores `from` (item 42)
    duplicates: int = 0  # identifiers received more than once in this run
    metadata_prefix: str | None = None
    windows: int = 0  # date windows listed (first or full harvests)
    warnings: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)  # broken records of this run: identifier or position
    retried: int = 0  # open quarantine entries tried again with GetRecord in this run
    recovered: int = 0  # of which a readable copy was stored
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


# --- granularity and windows: harvesters/dates.py (re-exported here) ---------------------------------------

PREFIX_NAMESPACES = {"marc21": MARC_NS, "marcxml": MARC_NS, "marc": MARC_NS, "usmarc": MARC_NS, "oai_dc": DC_NS}
QUARANTINE_SAMPLE = 20  # identifiers of broken records kept in a run summary
_LEADER = re.compile(rb"<(?:[\w.-]+:)?leader>([^<]*)<")


def choose_metadata_prefix(offered: dict[str, str | None], configured: str,
                           namespace: str | None = None) -> tuple[str, str | None]:
    """(prefix, warning): the format is chosen by namespace, not by prefix string (oai-pmh.md item 7, Q27).

    The configured prefix wins when it is offered with the wanted namespace; otherwise any prefix with that
    namespace; otherwise the configured prefix if offered at all. Raises Misconfigured when none fits.
    """
    wanted = namespace or PREFIX_NAMESPACES.get(configured.lower())
    if configured in offered and (wanted is None or offered[configured] in (None, wanted)):
        return configured, None
    if wanted:
        matches = [p for p, ns in offered.items() if ns == wanted]
        if matches:
            return matches[0], (f"metadataPrefix {configured!r} is not offered for {wanted}: "
                                f"using {matches[0]!r} from ListMetadataFormats")
    if configured in offered:
        return configured, None
    listing = ", ".join(f"{p} ({ns})" for p, ns in offered.items()) or "none"
    raise Misconfigured(f"no metadata format with namespace {wanted or configured!r} is offered "
                        f"(ListMetadataFormats: {listing}): library misconfigured")


def leader05(raw: bytes | None) -> str | None:
    """Leader/05 (record status) of a MARCXML record, read without parsing."""
    if not raw:
        return None
    m = _LEADER.search(raw[:4096])
    return chr(m.group(1)[5]) if m and len(m.group(1)) > 5 else None


# --- one library ------------------------------------------------------------------------------------------


class _Run:
    """State of one running harvest (kept out of the public API)."""

    def __init__(self, sessions, settings: Settings, code: str, full: bool, sleep: Sleep,
                 on_progress: Progress | None, client_options: dict, reconcile: bool | None = None,
                 kind: str = "oai") -> None:
        self.kind = kind  # "oai": a harvest; "retry": GetRecord of the open quarantine entries only
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
        self.summary = HarvestRunSummary(code=code, status="running", full=full, kind=kind)
        self.library_id: int | None = None
        self.client: OAIClient | None = None
        self.options = HarvestOptions()
        self.checkpoint: dict | None = None
        self.window_base = 0  # records counted before the current window (progress totals)
        self.notices_seen = 0
        self.day_fallback = False
        self.leader05_deleted = 0
        self.window_from: datetime | None = None  # `from` of the window being listed
        self.leader05_live: list[str] = []
        self.quarantined_now: set[str] = set()  # identifiers (or positions) quarantined by this run
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
            run = HarvestRun(library_id=library.id, kind=self.kind, full=self.full, status="running",
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
            self.options, unknown = parse_options(library.options)
            for warning in unknown:
                self._warn(warning)
            o = self.options
            client_options = dict(force_encoding=o.force_encoding, token_encoding=o.token_encoding, delay=o.delay,
                                  max_connections=o.max_connections, contact=o.contact,
                                  tls_ca_bundle=o.tls_ca_bundle, http_method=o.http_method,
                                  max_page_bytes=o.max_page_bytes)
            client_options.update(self.client_options)
            self.client = OAIClient.from_settings(library.oai_url, self.settings, sleep=self._sync_sleep,
                                                  **client_options)
            if self.kind == "retry":
                await self._retry_quarantined(library, library.metadata_prefix or "marc21", limit=None)
                await self._succeed(library, advance=False)
            else:
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
        self.checkpoint = library.checkpoint
        resume_token: str | None = None
        page_no = 0
        # a checkpoint names the list to continue: a token, or (with a prefix: this format) a window to start
        if (checkpoint.get("token") or "prefix" in checkpoint) and (not self.full or checkpoint.get("full")):
            resume_token = checkpoint.get("token")
            page_no = int(checkpoint.get("page", 0)) if resume_token else 0
            window: Window = (checkpoint.get("from"), checkpoint.get("until"))
            remaining = [tuple(w) for w in checkpoint.get("windows") or []]
            s.response_date = checkpoint.get("response_date") or info.response_date
            prefix = checkpoint.get("prefix") or await self._metadata_prefix(library)
            s.resumed = True
            self._warn(f"resuming run {checkpoint.get('run_id')} at page {page_no + 1}"
                       + (f" of the window from {window[0]}" if window[0] else ""))
        else:
            prefix = await self._metadata_prefix(library)
            if self.full or not library.watermark:
                windows = date_windows(info.earliest_datestamp, info.response_date, granularity,
                                       self.options.window_days)
            else:
                windows = [(from_date_for(library.watermark, granularity, self.options.overlap), None)]
            window, remaining = windows[0], windows[1:]
            s.response_date = info.response_date
        if not s.response_date:
            raise HarvestFailure("Identify has no responseDate: cannot set a watermark")
        s.metadata_prefix = prefix
        s.from_date, s.until_date = window[0], (remaining[-1][1] if remaining else window[1])
        await self._save_run(from_date=s.from_date, until_date=s.until_date, response_date=s.response_date)

        self.day_fallback = False
        while True:
            s.windows += 1
            window, remaining = await self._list_window(library, prefix, window, remaining, resume_token, page_no)
            if not remaining:
                break
            window, remaining = remaining[0], remaining[1:]
            resume_token, page_no = None, 0
        await self._retry_quarantined(library, prefix)
        if self._should_reconcile(library, deleted_record):
            await self._reconcile(library, {"metadataPrefix": prefix, "set": library.set_spec})
        await self._succeed(library)

    async def _metadata_prefix(self, library: Library) -> str:
        """The prefix to list, chosen from ListMetadataFormats by namespace; stored on the library."""
        configured = library.metadata_prefix or "marc21"
        try:
            offered = await asyncio.to_thread(self.client.list_metadata_formats)
        except (OAIError, NotOAIResponse, MalformedXML) as exc:
            self._warn(f"ListMetadataFormats failed ({exc}): using the configured prefix {configured!r}")
            return configured
        finally:
            self._count_requests()
        prefix, warning = choose_metadata_prefix(offered, configured, self.options.metadata_namespace)
        if warning:
            self._warn(warning)
        if prefix != library.metadata_prefix:
            async with transaction(self.sessions) as session:
                await session.execute(update(Library).where(Library.id == library.id).values(metadata_prefix=prefix))
        return prefix

    async def _list_window(self, library: Library, prefix: str, window: Window, remaining: list,
                           resume_token: str | None, page_no: int) -> tuple[Window, list]:
        """List one date window page by page, each page stored with the checkpoint of what comes next.

        Returns the window and the remaining windows, both possibly rewritten at day granularity.
        """
        def list_params(w: Window) -> dict:
            return dict(metadataPrefix=prefix, set=library.set_spec, **{"from": w[0], "until": w[1]})

        self.window_from = parse_oai_date(window[0]) if window[0] else None
        pages = self.client.list_pages("ListRecords", resume_token=resume_token,
                                       max_empty_pages=self.options.max_empty_pages, **list_params(window))
        self.window_base = self.counters.counts.total + self.counters.counts.failed
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
                    pages = self.client.list_pages("ListRecords", max_empty_pages=self.options.max_empty_pages,
                                                   **list_params(window))
                    page_no, first, pending, resume_token = 0, False, None, None
                    continue
                except OAIError as exc:
                    # a server that refuses seconds although Identify declares them (Dataverse #11020):
                    # retry once at day granularity, this window and the ones after it
                    if not (exc.code == "badArgument" and first and not resume_token and has_seconds(window)
                            and not self.day_fallback):
                        raise
                    self._count_requests()
                    self.day_fallback = True
                    window = window_in_days(window)
                    remaining = [window_in_days(w) for w in remaining]
                    self._warn(f"badArgument for a dated request ({exc}): retried at day granularity")
                    pages = self.client.list_pages("ListRecords", max_empty_pages=self.options.max_empty_pages,
                                                   **list_params(window))
                    pending = None
                    continue
                pending = None
                first = False
                self._count_requests()
                page_no += 1
                if not pages.finished and page.failure is None:
                    pending = asyncio.ensure_future(asyncio.to_thread(pages.next))
                if page.token:
                    checkpoint = self._checkpoint(prefix, window, remaining, page.token, page_no)
                elif page.failure is not None:  # the list cannot go on: the next run lists this window again
                    checkpoint = self._checkpoint(prefix, window, remaining, None, 0)
                elif remaining:
                    checkpoint = self._checkpoint(prefix, remaining[0], remaining[1:], None, 0)
                else:
                    checkpoint = None
                await self._store(library, page, pages, page_no, checkpoint)
                if page.failure is not None:
                    raise page.failure
        finally:
            if pending is not None:
                self.stopped = True  # a prefetch still running: its retries stop at their next wait
                pending.cancel()
        return window, remaining

    def _checkpoint(self, prefix: str, window: Window, remaining: list, token: str | None, page_no: int) -> dict:
        return {"run_id": self.summary.run_id, "full": self.full, "prefix": prefix, "from": window[0],
                "until": window[1], "token": token, "page": page_no, "windows": [list(w) for w in remaining],
                "response_date": self.summary.response_date}

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

    def _note_broken(self, broken: list[BrokenRecord]) -> None:
        for b in broken:
            log.warning("%s: record %s quarantined: %s", self.code, b.identifier or b.position, b.error)
            if len(self.summary.quarantined) < QUARANTINE_SAMPLE:
                self.summary.quarantined.append(b.identifier or b.position)
            self.quarantined_now.add(b.identifier or b.position)

    async def _retry_quarantined(self, library: Library, prefix: str, *, limit: int | None = -1) -> None:
        """Open quarantine entries of this library, each fetched alone with GetRecord (some providers break a
        record only in list responses): a readable copy is stored and resolves its entry. Bounded per run
        (``limit``; -1: the library's option quarantine_retries, None: all); a provider that keeps failing at
        the transport level is left for the next run."""
        limit = self.options.quarantine_retries if limit == -1 else limit
        if limit == 0:
            return
        async with self.sessions() as session:
            entries = [(e.id, e.identifier) for e in await open_entries(
                session, library.id, with_identifier=True, limit=limit)]
        self.summary.retried = len(entries)
        transport_failures = 0
        for entry_id, identifier in entries:
            try:
                item = await asyncio.to_thread(self.client.get_record, identifier, prefix, max_retries=0)
                problem = item.problem
            except (TransportFailure, NotOAIResponse) as exc:
                transport_failures += 1
                problem = f"GetRecord failed: {exc}"
            except OAIError as exc:
                problem = f"GetRecord: {exc}"
                if exc.code == "idDoesNotExist":  # gone from the repository without a trace (deletedRecord=no)
                    async with transaction(self.sessions) as session:
                        await resolve_entry(session, entry_id,
                                            f"no longer in the repository (run {self.summary.run_id})")
                    continue
            except HarvestFailure as exc:
                problem = f"GetRecord: {exc}"
            finally:
                self._count_requests()
            if problem is None:
                transport_failures = 0
                incoming = IncomingRecord(identifier, item.datestamp, item.deleted, item.raw, item.raw_format)
                async with transaction(self.sessions) as session:
                    await store_page(session, library_id=library.id, run_id=self.summary.run_id, records=[incoming],
                                     checkpoint=self.checkpoint, counters=self.counters, source="getrecord",
                                     update_checkpoint=False)
                self.summary.recovered += not item.deleted  # a deletion resolves its entry too, as a deletion
                if identifier in self.quarantined_now:  # read after all: not a failure of this run
                    self.counters.counts.failed -= 1
                    self.quarantined_now.discard(identifier)
                continue
            async with transaction(self.sessions) as session:
                await note_attempt(session, entry_id, problem)
            if transport_failures >= 3:
                self._warn("GetRecord retries of quarantined records stopped after 3 transport failures in a row")
                break
        if self.summary.recovered:
            self._warn(f"{self.summary.recovered} quarantined records recovered with GetRecord")
        self._sync_summary()

    def _count_requests(self) -> None:
        self.counters.requests = self.client.requests
        self.counters.retries = self.client.retries

    def _warn(self, message: str) -> None:
        log.warning("%s: %s", self.code, message)
        self.counters.warnings.append(message)

    async def _store(self, library: Library, page: Page, pages: PageIterator, page_no: int,
                     checkpoint: dict | None) -> None:
        s = self.summary
        records: list[IncomingRecord] = []
        broken = list(page.broken)
        for number, item in enumerate(page.items, start=1):
            if item.problem:  # well-formed but unusable (no identifier, no metadata): quarantined as well
                broken.append(BrokenRecord(item.problem, etree.tostring(item.xml), f"page {page_no}, item {number}",
                                           item.identifier, item.datestamp, page.url))
                continue
            deleted = item.deleted
            if not deleted and item.raw_format == "marcxml" and leader05(item.raw) == "d":
                if self.options.leader05_delete:  # FOLIO and others signal deletions this way (item 45)
                    deleted = True
                    self.leader05_deleted += 1
                else:
                    self.leader05_live.append(item.identifier)
            records.append(IncomingRecord(item.identifier, item.datestamp, deleted, item.raw, item.raw_format))
            if self.window_from is not None and item.datestamp:
                stamp = parse_oai_date(item.datestamp)
                if stamp is not None and stamp < self.window_from:
                    s.records_out_of_window += 1  # stored all the same: nothing received is ever dropped
        problems = _repair_problems(page.repairs)
        self._note_broken(broken)
        for warning in page.warnings:
            self._warn(warning)
        for repair in page.repairs:
            self._warn(f"page {page_no}: {repair.describe()}")
        for notice in self.client.notices[self.notices_seen:]:
            self._warn(notice)
        self.notices_seen = len(self.client.notices)
        self.counters.pages += 1
        async with transaction(self.sessions) as session:
            await store_page(session, library_id=library.id, run_id=s.run_id, records=records,
                             checkpoint=checkpoint, counters=self.counters, problems=problems, broken=broken)
        self.checkpoint = checkpoint
        self._sync_summary()
        if self.on_progress is not None:
            done = self.counters.counts.total + self.counters.counts.failed
            if pages.complete_list_size is not None:
                total = self.window_base + pages.complete_list_size
            else:
                total = done if pages.finished and checkpoint is None else None
            self.on_progress(self.code, done, total)

    def _sync_summary(self) -> None:
        s, c = self.summary, self.counters
        s.pages, s.requests, s.retries = c.pages, c.requests, c.retries
        s.records_new, s.records_updated = c.counts.new, c.counts.updated
        s.records_unchanged, s.records_deleted, s.records_failed = c.counts.unchanged, c.counts.deleted, c.counts.failed
        s.records_older, s.duplicates = c.counts.older, c.counts.duplicates
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

    def _final_warnings(self) -> None:
        """Per-record oddities, summed up once per run instead of once per record."""
        c = self.counters.counts
        if c.older:
            self._warn(f"{c.older} records older than the stored version ignored (the newer datestamp wins)")
        if c.duplicates:
            self._warn(f"{c.duplicates} identifiers received more than once in this run (the newer one kept)")
        if self.summary.records_out_of_window:
            self._warn(f"{self.summary.records_out_of_window} records dated before the requested from= date: the "
                       "server seems to ignore `from` (records stored; consider the library option window_days or "
                       "full harvests with reconciliation)")
        if self.leader05_deleted:
            self._warn(f"{self.leader05_deleted} records with Leader/05 = 'd' treated as deletions (leader05_delete)")
        if self.leader05_live:
            sample = ", ".join(self.leader05_live[:5])
            self._warn(f"{len(self.leader05_live)} records with Leader/05 = 'd' stored as live records, e.g. "
                       f"{sample} (set the library option leader05_delete if they are deletions)")

    async def _succeed(self, library: Library, *, advance: bool = True) -> None:
        """The run row says how it ended; the watermark advances (``advance``) and the checkpoint is cleared."""
        s = self.summary
        self._final_warnings()
        self._sync_summary()
        if self.quarantined_now:
            sample = ", ".join(sorted(self.quarantined_now)[:5])
            self._warn(f"{len(self.quarantined_now)} unreadable records quarantined (e.g. {sample}); the rest of "
                       "their pages was kept, and every harvest tries them again with GetRecord")
            self._sync_summary()
        s.status = "succeeded_with_errors" if s.records_failed or self.alerts else "succeeded"
        async with transaction(self.sessions) as session:
            await save_run_counters(session, s.run_id, self.counters, status=s.status, finished_at=utcnow())
            if advance:
                await session.execute(update(Library).where(Library.id == library.id).values(
                    watermark=s.response_date, checkpoint=None))

    async def _fail(self, exc: HarvestFailure) -> None:
        s = self.summary
        if self.client is not None:
            self._count_requests()
            for notice in self.client.notices[self.notices_seen:]:
                self._warn(notice)
        self._final_warnings()
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
            if isinstance(exc, BadResumptionToken):  # the token is dead: the next run restarts its window by date
                current = self.checkpoint
                restart = dict(current, token=None, page=0, restart=True) if current and "prefix" in current else None
                await session.execute(update(Library).where(Library.id == self.library_id).values(checkpoint=restart))


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
    try:
        async with exclusive(sessions.kw["bind"], f"harvest:{code}", wait=False):
            run = _Run(sessions, settings, code, full, sleep, on_progress, client_options, reconcile)
            return await run.run()
    except Busy:
        return HarvestRunSummary(code=code, status="failed", full=full, error_type="AlreadyRunning",
                                 error=f"a harvest of {code} is already running (another process or request)")


async def retry_quarantined(sessions: async_sessionmaker[AsyncSession], settings: Settings, code: str, *,
                            sleep: Sleep = asyncio.sleep, **client_options) -> HarvestRunSummary:
    """GetRecord every open quarantine entry of a library again, outside a harvest (``unioncat quarantine
    retry``): a run of kind "retry"; the watermark and checkpoint stay as they are. Never raises HarvestFailure."""
    try:
        async with exclusive(sessions.kw["bind"], f"harvest:{code}", wait=False):
            run = _Run(sessions, settings, code, False, sleep, None, client_options, False, kind="retry")
            return await run.run()
    except Busy:
        return HarvestRunSummary(code=code, status="failed", kind="retry", error_type="AlreadyRunning",
                                 error=f"a harvest of {code} is already running (another process or request)")


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

    results = await asyncio.gather(*(one(code) for code in codes), return_exceptions=True)
    summaries = []
    for code, result in zip(codes, results):
        if isinstance(result, asyncio.CancelledError):
            raise result
        if isinstance(result, BaseException):  # a bug in one library's run never takes the others down
            log.error("harvest of %s crashed: %r", code, result)
            result = HarvestRunSummary(code=code, status="failed", error=f"internal error: {result!r}",
                                       error_type=type(result).__name__)
        summaries.append(result)
    return summaries
