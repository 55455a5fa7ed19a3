"""index clusters (updated_at, id) for the OAI-PMH provider's keyset paging and earliest datestamp

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clusters_updated_at_id", "clusters", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_clusters_updated_at_id", table_name="clusters")
