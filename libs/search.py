"""Substring search and page totals that stay fast on large tables, per database engine.

`q` means "contains this text literally" (% and _ are not wildcards) on every engine, as a LIKE says it; this
module only picks the plan that finds the same rows fastest. The indexes are made by migration 0003:

- SQLite: messages.text has `messages_fts`, an FTS5 trigram table kept by triggers. For needles of 3+ characters
  it finds candidates by trigram; the LIKE is kept in the query and confirms each one, so the rows are exactly the
  LIKE's (the FTS folds Unicode case, LIKE only ASCII: a superset). Shorter needles have no trigram and scan, and so
  does a rare 1-2 character needle with no other filter.
- PostgreSQL: pg_trgm GIN indexes serve the same LIKE unchanged; nothing to choose here.
- MySQL/MariaDB: LIKE scans (an ngram FULLTEXT index matches tokens by its own rules, not substrings).

Page totals are counted only up to COUNT_CAP: beyond it a list says "10,000+" (`total_capped`) instead of counting
a million rows on every page; a contacts name search counts to NAME_SEARCH_CAP, in the pass that finds its page.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text

from extensions import db
from libs.api import like_pattern
from models.message import Message

COUNT_CAP = 10_000
# A contacts name search counts to 1,000: past that a common name ("王", an emoji) says "1,000+", and the walk that
# finds the page stops there instead of reading all 100,000 names to count them (views/contacts.py).
NAME_SEARCH_CAP = 1_000
FTS_TABLE = "messages_fts"
FTS_MIN_CHARS = 3  # a trigram index has nothing to look up for shorter needles
# Up to this many FTS candidates, the candidates drive the query (sorting them is cheap); beyond it the term is
# common and walking the time index newest first fills a page sooner than sorting every match (measured on 1M
# messages: 5,000 candidates ≈ 10 ms either way; 'Python' with 292,000 ≈ 0.5 s through the FTS, 0.2 ms by time).
RARE_MATCHES = 5_000

# PostgreSQL's pg_trgm GIN indexes (migration 0003): engine-specific, so not in the models' metadata.
TRIGRAM_INDEXES = ("ix_messages_text_trgm", "ix_contacts_nick_trgm", "ix_contacts_remark_trgm")

messages_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


def include_in_autogenerate(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic `include_name` hook: leave out the search indexes migration 0003 makes outside the models (the FTS5
    table with its shadow tables messages_fts_*, the trigram indexes), so autogenerate neither drops nor misses them.
    """
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    return not (type_ == "index" and name in TRIGRAM_INDEXES)


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def caseless(needle: str) -> bool:
    """Only characters that no case mapping produces or changes: CJK and other case-less letters (Lo), digits,
    punctuation, symbols (emoji), spaces. lower(text) contains such a needle exactly when the text does."""
    return all(unicodedata.category(char)[0] in "NPSZ" or unicodedata.category(char) == "Lo" for char in needle)


def contains(target: ColumnElement, needle: str, fold_case: bool = False) -> ColumnElement[bool]:
    """`target` contains `needle` literally; fold_case compares lower-cased.

    SQLite's LIKE already ignores ASCII case and its lower() folds nothing else, so there lower(column) is left out
    (same rows, half the cost of scanning 100,000 names). Elsewhere lower() is left out for a short case-less needle
    (a 1-2 character Chinese name: the usual search): no trigram index serves it either way, and the scan costs half.
    """
    if not fold_case:
        return target.like(like_pattern(needle), escape="\\")
    if dialect_name() != "sqlite" and not (len(needle) < FTS_MIN_CHARS and caseless(needle)):
        target = func.lower(target)
    return target.like(like_pattern(needle.lower()), escape="\\")


def page_total(query: Select, page: int, per_page: int, found: int) -> tuple[int, bool]:
    """(total, capped) for a page that found `found` rows: known without counting when this page is the last one,
    otherwise counted up to COUNT_CAP (capped=True: there are more than COUNT_CAP)."""
    offset = (page - 1) * per_page
    if found < per_page and (found or page == 1):
        return offset + found, False
    limited = query.order_by(None).with_only_columns(literal_column("1"), maintain_column_froms=True) \
        .limit(COUNT_CAP + 1)
    counted = db.session.execute(select(func.count()).select_from(limited.subquery())).scalar_one()
    if counted > COUNT_CAP:  # a full page past the cap shows there are at least offset + found
        return max(COUNT_CAP, offset + found if found else 0), True
    return counted, False


def fts_ready() -> bool:
    """The FTS table is there: SQLite at migration 0003 or later (a database made by create_all, or downgraded,
    has none). Asked on every search, so it can never be stale; it is one lookup in sqlite_master."""
    if dialect_name() != "sqlite":
        return False
    found = db.session.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                               {"name": FTS_TABLE}).first()
    return found is not None


def fts_match(needle: str) -> ColumnElement[bool]:
    """The FTS rows containing every trigram of `needle` in order (an FTS5 phrase; quotes doubled)."""
    phrase = '"' + needle.replace('"', '""') + '"'
    return messages_fts.c[FTS_TABLE].op("MATCH")(phrase)


def fts_candidates(needle: str, limit: int) -> int:
    """How many FTS rows match, counting at most `limit` (a walk over the trigram lists, ~0.15 µs per row)."""
    probe = select(messages_fts.c.rowid).where(fts_match(needle)).limit(limit)
    return db.session.execute(select(func.count()).select_from(probe.subquery())).scalar_one()


def unindexed(target: ColumnElement) -> ColumnElement:
    """`target + 0`: the same value, but SQLite may not use an index for it.

    Every messages index starts with account_id; without statistics (ANALYZE) SQLite guesses an account has ~10
    rows and walks its index, checking each row against the FTS result: a full scan. Hiding account_id leaves the
    FTS rowids as the only way in.
    """
    return target + 0


def message_search(account_id: int | None, filters: list, needle: str | None) -> tuple[Select, Select]:
    """(page query, count query) for an account's messages matching `filters` and containing `needle`."""
    query = select(Message).where(Message.account_id == account_id, *filters)
    if not needle:
        return query, query
    like = contains(Message.text, needle)
    # FTS5 reads its query as a C string: a NUL would end it early ("unterminated string").
    if len(needle) < FTS_MIN_CHARS or "\x00" in needle or not fts_ready():
        return query.where(like), query.where(like)
    if fts_candidates(needle, RARE_MATCHES + 1) <= RARE_MATCHES:
        rare = select(Message).where(
            Message.id.in_(select(messages_fts.c.rowid).where(fts_match(needle))),
            unindexed(Message.account_id) == account_id, *filters, like)
        return rare, rare
    # A common term: the page comes newest first from the time (or filter) index, stopping after a page.
    scanned = query.where(like)
    if filters:  # the filter's index bounds the count; the FTS would visit every candidate to apply the filter
        return scanned, scanned
    # No filter: count through the FTS (≤ COUNT_CAP + 1 candidates checked) instead of scanning for them by time.
    counted = select(Message.id).select_from(messages_fts.join(Message, Message.id == messages_fts.c.rowid)) \
        .where(fts_match(needle), unindexed(Message.account_id) == account_id, like)
    return scanned, counted
