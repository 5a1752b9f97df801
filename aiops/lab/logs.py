"""Structured JSON logs in the runbook's format, written off the event loop.

Every record has exactly the runbook's fields::

    {"timestamp": "2026-01-28T10:00:00.123Z", "level": "INFO", "logger": "active_inference.core",
     "message": "Inference completed successfully", "correlation_id": "req-12345",
     "user_id": "user-67890", "model_id": "model-tmaze-1a2b3c4d", "duration_ms": 0.42,
     "context": {"episode": 42, "step": 100, "accuracy": 0.95}}

``context`` always carries ``episode``, ``step`` and ``accuracy`` (null when they do not
apply) and may carry more (``method``, ``path``, ``status``, ``fault``, ``error``).
Levels are the runbook's: DEBUG, INFO, WARN, ERROR, FATAL. With tracing on, every record
also carries ``trace_id`` and ``span_id`` (null outside a sampled span), so logs and traces join.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import math
import queue
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

ROOT = "active_inference"
FIELDS = ("timestamp", "level", "logger", "message", "correlation_id", "user_id", "model_id",
          "duration_ms", "context")
LEVEL_NAMES = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN",
               logging.ERROR: "ERROR", logging.CRITICAL: "FATAL"}
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "warning": logging.WARNING, "error": logging.ERROR, "fatal": logging.CRITICAL}
_QUEUE_SIZE = 100_000


def iso_utc(epoch: float) -> str:
    """Epoch seconds as ISO-8601 UTC with milliseconds and a ``Z``."""
    stamp = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class RunbookFormatter(logging.Formatter):
    """Formats a record as one JSON object with the runbook's fields.

    Fields come from ``extra=`` (see :func:`event`); ``defaults`` fills ``model_id`` and
    ``user_id`` for records that do not set them.
    """

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.defaults = defaults if defaults is not None else {}
        self.trace_ids: Any = None  # with tracing on: () -> (trace_id, span_id) of the current span

    def to_dict(self, record: logging.LogRecord) -> dict[str, Any]:
        ctx = dict(getattr(record, "context", None) or {})
        context = {"episode": ctx.pop("episode", None), "step": ctx.pop("step", None),
                   "accuracy": ctx.pop("accuracy", None), **ctx}
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            context["error"] = f"{type(exc).__name__}: {exc}"[:500]
        duration = getattr(record, "duration_ms", None)
        doc = _clean({
            "timestamp": iso_utc(record.created),
            "level": LEVEL_NAMES.get(record.levelno, record.levelname),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None),
            "user_id": getattr(record, "user_id", None) or self.defaults.get("user_id", "system"),
            "model_id": getattr(record, "model_id", None) or self.defaults.get("model_id"),
            "duration_ms": None if duration is None else round(float(duration), 3),
            "context": context,
        })
        if self.trace_ids is not None:  # formatted in the logging thread: its current span
            doc["trace_id"], doc["span_id"] = self.trace_ids()
        return doc

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.to_dict(record), separators=(",", ":"), ensure_ascii=False,
                          default=str)


def event(logger: logging.Logger, level: int, message: str, *, correlation_id: str | None = None,
          user_id: str | None = None, duration_ms: float | None = None,
          exc_info: Any = None, **context: Any) -> None:
    """Log one runbook record; keyword arguments beyond the named ones go to ``context``."""
    if logger.isEnabledFor(level):
        logger.log(level, message, exc_info=exc_info,
                   extra={"correlation_id": correlation_id, "user_id": user_id,
                          "duration_ms": duration_ms, "context": context})


class _DroppingQueueHandler(logging.handlers.QueueHandler):
    """Formats in the caller's thread; drops the record (never blocks) when the queue is full."""

    dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


@dataclass
class LogSetup:
    """The installed handlers; ``close()`` flushes and removes them."""

    formatter: RunbookFormatter
    listener: logging.handlers.QueueListener
    handlers: list[logging.Handler] = field(default_factory=list)
    loggers: list[logging.Logger] = field(default_factory=list)

    def close(self) -> None:
        for logger in self.loggers:
            for handler in self.handlers:
                logger.removeHandler(handler)
        if self.listener._thread is not None:
            self.listener.stop()  # drains the queue
        for handler in self.listener.handlers:
            handler.close()


def configure(*, log_file: str | None = None, level: str = "info", max_bytes: int = 10 * 1024 * 1024,
              backups: int = 3, stream: TextIO | None = None, extra_handlers: tuple = (),
              defaults: dict[str, Any] | None = None, start: bool = True) -> LogSetup:
    """Send the ``active_inference.*`` and uvicorn loggers to stdout or a rotating file.

    Records are formatted where they are logged and written by a background thread, so a
    slow disk or a full pipe never stalls the event loop. ``extra_handlers`` (such as the
    Elasticsearch shipper) receive the formatted records too. With ``start=False`` records
    wait in the queue until ``setup.listener.start()``.
    """
    formatter = RunbookFormatter(defaults)
    if log_file:
        sink: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    else:
        sink = logging.StreamHandler(stream or sys.stdout)
    sink.setFormatter(logging.Formatter("%(message)s"))
    records: queue.Queue = queue.Queue(_QUEUE_SIZE)
    front = _DroppingQueueHandler(records)
    front.setFormatter(formatter)
    listener = logging.handlers.QueueListener(records, sink, *extra_handlers, respect_handler_level=True)
    if start:
        listener.start()
    setup = LogSetup(formatter, listener, [front])
    app_logger = logging.getLogger(ROOT)
    app_logger.setLevel(LEVELS[level.lower()])
    for name, logger_level in ((ROOT, None), ("uvicorn", logging.WARNING), ("uvicorn.error", None),
                               ("uvicorn.access", logging.WARNING)):
        logger = logging.getLogger(name)
        if logger_level is not None:
            logger.setLevel(logger_level)
        logger.propagate = False if name != "uvicorn.error" else True
        if name != "uvicorn.error":
            logger.addHandler(front)
            setup.loggers.append(logger)
    return setup
