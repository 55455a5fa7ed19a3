"""The harvest quarantine on the staff pages, its raw download and its /metrics gauges, against the real app on
loopback over a database seeded directly (SQLite and PostgreSQL): two provincial libraries, open entries with and
without an identifier (a broken MARCXML record in a list page, a header without identifier, a damaged ISO 2709
record from an imported file), resolved entries, and one record normalization could not interpret."""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conftest import serve_in_thread
from unioncat.app import _label, create_app
from unioncat.db import QuarantinedRecord, SourceRecord, create_engine, make_sessionmaker, transaction
from unioncat.libraries import upsert_library
from unioncat.settings import Settings
from unioncat.staff import service

from .conftest import BROWSER_ARGS, STAFF_TOKEN
from harvesters.quarantine import raw_hash

MARC = "http://www.loc.gov/MARC21/slim"
LIST_URL = ("https://opac.thuvienquangtri.gov.vn/cgi-bin/koha/oai.pl?verb=ListRecords&resumptionToken="
            "marc21%2F2025-03-01T00%3A00%3A00Z%2F%2FQTR-SACH-TIENG-VIET%2F3000%2Fpage3")
# a list-page record cut off inside a subfield: what lxml reports when it is parsed alone
BROKEN_XML = (
    f'<record xmlns="{MARC}"><leader>01142nam a2200301 a 4500</leader>'
    '<controlfield tag="001">TVQT020451</controlfield>'
    '<datafield tag="020" ind1=" " ind2=" "><subfield code="a">9786043381526</subfield></datafield>'
    '<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Lịch sử Đảng bộ tỉnh Quảng Trị :</subfield>'
    '<subfield code="b">1930 - 1954</datafield>'
    '<datafield tag="260" ind1=" " ind2=" "><subfield code="a">Quảng Trị :</subfield>'
    '<subfield code="b">Nxb. Thuận Hóa,</subfield><subfield code="c">2020</subfield></datafield></record>'
).encode()
BROKEN_ERROR = "Opening and ending tag mismatch: subfield line 1 and datafield, line 1, column 487"
LONG_ID = "oai:opac.thuvienquangtri.gov.vn:TVQT_SACH_TIENG_VIET_KHO_DOC_2025_000020451"  # no break points
NO_ID_XML = (
    '<record><header><datestamp>2025-03-14T02:11:09Z</datestamp><setSpec>sach</setSpec></header>'
    f'<metadata><record xmlns="{MARC}"><leader>00853cam a2200241 a 4500</leader>'
    '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Địa chí Quảng Trị</subfield></datafield>'
    '</record></metadata></record>'
).encode()
# an ISO 2709 record whose directory is damaged (bytes as imported, Vietnamese title in UTF-8)
ISO_BROKEN = (b"00714nam a2200205 a 4500001001100000##8000410001124500x"
              + "\x1eTVQT024113\x1e  \x1faSông Hiếu quê tôi\x1e\x1d".encode())
HTI_XML = f'<record xmlns="{MARC}"><leader>00500nam a22'.encode()


@dataclass
class QSite:
    url: str
    ids: dict[str, int]


