"""account archive: an account removed with its archive kept is marked archived (read-only) and names its old slot

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (every engine, SQLite too): no batch-mode rebuild of `accounts`, whose cascades would reach
    # every child table (see 0009 and migrations/env.py).
    op.add_column('accounts', sa.Column('archived_at', sa.DateTime(), nullable=True))
    op.add_column('accounts', sa.Column('archived_slot', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('archived_slot')
        batch_op.drop_column('archived_at')
