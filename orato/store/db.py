"""Engine, sessions and schema migrations.

The schema is owned by Alembic: :func:`migrate` brings any database (SQLite file or
PostgreSQL) to the newest revision, and runs on every server start and CLI command, so an
operator never has to remember a separate migration step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from orato.errors import EngineUnavailableError

logger = logging.getLogger("orato.store")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        db_path = url.removeprefix("sqlite:///")
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: statement errors must not carry stored values (responses, ids) into logs.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the request log be written while other requests read keys.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """The process's handle on the store: one engine, short-lived sessions."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        migrate(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block succeeds, rolled back when it raises.

        A database that cannot be reached (restarting, network, locked) is a clean, retryable
        503 for the client, not an internal error.
        """
        try:
            with self._sessions() as session, session.begin():
                yield session
        except (OperationalError, InterfaceError) as error:
            logger.warning("database unavailable: %s", type(error.orig).__name__)
            raise EngineUnavailableError("The database is unavailable; retry with backoff.", retry_after=2) from None

    def dispose(self) -> None:
        self.engine.dispose()
