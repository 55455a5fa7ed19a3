"""Errors that reach a user, each with its HTTP status. One handler in app.py renders them as
``{"error": "<ClassName>", "detail": "<message>"}``.

    UnioncatError (500)
    ├── NotFound (404)
    │   ├── RecordNotFound
    │   └── LibraryNotFound
    ├── BadRequest (400)
    ├── Unauthorized (401)
    └── Conflict (409)
"""

from __future__ import annotations


class UnioncatError(Exception):
    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(UnioncatError):
    status_code = 404


class RecordNotFound(NotFound):
    pass


class LibraryNotFound(NotFound):
    pass


class BadRequest(UnioncatError):
    status_code = 400


class Unauthorized(UnioncatError):
    status_code = 401


class Conflict(UnioncatError):
    status_code = 409
