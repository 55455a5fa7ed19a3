"""The normalize stage: source records (MARCXML, ISO 2709, oai_dc) → CanonicalRecord.

Pure functions: bytes in, a pydantic value out, `NormalizeError` (with a staff-readable message) for
anything that cannot be normalized. No database, no I/O.
"""

from __future__ import annotations

from unioncat.normalize.errors import NormalizeError
from unioncat.normalize.record import CanonicalRecord, Holding, Link, Person

__all__ = ["normalize_source", "NormalizeError", "CanonicalRecord", "Holding", "Link", "Person", "RAW_FORMATS"]

RAW_FORMATS = ("marcxml", "oai_dc", "iso2709")


def normalize_source(raw: bytes, raw_format: str, profile: str = "generic") -> CanonicalRecord:
    """Normalize one source record.

    `raw_format` is "marcxml", "oai_dc" or "iso2709"; `profile` names the ILS quirks to apply
    ("generic", "koha"). Raises NormalizeError, never another exception, for unusable input.
    """
    from unioncat.normalize.dublin_core import dc_to_canonical
    from unioncat.normalize.marc import _parse_marcxml_for_canonical, decode_iso2709, record_to_canonical

    try:
        if raw_format == "marcxml":
            return record_to_canonical(_parse_marcxml_for_canonical(raw), profile=profile)
        if raw_format == "iso2709":
            rec, repairs = decode_iso2709(raw)
            out = record_to_canonical(rec, profile=profile)
            if repairs:
                out.repairs = repairs + out.repairs
            return out
        if raw_format == "oai_dc":
            return dc_to_canonical(raw)
    except NormalizeError:
        raise
    except Exception as exc:  # noqa: BLE001 - the stage's contract: only NormalizeError escapes
        raise NormalizeError(f"could not normalize {raw_format} record: {type(exc).__name__}: {exc}") from exc
    raise NormalizeError(f"unknown raw format {raw_format!r}; expected one of {', '.join(RAW_FORMATS)}")
