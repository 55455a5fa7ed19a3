"""`unioncat import`: ISO 2709 and MARCXML files (real ones from tests/data/marc) through the harvest store."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pymarc
import pytest
from lxml import etree
from sqlalchemy import select

from conftest import TESTDATA
from harvesters.marc_files import control_number_iso2709, import_files, iso2709_problem, read_marc, split_iso2709
from unioncat.db.tables import QuarantinedRecord
from .harvest_helpers import add_library, get_run, harvest_errors, source_rows

MARC_DATA = TESTDATA / "marc"
MARC = "{http://www.loc.gov/MARC21/slim}"


def test_split_iso2709_survives_broken_framing():
    # pymarc's permissive-reader stream: 9 chunks, several with broken leaders/directories, the last truncated
    records = list(split_iso2709((MARC_DATA / "pymarc/bad_records.mrc").read_bytes()))
    assert len(records) == 9
    assert records[-1][1] and "terminator" in records[-1][1]
    # a record 2 bytes longer than its leader says does not swallow or cut its neighbours
    data = (MARC_DATA / "marc4j/bad_too_long_plus_2.mrc").read_bytes()
    chunks = [c for c, _ in split_iso2709(data)]
    assert len(chunks) == 3 and b"".join(chunks) == data
    assert all(c.endswith(b"\x1d") for c in chunks)


def test_missing_terminator_is_cut_at_the_leader_length():
    data = (MARC_DATA / "pymarc/marc.dat").read_bytes()
    originals = [c for c, _ in split_iso2709(data)]
    assert len(originals) == 20
    damaged = originals[0][:-1] + b"".join(originals[1:])  # first record loses its terminator
    chunks = list(split_iso2709(damaged))
    assert len(chunks) == 20
    assert [c for c, _ in chunks[1:]] == originals[1:]
    assert "terminator missing" in chunks[0][1]


async def test_import_iso2709_and_marcxml_files(sessions, db_settings, tmp_path):
    await add_library(sessions, "LB", None)
    files = [MARC_DATA / "pymarc/marc.dat", MARC_DATA / "pymarc/batch.xml", MARC_DATA / "hbz_alma/990001412590206441.xml"]
    summary = await import_files(sessions, db_settings, "LB", files)
    assert summary.status == "succeeded", summary.error
    assert summary.kind == "import" and summary.records_new == 23
    rows = await source_rows(sessions, "LB")
    assert len(rows) == 23
    iso = rows["11778504"]  # 001 of the first record of marc.dat
    assert iso.raw_format == "iso2709" and iso.raw == (MARC_DATA / "pymarc/marc.dat").read_bytes()[:1060]
    xml = rows["5637241"]
    assert xml.raw_format == "marcxml" and etree.fromstring(xml.raw).tag == MARC + "record"
    alma = etree.fromstring(rows["990001412590206441"].raw)  # un-namespaced Alma export gets the MARC namespace
    assert alma.tag == MARC + "record" and alma.find(MARC + "leader") is not None
    run = await get_run(sessions, summary.run_id)
    assert (run.kind, run.status, run.records_new) == ("import", "succeeded", 23)

    again = await import_files(sessions, db_settings, "LB", files)  # re-import: nothing changes
    assert (again.records_new, again.records_updated, again.records_unchanged) == (0, 0, 23)


async def test_a_broken_record_does_not_lose_its_neighbours(sessions, db_settings):
    await add_library(sessions, "LC", None)
    files = [MARC_DATA / "ruby-marc/three-records-second-bad.xml", MARC_DATA / "marc4j/bad_hathi_records.mrc"]
    summary = await import_files(sessions, db_settings, "LC", files)
    assert summary.status == "succeeded_with_errors"
    assert summary.records_failed == 1  # the ill-formed MARCXML record, quarantined with its bytes
    rows = await source_rows(sessions, "LC")
    # records 1 and 3 of the XML file share 001 (one row); all 5 HathiTrust records, one of them > 99999 bytes
    assert "afc99990058366" in rows and len(rows) == 1 + 5
    assert any(len(r.raw) > 1_000_000 for r in rows.values())
    assert await harvest_errors(sessions, summary.run_id) == []  # harvest_errors keeps file-level problems only
    [entry] = await quarantined(sessions, summary.run_id)
    data = (MARC_DATA / "ruby-marc/three-records-second-bad.xml").read_bytes()
    start, end = record_spans(data)[1]
    assert entry.raw == data[start:end] and entry.source == "import"
    assert entry.position == f"three-records-second-bad.xml, record 2 (byte {start})"
    assert entry.identifier == "afc99990058366" and summary.quarantined == ["afc99990058366"]
    # the bad byte is on line 72 of the file, line 18 of the record
    assert "invalid character in attribute value (line 18, column 29 of the record)" in entry.error


async def test_import_for_an_unknown_library_fails_cleanly(sessions, db_settings):
    summary = await import_files(sessions, db_settings, "NOPE", [MARC_DATA / "pymarc/marc.dat"])
    assert summary.status == "failed" and "NOPE" in summary.error


# --- damaged files: each broken record quarantined alone, a file that is not MARC refused whole -------------


def marcxml_from(iso_file: Path, count: int) -> bytes:
    """A MARCXML collection (default namespace, a record a line) of the first records of a real ISO 2709 file."""
    records = list(pymarc.MARCReader(io.BytesIO(iso_file.read_bytes())))[:count]
    lines = [pymarc.record_to_xml(r, namespace=False) for r in records]
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
            + b"\n".join(lines) + b"\n</collection>\n")


def record_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each <record>...</record> of a well-formed test file."""
    starts = [m.start() for m in re.finditer(rb"<(marc:)?record[\s>]", data)]
    ends = [m.end() for m in re.finditer(rb"</(marc:)?record>", data)]
    return list(zip(starts, ends))


