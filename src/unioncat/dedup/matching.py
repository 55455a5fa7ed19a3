"""Pairwise decision: do two records describe the same manifestation? (pure)

1. Vetoes first (a false merge hides a book from a reader): another format, edition, volume or part, language,
   series number, year (more than one apart), extent (more than 10 %), ISSN or LCCN; a shared identifier on
   records whose titles disagree (a set ISBN, a recycled or misprinted one).
2. Strong evidence: an identifier both records carry (valid ISBN-13, LCCN, 035 with its source, ISSN of a
   serial) and titles that agree. A strong match may join two records of one library (catalogued twice).
3. Otherwise a score: every field comparison lands on a level with a weight (weights.py, with the reason for
   each); the sum against weights.THRESHOLD decides. This is what takes a typing error in a title, a dropped
   article, an author missing on one side, a year from the printing, another binding's ISBN.

The decision's evidence lists every comparison, its level and its weight, for the staff match page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Indel, Levenshtein

from unioncat.dedup import weights as W
from unioncat.dedup.keys import MatchView, marked_key

STRONG_RULES = ("isbn", "lccn", "035", "issn")
SCORED = "score"


@dataclass(frozen=True)
class Decision:
    match: bool
    rule: str  # a strong rule above | "score" | "veto" | "none"
    score: float
    reasons: list[str] = field(default_factory=list)
    comparisons: tuple[tuple[str, str, float], ...] = ()  # (field, level, weight)

    def evidence(self) -> dict:
        out = {"rule": self.rule, "score": self.score, "reasons": self.reasons}
        if self.comparisons:
            out["comparisons"] = [list(c) for c in self.comparisons]
            out["threshold"] = W.THRESHOLD
            out["scorer"] = W.SCORER_VERSION
        return out

    @property
    def strong(self) -> bool:
        return self.match and self.rule in STRONG_RULES


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


def _typing_error(x: str, y: str) -> bool:
    """One or two letters apart (substituted, dropped, doubled), fewer for short titles: at most one edit
    under 14 letters, two up to 40, three beyond (a wrong tone mark is no edit: titles are folded)."""
    n = min(len(x), len(y))
    if n < 8:
        return False
    allowed = 1 if n < 14 else 2 if n <= 40 else 3
    return Levenshtein.distance(x, y, score_cutoff=allowed) <= allowed


def _neighbours(a: frozenset[str], b: frozenset[str]) -> bool:
    """ISBN-13s a publisher gave out together (all but the last title digit equal): the hardback and the
    paperback of one edition usually get such a pair."""
    return any(x[:11] == y[:11] for x in a for y in b)


def _extends(shorter: str, longer: str) -> bool:
    # one library catalogues "Truyện Kiều", another "Truyện Kiều : Đoạn trường tân thanh" in $a
    return len(shorter) >= 8 and longer.startswith(shorter + " ")


def title_level(a: MatchView, b: MatchView) -> str:
    """How the titles compare, the best over each record's forms (title, title + subtitle, variant titles)."""
    if a.titles & b.titles:
        return "exact"
    best = "differs"
    rank = {"differs": 0, "extends": 1, "reordered": 2, "similar": 3}
    for x in a.titles:
        for y in b.titles:
            if rank[best] < 3 and _typing_error(x, y):
                return "similar"
            if rank[best] < 2 and min(len(x), len(y)) >= 10 and sorted(x.split()) == sorted(y.split()):
                best = "reordered"  # the same words in another order (not: some words of the other)
            if rank[best] < 1 and (_extends(x, y) or _extends(y, x)):
                best = "extends"
    return best


def titles_agree(a: MatchView, b: MatchView) -> bool:
    """Enough for an identifier both records carry: anything but "differs"."""
    return title_level(a, b) != "differs"


def vetoes(a: MatchView, b: MatchView) -> list[str]:
    """Reasons two records cannot be the same manifestation, whatever else they share."""
    reasons = []
    if a.format != b.format:
        reasons.append(f"format differs ({a.format} / {b.format})")
    if a.edition != b.edition:  # stated on one side only: the other is taken for the first edition
        reasons.append(f"edition differs ({a.edition_text or 'none'} / {b.edition_text or 'none'})")
    if a.part != b.part:
        reasons.append("volume or part differs")
    elif not a.part and a.part_text != b.part_text:  # "Quyển thượng" / none, "1945-1954" / "1945-1975"
        reasons.append("part name differs")
    if a.series_number and b.series_number and a.series_number != b.series_number:
        reasons.append("series numbering differs")
    if a.language and b.language and a.language != b.language:  # "und" too: a false merge costs more
        reasons.append(f"language differs ({a.language} / {b.language}): a translation")
    if a.translators and b.translators and not (a.translators & b.translators):
        reasons.append("translators differ: another translation")
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


