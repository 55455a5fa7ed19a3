"""The one exception the normalize stage lets escape."""

from __future__ import annotations


class NormalizeError(Exception):
    """A source record that cannot be normalized; the message is meant for library staff."""
