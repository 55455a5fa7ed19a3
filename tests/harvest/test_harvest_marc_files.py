"""`unioncat import`: ISO 2709 and MARCXML files (real ones from testdata/marc) through the harvest store."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from harvesters.marc_files import import_files, split_iso2709
from .harvest_helpers import add_library, get_run, harvest_errors, source_rows

MARC_DATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "marc"
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
    assert summary.records_failed == 1  # the ill-formed MARCXML record, kept as an error with its payload
    rows = await source_rows(sessions, "LC")
    # records 1 and 3 of the XML file share 001 (one row); all 5 HathiTrust records, one of them > 99999 bytes
    assert "afc99990058366" in rows and len(rows) == 1 + 5
    assert any(len(r.raw) > 1_000_000 for r in rows.values())
    errors = await harvest_errors(sessions, summary.run_id)
    assert len(errors) == 1 and errors[0].stage == "parse" and b"<record" in errors[0].payload
    assert "three-records-second-bad.xml#2" == errors[0].identifier


async def test_import_for_an_unknown_library_fails_cleanly(sessions, db_settings):
    summary = await import_files(sessions, db_settings, "NOPE", [MARC_DATA / "pymarc/marc.dat"])
    assert summary.status == "failed" and "NOPE" in summary.error
