"""A small real union catalogue served on loopback for the page tests.

The bundled demo libraries (a few hundred generated records) and a test library with real HathiTrust/LC
records, a Vietnamese book catalogued differently by two libraries, and one broken record are served as
real OAI-PMH endpoints, harvested, processed through the real pipeline into SQLite + tantivy, and the app
runs under uvicorn in a thread on 127.0.0.1:<free port>. Built once per test session (tests/web only);
tests that change data (harvest, split, merge) each use records no other test relies on.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass

import pytest

from conftest import TESTDATA, serve_in_thread
from factories import MARC_NS, marc_book, real_oai_records
from harvesters.definitions import load_definitions
from harvesters.harvest import harvest_many
from unioncat.app import create_app
from unioncat.libraries import register_definitions
from unioncat.db import create_engine, make_sessionmaker, transaction
from unioncat.demo.catalogues import generate_catalogues
from unioncat.demo.oai_server import OAIServer
from unioncat.demo.run import DEMO_LIBRARIES
from unioncat.libraries import upsert_library
from unioncat.pipeline import process
from unioncat.search import open_backend
from unioncat.settings import Settings

STAFF_TOKEN = "test-staff-token-7c1f"
RECORDS_PER_LIBRARY = 60
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]


BROKEN = f'<record xmlns="{MARC_NS}"><leader>x</leader><datafield tag="245"><subfield code="a">?</subfield>' \
         f'</datafield></record>'.encode()


@dataclass
class Site:
    url: str
    settings: Settings
    oai: OAIServer
    merged_id: str  # "Lịch sử Nghệ An", held by THA and NAN (the record-page tests read it, nobody changes it)


async def _build(settings: Settings, oai: OAIServer, urls: dict[str, str]) -> None:
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    definitions = load_definitions(DEMO_LIBRARIES)
    await register_definitions(sessions, definitions, urls)
    async with transaction(sessions) as s:
        # the test library links to its own OPAC; THA gets one too
        await upsert_library(s, "TST", name="Thư viện Thử nghiệm", province="Nghệ An", oai_url=oai.base_url("TST"),
                             opac_url="https://opac.tst.example.vn/record/{id}")
        await upsert_library(s, "THA", opac_url="https://opac.tha.example.vn/cgi-bin/koha?biblionumber={id}")
    codes = [d.code for d in definitions] + ["TST"]
    summaries = await harvest_many(sessions, settings, codes)
    assert all(s.status.startswith("succeeded") for s in summaries), [(s.status, s.error) for s in summaries]
    backend = open_backend(settings)
    try:
        await process(sessions, backend)
    finally:
        backend.close()
    await engine.dispose()


@pytest.fixture(scope="session")
def site(tmp_path_factory, sqlite_template) -> Site:
    data_dir = tmp_path_factory.mktemp("web-site")
    shutil.copy(sqlite_template, data_dir / "unioncat.sqlite3")
    settings = Settings(data_dir=data_dir, staff_token=STAFF_TOKEN)

    catalogues = generate_catalogues(records_per_library=RECORDS_PER_LIBRARY)
    oai = OAIServer()
    urls = {}
    for code, records in catalogues.items():
        oai.add_repository(code, [(r.identifier, r.datestamp, r.deleted, r.marcxml, []) for r in records],
                           metadata_prefix="marc21", page_size=100)
    tst = oai.add_repository("TST", page_size=50)
    tst.put_many(real_oai_records(TESTDATA / "oai/hathitrust/ListRecords_marc21_set_hathitrust_umich.xml"))
    tst.put("oai:tst.lib.vn:T1", "2024-01-02T00:00:00Z", metadata=marc_book(
        "T1", "Lịch sử Nghệ An", "Nguyễn Văn A", "978-604-958-012-3", "Nxb. Nghệ An", "Vinh", "320 tr. ; 21 cm",
        call_number="959.742 L302S"))
    tst.put("oai:tst.lib.vn:BROKEN1", "2024-01-02T00:00:00Z", metadata=BROKEN)
    oai.start()
    urls = {code: oai.base_url(code) for code in catalogues}
    # THA's demo catalogue also gets the same book, catalogued its own way (NFD, inverted name, "p.")
    oai.repositories["THA"].put("oai:tha.lib.vn:LSNA", "2024-01-02T00:00:00Z", metadata=marc_book(
        "LSNA", "Lịch sử Nghệ An", "Nguyễn, Văn A", "9786049580123", "Nhà xuất bản Nghệ An", "Vinh",
        "320 p. ; 21 cm", call_number="9(V)2 L302S", nfd=True))
    asyncio.run(_build(settings, oai, urls))

    server, thread, port = serve_in_thread(create_app(settings))
    base = f"http://127.0.0.1:{port}"
    import httpx

    hits = httpx.get(f"{base}/api/v1/search", params={"q": "lich su nghe an"}).json()["hits"]
    merged = [h for h in hits if sorted(h["libraries"]) == ["THA", "TST"]]
    assert len(merged) == 1, hits
    yield Site(base, settings, oai, merged[0]["id"])
    server.should_exit = True
    thread.join(timeout=10)
    oai.stop()


@pytest.fixture(scope="module")
def browser(site):
    # Playwright's sync API keeps an event loop running in this thread while it is open: build the site
    # (asyncio.run) first, and stop Playwright after the browser module so later async tests get their loop.
    from playwright import sync_api  # a test dependency: missing is a failure, never a skip

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is required for the browser tests (scripts/test installs it)"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def login(page, site: Site) -> None:
    page.goto(f"{site.url}/staff/login")
    page.fill("#token", STAFF_TOKEN)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(f"{site.url}/staff/")


def merged_cluster_with(site: Site, library: str, min_libraries: int = 3) -> tuple[str, dict]:
    """A demo union record held by `library` and others (not the shared "Lịch sử Nghệ An"), and its member
    from `library`."""
    import httpx

    hits = httpx.get(f"{site.url}/api/v1/search", params={"library": library, "size": 100}).json()["hits"]
    for hit in hits:
        if len(hit["libraries"]) >= min_libraries and hit["id"] != site.merged_id:
            record = httpx.get(f"{site.url}/api/v1/records/{hit['id']}").json()
            member = next(m for m in record["members"] if m["library"] == library)
            return hit["id"], member
    raise AssertionError(f"no union record held by {library} and {min_libraries - 1} others")
