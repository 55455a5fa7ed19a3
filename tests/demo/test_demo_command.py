"""`unioncat demo` keeps to its own data dir: never a production database, cluster or folder."""

from pathlib import Path

import pytest

from unioncat.cli import demo_settings, prepare_demo_dir
from unioncat.settings import Settings


def test_demo_ignores_production_database_and_opensearch(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("UNIONCAT_DATABASE_URL", "postgresql+asyncpg://prod@db/unioncat")
    monkeypatch.setenv("UNIONCAT_OPENSEARCH_URL", "http://prod:9200")
    settings = demo_settings(Settings(), tmp_path / "demo")
    assert settings.database_url.startswith("sqlite+aiosqlite:///") and str(tmp_path / "demo") in settings.database_url
    assert settings.opensearch_url is None
    assert settings.index_dir == tmp_path / "demo" / "index"


def test_demo_wipes_only_its_own_folder(tmp_path: Path):
    precious = tmp_path / "production"
    precious.mkdir()
    (precious / "unioncat.sqlite3").write_bytes(b"real catalogue")
    with pytest.raises(SystemExit, match="refusing to wipe"):
        prepare_demo_dir(precious)
    assert (precious / "unioncat.sqlite3").read_bytes() == b"real catalogue"

    demo = tmp_path / "demo"
    prepare_demo_dir(demo)
    (demo / "old.sqlite3").write_bytes(b"previous demo")
    prepare_demo_dir(demo)  # a second run starts fresh
    assert not (demo / "old.sqlite3").exists()
