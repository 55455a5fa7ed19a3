"""The `unioncat` command (contract in DESIGN.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from unioncat.progress import StageBars, console, progress_bars
from unioncat.settings import Settings, get_settings


def _open(settings: Settings):
    from unioncat.db import create_engine, make_sessionmaker

    engine = create_engine(settings)
    return engine, make_sessionmaker(engine)


# --- commands -------------------------------------------------------------------------------------------

def cmd_db_upgrade(args, settings: Settings) -> int:
    from unioncat.db.migrate import upgrade

    upgrade(settings)
    console.print(f"database at head: {settings.database_url}")
    return 0


async def cmd_libraries_add(args, settings: Settings) -> int:
    from unioncat.db import transaction
    from unioncat.libraries import upsert_library

    engine, sessions = _open(settings)
    async with transaction(sessions) as s:
        await upsert_library(
            s, args.code, name=args.name, oai_url=args.oai_url, metadata_prefix=args.metadata_prefix,
            set_spec=args.set, province=args.province, profile=args.profile, opac_url=args.opac_url,
        )
    await engine.dispose()
    console.print(f"library {args.code} registered")
    return 0


async def cmd_libraries_load(args, settings: Settings) -> int:
    from harvesters.definitions import load_definitions
    from unioncat.libraries import register_definitions

    definitions = load_definitions(Path(args.path))
    engine, sessions = _open(settings)
    codes = await register_definitions(sessions, definitions)
    await engine.dispose()
    console.print(f"loaded {len(codes)} libraries: {', '.join(codes)}")
    return 0


async def cmd_status(args, settings: Settings) -> int:
    from harvesters.store import run_problems
    from unioncat.libraries import library_status

    engine, sessions = _open(settings)
    async with sessions() as s:
        rows = await library_status(s)
        problems = await run_problems(s, [r["last_run"]["id"] for r in rows if r["last_run"]])
    await engine.dispose()
    for r in rows:
        if r["last_run"]:
            r["last_run"] |= problems[r["last_run"]["id"]]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    table = Table("code", "name", "province", "records", "quarantined", "last run", "last success", "problem")
    for r in rows:
        last = r["last_run"]
        problem = ""
        if last and last["error"]:
            problem = last["error"][:120]
        elif last and (last["errors_total"] or last["quarantined_total"]):
            problem = f"{last['errors_total']} record errors, {last['quarantined_total']} quarantined"
        table.add_row(
            r["code"], r["name"], r["province"] or "", str(r["records"]), str(r["quarantined"]),
            f"{last['status']} {last['started_at'][:19]}" if last else "never", (r["last_success"] or "never")[:19],
            problem,
        )
    Console().print(table)
    return 0


async def cmd_harvest(args, settings: Settings) -> int:
    from unioncat.db import Library
    from unioncat.jobs import harvest_and_process
    from unioncat.search import open_backend

    engine, sessions = _open(settings)
    async with sessions() as s:
        known = dict((await s.execute(
            select(Library.code, Library.oai_url).where(Library.enabled.is_(True)))).all())
    # --all (or no code) means every library with an OAI-PMH endpoint; file-import libraries are not harvested
    codes = [c for c, url in known.items() if url] if args.all or not args.codes else args.codes
    unknown = sorted(set(codes) - set(known))
    no_endpoint = sorted(c for c in codes if c in known and not known[c])
    if unknown or no_endpoint:
        if unknown:
            console.print(f"[red]unknown or disabled libraries: {', '.join(unknown)}[/red]")
        if no_endpoint:
            console.print(f"[red]no OAI-PMH URL (use `unioncat import`): {', '.join(no_endpoint)}[/red]")
        await engine.dispose()
        return 2
    backend = None if args.no_process else open_backend(settings)  # harvesting alone needs no index
    with progress_bars() as progress:
        bars = StageBars(progress)
        summaries, _stats = await harvest_and_process(
            sessions, settings, backend, codes, full=args.full, run_process=not args.no_process,
            on_harvest_progress=lambda code, done, total: bars(f"harvest {code}", done, total),
            on_process_progress=bars,
        )
    if backend is not None:
        backend.close()
    await engine.dispose()
    failed = [s for s in summaries if s.status == "failed"]
    for s in summaries:
        console.print(f"{s.code}: {s.status} (new {s.records_new}, updated {s.records_updated}, "
                      f"deleted {s.records_deleted}, failed {s.records_failed})" + (f" — {s.error}" if s.error else ""))
        _print_quarantined(s)
    return 1 if failed else 0


def _print_quarantined(s) -> None:
    """The broken records of a run: how many, the first identifiers, where to look."""
    if s.quarantined and s.records_failed:
        shown = s.quarantined[:5]
        rest = s.records_failed - len(shown)
        console.print(f"  {s.records_failed} unreadable records quarantined: {', '.join(shown)}"
                      + (f" and {rest} more" if rest > 0 else "") + f" (`unioncat quarantine list {s.code}`)")
    if s.recovered:
        console.print(f"  {s.recovered} quarantined records recovered with GetRecord")


async def cmd_import(args, settings: Settings) -> int:
    from harvesters.marc_files import import_files

    engine, sessions = _open(settings)
    summary = await import_files(sessions, settings, args.code, [Path(p) for p in args.files])
    await engine.dispose()
    console.print(f"{args.code}: {summary.status} (new {summary.records_new}, updated {summary.records_updated}, "
                  f"unchanged {summary.records_unchanged}, quarantined {summary.records_failed})"
                  + (f" — {summary.error}" if summary.error else ""))
    for warning in summary.warnings:
        console.print(f"  [yellow]{warning}[/yellow]")
    _print_quarantined(summary)
    # 0: every record read; 3: imported, but some records (or files) could not be read; 1: nothing imported
    return {"succeeded": 0, "succeeded_with_errors": 3}.get(summary.status, 1)


async def cmd_quarantine(args, settings: Settings) -> int:
    """`quarantine list [CODE]` / `quarantine retry [CODE ...]`: the records harvests could not read."""
    from harvesters.harvest import retry_quarantined
    from harvesters.quarantine import entry_dict
    from unioncat.db import Library, QuarantinedRecord

    engine, sessions = _open(settings)
    try:
        async with sessions() as s:
            libraries = dict((await s.execute(select(Library.code, Library.id))).all())
            codes = args.codes if args.quarantine_command == "retry" else ([args.code] if args.code else [])
            unknown = sorted(set(codes) - set(libraries))
            if unknown:
                console.print(f"[red]unknown libraries: {', '.join(unknown)}[/red]")
                return 2
            query = select(QuarantinedRecord, Library.code).join(Library, Library.id == QuarantinedRecord.library_id)
            if codes:
                query = query.where(Library.code.in_(codes))
            if args.quarantine_command == "retry" or not args.all:
                query = query.where(QuarantinedRecord.status == "open")
            rows = (await s.execute(query.order_by(Library.code, QuarantinedRecord.id))).all()
        if args.quarantine_command == "list":
            entries = [entry_dict(entry, code) for entry, code in rows]
            if args.json:
                for entry in entries:
                    print(json.dumps(entry, ensure_ascii=False))
                return 0
            table = Table("library", "identifier", "position", "datestamp", "error", "status", "tries")
            for e in entries:
                table.add_row(e["library"], e["identifier"] or "—", e["position"], e["datestamp"] or "",
                              e["error"][:300], e["resolution"] or e["status"], str(e["attempts"]))
            Console().print(table)
            console.print(f"{len(entries)} {'entries' if args.all else 'open entries'}")
            return 0
        targets = codes or sorted({code for _, code in rows})
        failed = 0
        for code in targets:
            summary = await retry_quarantined(sessions, settings, code)
            still = summary.retried - summary.recovered
            console.print(f"{code}: {summary.status}, tried {summary.retried}, recovered {summary.recovered}, "
                          f"still open {still}" + (f" — {summary.error}" if summary.error else ""))
            failed += summary.status == "failed"
        return 1 if failed else 0
    finally:
        await engine.dispose()


async def cmd_process(args, settings: Settings) -> int:
    from unioncat.pipeline import process
    from unioncat.search import open_backend

    engine, sessions = _open(settings)
    backend = open_backend(settings)
    with progress_bars() as progress:
        stats = await process(sessions, backend, StageBars(progress))
    backend.close()
    await engine.dispose()
    console.print(
        f"normalized {stats.normalize.normalized}, quarantined {stats.normalize.quarantined}, "
        f"clustered {stats.cluster.records}, union records rebuilt {stats.rebuilt}, indexed {stats.indexed}"
    )
    return 0


async def cmd_reindex(args, settings: Settings) -> int:
    from unioncat.search import open_backend
    from unioncat.db.locks import exclusive
    from unioncat.search.indexer import reindex_all

    engine, sessions = _open(settings)
    backend = open_backend(settings)
    started = time.monotonic()
    async with exclusive(engine, "pipeline"):  # no processing while everything is re-read
        with progress_bars() as progress:
            bars = StageBars(progress)
            count = await reindex_all(sessions, backend, on_progress=lambda sent: bars("read", sent, None))
    backend.close()
    await engine.dispose()
    console.print(f"index rebuilt with {count} union records in {time.monotonic() - started:.1f} s")
    return 0


def cmd_search(args, settings: Settings) -> int:
    from unioncat.search import open_backend
    from unioncat.search.backend import SearchQuery

    backend = open_backend(settings)
    filters = {"library": args.library} if args.library else {}
    result = backend.search(SearchQuery(q=args.query, filters=filters, size=args.size))
    backend.close()
    if args.json:
        print(json.dumps(result.model_dump(), ensure_ascii=False))
        return 0
    console.print(f"{result.total} union records")
    for hit in result.hits:
        authors = "; ".join(hit.authors[:2])
        Console().print(f"[bold]{hit.title}[/bold] — {authors} ({hit.year or 's.d.'}) "
                        f"[dim]{hit.id} · {', '.join(hit.libraries)}[/dim]")
    return 0


async def cmd_export(args, settings: Settings) -> int:
    """jsonl: one union record per line (DESIGN.md shape); marcxml: one MARCXML collection; marc: ISO 2709."""
    import pymarc
    from xml.etree import ElementTree

    from unioncat.interop.exports import marc_record, to_iso2709
    from unioncat.records import base_marc_records, export_dict, iter_union_records

    engine, sessions = _open(settings)
    binary = args.format == "marc"
    out = open(args.output, "wb") if args.output else sys.stdout.buffer
    n = 0
    try:
        if args.format == "marcxml":
            out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
        async with sessions() as s, sessions() as lookup:
            async def write(batch: list[dict]) -> None:
                bases = await base_marc_records(lookup, batch) if args.format != "jsonl" else {}
                for record in batch:
                    if args.format == "jsonl":
                        out.write((json.dumps(export_dict(record), ensure_ascii=False) + "\n").encode("utf-8"))
                    elif binary:
                        out.write(to_iso2709(record, bases.get(record["id"])))
                    else:
                        node = pymarc.record_to_xml_node(marc_record(record, bases.get(record["id"])), namespace=False)
                        out.write(ElementTree.tostring(node, encoding="utf-8") + b"\n")

            batch: list[dict] = []
            async for record in iter_union_records(s):
                batch.append(record)
                n += 1
                if len(batch) == 500:  # one base-MARC query per 500 records
                    await write(batch)
                    batch = []
            await write(batch)
        if args.format == "marcxml":
            out.write(b"</collection>\n")
    finally:
        if args.output:
            out.close()
        else:
            out.flush()
        await engine.dispose()
    console.print(f"exported {n} union records as {args.format}")
    return 0


async def cmd_overrides(args, settings: Settings) -> int:
    """Staff match decisions from the shell: the same service as POST/GET/DELETE /api/v1/overrides."""
    from unioncat.dedup import overrides as service
    from unioncat.errors import UnioncatError
    from unioncat.pipeline import process
    from unioncat.search import open_backend

    def ref(value: str | None):
        return int(value) if value and value.isdigit() else value

    engine, sessions = _open(settings)
    backend = None
    try:
        if args.overrides_command == "list":
            async with sessions() as s:
                rows = await service.list_overrides(s, args.record)
            for row in rows:
                print(json.dumps(row, ensure_ascii=False, default=str))
            return 0
        backend = open_backend(settings)

        async def run_process():
            return await process(sessions, backend)

        if args.overrides_command == "add":
            result = await service.add_override(sessions, args.kind, ref(args.record_a), ref(args.record_b),
                                                args.note, created_by=args.by, process=run_process)
        else:
            result = await service.delete_override(sessions, args.id, process=run_process)
    except UnioncatError as exc:
        console.print(f"[red]{type(exc).__name__}: {exc.detail}[/red]")
        return 2
    finally:
        if backend is not None:
            backend.close()
        await engine.dispose()
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    import uvicorn

    from unioncat.app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


DEMO_MARKER = ".unioncat-demo"


def demo_settings(settings: Settings, data_dir: Path) -> Settings:
    """The demo's own world: SQLite and tantivy in its data dir, whatever UNIONCAT_DATABASE_URL or
    UNIONCAT_OPENSEARCH_URL say (the demo must never write into a production database or cluster)."""
    sqlite_url = f"sqlite+aiosqlite:///{(data_dir / 'unioncat.sqlite3').resolve()}"
    return settings.model_copy(update={"data_dir": data_dir, "database_url": sqlite_url, "opensearch_url": None})


def prepare_demo_dir(data_dir: Path) -> None:
    """Wipe a previous demo; refuse to wipe anything that is not one."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            raise SystemExit(f"{data_dir} is not empty and was not made by `unioncat demo`; refusing to wipe it")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text("made by `unioncat demo`; wiped by the next demo run\n", encoding="utf-8")


