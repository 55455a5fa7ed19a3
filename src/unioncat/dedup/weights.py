"""The matcher's weights: how much each field comparison says for or against "same manifestation".

In the spirit of Fellegi–Sunter: every comparison of two records lands on one level, and each level carries a
weight, roughly log2(m/u), where m is how often the level is seen on true duplicates and u how often on
look-alike non-duplicates. The weights were first set from those frequencies on the labelled pairs of
`bench/dedup_quality.py` (real LC records and Vietnamese records re-catalogued with real variations, plus hard
non-duplicates: editions, volumes, translations, reprints, the same author's other books) and then rounded so
the rules below read as a cataloguer would put them. The sum decides: THRESHOLD or more is a match.

What the threshold means in words:
- the same title, first author and year match (8 + 4 + 2 = 14); with another binding's ISBN (-5) the publisher
  or the extent must agree too (14 - 5 + 1.5 = 10.5);
- one typing error in the title needs the author and year (5 + 4 + 2 = 11);
- a title that extends the other ("Truyện Kiều" / "Truyện Kiều : Đoạn trường tân thanh") needs the author, the
  year and the publisher (3.5 + 4 + 2 + 1.5 = 11);
- without any author, the title, year and publisher must agree (8 + 2 + 1.5 = 11.5); title and year alone are
  not enough (10 - 0.5 ... without a publisher on one side 10 is reached only with the extent);
- with the author on one side only, the year and the publisher must agree too (8 - 1 + 2 + 1.5 = 10.5);
- a short title ("Thơ", "Thuốc nam") says less (6.5): without an author it needs the year and the publisher;
- a different first author outweighs everything descriptive (-6).
Identifiers (ISBN, LCCN, 035 with its source, ISSN of a serial) shared by both records decide on their own when
the titles agree; vetoes (matching.vetoes) come before any of this.

Change a weight, the threshold or a rule of comparison, and bump SCORER_VERSION: every record is matched again
on the next `unioncat process` (union ids stay stable; absorbed ids redirect).
"""

from __future__ import annotations

SCORER_VERSION = "2"  # "1": the exact rules before the scorer; part of every match fingerprint

THRESHOLD = 10.0

# level -> weight, with the reason for each
TITLE = {
    "exact": 8.0,        # the same title once folded (case, marks, tone placement, punctuation, article, volume)
    "exact_short": 6.5,  # the same, but short (under 3 words or 15 letters: "Thơ", "Thuốc nam"): many books
    "similar": 5.0,      # one to three letters apart by length (typing, OCR, Telex leftovers): matching._typing_error
    "reordered": 4.0,    # the same words in another order ("Nghệ An dân gian" / "Dân gian Nghệ An")
    "extends": 3.5,      # one title is the other plus more words (subtitle in $a): often, not always, the same
    "differs": -8.0,     # nothing above: other books share an author and a year all the time
}
TITLE_MARKS_DIFFER = -1.0  # folded equal but the marks differ ("Đề" / "Dê"): a mark error, or another word
AUTHOR = {
    "same": 4.0,         # the same person (any name order, initials, inverted or direct)
    "similar": 2.0,      # a typing error in the name: ratio >= 0.9
    "in_statement": 3.0,  # no main entry on one side, but the name is in its statement of responsibility
    "one_missing": -1.0,  # libraries omit the 1xx often, but so does a record of another, anonymous book
    "none": 0.0,         # neither has one (anonymous works, corporate bodies catalogued as titles)
    "differs": -6.0,     # two named first authors who differ: another book
}
YEAR = {"same": 2.0, "adjacent": -1.0, "missing": -0.5}  # adjacent: printing vs edition date, 008 vs 260
PUBLISHER = {"same": 1.5, "missing": 0.0, "differs": -3.0}  # compared without "Nxb.", "NXB", "Nhà xuất bản"
PAGES = {"same": 1.5, "close": 0.0, "missing": 0.0}  # same: within 2 %; close: within 10 % (beyond: a veto)
# neighbour: all but the last title digit equal (a publisher's hardback and paperback of one edition);
# disjoint: another binding from elsewhere, or an edition nobody stated
ISBN = {"shared": 10.0, "neighbour": -1.0, "disjoint": -5.0, "missing": 0.0}
EDITION = {"same": 1.0, "one_sided": -8.0, "none": 0.0}  # "2nd ed." on one record only: without a shared
# identifier the other is taken for the first edition (a mere new printing is not an edition: statements.py)
IDENTIFIER_SHARED = 10.0  # LCCN, 035 with its source, ISSN of a serial
