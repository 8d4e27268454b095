"""account slots: an account names its listener slot, driver and driver settings, and may be paused (#18 workers)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('driver', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('driver_settings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('paused', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint('uq_accounts_slot', ['slot'])


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_accounts_slot', type_='unique')
        batch_op.drop_column('paused')
        batch_op.drop_column('driver_settings')
        batch_op.drop_column('driver')
        batch_op.drop_column('slot')
