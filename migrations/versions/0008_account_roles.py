"""account roles: admins are owners or members with per-account grants (viewer, operator); audit entries name
their account

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Every admin that exists now becomes an owner: an installation upgraded without naming roles keeps working.
    op.add_column('admin_users', sa.Column('role', sa.String(length=16), nullable=False, server_default='owner'))
    op.create_table(
        'account_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['admin_id'], ['admin_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('admin_id', 'account_id'),
    )
    op.create_index(op.f('ix_account_grants_account_id'), 'account_grants', ['account_id'], unique=False)
    # Audit entries name the account they were about (NULL: the installation itself, and every older entry).
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key('fk_audit_log_account_id_accounts', 'accounts', ['account_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_log_account_id_accounts', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_log_account_id'))
        batch_op.drop_column('account_id')
    op.drop_table('account_grants')  # its indexes go with it (MySQL refuses to drop one a foreign key needs)
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.drop_column('role')
