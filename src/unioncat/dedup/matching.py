"""Pairwise decision: do two records describe the same manifestation? (pure)

Vetoes come first (a false merge hides a book from a reader); then the positive rules.

Strong (identifier) rules — an identifier shared by both records, titles that agree, no veto:
  - "isbn": a valid ISBN-13;  "lccn": the LC control number;  "035": a system number with its source
    ("(OCoLC)12345");  "issn": an ISSN, for serials only (on a book it is usually the series' ISSN).
Weak (descriptive) rules — only without conflicting identifiers, same year, same edition:
  - "title-author-year": the same folded title, the same person as first author (any name order,
    initials allowed) and year;
  - "title-publisher-year": no author on either side, the same title, publisher and year.

A strong match may join two records of one library (the library catalogued the book twice) and
tolerates a year ±1 (imprint date vs 008); a weak match does neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unioncat.dedup.keys import MatchView

STRONG_RULES = ("isbn", "lccn", "035", "issn")
WEAK_RULES = ("title-author-year", "title-publisher-year")


@dataclass(frozen=True)
class Decision:
    match: bool
    rule: str  # a rule above | "veto" | "none"
    score: float
    reasons: list[str] = field(default_factory=list)

    def evidence(self) -> dict:
        return {"rule": self.rule, "score": self.score, "reasons": self.reasons}

    @property
    def strong(self) -> bool:
        return self.match and self.rule in STRONG_RULES


def titles_agree(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    # one library catalogues "Truyện Kiều", another "Truyện Kiều : Đoạn trường tân thanh" in $a
    return len(shorter) >= 8 and longer.startswith(shorter + " ")


def authors_agree(a: str, b: str) -> bool:
    """Author keys (sorted folded tokens) name the same person: equal, or equal but for initials.

    "a nguyen van" / "a nguyen van" (direct and inverted order give one key); "j smith" / "john smith".
    Every token must pair off with one of the other name, equal or as its initial; counts must agree.
    """
    if a == b:
        return bool(a)
    ta, tb = a.split(), b.split()
    if not ta or not tb or len(ta) != len(tb):
        return False
    rest = list(tb)
    for tok in sorted(ta, key=len, reverse=True):  # full words first, so initials take what is left
        hit = next((x for x in rest if x == tok), None)
        if hit is None:
            hit = next((x for x in rest if (len(tok) == 1 and x.startswith(tok)) or (len(x) == 1 and tok.startswith(x))), None)
        if hit is None:
            return False
        rest.remove(hit)
    return True


def vetoes(a: MatchView, b: MatchView) -> list[str]:
    """Reasons two records cannot be the same manifestation, whatever else they share."""
    reasons = []
    if a.format != b.format:
        reasons.append(f"format differs ({a.format} / {b.format})")
    if a.edition != b.edition and a.edition and b.edition:
        reasons.append(f"edition differs ({a.edition} / {b.edition})")
    if a.part != b.part or (a.part_text and b.part_text and a.part_text != b.part_text):
        reasons.append("volume or part differs")
    if a.series_number and b.series_number and a.series_number != b.series_number:
        reasons.append("series numbering differs")
    serial = a.format == "serial" and b.format == "serial"  # 008/07-10 of a serial is when it began, not a copy's year
    if a.year and b.year and abs(a.year - b.year) > 1 and not serial:
        reasons.append(f"year differs ({a.year} / {b.year})")
    if a.pages and b.pages and abs(a.pages - b.pages) > 0.1 * max(a.pages, b.pages) + 1:
        reasons.append(f"pages differ ({a.pages} / {b.pages})")
    if a.issns and b.issns and not (a.issns & b.issns):
        reasons.append("different ISSNs")
    if a.lccn and b.lccn and a.lccn != b.lccn:
        reasons.append(f"different LCCNs ({a.lccn} / {b.lccn})")
    return reasons


def _shared_identifier(a: MatchView, b: MatchView) -> tuple[str, str] | None:
    shared = a.isbns & b.isbns
    if shared:
        return "isbn", f"ISBN {min(shared)}"
    if a.lccn and a.lccn == b.lccn:
        return "lccn", f"LCCN {a.lccn}"
    shared = a.system_numbers & b.system_numbers
    if shared:
        return "035", f"035 {min(shared)}"
    if a.format == "serial" and b.format == "serial":
        shared = a.issns & b.issns
        if shared:
            return "issn", f"ISSN {min(shared)}"
    return None


def decide(a: MatchView, b: MatchView) -> Decision:
    reasons = vetoes(a, b)
    ident = _shared_identifier(a, b)
    agree = titles_agree(a.title, b.title)
    if ident and not agree:
        reasons.append(f"shared {ident[1]} but titles disagree (set or misprinted identifier)")
    if reasons:
        return Decision(False, "veto", 0.0, reasons)
    if ident:
        return Decision(True, ident[0], 1.0, [ident[1], "titles agree"])

    # weak evidence: nothing may contradict it
    if a.year is None or a.year != b.year:
        return Decision(False, "none", 0.0, ["year differs or missing, and no shared identifier"])
    prefix_only = a.title != b.title
    if prefix_only and not titles_agree(a.title, b.title):
        return Decision(False, "none", 0.0, ["titles differ, and no shared identifier"])
    if prefix_only and not (a.publisher and a.publisher == b.publisher):
        return Decision(False, "none", 0.0, ["one title extends the other, and publishers do not confirm it"])
    if a.isbns and b.isbns:
        return Decision(False, "none", 0.0, ["title and year agree but ISBNs differ"])
    if a.edition != b.edition:
        return Decision(False, "none", 0.0, ["one record states an edition, the other does not"])
    if a.language and b.language and a.language != b.language:
        return Decision(False, "none", 0.0, [f"language differs ({a.language} / {b.language}): a translation?"])
    if a.author or b.author:
        if authors_agree(a.author, b.author):
            why = "title extends the other, same publisher" if prefix_only else "same title"
            return Decision(True, "title-author-year", 0.9 - 0.05 * prefix_only, [f"{why}, first author and year"])
        return Decision(False, "none", 0.0, ["first authors differ" if a.author and b.author
                                             else "one record has an author, the other none"])
    if a.publisher and a.publisher == b.publisher:
        return Decision(True, "title-publisher-year", 0.8, ["no author; same title, publisher and year"])
    return Decision(False, "none", 0.0, ["no author and no common publisher"])


def is_exact(decision: Decision) -> bool:
    """Evidence strong enough to put two records of the same library in one cluster."""
    return decision.strong
