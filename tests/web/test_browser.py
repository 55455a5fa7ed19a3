"""The pages in real headless Chromium (Debian's /usr/bin/chromium), against the real app on loopback."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from pymarc import parse_xml_to_array

from .conftest import login, merged_cluster_with

pytestmark = pytest.mark.browser


def test_unaccented_search_then_facet_click(page, site):
    page.goto(site.url + "/")
    page.get_by_label("Từ khóa").fill("lich su nghe an")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url(re.compile(r"q=lich\+su\+nghe\+an"))
    total = int(page.locator(".results-head .total").inner_text().replace(".", ""))
    assert total >= 1
    titles = page.locator(".hit-title").all_inner_texts()
    assert "Lịch sử Nghệ An" in titles  # the accented title found by an unaccented query

    facet = page.locator("#facet-library ~ ul a", has_text="Thư viện Thử nghiệm")
    count = int(facet.locator(".count").inner_text().replace(".", ""))
    facet.click()
    page.wait_for_url(re.compile(r"library=TST"))
    assert int(page.locator(".results-head .total").inner_text().replace(".", "")) == count
    chip = page.locator(".active-filters a.chip", has_text="Thư viện Thử nghiệm")
    assert chip.count() == 1
    for line in page.locator(".hit-libraries").all_inner_texts():
        assert "Thư viện Thử nghiệm" in line
    chip.click()  # removing the filter brings the wider result back
    page.wait_for_url(lambda url: "library=" not in url)
    assert int(page.locator(".results-head .total").inner_text().replace(".", "")) == total


def test_record_page_shows_holdings_by_province(page, site):
    page.goto(site.url + "/?q=lich+su+nghe+an")
    page.locator(".hit-title a", has_text="Lịch sử Nghệ An").first.click()
    page.wait_for_url(re.compile(r"/records/"))
    assert page.locator("h1").inner_text().startswith("Lịch sử Nghệ An")
    held = page.locator(".held-by")
    provinces = held.locator("h3").all_inner_texts()
    assert provinces == ["Nghệ An", "Thanh Hóa"]  # grouped by province, Vietnamese order
    text = held.inner_text()
    assert "959.742 L302S" in text and "9(V)2 L302S" in text
    assert "Thư viện tỉnh Thanh Hóa" in text and "Thư viện Thử nghiệm" in text
    opac = held.locator(".opac a").first
    assert opac.get_attribute("href").startswith("https://opac.")
    # subjects are search links
    page.locator(".fields a", has_text="Lịch sử").first.click()
    page.wait_for_url(re.compile(r"subject="))
    assert page.locator(".active-filters").count() == 1


def test_export_download(page, site):
    page.goto(f"{site.url}/records/{site.merged_id}")
    with page.expect_download() as info:
        page.get_by_role("link", name="MARCXML").click()
    download = info.value
    assert download.suggested_filename == f"{site.merged_id}.xml"
    records = parse_xml_to_array(download.path())
    assert len(records) == 1
    rec = records[0]
    assert rec["001"].data == site.merged_id
    assert rec["245"]["a"].startswith("Lịch sử Nghệ An")
    assert {f["a"] for f in rec.get_fields("852")} == {"THA", "TST"}
    with page.expect_download() as info:
        page.get_by_role("link", name="RIS").click()
    ris = open(info.value.path(), encoding="utf-8").read()
    assert ris.startswith("TY  - BOOK") and "TI  - Lịch sử Nghệ An" in ris and ris.rstrip().endswith("ER  -")


def test_english_interface_is_remembered(page, site):
    page.goto(site.url + "/?q=nghe+an")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Search").count() == 1
    page.goto(site.url + "/")  # the cookie keeps English
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Tiếng Việt", exact=True).click()
    assert page.locator("html").get_attribute("lang") == "vi"


def test_phone_layout_and_keyboard(browser, site):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(site.url + "/?q=lich+su")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing overflows sideways
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    context.close()


def test_staff_login_and_harvest_from_dashboard(page, site):
    page.goto(site.url + "/staff/")
    page.wait_for_url(re.compile(r"/staff/login"))
    page.fill("#token", "wrong token")
    page.locator("form.login-form button[type=submit]").click()
    assert page.get_by_role("alert").inner_text() == "Mã đăng nhập không đúng."
    login(page, site)
    row = page.locator("table.dashboard tbody tr", has_text="(QBI)")
    before = httpx.get(f"{site.url}/api/v1/libraries/QBI/harvests").json()["harvests"]
    row.get_by_role("button", name=re.compile("Thu thập ngay")).click()
    page.wait_for_url(re.compile(r"/staff/libraries/QBI\?done=harvest"))
    assert page.get_by_role("status").first.inner_text().startswith("Đã bắt đầu thu thập")
    deadline = time.monotonic() + 60
    while True:
        rows = page.locator("table.history tbody tr")
        if rows.count() > len(before) and "Thành công" in rows.first.inner_text():
            break
        assert time.monotonic() < deadline, "the new harvest never appeared in the history"
        time.sleep(0.5)
        page.reload()
    newest = httpx.get(f"{site.url}/api/v1/libraries/QBI/harvests").json()["harvests"][0]
    assert newest["id"] > before[0]["id"] and newest["status"] == "succeeded"
    assert rows.first.locator("td").first.inner_text().startswith(str(newest["id"]))


def test_merge_undone_with_split(page, site):
    cluster_id, member = merged_cluster_with(site, "QTR")
    login(page, site)
    page.goto(f"{site.url}/staff/clusters/{cluster_id}")
    members = page.locator("table.members > tbody > tr")
    n = members.count()
    assert n >= 2
    row = page.locator(f"#member-{member['source_record_id']}")
    assert "QTR" in row.inner_text()
    row.get_by_role("button", name=re.compile("Tách ra")).click()
    page.wait_for_url(re.compile(rf"/staff/clusters/{cluster_id}\?done=split"))
    assert page.locator("table.members > tbody > tr").count() == n - 1
    assert "QTR" not in page.locator("table.members > tbody").inner_text()
    page.get_by_role("link", name=re.compile("Biểu ghi đã tách")).click()  # the record now stands alone
    assert page.locator("table.members > tbody > tr").count() == 1
    assert "QTR" in page.locator("table.members > tbody").inner_text()
    assert "split" in page.locator("section[aria-labelledby=overrides-title]").inner_text()
    # readers see it too: the union record lost QTR, and QTR's record stands alone
    record = httpx.get(f"{site.url}/api/v1/records/{cluster_id}").json()
    assert "QTR" not in record["libraries"]
    hits = httpx.get(f"{site.url}/api/v1/search", params={"q": record["title"], "library": "QTR", "size": 50}).json()
    alone = [h for h in hits["hits"] if h["libraries"] == ["QTR"] and h["id"] != cluster_id]
    assert alone, hits
