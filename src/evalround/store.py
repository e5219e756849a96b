"""Where a course's records live: one database URL, SQLite or PostgreSQL, via SQLAlchemy.

nbgrader's gradebook and evalround's own records (rubric marks, their history, item
points, integrity dismissals) follow the course's database URL, nbgrader's ``db_url`` in
``nbgrader_config.py``:

- a course made by ``evalround init PATH`` keeps nbgrader's default, the SQLite file
  ``gradebook.db``, and evalround's records stay beside it in
  ``.evalround/rubric.sqlite``, as they always have (an existing course keeps working);
- a course made by ``evalround init PATH --db postgresql://...`` keeps both in that
  database, and nothing writes ``gradebook.db``.

Writes that must not interleave (two graders saving marks on the same answer, each then
writing the gradebook's consensus) go through ``locked``: a PostgreSQL advisory lock on
the answer, or SQLite's write lock on the records file.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

RECORDS_FILE = "rubric.sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")


class DatabaseError(Exception):
    """The course's database is unusable; the message names it (without a password)."""


metadata = MetaData()



def _answer() -> list[Column[str]]:
    """The key of one written answer."""
    return [Column(name, Text, primary_key=True) for name in ("exercise", "candidate", "question")]


marks = Table(
    "marks", metadata, *_answer(), Column("grader", Text, primary_key=True),
    Column("items", Text, nullable=False), Column("comment", Text, nullable=False),
    Column("marked_at", Text, nullable=False),
)
mark_history = Table(
    "mark_history", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exercise", Text, nullable=False), Column("candidate", Text, nullable=False),
    Column("question", Text, nullable=False), Column("grader", Text, nullable=False),
    Column("items", Text, nullable=False), Column("comment", Text, nullable=False),
    Column("marked_at", Text, nullable=False), Column("replaced_at", Text, nullable=False),
)
item_points = Table(
    "item_points", metadata, Column("exercise", Text, primary_key=True),
    Column("item", Text, primary_key=True), Column("points", Float, nullable=False),
    Column("changed_at", Text, nullable=False),
)
written = Table(
    "written", metadata, *_answer(), Column("score", Float, nullable=False),
)
# scores typed into the formgrader by hand that a forced rubric score replaced, appended
replaced_scores = Table(
    "replaced_scores", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exercise", Text, nullable=False), Column("candidate", Text, nullable=False),
    Column("question", Text, nullable=False), Column("score", Float, nullable=False),
    Column("comment", Text, nullable=False), Column("replaced_by", Text, nullable=False),
    Column("replaced_at", Text, nullable=False),
)
# integrity flags dismissed (or taken back), appended, never rewritten
dismissals = Table(
    "integrity_dismissals", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
    Column("candidate", Text, nullable=False), Column("exercise", Text, nullable=False),
    Column("kind", Text, nullable=False), Column("other_candidate", Text, nullable=False),
    Column("reason", Text, nullable=False), Column("decided_by", Text, nullable=False),
    Column("at", Text, nullable=False), Column("dismissed", Boolean, nullable=False),
)


def shown(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return re.sub(r"(://[^:/@?]*:)[^@/?]*@", r"\1***@", url)


def normalize_url(url: str) -> str:
    """A database URL for ``evalround init --db``: PostgreSQL, through psycopg.

    ``postgresql://`` (and ``postgres://``) use psycopg 3, which evalround installs;
    a URL naming another driver (``postgresql+psycopg2://``) is kept as given.
    """
    url = url.strip()
    scheme = urlsplit(url).scheme
    if scheme in POSTGRES_SCHEMES:
        return "postgresql+psycopg" + url[len(scheme):]
    if scheme.startswith("postgresql+"):
        return url
    raise DatabaseError(
        f"--db {shown(url)!r}: give a PostgreSQL URL such as postgresql://user@host/hiring; "
        f"without --db the course keeps its records in SQLite files"
    )


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def records_url(root: Path, gradebook_url: str) -> str:
    """Where evalround's records of the course at ``root`` live (see the module doc)."""
    if is_sqlite(gradebook_url):
        return f"sqlite:///{root / '.evalround' / RECORDS_FILE}"
    return gradebook_url


def course_url(root: Path) -> str:
    """The records URL of the course at ``root``, from its nbgrader configuration."""
    from evalround import nbgrader_adapter

    return records_url(root, nbgrader_adapter.db_url(root))


def prepare(root: Path) -> None:
    """Create the course's database tables: nbgrader's first (it records its schema
    version only in a database that has no tables yet), then evalround's."""
    from evalround import nbgrader_adapter

    try:
        with nbgrader_adapter.gradebook(root):
            pass
    except SQLAlchemyError as exc:
        url = nbgrader_adapter.db_url(root)
        raise DatabaseError(f"cannot use the database {shown(url)}: {_why(exc)}") from None
    engine(course_url(root))


_IMMEDIATE = "evalround_sqlite_immediate"
_engines: dict[str, Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60})

    # pysqlite's own transaction handling starts transactions late; begin them here, and
    # take SQLite's write lock at BEGIN in ``locked``, so that a read-then-write cannot
    # interleave with another's.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def engine(url: str) -> Engine:
    """The process's engine for ``url``, with evalround's tables created once."""
    with _lock:
        if is_sqlite(url) and url in _ready and not _sqlite_file_exists(url):
            _ready.discard(url)  # the file was removed (a demo starting over): make it again
        found = _engines.get(url)
        if found is None:
            if is_sqlite(url):
                found = _sqlite_engine(url)
            else:
                found = create_engine(url, pool_size=4, max_overflow=28, pool_pre_ping=True)
            _engines[url] = found
        if url not in _ready:
            try:
                _create_tables(found)
            except SQLAlchemyError as exc:
                raise DatabaseError(f"database {shown(url)}: {exc}") from exc
            _ready.add(url)
    return found


