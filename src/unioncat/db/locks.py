"""Locks across processes: the web app, `unioncat schedule`, a cron/systemd `unioncat harvest` and a staff
override may all touch the same database. PostgreSQL advisory locks there; a lock file next to the SQLite
database otherwise (fcntl, released by the OS if the process dies, so a SIGKILL never leaves a stale lock).

    async with exclusive(engine, "pipeline"):          # waits for the other holder
    async with exclusive(engine, "harvest:THA", wait=False):  # raises Busy when held
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


class Busy(Exception):
    """Somebody else holds the lock."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha1(f"unioncat:{name}".encode()).digest()[:8], "big", signed=True)


def _lock_file(engine: AsyncEngine, name: str) -> Path:
    database = engine.url.database or ":memory:"
    folder = Path(database).resolve().parent if database != ":memory:" else Path("/tmp")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return folder / f".unioncat-{safe}.lock"


@asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str, *, wait: bool = True) -> AsyncIterator[None]:
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            if wait:
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _key(name)})
            elif not (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)})).scalar():
                raise Busy(name)
            await conn.commit()
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                await conn.commit()
        return
    path = _lock_file(engine, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            if wait:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Busy(name) from exc
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
