"""One Settings object for the whole application (environment variables with the UNIONCAT_ prefix)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNIONCAT_", extra="ignore")

    data_dir: Path = Path("./unioncat-data")
    database_url: str = ""  # default: SQLite file in data_dir
    opensearch_url: str | None = None  # unset = tantivy in data_dir
    opensearch_index: str = "unioncat"
    staff_token: str | None = None

    # harvesting
    harvest_timeout: float = 60.0  # seconds per HTTP read
    harvest_max_retries: int = 5
    harvest_max_retry_wait: float = 3600.0
    harvest_user_agent: str = "unioncat/0.1 (union catalogue harvester)"
    harvest_concurrency: int = 4  # libraries harvested at once

    # OAI-PMH provider (GET /oai) and SRU (GET /sru)
    oai_repository_name: str = "Mục lục liên hợp thư viện công cộng tỉnh (unioncat)"
    oai_admin_email: str = "unioncat-admin@localhost.localdomain"  # set it: validators reject local addresses
    oai_page_size: int = 200  # records or headers per ListRecords/ListIdentifiers page (OVAL asks for 100-500)
    oai_token_days: int = 7  # resumptionToken expirationDate, days ahead (validators ask for at least one)
    sru_max_records: int = 100  # maximumRecords cap, announced in explain

    @model_validator(mode="after")
    def _derive(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'unioncat.sqlite3').resolve()}"
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    """Read the environment now (the CLI and tests change it between calls)."""
    return Settings()
