"""A small real union catalogue for the OAI-PMH provider and SRU tests.

Three member libraries are served as real OAI-PMH endpoints on loopback (`unioncat.demo.oai_server`): THA with
real HathiTrust/LC MARC records and Vietnamese books, NAN and HUE with Vietnamese books, one of them catalogued
by both THA and NAN (merged into one union record). They are harvested by the real harvester and processed by
the real pipeline (normalize → cluster → tantivy) into SQLite or PostgreSQL.
"""

from __future__ import annotations

import shutil
import unicodedata
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from lxml import etree

from conftest import TESTDATA
from harvesters.harvest import harvest_many
from unioncat.app import create_app
from unioncat.db import create_engine, make_sessionmaker, transaction
from unioncat.demo.oai_server import OAIServer
from unioncat.libraries import upsert_library
from unioncat.pipeline import process
from unioncat.search import open_backend
from unioncat.settings import Settings

MARC_NS = "http://www.loc.gov/MARC21/slim"
OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI, "marc": MARC_NS, "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}
HATHI_BIB_RECORDS = 7


def isbn13(stem12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(stem12))
    return stem12 + str((10 - total % 10) % 10)


def vn_marc(control: str, title: str, author: str, isbn: str | None, *, publisher: str = "Nxb. Văn học",
            place: str = "H.", year: int = 2015, subject: str = "Lịch sử", call_number: str = "959.7",
            nfd: bool = False) -> bytes:
    """A MARCXML record built with lxml, as a Vietnamese provincial library catalogues a book."""
    rec = etree.Element(f"{{{MARC_NS}}}record", nsmap={None: MARC_NS})
    etree.SubElement(rec, f"{{{MARC_NS}}}leader").text = "00000nam a2200000 a 4500"

    def control_field(tag, value):
        etree.SubElement(rec, f"{{{MARC_NS}}}controlfield", tag=tag).text = value

    def data_field(tag, ind1, ind2, *subfields):
        field = etree.SubElement(rec, f"{{{MARC_NS}}}datafield", tag=tag, ind1=ind1, ind2=ind2)
        for code, value in subfields:
            etree.SubElement(field, f"{{{MARC_NS}}}subfield", code=code).text = value

    control_field("001", control)
    control_field("008", f"150101s{year}    vm            000 0 vie d")
    if isbn:
        data_field("020", " ", " ", ("a", isbn))
    data_field("100", "0", " ", ("a", author))
    data_field("245", "1", "0", ("a", title + " /"), ("c", author))
    data_field("260", " ", " ", ("a", place + " :"), ("b", publisher + ","), ("c", str(year)))
    data_field("300", " ", " ", ("a", "320 tr. ; 21 cm"))
    data_field("650", " ", "7", ("a", subject))
    data_field("852", " ", " ", ("a", "TV"), ("h", call_number), ("p", "VV" + control))
    xml = etree.tostring(rec, encoding="unicode")
    return unicodedata.normalize("NFD" if nfd else "NFC", xml).encode()


def real_records(path) -> list[tuple]:
    tree = etree.parse(str(path))
    out = []
    for rec in tree.iterfind(".//oai:record", NS):
        ident = rec.findtext("oai:header/oai:identifier", namespaces=NS)
        meta = rec.find("oai:metadata", NS)
        if meta is not None and len(meta):
            out.append((ident, "2024-01-01T00:00:00Z", False, etree.tostring(meta[0]), []))
    return out


ISBN_HISTORY = isbn13("978604958012")
ISBN_KIEU = isbn13("978604000111")

