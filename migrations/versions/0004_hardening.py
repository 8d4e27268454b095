"""hardening: media status on messages, revocable sessions, scoped and expiring tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 06:00:00.000000

- messages.media_status: why a message's media was not stored ("too_large", "disk_low", "budget"); NULL when it
  was stored or the message has none. Added with plain ALTER TABLE ADD COLUMN (no batch copy), so the SQLite FTS
  triggers of 0003 stay in place.
- admin_users.session_generation: bumped by a password change, a deactivation or "sign out everywhere"; every
  session and token carries the generation it was issued under and stops working when it is behind.
- api_tokens.scope ("read", "admin" or "metrics") and api_tokens.expires_at (NULL: no expiry).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('messages', sa.Column('media_status', sa.String(length=16), nullable=True))
    op.add_column('admin_users', sa.Column('session_generation', sa.Integer(), nullable=False,
                                           server_default='0'))
    op.add_column('api_tokens', sa.Column('scope', sa.String(length=16), nullable=False, server_default='admin'))
    op.add_column('api_tokens', sa.Column('generation', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('generation')
        batch_op.drop_column('scope')
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
    # SQLite >= 3.35 drops a column in place; batch mode would copy the table and lose the FTS triggers.
    op.drop_column('messages', 'media_status')
