"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 22:36:01.095179
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('clusters',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('redirect_to', sa.String(length=24), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('dirty', sa.Boolean(), nullable=False),
    sa.Column('index_dirty', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clusters'))
    )
    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clusters_dirty'), ['dirty'], unique=False)
        batch_op.create_index(batch_op.f('ix_clusters_index_dirty'), ['index_dirty'], unique=False)

    op.create_table('libraries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=True),
    sa.Column('former_provinces', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('oai_url', sa.String(length=1000), nullable=True),
    sa.Column('metadata_prefix', sa.String(length=50), nullable=False),
    sa.Column('set_spec', sa.String(length=255), nullable=True),
    sa.Column('profile', sa.String(length=50), nullable=False),
    sa.Column('opac_url', sa.String(length=1000), nullable=True),
    sa.Column('schedule', sa.String(length=100), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('granularity', sa.String(length=30), nullable=True),
    sa.Column('deleted_record', sa.String(length=20), nullable=True),
    sa.Column('watermark', sa.String(length=40), nullable=True),
    sa.Column('checkpoint', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_libraries')),
    sa.UniqueConstraint('code', name=op.f('uq_libraries_code'))
    )
    op.create_table('harvest_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('from_date', sa.String(length=40), nullable=True),
    sa.Column('until_date', sa.String(length=40), nullable=True),
    sa.Column('response_date', sa.String(length=40), nullable=True),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('records_new', sa.Integer(), nullable=False),
    sa.Column('records_updated', sa.Integer(), nullable=False),
    sa.Column('records_unchanged', sa.Integer(), nullable=False),
    sa.Column('records_deleted', sa.Integer(), nullable=False),
    sa.Column('records_failed', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('warnings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_harvest_runs_library_id_libraries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_runs'))
    )
    with op.batch_alter_table('harvest_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_runs_library_id'), ['library_id'], unique=False)

    op.create_table('harvest_errors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('identifier', sa.String(length=512), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_harvest_errors_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['harvest_runs.id'], name=op.f('fk_harvest_errors_run_id_harvest_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_errors'))
    )
    with op.batch_alter_table('harvest_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_errors_library_id'), ['library_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_harvest_errors_run_id'), ['run_id'], unique=False)

    op.create_table('source_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=512), nullable=False),
    sa.Column('datestamp', sa.String(length=40), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=True),
    sa.Column('raw_format', sa.String(length=20), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], name=op.f('fk_source_records_library_id_libraries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['harvest_runs.id'], name=op.f('fk_source_records_run_id_harvest_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_records')),
    sa.UniqueConstraint('library_id', 'identifier', name=op.f('uq_source_records_library_id'))
    )
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.create_index('ix_source_records_status', ['status'], unique=False)

    op.create_table('cluster_members',
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cluster_id', sa.String(length=24), nullable=False),
    sa.Column('rule', sa.String(length=50), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['clusters.id'], name=op.f('fk_cluster_members_cluster_id_clusters')),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_cluster_members_source_record_id_source_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_record_id', name=op.f('pk_cluster_members'))
    )
    with op.batch_alter_table('cluster_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cluster_members_cluster_id'), ['cluster_id'], unique=False)

    op.create_table('match_keys',
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_match_keys_source_record_id_source_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_record_id', 'key', name=op.f('pk_match_keys'))
    )
    with op.batch_alter_table('match_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_keys_key'), ['key'], unique=False)

    op.create_table('normalized_records',
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_normalized_records_source_record_id_source_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_record_id', name=op.f('pk_normalized_records'))
    )
    


def downgrade() -> None:
    
    op.drop_table('normalized_records')
    with op.batch_alter_table('match_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_keys_key'))

    op.drop_table('match_keys')
    with op.batch_alter_table('cluster_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cluster_members_cluster_id'))

    op.drop_table('cluster_members')
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.drop_index('ix_source_records_status')

    op.drop_table('source_records')
    with op.batch_alter_table('harvest_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvest_errors_run_id'))
        batch_op.drop_index(batch_op.f('ix_harvest_errors_library_id'))

    op.drop_table('harvest_errors')
    with op.batch_alter_table('harvest_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvest_runs_library_id'))

    op.drop_table('harvest_runs')
    op.drop_table('libraries')
    with op.batch_alter_table('clusters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clusters_index_dirty'))
        batch_op.drop_index(batch_op.f('ix_clusters_dirty'))

    op.drop_table('clusters')
    