async def quarantined(sessions, run_id: int | None = None) -> list[QuarantinedRecord]:
    query = select(QuarantinedRecord).order_by(QuarantinedRecord.id)
    if run_id is not None:
        query = query.where(QuarantinedRecord.run_id == run_id)
    async with sessions() as session:
        return list((await session.execute(query)).scalars())


async def test_marcxml_file_cut_off_in_its_second_record(sessions, db_settings, tmp_path):
    await add_library(sessions, "LD", None)
    data = (MARC_DATA / "pymarc/batch.xml").read_bytes()
    (start1, _), (start2, end2) = record_spans(data)
    cut = start2 + (end2 - start2) // 2
    path = tmp_path / "batch.xml"
    path.write_bytes(data[:cut])  # the upload stopped in the middle of record 2 (of 2)

    summary = await import_files(sessions, db_settings, "LD", [path])
    assert summary.status == "succeeded_with_errors"
    assert (summary.records_new, summary.records_failed) == (1, 1)
    assert "5637241" in await source_rows(sessions, "LD")
    [entry] = await quarantined(sessions, summary.run_id)
    assert entry.raw == data[start2:cut].rstrip()  # its bytes exactly as in the file
    assert entry.position == f"batch.xml, record 2 (byte {start2})" and entry.url == "batch.xml"
    assert entry.source == "import" and entry.status == "open"
    assert entry.error.startswith("MARCXML record not well-formed: ") and " of the record)" in entry.error
    assert summary.quarantined == [entry.identifier or entry.position]
    assert any("cut short" in w for w in summary.warnings)  # no </collection>: later records may be missing
    run = await get_run(sessions, summary.run_id)
    assert (run.status, run.records_failed) == ("succeeded_with_errors", 1)
    assert await harvest_errors(sessions, summary.run_id) == []  # records go to the quarantine, not here