def in_thread(coro_fn):
    """Run a coroutine to completion in a fresh thread (Playwright's sync API may own this thread's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro_fn()).result()


def _entry(library_id: int, raw: bytes, **fields) -> QuarantinedRecord:
    return QuarantinedRecord(library_id=library_id, raw=raw, raw_hash=raw_hash(raw), **fields)


async def _seed(settings: Settings, now: datetime) -> dict[str, int]:
    engine = create_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as s:
            qtr = await upsert_library(s, "QTR", name="Thư viện tỉnh Quảng Trị", province="Quảng Trị",
                                       oai_url="https://opac.thuvienquangtri.gov.vn/cgi-bin/koha/oai.pl")
            hti = await upsert_library(s, "HTI", name="Thư viện tỉnh Hà Tĩnh", province="Hà Tĩnh")
            entries = {
                "broken": _entry(
                    qtr.id, BROKEN_XML, source="list", identifier=LONG_ID, position="page 3, record 7",
                    datestamp="2025-03-14T02:11:09Z", error=BROKEN_ERROR, url=LIST_URL, status="open", attempts=2,
                    last_attempt_error="GetRecord: badArgument (không tìm thấy biểu ghi)",
                    first_seen_at=now - timedelta(days=3), last_seen_at=now - timedelta(hours=1)),
                "no_id": _entry(
                    qtr.id, NO_ID_XML, source="list", identifier=None, position="page 5, record 12",
                    datestamp="2025-03-14T02:11:09Z", error="record header without an identifier", url=LIST_URL,
                    status="open", attempts=0, first_seen_at=now - timedelta(hours=2), last_seen_at=now),
                "iso": _entry(
                    qtr.id, ISO_BROKEN, source="import", identifier="TVQT024113",
                    position="sach-tieng-viet-2024.mrc, record 12",
                    error="ISO 2709: directory entry 2 is not 12 digits (offset 24)",
                    url="sach-tieng-viet-2024.mrc", status="open", attempts=0,
                    first_seen_at=now - timedelta(days=1), last_seen_at=now - timedelta(days=1)),
                "fixed": _entry(
                    qtr.id, BROKEN_XML + b" ", source="list", identifier="oai:thuvienquangtri.gov.vn:biblio/19877",
                    position="page 2, record 40", error=BROKEN_ERROR, url=LIST_URL, status="resolved",
                    resolution="harvested again in run 12", first_seen_at=now - timedelta(days=9),
                    last_seen_at=now - timedelta(days=4), resolved_at=now - timedelta(days=2)),
                "fixed_long_ago": _entry(
                    qtr.id, BROKEN_XML + b"  ", source="getrecord", identifier="oai:thuvienquangtri.gov.vn:biblio/7",
                    position="page 1, record 3", error=BROKEN_ERROR, url=LIST_URL, status="resolved",
                    resolution="recovered with GetRecord", first_seen_at=now - timedelta(days=90),
                    last_seen_at=now - timedelta(days=80), resolved_at=now - timedelta(days=60)),
                "other_library": _entry(
                    hti.id, HTI_XML, source="list", identifier="oai:thuvien.hatinh.gov.vn:5512",
                    position="page 1, record 2", error="Premature end of data in tag leader line 1, line 1, column 70",
                    url="https://thuvien.hatinh.gov.vn/oai?verb=ListRecords&metadataPrefix=marc21", status="open",
                    attempts=1, first_seen_at=now, last_seen_at=now),
            }
            s.add_all(entries.values())
            # read, but normalization could not interpret it (the older quarantine)
            s.add(SourceRecord(library_id=qtr.id, identifier="oai:thuvienquangtri.gov.vn:biblio/30002",
                               raw=f'<record xmlns="{MARC}"><leader>x</leader></record>'.encode(),
                               raw_format="marcxml", status="quarantined", error="leader is not 24 characters"))
            await s.flush()
            return {k: e.id for k, e in entries.items()}
    finally:
        await engine.dispose()


@contextmanager
def _serve(settings: Settings):
    settings = settings.model_copy(update={"staff_token": STAFF_TOKEN})
    ids = in_thread(lambda: _seed(settings, datetime.now(timezone.utc)))
    server, thread, port = serve_in_thread(create_app(settings))
    try:
        yield QSite(f"http://127.0.0.1:{port}", ids)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def qsite(db_settings):
    with _serve(db_settings) as site:
        yield site


def staff_client(site: QSite) -> httpx.Client:
    client = httpx.Client(base_url=site.url, timeout=30)
    form = client.get("/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = client.post("/staff/login", data={"csrf": csrf, "token": STAFF_TOKEN, "next": "/staff/"})
    assert r.status_code == 303
    return client


def test_library_page_lists_open_harvest_entries_and_its_twin_has_them(qsite):
    client = staff_client(qsite)
    data = client.get("/staff/libraries/QTR.json").json()
    hq = data["harvest_quarantine"]
    ids = qsite.ids
    # open entries only, newest seen first; resolved ones counted when resolved in the last 30 days
    assert hq["total"] == 3 and hq["page"] == 1 and hq["resolved_recently"] == 1
    assert [e["id"] for e in hq["entries"]] == [ids["no_id"], ids["broken"], ids["iso"]]
    broken, no_id, iso = (next(e for e in hq["entries"] if e["id"] == ids[k]) for k in ("broken", "no_id", "iso"))
    assert broken["identifier"] == LONG_ID and broken["error"] == BROKEN_ERROR
    assert broken["attempts"] == 2 and broken["url"] == LIST_URL and broken["raw_bytes"] == len(BROKEN_XML)
    assert broken["raw_format"] == "xml" and "Lịch sử Đảng bộ tỉnh Quảng Trị" in broken["raw_preview"]
    assert "raw" not in broken  # the bytes come from the download route only
    assert no_id["identifier"] is None and no_id["position"] == "page 5, record 12"
    assert iso["raw_format"] == "iso2709" and iso["source"] == "import"
    # the normalize quarantine is unchanged beside it
    assert data["quarantined_total"] == 1 and data["quarantined"][0]["error"] == "leader is not 24 characters"
    assert data["library"]["quarantine"] == {"harvest": 3, "normalize": 1}

    page = client.get("/staff/libraries/QTR").text
    assert "Biểu ghi không đọc được khi thu thập (3)" in page and "Biểu ghi không chuẩn hóa được (1)" in page
    assert "Đã khắc phục (30 ngày): <strong>1</strong>" in page
    for entry in (broken, no_id, iso):
        assert html.escape(entry["error"], quote=False) in page
        assert f'href="/staff/libraries/QTR/quarantine/{entry["id"]}/raw"' in page
    assert LONG_ID in page and "page 5, record 12" in page and "không có định danh" in page
    assert html.escape(LIST_URL) in page and f'href="{html.escape(LIST_URL)}"' not in page  # text, not a link
    assert "GetRecord: badArgument (không tìm thấy biểu ghi)" in page and "Nhập tệp" in page
    assert "&lt;subfield code=&#34;b&#34;&gt;1930 - 1954&lt;/datafield&gt;" in page  # preview escaped
    assert "<subfield" not in page
    # English via ?lang=en
    english = client.get("/staff/libraries/QTR", params={"lang": "en"}).text
    assert "Records unreadable at harvest (3)" in english and "Resolved (last 30 days)" in english
    # the other library's entry is not on this page
    assert str(qsite.ids["other_library"]) not in [str(e["id"]) for e in hq["entries"]]
    assert "thuvien.hatinh.gov.vn" not in page


def test_harvest_quarantine_pages_with_its_own_parameter(qsite, monkeypatch):
    monkeypatch.setattr(service, "PAGE", 2)  # the app runs in this process
    client = staff_client(qsite)
    first = client.get("/staff/libraries/QTR.json").json()["harvest_quarantine"]
    second = client.get("/staff/libraries/QTR.json", params={"qpage": 2}).json()
    assert [e["id"] for e in first["entries"]] == [qsite.ids["no_id"], qsite.ids["broken"]]
    assert [e["id"] for e in second["harvest_quarantine"]["entries"]] == [qsite.ids["iso"]]
    assert second["page"] == 1 and second["quarantined_total"] == 1  # the normalize list keeps its own page
    page = client.get("/staff/libraries/QTR").text
    assert "?page=1&amp;qpage=2#harvest-quarantine" in page
    assert client.get("/staff/libraries/QTR", params={"qpage": "abc"}).status_code == 200
    assert client.get("/staff/libraries/QTR.json", params={"qpage": "-3"}).json()["harvest_quarantine"]["page"] == 1


def test_raw_download_is_the_stored_bytes_as_an_attachment(qsite):
    client = staff_client(qsite)
    ids = qsite.ids
    r = client.get(f"/staff/libraries/QTR/quarantine/{ids['broken']}/raw")
    assert r.status_code == 200 and r.content == BROKEN_XML
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == f'attachment; filename="QTR-quarantine-{ids["broken"]}.xml"'
    assert r.headers["x-content-type-options"] == "nosniff"
    iso = client.get(f"/staff/libraries/QTR/quarantine/{ids['iso']}/raw")
    assert iso.content == ISO_BROKEN and iso.headers["content-disposition"].endswith(f'-{ids["iso"]}.mrc"')
    # a resolved entry's bytes stay downloadable; another library's entry is not reachable through this one
    assert client.get(f"/staff/libraries/QTR/quarantine/{ids['fixed']}/raw").status_code == 200
    assert client.get(f"/staff/libraries/QTR/quarantine/{ids['other_library']}/raw").status_code == 404
    assert client.get(f"/staff/libraries/HTI/quarantine/{ids['other_library']}/raw").content == HTI_XML
    assert client.get("/staff/libraries/QTR/quarantine/99999999/raw").status_code == 404
    assert client.get("/staff/libraries/QTR/quarantine/abc/raw").status_code == 404
    assert client.get(f"/staff/libraries/NOPE/quarantine/{ids['broken']}/raw").status_code == 404
    # like the records' raw route: no session -> the login page; a bearer token is enough
    anon = httpx.Client(base_url=qsite.url)
    refused = anon.get(f"/staff/libraries/QTR/quarantine/{ids['broken']}/raw")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/staff/login?next=")
    bearer = anon.get(f"/staff/libraries/QTR/quarantine/{ids['broken']}/raw",
                      headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    assert bearer.content == BROKEN_XML
    assert anon.get("/staff/libraries/QTR.json").status_code == 401


def test_dashboard_counts_both_quarantines(qsite):
    client = staff_client(qsite)
    data = client.get("/staff/dashboard.json").json()
    libs = {lib["code"]: lib for lib in data["libraries"]}
    assert libs["QTR"]["quarantined"] == 4 and libs["QTR"]["quarantine"] == {"harvest": 3, "normalize": 1}
    assert libs["HTI"]["quarantined"] == 1
    assert data["quarantined"] == 5 and data["quarantine"] == {"harvest": 4, "normalize": 1}
    page = client.get("/staff/").text
    assert re.search(r'<a href="/staff/libraries/QTR#harvest-quarantine"[^>]*>4</a>', page)
    assert re.search(r'<a href="/staff/libraries/HTI#harvest-quarantine"[^>]*>1</a>', page)
    assert "Bị cách ly: <strong>5</strong>" in re.sub(r"\s+", " ", page)


def test_metrics_gauges(qsite):
    text = httpx.get(qsite.url + "/metrics").text
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert samples['unioncat_quarantined_records{library="QTR",stage="harvest"}'] == "3"
    assert samples['unioncat_quarantined_records{library="QTR",stage="normalize"}'] == "1"
    assert samples['unioncat_quarantined_records{library="HTI",stage="harvest"}'] == "1"
    assert samples['unioncat_quarantined_records{library="HTI",stage="normalize"}'] == "0"
    assert samples['unioncat_quarantine_resolved_total{library="QTR"}'] == "2"
    assert samples['unioncat_quarantine_resolved_total{library="HTI"}'] == "0"
    for name in ("unioncat_quarantined_records", "unioncat_quarantine_resolved_total"):
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text


def test_metric_label_values_are_escaped():
    assert _label('Q"T\\R\nx') == 'Q\\"T\\\\R\\nx'


@pytest.mark.browser
def test_library_page_with_entries_fits_a_phone(sqlite_settings):
    from playwright import sync_api

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is required for the browser tests (scripts/test installs it)"
    with _serve(sqlite_settings) as site, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
            page.goto(f"{site.url}/staff/login?next=%2Fstaff%2Flibraries%2FQTR")
            page.fill("#token", STAFF_TOKEN)
            page.locator("form.login-form button[type=submit]").click()
            page.wait_for_url(f"{site.url}/staff/libraries/QTR")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert page.get_by_text(LONG_ID).is_visible()
            widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth]")
            assert max(widths) <= 390, widths  # long identifiers, URLs and raw bytes wrap inside their boxes
        finally:
            browser.close()
