"""`unioncat demo`: the Bắc Miền Trung demo libraries as real OAI-PMH endpoints on loopback, harvested,
merged, indexed and served — on a fresh machine, with no server to install."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import uvicorn
from rich.console import Console

import harvesters
from harvesters.definitions import load_definitions
from unioncat.db import create_engine, make_sessionmaker
from unioncat.db.migrate import upgrade
from unioncat.demo.catalogues import generate_catalogues
from unioncat.demo.oai_server import OAIServer
from unioncat.jobs import harvest_and_process
from unioncat.libraries import register_definitions
from unioncat.progress import StageBars, progress_bars
from unioncat.search import open_backend
from unioncat.settings import Settings

DEMO_LIBRARIES = Path(harvesters.__file__).parent / "libraries" / "bac-mien-trung"


def start_demo_server(definitions, catalogues: dict) -> tuple[OAIServer, dict[str, str]]:
    server = OAIServer().start()
    urls = {}
    for d in definitions:
        records = [(r.identifier, r.datestamp, r.deleted, r.marcxml, []) for r in catalogues[d.code]]
        server.add_repository(d.code, records, metadata_prefix="marc21", page_size=500, name=d.name)
        urls[d.code] = server.base_url(d.code)
    return server, urls


async def link_demo_catalogues(sessions, urls: dict[str, str]) -> None:
    """The demo libraries have no OPAC of their own: "see it in the library's catalogue" shows the record
    as that library's OAI-PMH endpoint serves it."""
    from unioncat.db import transaction
    from unioncat.libraries import upsert_library

    async with transaction(sessions) as s:
        for code, url in urls.items():
            link = f"{url}?verb=GetRecord&metadataPrefix=marc21&identifier=oai:{code.lower()}.lib.vn:{{id}}"
            await upsert_library(s, code, opac_url=link)


async def run_demo(settings: Settings, *, port: int, records_per_library: int, console: Console) -> int:
    started = time.monotonic()
    console.print(f"[bold]unioncat demo[/bold] — data in {settings.data_dir}")
    await asyncio.to_thread(upgrade, settings)
    definitions = load_definitions(DEMO_LIBRARIES)
    with console.status("generating the demo catalogues…"):
        catalogues = await asyncio.to_thread(generate_catalogues, records_per_library)
    server, urls = start_demo_server(definitions, catalogues)
    console.print(f"{len(urls)} demo member libraries serving OAI-PMH on {server.base_url('')[:-5]}")
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    backend = open_backend(settings)
    try:
        await register_definitions(sessions, definitions, urls)
        await link_demo_catalogues(sessions, urls)
        with progress_bars() as progress:
            bars = StageBars(progress)
            summaries, stats = await harvest_and_process(
                sessions, settings, backend, [d.code for d in definitions],
                on_harvest_progress=lambda code, done, total: bars(f"harvest {code}", done, total),
                on_process_progress=bars,
            )
        harvested = sum(s.records_new + s.records_updated for s in summaries)
        console.print(
            f"harvested {harvested} records from {len(summaries)} libraries; "
            f"{stats.cluster.new_clusters} union records, {stats.cluster.joined} records merged into them, "
            f"{stats.normalize.quarantined} quarantined — ready in {time.monotonic() - started:.0f} s"
        )
        backend.close()
        from unioncat.app import create_app

        app = create_app(settings)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server_task = uvicorn.Server(config)
        console.print(
            f"[bold green]Open http://127.0.0.1:{port}/[/bold green]  ·  API: "
            f"http://127.0.0.1:{port}/api/v1/search?q=lich+su  ·  Ctrl-C to stop"
        )
        await server_task.serve()
    finally:
        await engine.dispose()
        server.stop()
    return 0
