"""Plain HTTP tests of the pages against the live site: JSON twins, staff auth and CSRF, no 500 on any input,
exports over the API, permalinks of absorbed records, translations."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import hashlib
import io
import re
from pathlib import Path

import httpx
import pymarc
import pytest

from unioncat.web.i18n import EN

from .conftest import STAFF_TOKEN, merged_cluster_with

TEMPLATES = [*Path(__file__).resolve().parents[2].joinpath("src/unioncat/web/templates").glob("*.html"),
             *Path(__file__).resolve().parents[2].joinpath("src/unioncat/staff/templates").glob("*.html")]
BEARER = {"Authorization": f"Bearer {STAFF_TOKEN}"}


def staff_client(site) -> httpx.Client:
    client = httpx.Client(base_url=site.url, timeout=60)
    form = client.get("/staff/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = client.post("/staff/login", data={"csrf": csrf, "token": STAFF_TOKEN, "next": "/staff/"})
    assert r.status_code == 303 and r.headers["location"] == "/staff/"
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_every_template_string_has_an_english_translation():
    pattern = re.compile(r"""_\(\s*(["'])(.+?)\1\s*\)""")
    missing = {m.group(2) for path in TEMPLATES for m in pattern.finditer(path.read_text(encoding="utf-8"))} - set(EN)
    assert not missing, sorted(missing)


def test_search_page_filters_sort_and_paging(site):
    r = httpx.get(site.url + "/", params={"q": "lich su", "sort": "year_desc", "page": "2"})
    assert r.status_code == 200 and 'aria-current="page">2<' in r.text
    api = httpx.get(site.url + "/api/v1/search", params={"q": "lich su", "sort": "year_desc", "page": 2}).json()
    for hit in api["hits"]:
        assert f"/records/{hit['id']}?" in r.text  # the page shows exactly the API's hits, in order
    positions = [r.text.index(f"/records/{h['id']}?") for h in api["hits"]]
    assert positions == sorted(positions)
    year = next(f["value"] for f in api["facets"]["year"])
    filtered = httpx.get(site.url + "/", params={"q": "lich su", "year": year})
    assert filtered.status_code == 200 and "chip-kind" in filtered.text


def test_dashboard_twin(site):
    client = staff_client(site)
    data = client.get("/staff/dashboard.json").json()
    html = client.get("/staff/").text
    assert {lib["code"] for lib in data["libraries"]} >= {"THA", "NAN", "TST"}
    for lib in data["libraries"]:
        assert {"last_success", "last_run", "records", "quarantined", "next_run", "union_records"} <= lib.keys()
        assert lib["name"] in html
    tst = next(lib for lib in data["libraries"] if lib["code"] == "TST")
    assert tst["quarantined"] == 1 and tst["last_run_errors"] >= 0
    assert httpx.get(site.url + "/staff/dashboard.json", headers=BEARER).json()["libraries"] == data["libraries"]


def test_library_page_shows_quarantined_record_with_its_payload(site):
    client = staff_client(site)
    data = client.get("/staff/libraries/TST.json").json()
    html = client.get("/staff/libraries/TST").text
    assert data["quarantined_total"] == 1
    bad = data["quarantined"][0]
    assert bad["identifier"] == "oai:tst.lib.vn:BROKEN1" and bad["error"]
    assert bad["identifier"] in html and "leader" in html.lower()
    raw = client.get(f"/staff/libraries/TST/records/{bad['id']}/raw")
    assert raw.status_code == 200 and b"<leader>x</leader>" in raw.content
    assert "attachment" in raw.headers["content-disposition"]
    assert [h["id"] for h in data["harvests"]] and str(data["harvests"][0]["id"]) in html
    # another library's record id is not reachable through this library
    assert client.get(f"/staff/libraries/THA/records/{bad['id']}/raw").status_code == 404


def test_cluster_twin_shows_evidence(site):
    client = staff_client(site)
    data = client.get(f"/staff/clusters/{site.merged_id}.json").json()
    assert {m["library"] for m in data["members"]} == {"THA", "TST"}
    joined = next(m for m in data["members"] if m["rule"] != "founder")
    assert joined["evidence"] and joined["title"] == "Lịch sử Nghệ An"
    html = client.get(f"/staff/clusters/{site.merged_id}").text
    assert joined["rule"] in html and joined["identifier"] in html
    # each comparison of the matcher, its level and its weight, as staff read them
    assert [c[0] for c in joined["evidence"]["comparisons"]][:3] == ["title", "author", "year"]
    assert 'class="comparisons"' in html and "<td>title</td>" in html


def test_statistics_twin_and_csv(site):
    client = staff_client(site)
    stats = client.get("/staff/statistics.json").json()
    by_code = {row["code"]: row for row in stats["libraries"]}
    assert by_code["TST"]["union_records"] >= 1
    overlap = {row["library"]: row for row in stats["overlap"]}
    assert overlap["TST"]["THA"] >= 1 and overlap["TST"]["THA"] == overlap["THA"]["TST"]
    for row in stats["libraries"]:
        assert row["unique"] + row["shared"] == row["union_records"]
    assert sum(g["source_records"] for g in stats["growth"]) >= sum(r["source_records"] for r in stats["libraries"])
    for table in ("libraries", "overlap", "growth"):
        r = client.get("/staff/statistics.csv", params={"table": table})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert len(rows) >= 2
    lib_rows = list(csv.DictReader(io.StringIO(client.get("/staff/statistics.csv").content.decode("utf-8-sig"))))
    assert {r["code"]: int(r["union_records"]) for r in lib_rows} == {c: r["union_records"] for c, r in by_code.items()}
    html = client.get("/staff/statistics").text
    assert "statistics.csv?table=overlap" in html


def test_staff_requires_login_and_csrf(site):
    anon = httpx.Client(base_url=site.url, timeout=30)
    for path in ("/staff/", "/staff/libraries/THA", "/staff/statistics", f"/staff/clusters/{site.merged_id}"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login?next=")
    for path in ("/staff/dashboard.json", "/staff/libraries/THA.json", "/staff/statistics.json",
                 "/staff/statistics.csv", f"/staff/clusters/{site.merged_id}.json"):
        r = anon.get(path)
        assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
        assert anon.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert anon.post("/staff/libraries/THA/harvest").status_code == 303  # to the login page
    # a forged session cookie is ignored
    anon.cookies.set("unioncat_staff", "eyJzdWIiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5LCJub25jZSI6IngifQ.AAAA", path="/staff")
    assert anon.get("/staff/dashboard.json").status_code == 401
    # logged in, a POST without the CSRF token is refused and starts nothing
    client = staff_client(site)
    before = httpx.get(site.url + "/api/v1/libraries/HUE/harvests").json()["harvests"]
    assert client.post("/staff/libraries/HUE/harvest", data={"csrf": "forged"}).status_code == 403
    assert client.post("/staff/libraries/HUE/harvest").status_code == 403
    assert httpx.get(site.url + "/api/v1/libraries/HUE/harvests").json()["harvests"] == before
    # the login form itself needs its CSRF token
    fresh = httpx.Client(base_url=site.url)
    assert fresh.post("/staff/login", data={"token": STAFF_TOKEN}).status_code == 403


def test_hashed_database_token_logs_in(site):
    from unioncat.db import StaffToken, create_engine, make_sessionmaker, transaction

    async def add_token():
        engine = create_engine(site.settings)
        async with transaction(make_sessionmaker(engine)) as s:
            s.add(StaffToken(name="thu-thu-lan", token_hash=hashlib.sha256(b"db-token-123").hexdigest()))
        await engine.dispose()

    in_thread(add_token)  # Playwright's sync API may own this thread's event loop
    client = httpx.Client(base_url=site.url)
    assert client.get("/staff/dashboard.json", headers={"Authorization": "Bearer db-token-123"}).status_code == 200
    form = client.get("/staff/login")
    r = client.post("/staff/login", data={"csrf": csrf_of(form.text), "token": "db-token-123"})
    assert r.status_code == 303
    assert client.get("/staff/").status_code == 200
    assert "db-token-123" not in str(client.cookies.jar)  # the session names the owner, never the token


def in_thread(coro_fn):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro_fn()).result()


def test_exports_over_the_api(site):
    base = f"{site.url}/api/v1/records/{site.merged_id}"
    record = httpx.get(base).json()
    marc = httpx.get(base, params={"format": "marc"})
    assert marc.status_code == 200 and marc.headers["content-type"] == "application/marc"
    rec = next(pymarc.MARCReader(marc.content, to_unicode=True, force_utf8=True))
    assert rec["001"].data == site.merged_id and rec.leader[9] == "a"
    assert rec["245"]["a"].startswith("Lịch sử Nghệ An")
    assert {f["a"] for f in rec.get_fields("035")} >= {f"({m['library']}){m['identifier']}" for m in record["members"]}
    bib = httpx.get(base, params={"format": "bibtex"}).text
    assert bib.startswith("@book{") and "title = {Lịch sử Nghệ An}" in bib
    js = httpx.get(base, params={"format": "json", "download": "1"})
    assert js.json() == record and "attachment" in js.headers["content-disposition"]
    assert httpx.get(base, params={"format": "pdf"}).status_code == 400


def test_merge_absorbs_a_record_and_its_permalink_redirects(site):
    first, _ = merged_cluster_with(site, "HUE", min_libraries=2)
    hits = httpx.get(site.url + "/api/v1/search", params={"library": "DHV", "size": 100}).json()["hits"]
    other = next(h["id"] for h in hits if h["libraries"] == ["DHV"])
    libraries_before = set(httpx.get(f"{site.url}/api/v1/records/{first}").json()["libraries"])
    client = staff_client(site)
    page = client.get(f"/staff/clusters/{first}")
    r = client.post(f"/staff/clusters/{first}/merge", data={"csrf": csrf_of(page.text), "other": other})
    assert r.status_code == 303 and "?done=always" in r.headers["location"]
    # the older union id survives (dedup's rule for merges); the other one redirects to it
    survivor = r.headers["location"].split("/staff/clusters/")[1].split("?")[0]
    absorbed = other if survivor == first else first
    assert survivor in (first, other)
    merged = httpx.get(f"{site.url}/api/v1/records/{survivor}").json()
    assert set(merged["libraries"]) == libraries_before | {"DHV"}
    for path in (f"/records/{absorbed}", f"/api/v1/records/{absorbed}"):
        moved = httpx.get(site.url + path)
        assert moved.status_code == 301 and moved.headers["location"].endswith(f"/records/{survivor}")
    assert client.get(f"/staff/clusters/{absorbed}").status_code == 301
    # merging with nothing, or with itself, is refused with a page, not a 500
    assert client.post(f"/staff/clusters/{survivor}/merge",
                       data={"csrf": csrf_of(page.text), "other": survivor}).status_code == 400
    assert client.post(f"/staff/clusters/{survivor}/merge",
                       data={"csrf": csrf_of(page.text), "other": "unope"}).status_code == 400


MALFORMED_GETS = [
    "/?page=abc", "/?page=-1", "/?page=999999999999999999999", "/?size=1000&sort=drop+table",
    "/?year_from=abc&year_to=99999", "/?year=notayear", "/?year=12345678901234567890", "/?q=%00%01%02",
    "/?q=" + "a" * 20000, "/?q=%22%22%22*:*((", "/?library=%00&format=&language=x" + "&subject=s" * 40,
    "/?q=title:&q=isbn:abc", "/?lang=xx", "/?q=%ED%A0%80", "/records/", "/records/%00", "/records/" + "u" * 500,
    "/records/..%2F..%2Fetc%2Fpasswd", "/records/u-missing?back=//evil.example", "/static/..%2F..%2Fapp.py",
    "/api/v1/records/x?format=%00", "/api/v1/search?page=x",
]
MALFORMED_STAFF_GETS = [
    "/staff/libraries/%00", "/staff/libraries/NOPE.json", "/staff/libraries/THA?page=abc",
    "/staff/libraries/THA?page=-5", "/staff/libraries/THA/records/abc/raw", "/staff/libraries/THA/bogus/1/raw",
    "/staff/libraries/THA/records/99999999999999999999/raw", "/staff/clusters/%00", "/staff/clusters/x.json",
    "/staff/clusters/" + "x" * 300, "/staff/statistics.csv?table=%00", "/staff/login?next=//evil.example",
    "/staff/dashboard?done=%00",
]


@pytest.mark.parametrize("path", MALFORMED_GETS)
def test_no_500_on_malformed_reader_input(site, path):
    r = httpx.get(site.url + path, timeout=30)
    assert r.status_code < 500, (path, r.status_code, r.text[:300])


def test_no_500_on_malformed_staff_input(site):
    client = staff_client(site)
    for path in MALFORMED_STAFF_GETS:
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
    csrf = csrf_of(client.get("/staff/").text)
    cluster = site.merged_id
    posts = [
        (f"/staff/clusters/{cluster}/split", {"csrf": csrf, "record_a": "abc"}),
        (f"/staff/clusters/{cluster}/split", {"csrf": csrf, "record_a": "999999999"}),
        (f"/staff/clusters/{cluster}/never-merge", {"csrf": csrf, "record_a": "1", "record_b": "1"}),
        (f"/staff/clusters/{cluster}/explode", {"csrf": csrf}),
        ("/staff/clusters/nope/split", {"csrf": csrf, "record_a": "1"}),
        ("/staff/libraries/NOPE/harvest", {"csrf": csrf}),
        ("/staff/login", {"csrf": "x", "token": "\x00" * 5000}),
    ]
    for path, form in posts:
        r = client.post(path, data=form)
        assert r.status_code < 500 and r.status_code != 303 or path.endswith("login"), (path, r.status_code)
    r = client.post(f"/staff/clusters/{cluster}/split", content=b"\xff\xfe" * 100000,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403
    # the shared record was never changed by any of that
    assert sorted(httpx.get(f"{site.url}/api/v1/records/{cluster}").json()["libraries"]) == ["THA", "TST"]


def test_record_page_not_found_is_an_html_404(site):
    r = httpx.get(site.url + "/records/u-missing")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy biểu ghi" in r.text


def test_merge_refused_whole_when_a_never_merge_stands_between_the_records(site):
    first, member = merged_cluster_with(site, "HTI", min_libraries=2)
    hits = httpx.get(site.url + "/api/v1/search", params={"library": "QTR", "size": 100}).json()["hits"]
    other = next(h["id"] for h in hits if h["libraries"] == ["QTR"])
    other_member = httpx.get(f"{site.url}/api/v1/records/{other}").json()["members"][0]
    never = httpx.post(site.url + "/api/v1/overrides", headers=BEARER, timeout=60, json={
        "kind": "never", "record_a": member["source_record_id"], "record_b": other_member["source_record_id"]})
    assert never.status_code == 201, never.text
    before = httpx.get(f"{site.url}/api/v1/records/{first}").json()["libraries"]
    client = staff_client(site)
    page = client.get(f"/staff/clusters/{first}")
    refused = client.post(f"/staff/clusters/{first}/merge", data={"csrf": csrf_of(page.text), "other": other})
    assert refused.status_code == 400 and "never-merge" in refused.text and "<html" in refused.text.lower()
    assert httpx.get(f"{site.url}/api/v1/records/{first}").json()["libraries"] == before  # nothing half-merged
    assert httpx.get(f"{site.url}/api/v1/records/{other}").status_code == 200


def test_search_page_says_what_it_searched_and_when_marks_were_ignored(site):
    telex = httpx.get(site.url + "/", params={"q": "lichj suwr"})  # Telex keys left in: "lịch sử"
    assert telex.status_code == 200 and "Đang tìm" in telex.text and "lịch sử" in telex.text
    api = httpx.get(site.url + "/api/v1/search", params={"q": "lichj suwr"}).json()
    assert api["interpreted_query"] == "lịch sử" and api["total"] > 0
    wrong = httpx.get(site.url + "/api/v1/search", params={"q": "lích sử"}).json()  # a mark error on "lịch"
    assert wrong["accent_fallback"] is True and wrong["total"] > 0
    page = httpx.get(site.url + "/", params={"q": "lích sử"})
    assert 'class="accent-fallback"' in page.text