def _author_level(a: MatchView, b: MatchView) -> str:
    if a.author and b.author:
        if authors_agree(a.author, b.author):
            return "same"
        return "similar" if Indel.normalized_similarity(a.author, b.author) >= 0.9 else "differs"
    if not a.author and not b.author:
        return "none"
    named, other = (a, b) if a.author else (b, a)
    if other.responsibility and all(t in other.responsibility.split() for t in named.author.split()):
        return "in_statement"
    return "one_missing"


def comparisons(a: MatchView, b: MatchView, title: str) -> list[tuple[str, str, float]]:
    """Each field's level and weight (weights.py)."""
    if title == "exact" and min(len(t) for t in a.titles & b.titles) < 15 or \
            title == "exact" and min(len(t.split()) for t in a.titles & b.titles) < 3:
        title = "exact_short"
    out = [("title", title, W.TITLE[title])]
    if title.startswith("exact") and a.title == b.title and a.title_text != b.title_text \
            and marked_key(a.title_text) != marked_key(b.title_text):
        out.append(("title marks", "differ", W.TITLE_MARKS_DIFFER))
    author = _author_level(a, b)
    out.append(("author", author, W.AUTHOR[author]))
    year = "missing" if not a.year or not b.year else "same" if a.year == b.year else "adjacent"
    out.append(("year", year, W.YEAR[year]))
    if not a.publisher or not b.publisher:
        publisher = "missing"
    elif a.publisher == b.publisher or _extends(a.publisher, b.publisher) or _extends(b.publisher, a.publisher):
        publisher = "same"  # "Kim Đồng" / "Kim Đồng, Hà Nội"
    else:
        publisher = "differs"
    out.append(("publisher", publisher, W.PUBLISHER[publisher]))
    if a.pages and b.pages:
        pages = "same" if abs(a.pages - b.pages) <= 0.02 * max(a.pages, b.pages) + 1 else "close"
    else:
        pages = "missing"
    out.append(("pages", pages, W.PAGES[pages]))
    isbn = "missing" if not a.isbns or not b.isbns else "shared" if a.isbns & b.isbns else \
        "neighbour" if _neighbours(a.isbns, b.isbns) else "disjoint"
    out.append(("isbn", isbn, W.ISBN[isbn]))
    edition = "none" if not a.edition and not b.edition else "same" if a.edition == b.edition else "one_sided"
    out.append(("edition", edition, W.EDITION[edition]))
    return out


def decide(a: MatchView, b: MatchView) -> Decision:
    reasons = vetoes(a, b)
    ident = _shared_identifier(a, b)
    title = title_level(a, b)
    if ident and title == "differs":
        reasons.append(f"shared {ident[1]} but titles disagree (set or misprinted identifier)")
    if reasons:
        return Decision(False, "veto", 0.0, reasons)
    if title == "differs" and not ident:  # nothing else can make up for it (weights.py): the common case
        return Decision(False, "none", W.TITLE["differs"], ["titles differ, and no shared identifier"])
    compared = comparisons(a, b, title)
    score = round(sum(w for _, _, w in compared), 2)
    levels = {f: level for f, level, _ in compared}
    if ident and levels["author"] == "differs" and title != "exact":
        ident = None  # a shared ISBN, titles only alike, other authors: a recycled ISBN; the score decides
    if ident:
        return Decision(True, ident[0], max(score, W.IDENTIFIER_SHARED), [ident[1], f"titles agree ({title})"],
                        tuple(compared))
    if score >= W.THRESHOLD:
        why = ", ".join(f"{f} {lvl}" for f, lvl, w in compared if w > 0)
        return Decision(True, SCORED, score, [f"score {score} >= {W.THRESHOLD}: {why}"], tuple(compared))
    against = ", ".join(f"{f} {lvl}" for f, lvl, w in compared if w < 0) or "too little agrees"
    return Decision(False, "none", score, [f"score {score} < {W.THRESHOLD}: {against}"], tuple(compared))


def is_exact(decision: Decision) -> bool:
    """Evidence strong enough to put two records of the same library in one cluster."""
    return decision.strong
