"""Bulk-generated data for the API benchmarks: contacts and messages written straight into the database.

Deterministic (seeded): names mix Chinese, pinyin, emoji and digits like the sandbox's; messages spread over
200 chats, 5,000 senders, all archive types and one year. SQLite gets executemany in large transactions,
PostgreSQL gets COPY; either way the rows are what the product would have stored.
"""

from __future__ import annotations

import io
import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from extensions import db
from models.message import MESSAGE_TYPES, Message
from models.types import utcnow
from models.wechat import Account, Contact

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英"]
PINYIN = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "tom", "alice", "bob", "coder"]
EMOJI = ["😀", "🐍", "🎉", "🌸", "🚀", ""]
WORDS = ["今天", "开会", "Python", "报名", "周末", "红包", "链接", "文档", "发布", "测试", "bug", "群公告", "晚安",
         "谢谢", "收到", "好的", "明天见", "deploy", "release", "question"]
# Weighted like a real archive: mostly text.
TYPE_WEIGHTS = {"text": 70, "picture": 10, "sharing": 5, "emoticon": 5, "system": 3, "recording": 2, "video": 1,
                "attachment": 1, "card": 1, "note": 1, "friends": 0, "map": 0, "unknown": 1}
CHATS = 200
SENDERS = 5000


def person_name(rng: random.Random, number: int) -> str:
    style = number % 4
    if style == 0:
        return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(EMOJI)}"
    if style == 1:
        return f"{rng.choice(PINYIN).title()} {rng.choice(PINYIN)}{number % 1000}"
    if style == 2:
        return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}_{rng.choice(PINYIN)}"
    return f"{rng.choice(PINYIN)}{rng.choice(EMOJI)}{number}"


def ensure_account(puid: str = "benchaccount") -> int:
    account = db.session.execute(select(Account).where(Account.puid == puid)).scalar_one_or_none()
    if account is None:
        account = Account(puid=puid, nick_name="bench", last_login_at=utcnow())
        db.session.add(account)
        db.session.commit()
    return account.id


def contact_rows(account_id: int, count: int, seed: int = 1):
    rng = random.Random(seed)
    now = utcnow()
    for number in range(count):
        yield {"account_id": account_id, "puid": f"c{number:07d}", "nick_name": person_name(rng, number),
               "remark_name": person_name(rng, number + 1) if number % 5 == 0 else "", "sex": number % 3,
               "province": "广东", "city": "深圳", "signature": "", "is_friend": number % 10 < 8,
               "is_mp": number % 100 == 99, "is_blacklisted": False, "updated_at": now}


def message_rows(account_id: int, count: int, seed: int = 2):
    rng = random.Random(seed)
    types = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    start = datetime.now(UTC) - timedelta(days=365)
    step = 365 * 86400 / max(1, count)
    for number in range(count):
        chat = rng.randrange(CHATS)
        sender = rng.randrange(SENDERS)
        kind = rng.choices(types, weights)[0]
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12))) + f" #{number}"
        created = start + timedelta(seconds=number * step)
        yield {"account_id": account_id, "msg_id": f"{7000000000000000000 + number}", "type": kind,
               "chat_kind": "group" if chat < 150 else "friend", "chat_puid": f"g{chat:05d}",
               "chat_name": f"群{chat}", "sender_puid": f"c{sender:07d}", "sender_name": f"用户{sender}",
               "is_outgoing": sender == 0, "text": text, "url": None, "file_name": None, "file_path": None,
               "file_size": None, "created_at": created, "received_at": created}


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _copy_postgres(table, rows) -> None:
    """COPY is ~10x faster than INSERT for a million rows on PostgreSQL."""
    columns = None
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        for batch in _batches(rows, 50_000):
            columns = columns or list(batch[0])
            buffer = io.StringIO()
            for row in batch:
                values = []
                for name in columns:
                    value = row[name]
                    if value is None:
                        values.append("\\N")
                    elif isinstance(value, bool):
                        values.append("t" if value else "f")
                    elif isinstance(value, datetime):
                        values.append(value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "))
                    else:
                        values.append(str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))
                buffer.write("\t".join(values) + "\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def bulk_load(model, rows) -> None:
    if db.engine.dialect.name == "postgresql":
        _copy_postgres(model.__tablename__, rows)
    else:
        for batch in _batches(rows, 20_000):
            db.session.execute(insert(model), batch)
    db.session.commit()


def generate(contacts: int, messages: int) -> int:
    """Fill the current app's database; returns the account id."""
    account_id = ensure_account()
    with search_indexes_deferred():
        bulk_load(Contact, contact_rows(account_id, contacts))
        if messages:
            bulk_load(Message, message_rows(account_id, messages))
    settle()
    return account_id


@contextmanager
def search_indexes_deferred():
    """Load with the text-search indexes of migration 0003 set aside, and build them once after: the same index
    as row-by-row maintenance gives, several times faster for a million rows. Their definitions are read back from
    the database (SQLite: the FTS triggers; PostgreSQL: the trigram indexes), so nothing is duplicated here."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        saved = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = 'messages' AND name LIKE 'messages_fts_%'")).all()
    elif dialect == "postgresql":
        saved = db.session.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                        "WHERE indexname LIKE '%\\_trgm'")).all()
    else:
        saved = []
    for name, _ in saved:
        db.session.execute(text(f"DROP {'TRIGGER' if dialect == 'sqlite' else 'INDEX'} {name}"))
    db.session.commit()
    yield
    for _, definition in saved:
        db.session.execute(text(definition))
    if dialect == "sqlite" and saved:
        db.session.execute(text("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"))
    db.session.commit()


def settle() -> None:
    """Statistics, and on PostgreSQL the visibility map its index-only scans need: what autovacuum gives a live
    database after this many inserts (PostgreSQL 13+ vacuums insert-only tables too)."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    elif db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


assert set(TYPE_WEIGHTS) == set(MESSAGE_TYPES)
