"""quarantined_records: records received but unreadable, kept with their bytes until a good copy arrives

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quarantined_records",
        sa.Column("id", BigId, nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("run_id", BigId, nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("identifier", sa.String(length=512), nullable=True),
        sa.Column("position", sa.String(length=300), nullable=False),
        sa.Column("datestamp", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("raw_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_error", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["library_id"], ["libraries.id"],
                                name=op.f("fk_quarantined_records_library_id_libraries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["harvest_runs.id"],
                                name=op.f("fk_quarantined_records_run_id_harvest_runs"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_records")),
    )
    op.create_index("ix_quarantined_records_library_status", "quarantined_records", ["library_id", "status"])
    op.create_index("ix_quarantined_records_library_identifier", "quarantined_records",
                    ["library_id", "identifier"])


def downgrade() -> None:
    op.drop_index("ix_quarantined_records_library_identifier", table_name="quarantined_records")
    op.drop_index("ix_quarantined_records_library_status", table_name="quarantined_records")
    op.drop_table("quarantined_records")
