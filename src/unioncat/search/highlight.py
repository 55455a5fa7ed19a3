"""Highlighted snippets for a hit: the catalogued text with the words that matched wrapped in <mark>.

Pure, and shared by every adapter so both engines highlight alike. It works on the stored record (the text as
catalogued, in NFC), not on what an engine indexed, so a reader sees "Hoà giải" with its own tone placement
while the folded match still counts: a query word marks every word that folds to the same form (the folded
field matches them all), a phrase or a multi-word term marks a run of consecutive words. Everything between
the marks is HTML-escaped; the result is safe to put into a page as it is.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from unioncat.search.documents import fold, nfc
from unioncat.search.query import ParsedQuery

# Highlight key -> (record keys, query field that may restrict to it)
FIELDS: dict[str, tuple[str, str]] = {
    "title": ("title", "title"),
    "subtitle": ("subtitle", "title"),
    "authors": ("authors", "author"),
    "subjects": ("subjects", "subject"),
    "publisher": ("publisher", "publisher"),
    "series": ("series", "series"),
}
_WORD = re.compile(r"[^\W_]+")
MAX_VALUES = 5  # per field: authors/subjects lists can be long
MAX_CHARS = 300  # a value longer than this is cut around its first mark


def _values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [nfc(str(v)) for v in value if v not in (None, "")]
    return [nfc(str(value))] if str(value) else []


def _sequences(parsed: ParsedQuery) -> list[tuple[str | None, tuple[str, ...]]]:
    """(query field or None, folded word sequence) for every positive term."""
    out = []
    for clause in parsed.must:
        for term in clause:
            if term.field == "isbn":
                continue
            seq = tuple(fold(w) for w in _WORD.findall(nfc(term.text)))
            if seq:
                out.append((term.field, seq))
    return out


_fold_word = lru_cache(maxsize=100_000)(fold)  # words repeat across hits and searches


def _marked_spans(text: str, sequences: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    folded_text = _fold_word(text)
    if not any(seq[0] in folded_text for seq in sequences):  # cheap rejection before tokenizing
        return []
    tokens = [(m.start(), m.end(), _fold_word(m.group())) for m in _WORD.finditer(text)]
    folded = [t[2] for t in tokens]
    marked = [False] * len(tokens)
    for seq in sequences:
        n = len(seq)
        for i in range(len(tokens) - n + 1):
            if tuple(folded[i : i + n]) == seq:
                for k in range(i, i + n):
                    marked[k] = True
    spans: list[tuple[int, int]] = []
    for (start, end, _), is_marked in zip(tokens, marked, strict=True):
        if not is_marked:
            continue
        if spans and text[spans[-1][1] : start].isspace():  # one mark over a run of matched words
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _render(text: str, spans: list[tuple[int, int]]) -> str:
    if len(text) > MAX_CHARS:
        start = max(0, spans[0][0] - MAX_CHARS // 3)
        end = start + MAX_CHARS
        spans = [(max(s, start), min(e, end)) for s, e in spans if e > start and s < end]
        prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    else:
        start, end, prefix, suffix = 0, len(text), "", ""
    out = [prefix]
    pos = start
    for s, e in spans:
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append(suffix)
    return "".join(out)


class Highlighter:
    """Highlights for the hits of one search (the query's word sequences are worked out once)."""

    def __init__(self, parsed: ParsedQuery):
        sequences = _sequences(parsed)
        self.by_field = {
            name: [seq for field, seq in sequences if field is None or field == query_field]
            for name, (_key, query_field) in FIELDS.items()
        }

    def __call__(self, record: dict) -> dict[str, list[str]] | None:
        """{field: [highlighted values]} for the fields where a query word matched; None when nothing did."""
        result: dict[str, list[str]] = {}
        for name, (key, _query_field) in FIELDS.items():
            wanted = self.by_field[name]
            if not wanted:
                continue
            rendered = []
            for value in _values(record.get(key)):
                spans = _marked_spans(value, wanted)
                if spans:
                    rendered.append(_render(value, spans))
                if len(rendered) >= MAX_VALUES:
                    break
            if rendered:
                result[name] = rendered
        return result or None


def highlight(record: dict, parsed: ParsedQuery) -> dict[str, list[str]] | None:
    """{field: [highlighted values]} for the fields where a query word matched; None when nothing did."""
    return Highlighter(parsed)(record)


__all__ = ["FIELDS", "Highlighter", "highlight"]
