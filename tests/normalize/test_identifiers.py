"""ISBN, ISSN, LCCN and 035 normalization."""

from __future__ import annotations

import pytest

from unioncat.normalize.identifiers import isbn13, isbn_candidate, issn, lccn, system_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("978-604-1-23456-7", "9786041234567"),
        ("9786041234567 (bìa mềm)", "9786041234567"),
        ("ISBN 978 604 1 23456 7", "9786041234567"),
        ("urn:isbn:9786041234567", "9786041234567"),
        ("0851705774", "9780851705774"),  # ISBN-10 converted
        ("0-85170-577-4 $q pbk.", "9780851705774"),
        ("354040516x (pbk.)", "9783540405160"),  # lowercase x check digit
        ("90 - 5892 - 032 - 1", "9789058920324"),  # real DSpace spacing
    ],
)
def test_valid_isbns_become_isbn13(raw, expected):
    assert isbn13(raw) == expected


@pytest.mark.parametrize("raw", ["978-604-77-9876-5", "9786041234568", "0851705775", "123", "", None, "abc"])
def test_invalid_isbns_are_rejected(raw):
    assert isbn13(raw) is None


def test_invalid_isbn_kept_as_evidence():
    assert isbn_candidate("978-604-77-9876-5 (bìa cứng)") == "9786047798765"
    assert isbn_candidate("no number") is None


def test_issn():
    assert issn("0317-8471") == "0317-8471"
    assert issn("ISSN 03178471") == "0317-8471"
    assert issn("1050-124x") == "1050-124X"
    assert issn("0317-8472") is None  # bad check digit
    assert issn(None) is None


def test_lccn():
    assert lccn("   97112390 ") == "97112390"
    assert lccn("n 78-890351") == "n78890351"
    assert lccn("85-2") == "85000002"
    assert lccn("54004905 //r899") == "54004905"
    assert lccn("") is None


def test_system_number():
    assert system_number("(OCoLC)ocm12345") == "(OCoLC)12345"
    assert system_number("(OCoLC)00012345") == "(OCoLC)12345"
    assert system_number("ocn987654321") == "(OCoLC)987654321"
    assert system_number("(DE-605)HT0123") == "(DE-605)HT0123"
    assert system_number(" (OCoLC) 12345 ") == "(OCoLC)12345"
    assert system_number("") is None
