"""conversations: chats pinned to the top of the chat list

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'chat_pins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('chat_puid', sa.String(length=64), nullable=False),
        sa.Column('pinned_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'chat_puid'),
    )


def downgrade():
    op.drop_table('chat_pins')