async def test_a_record_cut_short_costs_only_itself(sessions, db_settings, tmp_path):
    await add_library(sessions, "LE", None)
    data = marcxml_from(MARC_DATA / "pymarc/marc.dat", 20)
    spans = record_spans(data)
    start2, end2 = spans[1]
    cut = start2 + (end2 - start2) // 2  # record 2 loses its second half; record 3 follows on the next line
    path = tmp_path / "books.xml"
    path.write_bytes(data[:cut] + data[end2:])

    summary = await import_files(sessions, db_settings, "LE", [path])
    assert summary.status == "succeeded_with_errors"
    assert (summary.records_new, summary.records_failed) == (19, 1)
    rows = await source_rows(sessions, "LE")
    assert "12515882" not in rows and {"11778504", "13610512"} <= rows.keys()
    [entry] = await quarantined(sessions, summary.run_id)
    assert entry.raw == data[start2:cut]
    assert entry.identifier == "12515882" and summary.quarantined == ["12515882"]
    assert entry.position == f"books.xml, record 2 (byte {start2})"
    # line and column within the record, as if the record were parsed alone (the namespace we add is not counted)
    with pytest.raises(etree.XMLSyntaxError) as alone:
        etree.fromstring(entry.raw)
    line, column = alone.value.position
    assert f"(line {line}, column {column} of the record)" in entry.error


async def test_a_record_without_its_end_tag_does_not_take_the_next_one_down(sessions, db_settings, tmp_path):
    await add_library(sessions, "LF", None)
    data = marcxml_from(MARC_DATA / "pymarc/marc.dat", 6)
    start5, end5 = record_spans(data)[4]
    damaged = data[:end5 - len(b"</record>")] + data[end5:]  # record 5 has no </record>; record 6 follows
    path = tmp_path / "no-end-tag.xml"
    path.write_bytes(damaged)

    summary = await import_files(sessions, db_settings, "LF", [path])
    assert summary.status == "succeeded_with_errors"
    assert (summary.records_new, summary.records_failed) == (5, 1)
    rows = await source_rows(sessions, "LF")
    assert len(rows) == 5 and "13127962" not in rows
    [entry] = await quarantined(sessions, summary.run_id)
    assert entry.identifier == "13127962" and entry.raw == damaged[start5:end5 - len(b"</record>")]
    assert entry.position == f"no-end-tag.xml, record 5 (byte {start5})"
    assert "line 1, column" in entry.error


async def test_random_bytes_are_refused(sessions, db_settings, tmp_path):
    await add_library(sessions, "LG", None)
    path = tmp_path / "random.mrc"
    path.write_bytes(os.urandom(100_000))

    summary = await import_files(sessions, db_settings, "LG", [path])
    assert summary.status == "failed"
    assert summary.records_new == summary.records_failed == 0 and summary.quarantined == []
    assert summary.error.startswith("random.mrc: not a MARC file (")
    assert await source_rows(sessions, "LG") == {} and await quarantined(sessions) == []
    run = await get_run(sessions, summary.run_id)
    assert run.status == "failed" and run.error == summary.error
    [error] = await harvest_errors(sessions, summary.run_id)
    assert error.message == summary.error and error.payload == path.read_bytes()[:256]


async def test_a_refused_file_does_not_stop_the_good_one(sessions, db_settings, tmp_path):
    await add_library(sessions, "LH", None)
    junk = tmp_path / "scan.pdf"
    junk.write_bytes(b"%PDF-1.4\n" + os.urandom(20_000))

    summary = await import_files(sessions, db_settings, "LH", [junk, MARC_DATA / "pymarc/marc.dat"])
    assert summary.status == "succeeded_with_errors" and summary.error is None
    assert (summary.records_new, summary.records_failed) == (20, 0)
    assert await quarantined(sessions) == []
    refusal = "scan.pdf: not a MARC file (neither MARCXML nor ISO 2709: no record leader and directory found; " \
              "it looks like a PDF document)"
    assert refusal in summary.warnings
    assert [e.message for e in await harvest_errors(sessions, summary.run_id)] == [refusal]
    run = await get_run(sessions, summary.run_id)
    assert run.status == "succeeded_with_errors" and refusal in run.warnings


