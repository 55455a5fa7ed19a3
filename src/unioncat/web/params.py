"""The search page's query string, read leniently, and the links that change it (pure).

A reader's URL never causes an error page: an unknown sort falls back to relevance, a page that is not a
number to page 1, a year that is not a year is ignored. Links keep every parameter except the one they change,
and any change other than paging goes back to page 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from unioncat.search.backend import SearchQuery

FILTERS = ("library", "province", "language", "format", "subject", "year")
SORTS = ("relevance", "year_desc", "year_asc", "title")
PAGE_SIZE = 20
MAX_PAGE = 500  # page * size stays under the backends' result window
MAX_Q = 512
MAX_FILTER_VALUES = 20


def _int(value: str | None, lo: int, hi: int) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if lo <= number <= hi else None


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = PAGE_SIZE

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> "SearchParams":
        params = cls()
        for key, value in items:
            value = value.replace("\x00", "").strip()
            if key == "q":
                params.q = value[:MAX_Q]
            elif key in FILTERS and value:
                values = params.filters.setdefault(key, [])
                if value not in values and len(values) < MAX_FILTER_VALUES:
                    values.append(value[:300])
            elif key == "year_from":
                params.year_from = _int(value, 0, 9999)
            elif key == "year_to":
                params.year_to = _int(value, 0, 9999)
            elif key == "sort" and value in SORTS:
                params.sort = value
            elif key == "page":
                params.page = _int(value, 1, MAX_PAGE) or 1
        return params

    def items(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for name in FILTERS:
            out += [(name, v) for v in self.filters.get(name, [])]
        if self.year_from is not None:
            out.append(("year_from", str(self.year_from)))
        if self.year_to is not None:
            out.append(("year_to", str(self.year_to)))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def to_query(self) -> SearchQuery:
        filters = {k: list(v) for k, v in self.filters.items() if v and k != "year"}
        years = [y for y in self.filters.get("year", []) if y.isdigit() and len(y) <= 4]
        if years:
            filters["year"] = years
        return SearchQuery(q=self.q, filters=filters, year_from=self.year_from, year_to=self.year_to,
                           sort=self.sort, page=self.page, size=self.size)

    @property
    def active(self) -> bool:
        return bool(self.q or any(self.filters.values()) or self.year_from is not None or self.year_to is not None)

    # ---------------------------------------------------------------- links

    def url(self, path: str = "/", **changes) -> str:
        other = SearchParams(self.q, {k: list(v) for k, v in self.filters.items()}, self.year_from, self.year_to,
                             self.sort, self.page, self.size)
        for key, value in changes.items():
            setattr(other, key, value)
        if "page" not in changes:
            other.page = 1
        query = urlencode(other.items())
        return f"{path}?{query}" if query else path

    def has(self, name: str, value: str) -> bool:
        return value in self.filters.get(name, [])

    def with_filter(self, name: str, value: str) -> str:
        filters = {k: list(v) for k, v in self.filters.items()}
        if value not in filters.setdefault(name, []):
            filters[name].append(value)
        return self.url(filters=filters)

    def without_filter(self, name: str, value: str) -> str:
        filters = {k: [v for v in vs if not (k == name and v == value)] for k, vs in self.filters.items()}
        return self.url(filters=filters)

    def toggle(self, name: str, value: str) -> str:
        return self.without_filter(name, value) if self.has(name, value) else self.with_filter(name, value)

    def active_filters(self) -> list[tuple[str, str, str]]:
        """(facet name, value, link that removes it) for every active filter, year range included."""
        out = [(name, v, self.without_filter(name, v)) for name in FILTERS for v in self.filters.get(name, [])]
        if self.year_from is not None:
            out.append(("year_from", str(self.year_from), self.url(year_from=None)))
        if self.year_to is not None:
            out.append(("year_to", str(self.year_to), self.url(year_to=None)))
        return out

    def page_url(self, page: int) -> str:
        return self.url(page=page)
