"""OAI-PMH datestamps, granularity, incremental ``from`` and the date windows of a full harvest (pure)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DAY = "YYYY-MM-DD"
MAX_WINDOWS = 400  # a bogus earliestDatestamp (year 1) must not turn into thousands of requests

Window = tuple[str | None, str | None]  # (from, until); None = open


def normalize_granularity(value: str | None) -> tuple[str, str | None]:
    """(granularity, warning). Missing, malformed or unknown values fall back to day granularity."""
    if value and value.strip().upper() == SECONDS.upper():
        return SECONDS, None if value.strip() == SECONDS else f"granularity {value!r} read as {SECONDS}"
    if value and value.strip().upper() == DAY:
        return DAY, None
    return DAY, f"granularity {value!r} missing or invalid: using {DAY}"


def parse_oai_date(value: str | None) -> datetime | None:
    """Lenient: date only, seconds with Z, fractions, offsets, compact 20210311; None when unreadable."""
    if not value:
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_oai_date(when: datetime, granularity: str) -> str:
    return when.strftime("%Y-%m-%d" if granularity == DAY else "%Y-%m-%dT%H:%M:%SZ")


def is_older(datestamp: str | None, than: str | None) -> bool:
    """Strictly older; False when either cannot be read (then the newcomer wins)."""
    if not datestamp or not than:
        return False
    if len(datestamp) == len(than) and (len(than) == 10 or (datestamp[-1] == than[-1] == "Z")) \
            and datestamp[4:5] == than[4:5] == "-":
        return datestamp < than  # the same ISO form in UTC: the strings order like the instants
    a, b = parse_oai_date(datestamp), parse_oai_date(than)
    return a is not None and b is not None and a < b


def from_date_for(watermark: str | None, granularity: str, overlap: int | None = None) -> str | None:
    """The ``from`` of an incremental run: the watermark minus the overlap (default one granularity unit)."""
    when = parse_oai_date(watermark)
    if when is None:
        return None
    if granularity == DAY:
        back = timedelta(days=1) if overlap is None else timedelta(seconds=overlap)
    else:
        back = timedelta(seconds=1 if overlap is None else overlap)
    return format_oai_date(when - back, granularity)


def date_windows(earliest: str | None, end: str | None, granularity: str, days: int | None) -> list[Window]:
    """The windows of a first or full harvest, oldest first (metha's intervals; oai-pmh.md Q5).

    The first window has no ``from`` and the last no ``until``, so a wrong ``earliestDatestamp`` or a
    record stamped after ``end`` is never left out; windows meet without a gap in the granularity.
    One window (no dates at all) when windows are off or the dates cannot be read.
    """
    start, stop = parse_oai_date(earliest), parse_oai_date(end)
    if not days or start is None or stop is None or stop <= start:
        return [(None, None)]
    span = stop - start
    step = timedelta(days=days)
    if span / step > MAX_WINDOWS:
        step = timedelta(seconds=math.ceil(span.total_seconds() / MAX_WINDOWS))
    unit = timedelta(days=1) if granularity == DAY else timedelta(seconds=1)
    bounds: list[datetime] = []
    t = start + step
    while t < stop:
        bounds.append(t.replace(hour=0, minute=0, second=0, microsecond=0) if granularity == DAY
                      else t.replace(microsecond=0))
        t += step
    windows: list[Window] = []
    previous: datetime | None = None
    for bound in bounds:
        if previous is not None and bound <= previous:
            continue
        windows.append((None if previous is None else format_oai_date(previous + unit, granularity),
                        format_oai_date(bound, granularity)))
        previous = bound
    if previous is None:
        return [(None, None)]
    windows.append((format_oai_date(previous + unit, granularity), None))
    return windows


def window_in_days(window: Window) -> Window:
    """The same window at day granularity (a little wider), for servers that refuse seconds."""
    return tuple(None if d is None else d[:10] for d in window)  # type: ignore[return-value]


def has_seconds(window: Window) -> bool:
    return any(d is not None and len(d) > 10 for d in window)