def cmd_demo(args, settings: Settings) -> int:
    from unioncat.demo.run import run_demo

    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir / "demo"
    prepare_demo_dir(data_dir)
    return asyncio.run(run_demo(demo_settings(settings, data_dir), port=args.port,
                                records_per_library=args.records, console=console))


# --- parser ---------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="unioncat", description="Union catalogue: harvest, merge, search.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="run the demo: bundled member libraries harvested, merged and served")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--records", type=int, default=2500, help="records per demo library")
    d.add_argument("--data-dir", help="where the demo keeps its data (default: <data dir>/demo, wiped first)")
    d.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(func=cmd_db_upgrade)

    lib = sub.add_parser("libraries", help="member libraries").add_subparsers(dest="lib_command", required=True)
    add = lib.add_parser("add", help="register a member library")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--oai-url", required=True)
    add.add_argument("--metadata-prefix", default="marc21")
    add.add_argument("--set")
    add.add_argument("--province")
    add.add_argument("--profile", default="generic", choices=["generic", "koha"])
    add.add_argument("--opac-url", help="link template to a record in the library's OPAC, with {id}")
    add.set_defaults(func=cmd_libraries_add)
    load = lib.add_parser("load", help="load library definitions from TOML files")
    load.add_argument("path")
    load.set_defaults(func=cmd_libraries_load)
    ls = lib.add_parser("list", help="members with their last harvest")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_status)

    h = sub.add_parser("harvest", help="harvest (incremental unless --full), then process what changed")
    h.add_argument("codes", nargs="*")
    h.add_argument("--all", action="store_true")
    h.add_argument("--full", action="store_true")
    h.add_argument("--no-process", action="store_true")
    h.set_defaults(func=cmd_harvest)

    i = sub.add_parser("import", help="import ISO 2709 / MARCXML files for a library without OAI-PMH")
    i.add_argument("code")
    i.add_argument("files", nargs="+")
    i.set_defaults(func=cmd_import)

    q = sub.add_parser("quarantine", help="records a harvest or an import could not read")
    q_sub = q.add_subparsers(dest="quarantine_command", required=True)
    q_ls = q_sub.add_parser("list", help="open entries (all with --all), with their errors")
    q_ls.add_argument("code", nargs="?")
    q_ls.add_argument("--all", action="store_true", help="resolved entries too")
    q_ls.add_argument("--json", action="store_true")
    q_rt = q_sub.add_parser("retry", help="GetRecord each open entry again (default: every library with some)")
    q_rt.add_argument("codes", nargs="*")
    q.set_defaults(func=cmd_quarantine)

    sub.add_parser("process", help="run pending normalize → cluster → index").set_defaults(func=cmd_process)
    sub.add_parser("reindex", help="rebuild the search index, switch atomically").set_defaults(func=cmd_reindex)

    sv = sub.add_parser("serve", help="web + API")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.set_defaults(func=cmd_serve)

    sc = sub.add_parser("schedule", help="long-running nightly scheduler")
    sc.set_defaults(func=cmd_schedule)

    st = sub.add_parser("status", help="per-library harvest status")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    se = sub.add_parser("search", help="search from the shell")
    se.add_argument("query")
    se.add_argument("--library", action="append")
    se.add_argument("--size", type=int, default=20)
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=cmd_search)

    ov = sub.add_parser("overrides", help="staff match decisions: never-merge, always-merge, split")
    ov_sub = ov.add_subparsers(dest="overrides_command", required=True)
    ov_add = ov_sub.add_parser("add", help="record a decision and re-cluster the records it concerns")
    ov_add.add_argument("kind", choices=["never", "always", "split"])
    ov_add.add_argument("record_a", help="source record id or LIBRARY:oai-identifier")
    ov_add.add_argument("record_b", nargs="?", help="the other record (not for split)")
    ov_add.add_argument("--note")
    ov_add.add_argument("--by", default="cli", help="who decided (kept with the decision)")
    ov_ls = ov_sub.add_parser("list", help="decisions as JSON lines")
    ov_ls.add_argument("--record", type=int, help="only those concerning this source record id")
    ov_rm = ov_sub.add_parser("remove", help="delete a decision and re-cluster")
    ov_rm.add_argument("id", type=int)
    ov.set_defaults(func=cmd_overrides)

    ex = sub.add_parser("export", help="every union record with its members")
    ex.add_argument("--format", default="jsonl", choices=["jsonl", "marcxml", "marc"])
    ex.add_argument("--output")
    ex.set_defaults(func=cmd_export)
    return p


async def cmd_schedule(args, settings: Settings) -> int:
    from unioncat.scheduler import run_scheduler

    await run_scheduler(settings)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    result = args.func(args, settings)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