def _sqlite_file_exists(url: str) -> bool:
    database = make_url(url).database
    return not database or database == ":memory:" or Path(database).exists()


def _create_tables(engine: Engine) -> None:
    # On SQLite with the write lock from the start: two processes making the file at once
    # must not both read "no tables" and then both create them.
    with engine.connect().execution_options(**{_IMMEDIATE: True}) as conn, conn.begin():
        columns = {c["name"] for c in inspect(conn).get_columns("mark_history")} \
            if inspect(conn).has_table("mark_history") else None
        if columns is not None and "id" not in columns:
            # rubric.sqlite before the store moved to SQLAlchemy: history had no id column
            # (rows were ordered by SQLite's rowid). Rebuild it, keeping that order.
            conn.exec_driver_sql("ALTER TABLE mark_history RENAME TO mark_history_old")
            mark_history.create(conn)
            names = ", ".join(c.name for c in mark_history.columns if c.name != "id")
            conn.exec_driver_sql(f"INSERT INTO mark_history ({names}) SELECT {names} "
                                 f"FROM mark_history_old ORDER BY rowid")
            conn.exec_driver_sql("DROP TABLE mark_history_old")
        metadata.create_all(conn)


def _why(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check(url: str) -> None:
    """Connect to ``url`` once (creating nothing), or raise ``DatabaseError`` saying why."""
    try:
        probe = create_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot use the database {shown(url)}: {_why(exc)}") from None
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot use the database {shown(url)}: {_why(exc)}") from None
    finally:
        probe.dispose()


@contextmanager
def transaction(url: str) -> Iterator[Connection]:
    """One transaction on the records database."""
    try:
        with engine(url).begin() as conn:
            yield conn
    except OperationalError as exc:
        raise DatabaseError(f"database {shown(url)}: {_why(exc)}") from None


@contextmanager
def _locked_transaction(url: str) -> Iterator[Connection]:
    try:
        with engine(url).connect().execution_options(**{_IMMEDIATE: True}) as conn, \
                conn.begin():
            yield conn
    except OperationalError as exc:
        raise DatabaseError(f"database {shown(url)}: {_why(exc)}") from None


@contextmanager
def locked(url: str, *key: str) -> Iterator[Connection]:
    """A transaction that holds the lock of ``key`` (say, one answer) until it ends.

    PostgreSQL: an advisory lock on the key's hash (other answers go on in parallel).
    SQLite: the transaction holds the file's write lock from its start (``BEGIN
    IMMEDIATE``); inside it, write through the connection it gives, never another one.
    """
    with _locked_transaction(url) as conn:
        if conn.dialect.name == "postgresql":
            digest = hashlib.sha256("\x1f".join(key).encode()).digest()
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                         {"k": int.from_bytes(digest[:8], "big", signed=True)})
        yield conn


# Tables whose rows mean a course already lives in a database: nbgrader's students and
# assignments, evalround's marks.
_COURSE_TABLES = ("student", "assignment", "marks", "mark_history", "item_points", "written",
                  "integrity_dismissals")


def holds_grades(url: str) -> bool:
    """Whether the database at ``url`` already holds a course (creating nothing)."""
    probe = create_engine(url)
    try:
        with probe.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            return any(conn.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
                       for name in _COURSE_TABLES if name in tables)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot use the database {shown(url)}: {_why(exc)}") from None
    finally:
        probe.dispose()


def clear(url: str) -> None:
    """Delete every row of evalround's tables at ``url``."""
    with transaction(url) as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def upsert(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    """Insert a row, or replace the one with the same primary key."""
    keys = [c.name for c in table.primary_key.columns]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).values(**values)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=keys, set_={k: v for k, v in values.items() if k not in keys}))
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    stmt_sqlite = sqlite_insert(table).values(**values)
    conn.execute(stmt_sqlite.on_conflict_do_update(
        index_elements=keys, set_={k: v for k, v in values.items() if k not in keys}))
