"""The search stage: union records in a search engine, queried by the API.

`open_backend(settings)` is the one place that chooses the engine: tantivy in the data dir when
`UNIONCAT_OPENSEARCH_URL` is unset, OpenSearch otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from unioncat.search.backend import (
    FACETS,
    BadQuery,
    FacetValue,
    Hit,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)

if TYPE_CHECKING:
    from unioncat.settings import Settings

__all__ = [
    "FACETS",
    "BadQuery",
    "FacetValue",
    "Hit",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "SearchUnavailable",
    "open_backend",
]


def open_backend(settings: Settings) -> SearchBackend:
    """The configured search backend: OpenSearchBackend(url, alias) when an OpenSearch URL is set, else
    TantivyBackend(settings.index_dir). Opening is cheap: nothing is contacted before the first call."""
    if settings.opensearch_url:
        from unioncat.search.opensearch_backend import OpenSearchBackend

        return OpenSearchBackend(settings.opensearch_url, settings.opensearch_index)
    from unioncat.search.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)
