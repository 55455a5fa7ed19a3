"""Member-library definitions: one TOML file per library, grouped by consortium.

A definition says who a member is (code, Vietnamese name, province today and before the 2025
reorganisation) and how to harvest it (OAI-PMH endpoint, metadata prefix, set, ILS profile,
schedule). Files live under ``harvesters/libraries/<consortium>/<code>.toml``;
``unioncat libraries load PATH`` reads them through :func:`load_definitions`.

Example::

    code = "THA"
    name = "Thư viện tỉnh Thanh Hóa"
    province = "Thanh Hóa"
    consortium = "bac-mien-trung"
    oai_url = "https://opac.example.vn/cgi-bin/koha/oai.pl"
    profile = "koha"
    schedule = "0 1 * * *"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["BUNDLED_LIBRARIES_DIR", "DefinitionError", "LibraryDefinition", "load_definitions"]

#: The definitions shipped with unioncat (one sub-directory per consortium).
BUNDLED_LIBRARIES_DIR = Path(__file__).resolve().parent / "libraries"


class DefinitionError(ValueError):
    """A definition file cannot be read or does not describe a valid library."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class LibraryDefinition(BaseModel):
    """One member library as declared in its TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    #: Short upper-case code, unique in the union catalogue ("THA", "QBI").
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    #: Current official name, in Vietnamese.
    name: str = Field(min_length=1)
    #: Province (provincial-level unit) the library belongs to today, after 2025-07-01.
    province: str = Field(min_length=1)
    #: Provinces the library belonged to before a merger or rename (e.g. ["Quảng Bình"]).
    former_provinces: list[str] = Field(default_factory=list)
    #: OAI-PMH base URL; None for a library that uploads MARC files (or whose endpoint is not known yet).
    oai_url: str | None = None
    metadata_prefix: str = Field(default="marc21", min_length=1)
    set_spec: str | None = None
    #: ILS profile used by normalization (e.g. Koha 952 holdings).
    profile: Literal["generic", "koha"] = "generic"
    #: Link to a record in the library's own OPAC; ``{id}`` is replaced by the record's 001.
    opac_url: str | None = None
    #: Harvest schedule as a five-field cron expression (Asia/Ho_Chi_Minh); None = the default.
    schedule: str | None = None
    #: Consortium the library is a member of (directory name under ``harvesters/libraries/``).
    consortium: str | None = None
    #: Per-library harvest options (``[options]`` table): delay, force_encoding, leader05_delete, overlap,
    #: contact, window_days … — see ``harvesters/options.py``. Unknown keys or invalid values are refused here.
    options: dict = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _known_options(cls, value: dict) -> dict:
        from harvesters.errors import HarvestFailure
        from harvesters.options import parse_options

        try:
            _parsed, warnings = parse_options(value)
        except HarvestFailure as exc:
            raise ValueError(str(exc)) from exc
        if warnings:
            raise ValueError("; ".join(warnings))
        return value

    @field_validator("oai_url", "opac_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("opac_url")
    @classmethod
    def _has_id_placeholder(cls, value: str | None) -> str | None:
        if value is not None and "{id}" not in value:
            raise ValueError("must contain the {id} placeholder")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and (len(value.split()) != 5 or not croniter.is_valid(value)):
            raise ValueError(f"not a valid five-field cron expression: {value!r}")
        return value

    @field_validator("former_provinces")
    @classmethod
    def _no_blank_province(cls, value: list[str]) -> list[str]:
        if any(not p.strip() for p in value):
            raise ValueError("province names must not be empty")
        return [p.strip() for p in value]

    def opac_link(self, local_id: str) -> str | None:
        """The record's page in the library's own OPAC, if the library has one."""
        return self.opac_url.replace("{id}", local_id) if self.opac_url else None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(file)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _load_file(path: Path) -> LibraryDefinition:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(path, f"invalid TOML: {exc}") from exc
    except OSError as exc:
        raise DefinitionError(path, f"cannot read: {exc}") from exc
    try:
        return LibraryDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(path, f"invalid library definition: {_describe(exc)}") from exc


def load_definitions(path: Path) -> list[LibraryDefinition]:
    """Read one TOML file, or every ``*.toml`` under a directory (recursively, in path order).

    Raises :class:`DefinitionError` naming the offending file for unreadable or invalid content,
    and for a library code declared twice.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.toml") if p.is_file())
    elif path.is_file():
        files = [path]
    else:
        raise DefinitionError(path, "no such file or directory")
    definitions: list[LibraryDefinition] = []
    seen: dict[str, Path] = {}
    for file in files:
        definition = _load_file(file)
        if definition.code in seen:
            raise DefinitionError(file, f"library code {definition.code} already defined in {seen[definition.code]}")
        seen[definition.code] = file
        definitions.append(definition)
    return definitions
