"""fidelity: groups left on evidence, recalled messages, uncertain send items

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 07:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('groups', sa.Column('left_at', sa.DateTime(), nullable=True))
    op.add_column('groups', sa.Column('left_reason', sa.String(length=32), nullable=True))
    op.add_column('messages', sa.Column('recalled_at', sa.DateTime(), nullable=True))
    op.add_column('messages', sa.Column('recalled_by', sa.String(length=255), nullable=True))
    op.add_column('send_jobs', sa.Column('uncertain', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('send_jobs', schema=None) as batch_op:
        batch_op.drop_column('uncertain')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('left_reason')
        batch_op.drop_column('left_at')
    # SQLite >= 3.35 drops a column in place; batch mode would copy the table and lose the FTS triggers.
    op.drop_column('messages', 'recalled_by')
    op.drop_column('messages', 'recalled_at')
