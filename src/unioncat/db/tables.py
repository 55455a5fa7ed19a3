"""Tables. One history of Alembic migrations creates them on SQLite and PostgreSQL alike.

Pipeline state lives in ``source_records.status``::

    harvest ──> new ──normalize──> normalized ──cluster──> clustered
                 └──────────────> quarantined (error kept, raw kept)
    harvest (deleted header) ──> deleted ──cluster──> gone

``clusters.dirty`` marks union records to rebuild, ``clusters.index_dirty`` those to (re)index.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Library(Base):
    """A member library and its harvest configuration and state."""

    __tablename__ = "libraries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    province: Mapped[str | None] = mapped_column(String(100))
    former_provinces: Mapped[list] = mapped_column(Json, default=list)  # names before the 2025 merger
    oai_url: Mapped[str | None] = mapped_column(String(1000))
    metadata_prefix: Mapped[str] = mapped_column(String(50), default="marc21")
    set_spec: Mapped[str | None] = mapped_column(String(255))
    profile: Mapped[str] = mapped_column(String(50), default="generic")
    opac_url: Mapped[str | None] = mapped_column(String(1000))  # template with {id} for a record link
    schedule: Mapped[str | None] = mapped_column(String(100))  # cron expression, default nightly 01:00
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # per-library harvest options (oai-pmh.md §6): delay, max_connections, force_encoding, leader05_delete,
    # overlap, contact, selective ... read by harvesters/, free-form so new quirks need no migration
    options: Mapped[dict] = mapped_column(Json, default=dict)
    # harvest state
    granularity: Mapped[str | None] = mapped_column(String(30))
    deleted_record: Mapped[str | None] = mapped_column(String(20))
    watermark: Mapped[str | None] = mapped_column(String(40))  # responseDate of the last complete run
    checkpoint: Mapped[dict | None] = mapped_column(Json)  # {"run_id", "from", "until", "token", "page"}
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HarvestRun(Base):
    __tablename__ = "harvest_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="oai")  # oai | import
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(30), default="running")
    # running | succeeded | succeeded_with_errors | failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    from_date: Mapped[str | None] = mapped_column(String(40))
    until_date: Mapped[str | None] = mapped_column(String(40))
    response_date: Mapped[str | None] = mapped_column(String(40))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    records_new: Mapped[int] = mapped_column(Integer, default=0)
    records_updated: Mapped[int] = mapped_column(Integer, default=0)
    records_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    records_deleted: Mapped[int] = mapped_column(Integer, default=0)
    records_failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(Json, default=list)


class HarvestError(Base):
    """A problem staff must be able to see: a bad page or record, with the raw payload kept."""

    __tablename__ = "harvest_errors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id", ondelete="SET NULL"), index=True)
    identifier: Mapped[str | None] = mapped_column(String(512))
    stage: Mapped[str] = mapped_column(String(20), default="harvest")  # harvest | parse | repair
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuarantinedRecord(Base):
    """A record received but unreadable (broken markup in a list page, a damaged file record).

    It is not a deletion: a good copy already stored stays live. The entry stays ``open`` until a good copy
    arrives (a later harvest, GetRecord, an import) or the provider deletes the record; then ``resolved``
    with how. Open OAI entries are tried again with GetRecord by every harvest of their library.
    """

    __tablename__ = "quarantined_records"
    __table_args__ = (
        Index("ix_quarantined_records_library_status", "library_id", "status"),
        Index("ix_quarantined_records_library_identifier", "library_id", "identifier"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id", ondelete="SET NULL"))  # last seen
    source: Mapped[str] = mapped_column(String(20), default="list")  # list | getrecord | import
    identifier: Mapped[str | None] = mapped_column(String(512))  # OAI identifier (or 001) where readable
    position: Mapped[str] = mapped_column(String(300))  # "page 3, record 7" | "file.mrc, record 12"
    datestamp: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str] = mapped_column(Text)  # the parser's message, with line and column
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # the record's bytes as received
    raw_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)  # the request URL (or the file name)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved
    resolution: Mapped[str | None] = mapped_column(Text)  # how it was resolved
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # GetRecord retries
    last_attempt_error: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SourceRecord(Base):
    """A record as harvested from one library. Never dropped; raw bytes kept as received."""

    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("library_id", "identifier"),
        Index("ix_source_records_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(512))
    datestamp: Mapped[str | None] = mapped_column(String(40))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_format: Mapped[str] = mapped_column(String(20), default="marcxml")  # marcxml | oai_dc | iso2709
    content_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="new")
    error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NormalizedRecord(Base):
    __tablename__ = "normalized_records"

    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict] = mapped_column(Json)  # CanonicalRecord.model_dump()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchKey(Base):
    """Blocking keys of a normalized record ("isbn:978…", "tay:<title>|<author>|<year>")."""

    __tablename__ = "match_keys"

    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(400), primary_key=True, index=True)


class Cluster(Base):
    """A union record. Its id is stable; an absorbed cluster keeps a redirect to the survivor."""

    __tablename__ = "clusters"
    __table_args__ = (Index("ix_clusters_updated_at_id", "updated_at", "id"),)  # OAI-PMH keyset paging

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | absorbed | empty
    redirect_to: Mapped[str | None] = mapped_column(String(24))
    data: Mapped[dict | None] = mapped_column(Json)  # the built union record
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    dirty: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    index_dirty: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClusterMember(Base):
    __tablename__ = "cluster_members"

    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[str] = mapped_column(ForeignKey("clusters.id"), index=True)
    rule: Mapped[str] = mapped_column(String(50))  # "founder", "isbn" (or another identifier), "score", "override"
    evidence: Mapped[dict] = mapped_column(Json, default=dict)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchOverride(Base):
    """A staff decision applied on every clustering run.

    kind "never": record_a and record_b never share a cluster; "always": they always do;
    "split": record_a stands alone (record_b is null).
    """

    __tablename__ = "match_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # never | always | split
    record_a: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"), index=True)
    record_b: Mapped[int | None] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PipelineState(Base):
    """Small facts the stages keep between runs, e.g. "scorer_version": the matcher that made the clusters."""

    __tablename__ = "pipeline_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffToken(Base):
    """A staff login token, stored hashed (sha256 of the token); the token itself is shown once."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
