"""insights: membership events and the daily message rollups of the group insights page

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:15:00.000000

New tables only (no batch copy of an existing table, so the SQLite FTS triggers of 0003 stay in place):
membership_events (joins and leaves from system notes and syncs), insight_rollups (how far the rollups reach),
insight_days (messages per group per local day, with hourly counts), insight_senders (per sender per day).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'membership_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('group_puid', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('member_puid', sa.String(length=64), nullable=True),
        sa.Column('member_name', sa.String(length=255), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('confirmed', sa.Boolean(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_membership_events_group_time', 'membership_events',
                    ['account_id', 'group_puid', 'occurred_at'], unique=False)
    op.create_table(
        'insight_rollups',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('rolled_until', sa.Date(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id'),
    )
    op.create_table(
        'insight_days',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('chat_puid', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.Column('hours', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'chat_puid', 'day'),
    )
    op.create_index('ix_insight_days_account_day', 'insight_days', ['account_id', 'day'], unique=False)
    op.create_table(
        'insight_senders',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('chat_puid', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('sender_puid', sa.String(length=64), nullable=False),
        sa.Column('sender_name', sa.String(length=255), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'chat_puid', 'day', 'sender_puid'),
    )
    op.create_index('ix_insight_senders_sender', 'insight_senders',
                    ['account_id', 'chat_puid', 'sender_puid', 'day', 'messages'], unique=False)


def downgrade():
    # The tables take their indexes with them. Dropping an index first fails on MySQL/MariaDB, where it also serves
    # the foreign key on account_id.
    op.drop_table('insight_senders')
    op.drop_table('insight_days')
    op.drop_table('insight_rollups')
    op.drop_table('membership_events')
