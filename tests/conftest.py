"""Shared fixtures: real databases (SQLite file and PostgreSQL), migrated by the real Alembic history.

`db_settings` is parametrized over both databases; a test that takes it runs twice. PostgreSQL tests skip
when the server is unreachable, except under CI=true, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest

from unioncat.db import Base, create_engine, make_sessionmaker
from unioncat.db.migrate import upgrade
from unioncat.settings import Settings

TESTDATA = Path(__file__).resolve().parent / "data"  # third-party files, byte for byte: see data/SOURCES.md
PG_ADMIN_URL = os.environ.get("UNIONCAT_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")


async def _pg_execute(sql: str, database: str = "postgres") -> None:
    import asyncpg

    url = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://") + f"/{database}"
    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template")
    upgrade(Settings(data_dir=path))
    return path / "unioncat.sqlite3"


@pytest.fixture(scope="session")
def pg_database_url() -> str:
    name = f"unioncat_test_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no PostgreSQL here"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = f"{PG_ADMIN_URL}/{name}"
    upgrade(Settings(data_dir=Path("/nonexistent"), database_url=url))
    yield url
    asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def db_settings(request, tmp_path, sqlite_template) -> Settings:
    """Settings pointing at an empty, migrated database of each kind, and a fresh data dir."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if request.param == "sqlite":
        shutil.copy(sqlite_template, data_dir / "unioncat.sqlite3")
        return Settings(data_dir=data_dir)
    url = request.getfixturevalue("pg_database_url")
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    asyncio.run(_pg_execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE", url.rsplit("/", 1)[1]))
    return Settings(data_dir=data_dir, database_url=url)


@pytest.fixture
def sqlite_settings(tmp_path, sqlite_template) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "unioncat.sqlite3")
    return Settings(data_dir=data_dir)


@pytest.fixture
async def sessions(db_settings):
    engine = create_engine(db_settings)
    yield make_sessionmaker(engine)
    await engine.dispose()


def serve_in_thread(app):
    """(server, thread, port): the app under uvicorn in a thread on 127.0.0.1:<free port>, started."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="unioncat-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, server.servers[0].sockets[0].getsockname()[1]
