"""Standard identifiers: ISBN (via isbnlib), ISSN, LCCN, 035 system numbers. Pure functions."""

from __future__ import annotations

import re

import isbnlib

__all__ = ["isbn13", "isbn_candidate", "issn", "lccn", "system_number"]

# Digits with optional hyphens/spaces, 10 or 13 significant characters, X allowed as a last digit.
_ISBNLIKE = re.compile(r"(?<![0-9])(?:97[89][\s\-]{0,3})?(?:[0-9][\s\-]{0,3}){9}[0-9Xx](?![0-9])")
_ISBN_PREFIX = re.compile(r"^\s*(?:urn:isbn:|isbn(?:-1[03])?\s*[:.]?\s*)", re.IGNORECASE)


def isbn_candidate(s: str | None) -> str | None:
    """The ISBN-looking digits in `s` (hyphens, spaces and qualifiers removed), valid or not.

    Used to keep invalid ISBNs as weak evidence: "978-604-77-9876-5 (bìa mềm)" → "9786047798765".
    """
    if not s:
        return None
    s = _ISBN_PREFIX.sub("", s)
    m = _ISBNLIKE.search(s)
    if not m:
        return None
    return re.sub(r"[\s\-]", "", m.group(0)).upper()


def isbn13(s: str | None) -> str | None:
    """A valid ISBN as ISBN-13, or None.

    Accepts hyphens, spaces, ISBN-10, prefixes ("ISBN", "urn:isbn:") and qualifiers
    ("9786041234567 (bìa mềm)", "$q"); check digits are verified by isbnlib.
    """
    cand = isbn_candidate(s)
    if cand is None:
        return None
    if len(cand) == 13 and isbnlib.is_isbn13(cand):
        return cand
    if len(cand) == 10 and isbnlib.is_isbn10(cand):
        return isbnlib.to_isbn13(cand) or None
    return None


_ISSN = re.compile(r"(?<![0-9])([0-9]{4})\s*[\-\u2010-\u2015]?\s*([0-9]{3}[0-9Xx])(?![0-9])")


def issn(s: str | None) -> str | None:
    """A valid ISSN as "NNNN-NNNC", or None (mod-11 check digit verified)."""
    if not s:
        return None
    m = _ISSN.search(s)
    if not m:
        return None
    digits = (m.group(1) + m.group(2)).upper()
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if digits[7] != expected:
        return None
    return f"{digits[:4]}-{digits[4:]}"


def lccn(s: str | None) -> str | None:
    """LCCN normalized per the Library of Congress rules.

    Blanks removed, anything from "/" on dropped, and "85-2" → "85000002" (the part after a hyphen is
    left-padded with zeros to six digits). "   97112390 " → "97112390", "n 78-890351" → "n78890351".
    """
    if not s:
        return None
    v = re.sub(r"\s+", "", s)
    v = v.split("/", 1)[0]
    if "-" in v:
        left, _, right = v.partition("-")
        if right.isdigit() and len(right) <= 6:
            v = left + right.zfill(6)
        else:
            v = left + right
    v = v.lower()
    return v if re.fullmatch(r"[a-z]{0,3}[0-9]{1,12}", v) else None


_OCLC_PREFIX = re.compile(r"^(?:ocm|ocn|on|ocl7|oc)\s*", re.IGNORECASE)
_SOURCE = re.compile(r"^\s*\(([^)]*)\)\s*(.*)$")


def system_number(s: str | None) -> str | None:
    """A 035 system control number in one form: "(OCoLC)ocm12345" → "(OCoLC)12345".

    The source code in parentheses is kept as written (OCLC spelled "OCoLC"); OCLC numbers lose
    their ocm/ocn/on prefixes and leading zeros; a bare "ocm12345" is taken as OCLC.
    """
    if not s:
        return None
    s = s.strip()
    m = _SOURCE.match(s)
    if m:
        source, number = m.group(1).strip(), re.sub(r"\s+", "", m.group(2))
    else:
        source, number = "", re.sub(r"\s+", "", s)
        if _OCLC_PREFIX.match(number) and _OCLC_PREFIX.sub("", number).isdigit():
            source = "OCoLC"
    if not number:
        return None
    if source.upper() in ("OCOLC", "OCLC"):
        source = "OCoLC"
        digits = _OCLC_PREFIX.sub("", number)
        if digits.isdigit():
            number = digits.lstrip("0") or "0"
    return f"({source}){number}" if source else number
