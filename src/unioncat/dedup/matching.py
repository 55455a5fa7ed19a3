"""Pairwise decision: do two records describe the same manifestation? (pure)

Vetoes come first (a false merge hides a book from a reader); then the positive rules:
  - "isbn": a shared valid ISBN-13 and titles that agree;
  - "title-author-year": the same folded title, first author and year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unioncat.dedup.keys import MatchView


@dataclass(frozen=True)
class Decision:
    match: bool
    rule: str  # "isbn" | "title-author-year" | "veto" | "none"
    score: float
    reasons: list[str] = field(default_factory=list)

    def evidence(self) -> dict:
        return {"rule": self.rule, "score": self.score, "reasons": self.reasons}


def _titles_agree(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    # one library catalogues "Truyện Kiều", another "Truyện Kiều : Đoạn trường tân thanh" in $a
    return len(shorter) >= 8 and longer.startswith(shorter)


def vetoes(a: MatchView, b: MatchView) -> list[str]:
    reasons = []
    if a.format != b.format:
        reasons.append(f"format differs ({a.format} / {b.format})")
    if a.edition != b.edition and a.edition and b.edition:
        reasons.append(f"edition differs ({a.edition} / {b.edition})")
    if a.part != b.part or (a.part_text and b.part_text and a.part_text != b.part_text):
        reasons.append("volume or part differs")
    if a.series_number and b.series_number and a.series_number != b.series_number:
        reasons.append("series numbering differs")
    if a.year and b.year and abs(a.year - b.year) > 1:
        reasons.append(f"year differs ({a.year} / {b.year})")
    if a.pages and b.pages and abs(a.pages - b.pages) > 0.1 * max(a.pages, b.pages) + 1:
        reasons.append(f"pages differ ({a.pages} / {b.pages})")
    if a.issns and b.issns and not (a.issns & b.issns):
        reasons.append("different ISSNs")
    return reasons


def decide(a: MatchView, b: MatchView) -> Decision:
    reasons = vetoes(a, b)
    shared_isbns = a.isbns & b.isbns
    titles_agree = _titles_agree(a.title, b.title)
    if shared_isbns and not titles_agree:
        reasons.append("shared ISBN but titles disagree (set or misprinted ISBN)")
    if reasons:
        return Decision(False, "veto", 0.0, reasons)
    if a.year != b.year and not shared_isbns:
        return Decision(False, "none", 0.0, ["year differs without identifier evidence"])
    if shared_isbns:
        return Decision(True, "isbn", 1.0, [f"ISBN {min(shared_isbns)}", "titles agree"])
    if a.title == b.title and a.author == b.author and a.year == b.year:
        if a.isbns and b.isbns:
            return Decision(False, "none", 0.0, ["title/author/year agree but ISBNs differ"])
        return Decision(True, "title-author-year", 0.9, ["same title, first author and year"])
    return Decision(False, "none", 0.0, [])


def is_exact(decision: Decision) -> bool:
    """Evidence strong enough to put two records of the same library in one cluster."""
    return decision.match and decision.rule == "isbn"
