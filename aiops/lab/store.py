"""The lab's episode store: every finished training episode, in SQLite through SQLAlchemy.

The trainer writes one row per episode and ``/health`` reads the latest, each on a connection
checked out of SQLAlchemy's ``QueuePool`` (``pool_size`` connections kept, up to
``max_overflow`` more under contention). The pool's own accounting is what the lab exports:
``db_pool_connections_checked_out``, ``db_pool_connections_idle``, ``db_pool_size``,
``db_pool_overflow`` (connections open beyond ``pool_size``), ``db_pool_max_overflow`` and
``db_pool_checkouts_total``.

Without a path the store is a temporary file removed at shutdown; with one, episodes survive
restarts (the table is created when missing).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import weakref
from typing import Any

POOL_SIZE = 5
MAX_OVERFLOW = 10


class EpisodeStore:
    """Episodes in SQLite behind a QueuePool; ``close()`` disposes of the pool."""

    def __init__(self, path: str | None = None, *, pool_size: int = POOL_SIZE,
                 max_overflow: int = MAX_OVERFLOW, pool_timeout: float = 5.0) -> None:
        import sqlalchemy as sa
        from sqlalchemy.pool import QueuePool

        self._temporary = path is None
        if path is None:
            fd, path = tempfile.mkstemp(prefix="aiops-lab-episodes-", suffix=".sqlite")
            os.close(fd)
        self.path = os.path.abspath(path)
        # a temporary file goes with the store, even one nobody closed (at exit at the latest)
        self._remove = weakref.finalize(self, _remove, self.path) if self._temporary else None
        self.pool_size, self.max_overflow = pool_size, max_overflow
        self.engine = sa.create_engine(f"sqlite:///{self.path}", poolclass=QueuePool, pool_size=pool_size,
                                       max_overflow=max_overflow, pool_timeout=pool_timeout)
        self._checkouts = 0
        self._lock = threading.Lock()
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        sa.event.listen(self.engine.pool, "checkout", self._counted)
        self.table = sa.Table(
            "episodes", sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("finished_at", sa.Float, nullable=False),
            sa.Column("correct", sa.Boolean, nullable=False),
            sa.Column("loss", sa.Float, nullable=False),
            sa.Column("steps_to_converge", sa.Integer, nullable=False),
            sa.Column("seconds_to_converge", sa.Float, nullable=False),
        )
        self.table.metadata.create_all(self.engine)

    def _counted(self, *args: Any) -> None:
        with self._lock:
            self._checkouts += 1

    def record(self, *, correct: bool, loss: float, steps_to_converge: int, seconds_to_converge: float) -> None:
        """Append one finished episode."""
        with self.engine.begin() as conn:
            conn.execute(self.table.insert().values(finished_at=time.time(), correct=bool(correct),
                                                    loss=float(loss), steps_to_converge=int(steps_to_converge),
                                                    seconds_to_converge=float(seconds_to_converge)))

    def summary(self) -> dict[str, Any]:
        """Episodes stored and the latest one's finish time (for /health)."""
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sa.func.max(self.table.c.id), sa.func.max(self.table.c.finished_at))).one()
        return {"episodes": int(row[0] or 0), "last_finished_at": row[1]}

    def pool_stats(self) -> dict[str, int]:
        """The QueuePool's accounting now (overflow: connections open beyond pool_size)."""
        pool = self.engine.pool
        return {"checked_out": pool.checkedout(), "idle": pool.checkedin(), "size": pool.size(),
                "overflow": max(0, pool.overflow()), "max_overflow": self.max_overflow,
                "checkouts": self._checkouts}

    def close(self) -> None:
        """Dispose of the pool; remove the file when it was temporary."""
        self.engine.dispose()
        if self._remove is not None:
            self._remove()


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    # WAL lets /health read while the trainer writes; NORMAL syncs at checkpoints, not per episode
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class StoreHandle:
    """Opens the episode store in a thread, so that importing SQLAlchemy is not start-up work.

    :meth:`start` begins opening (idempotent); :meth:`wait` returns the store once open (None
    if opening failed: ``error`` says why); :attr:`current` never waits.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.current: EpisodeStore | None = None
        self.error: str | None = None
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._open, name="lab-store", daemon=True)
                self._thread.start()

    def _open(self) -> None:
        try:
            self.current = EpisodeStore(self.path)
        except Exception as exc:  # reported by /health, never fatal to the service
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._opened.set()

    def wait(self, timeout: float = 30.0) -> EpisodeStore | None:
        """The open store (starting to open it if nobody has)."""
        self.start()
        self._opened.wait(timeout)
        return self.current

    def close(self, timeout: float = 10.0) -> None:
        """Close the store once it has opened (waiting at most ``timeout``)."""
        if self._thread is not None and self._opened.wait(timeout) and self.current is not None:
            self.current.close()
