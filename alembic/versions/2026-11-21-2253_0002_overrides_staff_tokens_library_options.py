"""overrides staff tokens library options

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:53:40.583381
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('staff_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_staff_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_tokens_token_hash'))
    )
    op.create_table('match_overrides',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('record_a', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_b', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_a'], ['source_records.id'], name=op.f('fk_match_overrides_record_a_source_records'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_b'], ['source_records.id'], name=op.f('fk_match_overrides_record_b_source_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_overrides'))
    )
    with op.batch_alter_table('match_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_overrides_record_a'), ['record_a'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_overrides_record_b'), ['record_b'], unique=False)

    with op.batch_alter_table('libraries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default=sa.text("'{}'")))

    


def downgrade() -> None:
    
    with op.batch_alter_table('libraries', schema=None) as batch_op:
        batch_op.drop_column('options')

    with op.batch_alter_table('match_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_overrides_record_b'))
        batch_op.drop_index(batch_op.f('ix_match_overrides_record_a'))

    op.drop_table('match_overrides')
    op.drop_table('staff_tokens')
    
