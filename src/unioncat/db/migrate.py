"""`unioncat db upgrade`: run the Alembic history against the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from unioncat.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def alembic_config(settings: Settings) -> Config:
    ini = ROOT / "alembic.ini"
    if not ini.exists():
        raise RuntimeError(f"alembic.ini not found at {ini}: install unioncat from a source checkout (pip install -e .)")
    cfg = Config(str(ini))
    cfg.attributes["database_url"] = settings.database_url
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)
