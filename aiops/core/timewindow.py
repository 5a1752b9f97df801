"""One parser for every ``--since``/``--until``/``--window``: ``15m``, ``1h30m``, ``2d``, ISO-8601, ``now``."""

from __future__ import annotations

import datetime as dt
import re

from aiops.core.errors import UsageError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str, *, what: str = "duration") -> float:
    """``90s``, ``15m``, ``1h30m``, ``2d`` -> seconds. Raises UsageError naming ``what``."""
    raw = str(text).strip().lower()
    if not raw or not _DURATION.match(raw):
        raise UsageError(f"invalid {what} '{text}': use e.g. 30s, 15m, 1h30m, 2d")
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(raw))
    if seconds <= 0:
        raise UsageError(f"invalid {what} '{text}': must be positive")
    return seconds


def parse_time(text: str, *, now: dt.datetime | None = None, what: str = "time") -> dt.datetime:
    """A point in time, as an aware UTC datetime: ``now``, a duration ago, or ISO-8601."""
    now = now or dt.datetime.now(dt.timezone.utc)
    raw = str(text).strip()
    if raw.lower() == "now":
        return now
    if _DURATION.match(raw.lower()):
        return now - dt.timedelta(seconds=parse_duration(raw, what=what))
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"invalid {what} '{text}': use 15m, 1h, 2d, now or ISO-8601 "
                         "(2026-01-28T10:00:00Z)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def parse_window(since: str | None, until: str | None, *, default_since: str = "1h",
                 now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """``--since``/``--until`` to a (start, end) pair; start must precede end."""
    now = now or dt.datetime.now(dt.timezone.utc)
    end = parse_time(until, now=now, what="--until") if until else now
    start = parse_time(since or default_since, now=now, what="--since")
    if start >= end:
        raise UsageError(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})")
    return start, end


def rfc3339(when: dt.datetime) -> str:
    """The one timestamp format of aiops' JSON: RFC 3339 in UTC, milliseconds, ``Z``.

    ``2026-01-28T10:00:00.000Z`` whatever the value's own precision, so every timestamp of a
    document has the same shape (naive datetimes are taken as UTC).
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_duration(seconds: float) -> str:
    """Seconds as ``parse_duration`` reads them back: ``300`` -> ``5m``, ``5400`` -> ``1h30m``,
    ``1.5`` -> ``1.5s`` (a duration in a JSON document carries its unit)."""
    if seconds <= 0 or not float(seconds).is_integer():
        return f"{seconds:g}s"
    rest, parts = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


def human_duration(seconds: float | None) -> str:
    """``4m 59s``, ``1h 02m``, ``1d 03h``; ``-`` for None."""
    if seconds is None:
        return "-"
    total = int(round(abs(seconds)))
    sign = "-" if seconds < 0 and total else ""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"
