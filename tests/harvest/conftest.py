"""Fixtures for the harvest stage: the project's OAI-PMH provider on loopback and an injectable sleep."""

from __future__ import annotations

import pytest

from unioncat.demo.oai_server import OAIServer


@pytest.fixture
def oai_server():
    with OAIServer() as server:
        yield server


class FakeSleep:
    """Records the waits instead of waiting (the injectable clock of the checklist)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def settings(db_settings):
    """Harvest settings for tests: short timeouts, few retries."""
    return db_settings.model_copy(update={"harvest_timeout": 2.0, "harvest_max_retries": 3})


@pytest.fixture
def http_settings(sqlite_settings):
    """For tests of HTTP-level behaviour, which does not depend on the database: SQLite only, to keep the
    suite fast (storage behaviour is tested on both databases)."""
    return sqlite_settings.model_copy(update={"harvest_timeout": 2.0, "harvest_max_retries": 3})


@pytest.fixture
async def http_sessions(http_settings):
    from unioncat.db import create_engine, make_sessionmaker

    engine = create_engine(http_settings)
    yield make_sessionmaker(engine)
    await engine.dispose()
