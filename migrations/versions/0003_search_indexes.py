"""search indexes: contacts name covering index, messages text search (SQLite FTS5 trigram, PostgreSQL pg_trgm)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:30:00.000000

What each engine gets (libs/search.py is the query side):

- every engine: `ix_contacts_account_names` (account_id, nick_name, id, remark_name, is_friend, is_mp) replaces
  `ix_contacts_account_nick`: a name search walks it in page order and never touches the table.
- SQLite: `messages_fts`, an FTS5 external-content table over messages.text with the trigram tokenizer, kept by
  triggers. Built from the existing rows here ('rebuild': ~7 s per million messages). A later migration that
  recreates `messages` (batch mode copies and renames the table) drops these triggers with it and must run
  create_sqlite_fts() again.
- PostgreSQL: pg_trgm GIN indexes that serve the existing `LIKE '%q%'` unchanged: messages.text, and
  lower(nick_name) / lower(remark_name) for contact searches of 3+ characters. CREATE EXTENSION needs the right to
  create in the database (pg_trgm is a trusted extension); where it is refused the indexes are skipped with a
  warning: searches stay correct, only slower.
- MySQL/MariaDB: nothing for text. A FULLTEXT ngram index matches tokens with its own rules (stopwords, minimum
  token size, boolean syntax), not literal substrings, so LIKE keeps scanning there.
"""
import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

logger = logging.getLogger('alembic.runtime.migration')

CONTACT_NAME_COLUMNS = ['account_id', 'nick_name', 'id', 'remark_name', 'is_friend', 'is_mp']
TRIGRAM_INDEXES = {  # name: (table, indexed expression)
    'ix_messages_text_trgm': ('messages', 'text'),
    'ix_contacts_nick_trgm': ('contacts', 'lower(nick_name)'),
    'ix_contacts_remark_trgm': ('contacts', 'lower(remark_name)'),
}
SQLITE_FTS = [
    # case_sensitive 0 folds case like LIKE does (and more: the query re-checks with LIKE, see libs/search.py).
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id', "
    "tokenize='trigram case_sensitive 0')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    # An external-content table must be told the old text to remove its trigrams.
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF id, text ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
]


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_account_names', CONTACT_NAME_COLUMNS, unique=False)
        batch_op.drop_index('ix_contacts_account_nick')
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        create_sqlite_fts()
    elif dialect == 'postgresql' and pg_trgm_available():
        for name, (table, expression) in TRIGRAM_INDEXES.items():
            op.execute(f'CREATE INDEX {name} ON {table} USING gin (({expression}) gin_trgm_ops)')
        # Statistics of the indexed lower(...) expressions: without them the planner guesses a rare name matches
        # thousands and walks the name index (~30 ms on 100,000) instead of asking the trigram index (~0.3 ms).
        op.execute('ANALYZE contacts')


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('messages_fts_insert', 'messages_fts_delete', 'messages_fts_update'):
            op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
        op.execute('DROP TABLE IF EXISTS messages_fts')
    elif dialect == 'postgresql':
        for name in TRIGRAM_INDEXES:  # IF EXISTS: skipped where pg_trgm was refused; the extension itself stays
            op.execute(f'DROP INDEX IF EXISTS {name}')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_account_nick', ['account_id', 'nick_name'], unique=False)
        batch_op.drop_index('ix_contacts_account_names')


def create_sqlite_fts():
    for statement in SQLITE_FTS:
        op.execute(statement)


def pg_trgm_available():
    """Install pg_trgm if it is not there; False (and a warning) where this role may not."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    try:
        with bind.begin_nested():  # a SAVEPOINT: a refusal must not abort the migration's transaction
            bind.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    except sa.exc.DBAPIError as exc:
        logger.warning('pg_trgm not installed (%s): text searches stay correct but scan; install it as a superuser '
                       '(CREATE EXTENSION pg_trgm) and run this migration again (downgrade 0002, upgrade)',
                       str(exc.orig).strip().splitlines()[0])
        return False
    return True