BOOKS = {  # library -> [(identifier, marcxml)]
    "THA": [
        ("oai:tha.lib.vn:T1", vn_marc("T1", "Lịch sử Nghệ An", "Nguyễn Văn A", ISBN_HISTORY, place="Vinh",
                                      publisher="Nxb. Nghệ An")),
        ("oai:tha.lib.vn:T2", vn_marc("T2", "Truyện Kiều", "Nguyễn Du", ISBN_KIEU, year=2005, subject="Văn học")),
        ("oai:tha.lib.vn:T3", vn_marc("T3", "Hoa và đời sống", "Trần Thị Hòa", None, year=1998,
                                      subject="Thực vật")),
    ],
    "NAN": [
        ("oai:nan.lib.vn:N7", vn_marc("N7", "Lịch sử Nghệ An", "Nguyễn, Văn A", ISBN_HISTORY, place="Vinh",
                                      publisher="Nhà xuất bản Nghệ An", call_number="9(V)2 L302S", nfd=True)),
        ("oai:nan.lib.vn:N8", vn_marc("N8", "Địa chí Hà Tĩnh", "Lê Văn Bình", None, year=2010, subject="Địa chí")),
        ("oai:nan.lib.vn:N9", vn_marc("N9", "Đường lên Tây Bắc", "Phạm Đức", None, year=2012, subject="Du ký")),
    ],
    "HUE": [
        ("oai:hue.lib.vn:H1", vn_marc("H1", "Cố đô Huế xưa và nay", "Hồ Xuân Mai", None, year=2001,
                                      subject="Lịch sử")),
        ("oai:hue.lib.vn:H2", vn_marc("H2", "Sông Hương", "Hoàng Phủ Ngọc Tường", None, year=1995,
                                      subject="Văn học")),
    ],
}
LIBRARIES = {"THA": ("Thư viện tỉnh Thanh Hóa", "Thanh Hóa"), "NAN": ("Thư viện tỉnh Nghệ An", "Nghệ An"),
             "HUE": ("Thư viện tỉnh Thừa Thiên Huế", "Huế")}
# union records: 7 real bibliographic records + 8 Vietnamese books - 1 merge
UNION_RECORDS = HATHI_BIB_RECORDS + 8 - 1


@dataclass
class Catalogue:
    settings: Settings
    oai: OAIServer

    def app(self, **overrides):
        return create_app(self.settings.model_copy(update=overrides))

    @asynccontextmanager
    async def client(self, **overrides):
        """An httpx client on the app (in process, lifespan run), base URL http://unioncat.test."""
        app = self.app(**overrides)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://unioncat.test") as client:
                yield client

    async def reharvest(self, *codes: str) -> None:
        engine = create_engine(self.settings)
        sessions = make_sessionmaker(engine)
        try:
            summaries = await harvest_many(sessions, self.settings, codes)
            assert all(s.status == "succeeded" for s in summaries), [s.error for s in summaries]
            backend = open_backend(self.settings)
            try:
                await process(sessions, backend)
            finally:
                backend.close()
        finally:
            await engine.dispose()


async def build_catalogue(settings: Settings, oai: OAIServer) -> Catalogue:
    tha = oai.add_repository("THA", page_size=5)
    tha.put_many(real_records(TESTDATA / "oai/hathitrust/ListRecords_marc21_set_hathitrust_umich.xml"))
    for code, books in BOOKS.items():
        repo = tha if code == "THA" else oai.add_repository(code, page_size=5)
        for identifier, metadata in books:
            repo.put(identifier, "2024-01-02T00:00:00Z", metadata=metadata)
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        async with transaction(sessions) as s:
            for code, (name, province) in LIBRARIES.items():
                await upsert_library(s, code, name=name, province=province, oai_url=oai.base_url(code))
    finally:
        await engine.dispose()
    catalogue = Catalogue(settings, oai)
    await catalogue.reharvest(*LIBRARIES)
    return catalogue


@pytest.fixture(scope="module")
async def catalogue(tmp_path_factory, sqlite_template):
    """A read-only catalogue on SQLite shared by a test module (tests must not change it)."""
    data_dir = tmp_path_factory.mktemp("interop-catalogue")
    shutil.copy(sqlite_template, data_dir / "unioncat.sqlite3")
    with OAIServer() as oai:
        yield await build_catalogue(Settings(data_dir=data_dir), oai)


@pytest.fixture
async def own_catalogue(db_settings):
    """A catalogue of the test's own, on SQLite and on PostgreSQL (tests may change it)."""
    with OAIServer() as oai:
        yield await build_catalogue(db_settings, oai)


@pytest.fixture
async def sqlite_catalogue(sqlite_settings):
    """A catalogue of the test's own on SQLite (tests may change it)."""
    with OAIServer() as oai:
        yield await build_catalogue(sqlite_settings, oai)


def parse(body: bytes) -> etree._Element:
    """Strict, safe parse of a response body (raises on anything not well-formed)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    return etree.fromstring(body, parser)
