"""Log records as aiops sees them: timeline entries, the trace summary, error groups.

Field names follow the runbook's structured logging format (``timestamp``, ``level``,
``logger``, ``message``, ``correlation_id``, ``duration_ms``, ``context``); any other
top-level key of a record is kept in ``fields``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aiops.core.timewindow import rfc3339

TIMESTAMP = "timestamp"
CORRELATION_ID = "correlation_id"
LEVEL = "level"
LOGGER = "logger"
MESSAGE = "message"
DURATION = "duration_ms"
CONTEXT = "context"
KNOWN_FIELDS = (TIMESTAMP, LEVEL, LOGGER, MESSAGE, CORRELATION_ID, DURATION, CONTEXT)

ERROR_LEVELS = ("ERROR", "FATAL", "CRITICAL")
# The spellings a terms query on a keyword field matches (it is case-sensitive).
ERROR_LEVEL_VALUES = tuple(v for level in ERROR_LEVELS for v in (level, level.lower(), level.title()))
MAX_ERROR_MESSAGES = 50

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MS = dt.timedelta(milliseconds=1)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """A record's timestamp as an aware UTC datetime: ISO-8601 or epoch milliseconds; else None.

    Naive ISO times are UTC, as Elasticsearch's ``date`` type reads them.
    """
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            return _EPOCH + dt.timedelta(milliseconds=value)
        if not isinstance(value, str) or not value:
            return None
        if value.isdigit():
            return _EPOCH + dt.timedelta(milliseconds=int(value))
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def epoch_ms(when: dt.datetime) -> int:
    """Milliseconds since the epoch, truncated, as a ``date`` field sorts and compares."""
    return (when - _EPOCH) // _MS


def from_epoch_ms(ms: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=int(ms))


def iso(when: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` and milliseconds (the JSON documents' one precision)."""
    return None if when is None else rfc3339(when)


def keyword(value: Any) -> str | None:
    """A scalar as a keyword field indexes it; None for missing values and objects."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def is_error_level(level: Any) -> bool:
    return isinstance(level, str) and level in ERROR_LEVEL_VALUES


@dataclass
class TimelineEntry:
    """One record on a correlation ID's timeline."""

    time: dt.datetime
    offset_ms: float
    level: str | None
    logger: str | None
    message: str | None
    duration_ms: Any = None
    context: Any = None
    fields: dict[str, Any] = field(default_factory=dict)
    location: str | None = None  # index name, or file@byte-offset

    @property
    def is_error(self) -> bool:
        return self.level in ERROR_LEVELS

    @property
    def incomplete(self) -> bool:
        return self.level is None or self.logger is None or self.message is None

    def to_dict(self) -> dict[str, Any]:
        return {"time": iso(self.time), "offset_ms": self.offset_ms, "level": self.level,
                "logger": self.logger, "message": self.message, "duration_ms": self.duration_ms,
                "context": self.context, "fields": self.fields, "location": self.location}


def make_entry(source: dict[str, Any], time: dt.datetime, first: dt.datetime,
               location: str | None) -> TimelineEntry:
    """Build a timeline entry from a record whose timestamp has been parsed already."""
    level = source.get(LEVEL)
    return TimelineEntry(
        time=time,
        offset_ms=round((time - first) / _MS, 3),
        level=keyword(level).upper() if keyword(level) is not None else None,
        logger=keyword(source.get(LOGGER)),
        message=keyword(source.get(MESSAGE)),
        duration_ms=source.get(DURATION),
        context=source.get(CONTEXT),
        fields={k: v for k, v in source.items() if k not in KNOWN_FIELDS},
        location=location,
    )


@dataclass
class Skipped:
    """Records that matched but could not be used, by reason."""

    invalid_json: int = 0  # lines holding the searched bytes that are not a JSON object
    missing_fields: int = 0  # records without a usable timestamp

    @property
    def total(self) -> int:
        return self.invalid_json + self.missing_fields

    def to_dict(self) -> dict[str, int]:
        return {"invalid_json": self.invalid_json, "missing_fields": self.missing_fields}


@dataclass
class TraceSummary:
    """What a trace amounted to: first/last time, span, counts, the error messages."""

    records: int = 0
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    by_level: dict[str, int] = field(default_factory=dict)
    by_logger: dict[str, int] = field(default_factory=dict)
    errors: dict[tuple[str | None, str | None, str | None], list] = field(default_factory=dict)
    errors_omitted: int = 0
    incomplete: int = 0
    skipped: Skipped = field(default_factory=Skipped)
    truncated: bool = False

    @property
    def span_ms(self) -> float | None:
        if self.first_time is None or self.last_time is None:
            return None
        return round((self.last_time - self.first_time) / _MS, 3)

    def add(self, entry: TimelineEntry) -> None:
        """Count one entry (called as entries stream past; memory stays bounded)."""
        self.records += 1
        if self.first_time is None:
            self.first_time = entry.time
        self.last_time = entry.time
        level = entry.level or "(none)"
        self.by_level[level] = self.by_level.get(level, 0) + 1
        logger = entry.logger or "(none)"
        self.by_logger[logger] = self.by_logger.get(logger, 0) + 1
        self.incomplete += entry.incomplete
        if entry.is_error:
            key = (entry.level, entry.logger, entry.message)
            if key in self.errors:
                self.errors[key][0] += 1
            elif len(self.errors) < MAX_ERROR_MESSAGES:
                self.errors[key] = [1, entry.time]
            else:
                self.errors_omitted += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records, "first_time": iso(self.first_time),
            "last_time": iso(self.last_time), "span_ms": self.span_ms,
            "by_level": dict(sorted(self.by_level.items())),
            "by_logger": dict(sorted(self.by_logger.items())),
            "errors": [{"level": k[0], "logger": k[1], "message": k[2], "count": v[0],
                        "first_time": iso(v[1])} for k, v in self.errors.items()],
            "errors_omitted": self.errors_omitted, "incomplete": self.incomplete,
            "skipped": self.skipped.to_dict(), "truncated": self.truncated,
        }


@dataclass
class ErrorGroup:
    """ERROR/FATAL records sharing a logger and message."""

    logger: str
    message: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    levels: dict[str, int]
    sample_correlation_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"logger": self.logger, "message": self.message, "count": self.count,
                "first_seen": iso(self.first_seen), "last_seen": iso(self.last_seen),
                "levels": dict(sorted(self.levels.items())),
                "sample_correlation_ids": self.sample_correlation_ids}


def rank_groups(groups: list[ErrorGroup], top: int) -> list[ErrorGroup]:
    """Most frequent first; ties by logger then message (a terms aggregation's order)."""
    return sorted(groups, key=lambda g: (-g.count, g.logger, g.message))[:top]


@dataclass
class ErrorReport:
    """``aiops logs errors``: the top error groups in a window."""

    backend: str
    source: str
    start: dt.datetime
    end: dt.datetime
    total: int
    groups: list[ErrorGroup]
    skipped: Skipped = field(default_factory=Skipped)

    @property
    def other(self) -> int:
        """Error records in the window that are not in the listed groups."""
        return self.total - sum(g.count for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.logs.errors/v1", "backend": self.backend, "source": self.source,
                "window": {"start": iso(self.start), "end": iso(self.end)},
                "total": self.total, "other": self.other,
                "groups": [g.to_dict() for g in self.groups], "skipped": self.skipped.to_dict()}
