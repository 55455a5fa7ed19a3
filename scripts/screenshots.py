"""Screenshots of the reader and staff pages, and first-byte timings.

    python scripts/screenshots.py                      # fresh demo data (≈17k records), then shoot
    python scripts/screenshots.py --data-dir DIR       # reuse a data dir (e.g. one left by `unioncat demo`)
    python scripts/screenshots.py --out bench/out/screenshots --requests 50

Serves the app on 127.0.0.1:<free port> (uvicorn in a thread), saves PNGs of the search page, a record page and
the staff dashboard (desktop and phone widths), and prints p50/p95 time-to-first-byte for `/`, `/?q=lich+su`
and a record page. Chromium is Debian's /usr/bin/chromium; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
TOKEN = "screenshots-staff-token"


def build_demo(data_dir: Path, records_per_library: int) -> None:
    """The demo catalogues over loopback OAI-PMH, harvested and processed (as `unioncat demo`, without serving)."""
    from harvesters.definitions import load_definitions
    from unioncat.libraries import register_definitions
    from unioncat.db import create_engine, make_sessionmaker
    from unioncat.db.migrate import upgrade
    from unioncat.demo.catalogues import generate_catalogues
    from unioncat.demo.run import DEMO_LIBRARIES, start_demo_server
    from unioncat.jobs import harvest_and_process
    from unioncat.search import open_backend
    from unioncat.settings import Settings

    settings = Settings(data_dir=data_dir)
    upgrade(settings)
    definitions = load_definitions(DEMO_LIBRARIES)
    server, urls = start_demo_server(definitions, generate_catalogues(records_per_library))

    async def run() -> None:
        engine = create_engine(settings)
        sessions = make_sessionmaker(engine)
        backend = open_backend(settings)
        try:
            await register_definitions(sessions, definitions, urls)
            await harvest_and_process(sessions, settings, backend, [d.code for d in definitions])
        finally:
            backend.close()
            await engine.dispose()

    try:
        asyncio.run(run())
    finally:
        server.stop()


def serve(data_dir: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    from unioncat.app import create_app
    from unioncat.settings import Settings

    app = create_app(Settings(data_dir=data_dir, staff_token=TOKEN))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return server, thread, f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def first_byte(host: str, path: str) -> float:
    conn = http.client.HTTPConnection(host, timeout=30)
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read(1)
    elapsed = time.perf_counter() - start
    response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}")
    return elapsed


def timings(host: str, paths: list[str], n: int) -> None:
    print(f"time to first byte over {n} requests (ms):")
    for path in paths:
        first_byte(host, path)  # warm-up
        samples = sorted(first_byte(host, path) * 1000 for _ in range(n))
        p95 = samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]
        print(f"  {path:<40} p50 {statistics.median(samples):6.1f}   p95 {p95:6.1f}   max {samples[-1]:6.1f}")


def record_id(host: str) -> str:
    import json

    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request("GET", "/api/v1/search?q=lich+su&size=50")
    hits = json.loads(conn.getresponse().read())["hits"]
    conn.close()
    if not hits:
        raise SystemExit("no records to show")
    return max(hits, key=lambda h: len(h["libraries"]))["id"]


def screenshots(host: str, out: Path, rid: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    base = f"http://{host}"
    saved = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport)
            for name, path in (("search", "/?q=lich+su"), ("record", f"/records/{rid}")):
                page.goto(base + path)
                saved.append(out / f"{name}-{label}.png")
                page.screenshot(path=str(saved[-1]), full_page=label == "desktop")
            page.goto(base + "/staff/login")
            page.fill("#token", TOKEN)
            page.locator("form.login-form button[type=submit]").click()
            page.wait_for_url(base + "/staff/")
            saved.append(out / f"staff-dashboard-{label}.png")
            page.screenshot(path=str(saved[-1]), full_page=label == "desktop")
            page.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir instead of building the demo")
    parser.add_argument("--records-per-library", type=int, default=2500)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "screenshots")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="unioncat-screens-"))
        print(f"building the demo data in {data_dir} …", flush=True)
        started = time.monotonic()
        build_demo(data_dir, args.records_per_library)
        print(f"  ready in {time.monotonic() - started:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    server, thread, host = serve(data_dir)
    try:
        rid = record_id(host)
        for path in screenshots(host, args.out, rid):
            print(f"saved {path}")
        timings(host, ["/", "/?q=lich+su", f"/records/{rid}"], args.requests)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
