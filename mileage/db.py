"""Database plumbing: declarative base, engines, and the retrying unit of work."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table, create_engine, event, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import TypeDecorator

from mileage.clock import as_utc
from mileage.errors import DomainError, TransactionConflict

# Stable constraint names keep Alembic migrations identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids use a variant there.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

MAX_TRANSACTION_ATTEMPTS = 5

T = TypeVar("T")


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp that always comes back as aware UTC, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    """Declarative base for every model, with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Connection poolers the app knows how to sit behind. In transaction mode (pgbouncer's usual mode)
# consecutive transactions of one client connection may run on different server connections, so
# nothing may outlive a transaction on the server: psycopg's prepared statements would (a later
# transaction finds "prepared statement _pg3_N does not exist"), so they are turned off.
POOLERS = frozenset({"pgbouncer"})
# The URL query option that names the pooler; taken out of the URL before it reaches the driver.
POOLER_URL_OPTION = "pooler"


class UnknownPooler(ValueError):
    """The configuration names a connection pooler the app does not know."""


def pooler_of(url: str, configured: str | None = None) -> tuple[str, str | None]:
    """Return the URL without its pooler option, and the pooler: the configured one, else the URL's.

    :raises UnknownPooler:
    """
    parsed = make_url(url)
    from_url = parsed.query.get(POOLER_URL_OPTION)
    if from_url is not None:
        parsed = parsed.difference_update_query([POOLER_URL_OPTION])
        url = parsed.render_as_string(hide_password=False)
    pooler = (configured or from_url or "").strip().lower() or None
    if pooler is not None and pooler not in POOLERS:
        raise UnknownPooler(f"unknown connection pooler {pooler!r}; known: {', '.join(sorted(POOLERS))}")
    return url, pooler


def make_engine(url: str, *, pooler: str | None = None, **options) -> Engine:
    """Create an engine tuned for the dialect behind the URL, and for the pooler in front of PostgreSQL.

    `pooler` (or the URL option `?pooler=pgbouncer`) says the server is reached through a
    transaction-mode pooler: psycopg then prepares no statements. `pool_pre_ping=True` may be
    passed where connections sit idle long enough for a firewall to cut them.

    :raises UnknownPooler:
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        _configure_sqlite(engine)
        return engine
    url, pooler = pooler_of(url, pooler)
    if pooler is not None:
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    # No ping before every checkout: it is a round trip on every request. A connection the server
    # dropped fails its first statement instead (a 503 that invites a retry, nothing applied), and
    # SQLAlchemy then discards every pooled connection older than that failure at once.
    options.setdefault("pool_pre_ping", False)
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 10)
    return create_engine(url, **options)


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and take the write lock when a transaction begins.

    pysqlite's own transaction handling breaks SAVEPOINT; taking over BEGIN fixes that
    (SQLAlchemy's documented recipe). BEGIN IMMEDIATE serialises writers up front, so a
    conditional debit can never act on a stale snapshot.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(bind) -> sessionmaker[Session]:
    """Return the session factory the app, CLI and tests share."""
    return sessionmaker(bind=bind, expire_on_commit=False)


# PostgreSQL's SQLSTATEs for a transaction that may simply be run again, by their names in its manual.
_RETRYABLE_SQLSTATES = {"40001": "serialization_failure", "40P01": "deadlock_detected"}


def retry_cause(exc: BaseException) -> str | None:
    """Name why a failed transaction may simply be run again, or return None if it may not."""
    if isinstance(exc, TransactionConflict):
        return "transaction_conflict"
    if not isinstance(exc, DBAPIError):
        return None
    original = exc.orig
    cause = _RETRYABLE_SQLSTATES.get(getattr(original, "sqlstate", None))
    if cause is None and isinstance(original, sqlite3.OperationalError) and "locked" in str(original):
        cause = "database_locked"
    return cause


def is_retryable(exc: BaseException) -> bool:
    """Tell whether a failed transaction may simply be run again."""
    return retry_cause(exc) is not None


def is_database_unavailable(exc: BaseException) -> bool:
    """Tell whether an error means the database cannot be reached right now."""
    if not isinstance(exc, DBAPIError) or isinstance(exc.orig, sqlite3.Error):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    # No SQLSTATE: the driver never reached a server. Class 08 is connection exceptions;
    # 57P0x is the server shutting down or starting up.
    return isinstance(exc, OperationalError) and (sqlstate is None or sqlstate[:2] in ("08", "57"))


@functools.cache
def _insert_unless_taken_statement(dialect: str, table: Table, unique: str):
    """Build one table's `INSERT … ON CONFLICT DO NOTHING`, once: every sale sends two (its HTTP key, its QR token)."""
    insert_statement = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return insert_statement(table).on_conflict_do_nothing(index_elements=[unique]).returning(table.c[unique])


def insert_unless_taken(session: Session, model: type, values: dict, *, unique: str) -> bool:
    """Insert a row unless its unique column's value is already taken; tell whether it was inserted.

    One INSERT ... ON CONFLICT DO NOTHING instead of a savepoint around an INSERT that may fail.
    A concurrent insert of the same value still makes this one wait for its transaction, then do
    nothing (it committed) or insert (it rolled back), as the savepoint's IntegrityError would tell.
    """
    # On the table, not the mapped class: the ORM's bulk insert would cost twice the CPU for a row
    # nobody reads back.
    statement = _insert_unless_taken_statement(session.get_bind().dialect.name, model.__table__, unique)
    return session.execute(statement, values).first() is not None


def update_rows(session: Session, model: type, /, *conditions, **values) -> int:
    """Set `values` on every row of `model` meeting all `conditions`, in one UPDATE; return how many rows changed.

    The conditions are how a state change stays safe under concurrency: the UPDATE takes the row lock,
    so of two racing changes the second finds the condition no longer met and changes nothing. The
    session's loaded copies are not touched; refresh those that are read again.
    """
    statement = update(model).where(*conditions).values(**values).execution_options(synchronize_session=False)
    return session.execute(statement).rowcount


@functools.cache
def _insert_returning_ids(table: Table):
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


@functools.cache
def _columns_but_the_id(table: Table) -> frozenset[str]:
    return frozenset(column.key for column in table.columns if column.key != "id")


def insert_persistent(session: Session, model: type[T], rows: list[dict], **loaded) -> list[T]:
    """Insert new rows with one Core INSERT and return them as persistent instances, in order.

    Every column but the id must be in each row: the instances are built from the rows as if just
    loaded, so nothing is read back. `loaded` gives related objects they hold from the start (a
    receipt's card), so that reading them costs no query. On the hot paths this is about half the
    CPU of the unit of work's flush, or of the ORM's bulk insert with RETURNING.
    """
    table = model.__table__
    columns = _columns_but_the_id(table)
    for row in rows:
        if row.keys() != columns:
            raise TypeError(f"{table.name}: give every column but the id, exactly: {sorted(columns)}")
    ids = session.execute(_insert_returning_ids(table), rows).scalars().all()
    return [adopt_persistent(session, model, row_id, row, **loaded) for row_id, row in zip(ids, rows, strict=True)]


def adopt_persistent(session: Session, model: type[T], row_id: int, row: dict, **loaded) -> T:
    """Put a row this unit has just inserted into the session as a persistent instance, without reading it back."""
    # A row inserted in a savepoint that rolled back can stay in the session (a kept refusal's
    # traceback holds it), and SQLite gives its id again.
    rolled_back = session.identity_map.get(session.identity_key(model, row_id))
    if rolled_back is not None:
        session.expunge(rolled_back)
    instance = model(id=row_id, **row, **loaded)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


# --- the unit of work -----------------------------------------------------------------------

_KEPT_WRITES = "mileage.kept_writes"


def keep_through_rollback(session: Session, write: Callable[[Session], None]) -> None:
    """Have the unit of work commit `write` even if the rest of it is rolled back.

    A final refusal must outlive the failed unit that made it: the stored answer to an idempotency
    key, the ledger's record that a key was refused. The write runs just before the unit commits,
    or, when the unit fails with a final refusal, in a transaction of its own after the rollback.
    It must be safe to run twice, and raise `TransactionConflict` if a concurrent unit has meanwhile
    given the key another outcome: the failed unit is then rerun and finds that outcome.
    """
    session.info.setdefault(_KEPT_WRITES, []).append(write)


@event.listens_for(Session, "before_commit")
def _run_kept_writes(session: Session) -> None:
    # Savepoint releases fire this event too; only the unit's own commit may run the writes.
    if session.in_nested_transaction():
        return
    # Last registered first: an outer key (an HTTP request's) was claimed before the inner ones it
    # leads to (the ledger's), and every unit must take keys in that one order or two retries of a
    # request can deadlock, each holding the key the other's stored refusal needs.
    for write in reversed(session.info.pop(_KEPT_WRITES, ())):
        write(session)


def end_failed_unit(session: Session, error: BaseException) -> None:
    """End a unit of work that raised: roll it back, keeping what must outlive the failure.

    A domain error that `keeps_changes` (a counted wrong PIN) commits the whole unit. A final
    refusal rolls the unit back and then commits its kept writes. Anything else rolls back.

    :raises TransactionConflict: a kept write found its key taken meanwhile; rerun the unit.
    """
    if isinstance(error, DomainError) and error.keeps_changes:
        session.commit()
        return
    session.rollback()
    if isinstance(error, DomainError) and not error.invites_retry and session.info.get(_KEPT_WRITES):
        try:
            session.commit()
        except Exception:
            session.rollback()
            raise
    session.info.pop(_KEPT_WRITES, None)


def run_in_transaction(session_factory: Callable[[], Session], work: Callable[[Session], T]) -> T:
    """Run work in one transaction and commit it, retrying conflicts a bounded number of times.

    :raises: the last error when every attempt conflicted, or the first non-retryable one.
    """
    for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
        session = session_factory()
        try:
            result = work(session)
            session.commit()
            return result
        except Exception as exc:
            failure = exc
            try:
                end_failed_unit(session, exc)
            except Exception as finishing_error:
                failure = finishing_error
            if attempt == MAX_TRANSACTION_ATTEMPTS or not is_retryable(failure):
                if failure is exc:
                    raise
                raise failure from exc
        finally:
            session.close()
    raise AssertionError("unreachable")


def describe_database_failure(error: Exception) -> str:
    """Say in one line what a database failure means to an operator, without its parameters (which may
    hold a password hash or personal data)."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    if isinstance(error, IntegrityError):
        return "the change conflicts with data already in the database; nothing was changed"
    if isinstance(error, OperationalError):
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
        if "no such table" in reason or "does not exist" in reason:
            return f"the database is not migrated ({reason}); run: mileage db upgrade"
        return f"cannot use the database ({reason}); check DATABASE_URL and that the database server runs"
    if isinstance(error, ProgrammingError):
        return "the database schema does not match this code; run: mileage db upgrade"
    return f"the database refused the operation ({type(error).__name__}); nothing was changed"
