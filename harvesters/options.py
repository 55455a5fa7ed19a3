"""Per-library harvest options, read from ``libraries.options`` (JSON; reference/oai-pmh.md §6).

Every option has a safe default, so an empty ``{}`` harvests a well-behaved repository::

    {"force_encoding": "cp1258",        # the bytes are in this encoding whatever the XML declaration says
     "leader05_delete": true,           # a MARC record with Leader/05 = "d" is a deletion
     "token_encoding": "verbatim",      # send resumption tokens as received (default: percent-encode once)
     "delay": 2.0,                      # seconds between two requests to this library (politeness)
     "max_connections": 1,              # connections open to this library at once
     "overlap": 3600,                   # seconds re-harvested before the watermark (default one granularity unit)
     "contact": "ops@thuvien.example",  # sent as the From: header and in the User-Agent
     "window_days": 365,                # first/full harvests are listed in date windows of this many days
     "metadata_namespace": "http://www.loc.gov/MARC21/slim",
     "max_page_bytes": 104857600, "max_empty_pages": 10, "tls_ca_bundle": "/etc/ssl/lib.pem",
     "http_method": "GET",
     "quarantine_retries": 200}         # quarantined records tried again with GetRecord per harvest (0: none)

Unknown keys are reported as warnings (a typo must not silently do nothing); invalid values make the run
fail with a clear message instead of harvesting with a wrong configuration.
"""

from __future__ import annotations

import codecs
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harvesters.errors import Misconfigured
from harvesters.oai import DEFAULT_MAX_EMPTY_PAGES, DEFAULT_MAX_PAGE_BYTES

DEFAULT_WINDOW_DAYS = 365


class HarvestOptions(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    force_encoding: str | None = None
    leader05_delete: bool = False
    token_encoding: Literal["standard", "verbatim"] = "standard"
    delay: float = Field(default=0.0, ge=0.0, le=600.0)
    max_connections: int = Field(default=2, ge=1, le=16)
    overlap: int | None = Field(default=None, ge=0, le=90 * 86400)  # seconds; None = one granularity unit
    contact: str | None = None
    window_days: int | None = Field(default=DEFAULT_WINDOW_DAYS, ge=1)  # None or 0: one list, no windows
    metadata_namespace: str | None = None
    max_page_bytes: int = Field(default=DEFAULT_MAX_PAGE_BYTES, ge=1024)
    max_empty_pages: int = Field(default=DEFAULT_MAX_EMPTY_PAGES, ge=1)
    tls_ca_bundle: str | None = None
    http_method: Literal["GET", "POST"] = "GET"
    quarantine_retries: int = Field(default=200, ge=0, le=100_000)

    @field_validator("force_encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return codecs.lookup(value.strip()).name
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None

    @field_validator("window_days", mode="before")
    @classmethod
    def _zero_means_no_windows(cls, value):
        return None if value in (0, False) else value

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if "@" not in value or any(c in value for c in "\r\n"):
            raise ValueError(f"contact must be an e-mail address, got {value!r}")
        return value


def parse_options(raw: dict | None) -> tuple[HarvestOptions, list[str]]:
    """The library's options and warnings about keys that mean nothing; raises Misconfigured."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(HarvestOptions.model_fields))
    try:
        options = HarvestOptions.model_validate(raw)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise Misconfigured(f"invalid harvest options: {details}") from exc
    return options, [f"unknown harvest option {key!r} ignored" for key in unknown]