@pytest.mark.parametrize("data, reason", [
    (b"", "the file is empty"),
    (b"\r\n  \n", "blank"),
    (b"<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Session expired</body></html>",
     "XML whose root element is <html>"),
    (b'<?xml version="1.0"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error/></OAI-PMH>',
     "<OAI-PMH>"),
    (b'<?xml version="1.0"?>\n<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim"/>', "without any"),
    (b"PK\x03\x04" + bytes(200), "a ZIP archive"),
    (b"isbn,title\n9786043026017,Truyen Kieu\n", "no record leader and directory"),
], ids=["empty", "blank", "html", "oai-pmh", "empty-collection", "zip", "csv"])
def test_files_that_are_not_marc(data, reason):
    content = read_marc(data, "upload")
    assert content.records == [] and reason in content.refused


async def test_an_iso2709_record_with_a_damaged_directory(sessions, db_settings, tmp_path):
    await add_library(sessions, "LI", None)
    data = (MARC_DATA / "pymarc/marc.dat").read_bytes()
    chunks = [c for c, _ in split_iso2709(data)]
    fifth = chunks[4]
    assert iso2709_problem(fifth) is None and control_number_iso2709(fifth) == "13127962"
    broken = fifth[:24 + 12 * 3 + 5] + b"x" + fifth[24 + 12 * 3 + 6:]  # a digit of entry 4's length, same size
    path = tmp_path / "marc.dat"
    path.write_bytes(b"".join(chunks[:4]) + broken + b"".join(chunks[5:]))

    summary = await import_files(sessions, db_settings, "LI", [path])
    assert summary.status == "succeeded_with_errors"
    assert (summary.records_new, summary.records_failed) == (19, 1) and summary.quarantined == ["13127962"]
    rows = await source_rows(sessions, "LI")
    assert "13127962" not in rows and all(rows[control_number_iso2709(c)].raw == c for c in chunks[3:6:2])
    [entry] = await quarantined(sessions, summary.run_id)
    assert entry.raw == broken and entry.identifier == "13127962"
    assert entry.position == f"marc.dat, record 5 (byte {sum(map(len, chunks[:4]))})"
    assert "directory entry 4" in entry.error

    # the library sends the file again, undamaged: the open entry is resolved by the good copy of its 001
    fixed = await import_files(sessions, db_settings, "LI", [MARC_DATA / "pymarc/marc.dat"])
    assert fixed.status == "succeeded" and (fixed.records_new, fixed.records_unchanged) == (1, 19)
    [entry] = await quarantined(sessions)
    assert entry.status == "resolved" and f"run {fixed.run_id}" in entry.resolution


def test_iso2709_leaders_and_directories():
    chunks = [c for c, _ in split_iso2709((MARC_DATA / "pymarc/bad_records.mrc").read_bytes())]
    problems = [iso2709_problem(c) for c in chunks]
    assert [p is None for p in problems] == [True, False, False, False, False, False, False, True, True]
    assert "base address" in problems[5] and "no fields" in problems[6]
    # HathiTrust: a record over 99999 bytes cannot give its length nor its base address, but reads fine
    hathi = [c for c, _ in split_iso2709((MARC_DATA / "marc4j/bad_hathi_records.mrc").read_bytes())]
    assert max(map(len, hathi)) > 99999 and all(iso2709_problem(c) is None for c in hathi)
    # a lone record whose directory breaks further on is a damaged MARC record, not "not a MARC file"
    datos = read_marc((MARC_DATA / "marc4j/datos-20161010-slice.mrc").read_bytes(), "datos.mrc")
    assert datos.refused is None and len(datos.records) == 1 and "directory entry" in datos.records[0].error
