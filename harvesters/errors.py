"""Why a harvest failed. Sickle, httpx and lxml exceptions are translated into these at the edge (oai.py).

Named ``HarvestFailure`` so it does not clash with the ``HarvestError`` table (a problem row shown to staff)::

    HarvestFailure
     ├── UnknownLibrary          no such library code, or it has no OAI-PMH URL
     ├── Misconfigured           invalid harvest options, or no usable metadata format offered
     ├── TransportFailure        network error or retryable HTTP status, retries exhausted
     │    ├── HTTPStatusFailure  an HTTP status that is not retried (404, ...) or exhausted retries on one
     │    │    └── AccessDenied  401/403: needs manual intervention, never retried
     │    └── RedirectRefused    https→http, more than 5 hops, a redirect without Location: never retried
     ├── NotOAIResponse          HTML or other non-OAI body (login page, error page)
     ├── MalformedXML            not well-formed even after the safe repairs (truncated page, bad entity)
     ├── PageTooLarge            body above the configured maximum
     ├── OAIError(code)          an OAI-PMH <error>; ``codes`` holds every code of the response
     │    ├── BadResumptionToken never "end of list"
     │    └── NoRecordsMatch     success with zero records on a first request
     └── TokenLoop               a resumption token came back again (A→A or A→B→A)
"""

from __future__ import annotations


class HarvestFailure(Exception):
    """Base class: the harvest of one library cannot go on."""

    retryable = False

    def __init__(self, message: str, *, url: str | None = None, sample: bytes | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.sample = sample  # a sample of the offending body, kept for staff

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class UnknownLibrary(HarvestFailure):
    pass


class Misconfigured(HarvestFailure):
    pass


class TransportFailure(HarvestFailure):
    retryable = True


class RedirectRefused(TransportFailure):
    retryable = False


class HTTPStatusFailure(TransportFailure):
    def __init__(self, status_code: int, message: str | None = None, **kwargs) -> None:
        super().__init__(message or f"HTTP {status_code}", **kwargs)
        self.status_code = status_code


class AccessDenied(HTTPStatusFailure):
    retryable = False


class NotOAIResponse(HarvestFailure):
    retryable = True


class MalformedXML(HarvestFailure):
    retryable = True


class PageTooLarge(HarvestFailure):
    pass


class OAIError(HarvestFailure):
    """An OAI-PMH protocol error. ``code`` is the first code; ``codes`` all of them."""

    def __init__(self, code: str, message: str = "", *, codes: list[str] | None = None, **kwargs) -> None:
        self.code = code
        self.codes = codes or [code]
        text = ", ".join(self.codes) + (f": {message.strip()}" if message and message.strip() else "")
        super().__init__(f"OAI-PMH error {text}", **kwargs)


class BadResumptionToken(OAIError):
    pass


class NoRecordsMatch(OAIError):
    pass


class TokenLoop(HarvestFailure):
    pass


def oai_error(code: str, message: str = "", *, codes: list[str] | None = None, **kwargs) -> OAIError:
    """The most specific OAIError subclass for ``code``."""
    cls = {"badResumptionToken": BadResumptionToken, "noRecordsMatch": NoRecordsMatch}.get(code, OAIError)
    return cls(code, message, codes=codes, **kwargs)
