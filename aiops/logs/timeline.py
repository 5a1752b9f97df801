"""A streamed timeline for one correlation ID.

A backend hands :class:`Trace` an iterator of ``(record, location)`` pairs already in
(timestamp, tie-breaker) order, holding only records with exactly the ID and a timestamp
inside the window. The trace turns them into :class:`TimelineEntry` objects one at a time
and keeps a running :class:`TraceSummary`, so memory does not grow with the record count.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Iterator

from aiops.logs.model import (TIMESTAMP, Skipped, TimelineEntry, TraceSummary, iso, make_entry,
                              parse_timestamp)

SCHEMA = "aiops.logs.trace/v1"


class Trace:
    """Iterate once for the entries; ``summary`` is complete when iteration ends.

    The first record is fetched when the trace is created, so a bad index, bad credentials
    or an unreachable cluster fail before any output is written. Use it as a context
    manager (or call :meth:`close`) so a point in time is released even on early exit.
    """

    def __init__(self, correlation_id: str, *, backend: str, source: str,
                 start: dt.datetime, end: dt.datetime,
                 records: Iterator[tuple[dict[str, Any], str | None]],
                 skipped: Skipped | None = None, limit: int | None = None) -> None:
        self.correlation_id = correlation_id
        self.backend = backend
        self.source = source
        self.start, self.end = start, end
        self.limit = limit
        self.summary = TraceSummary(skipped=skipped or Skipped())
        self._records = records
        self._first: dt.datetime | None = None
        self._used = False
        self._pending = next(self._records, None)  # fail early: errors surface before output

    def __iter__(self) -> Iterator[TimelineEntry]:
        if self._used:
            raise RuntimeError("a Trace can be iterated only once")
        self._used = True
        try:
            while self._pending is not None:
                source, location = self._pending
                if self.limit is not None and self.summary.records >= self.limit:
                    self.summary.truncated = True
                    break
                self._pending = next(self._records, None)
                time = parse_timestamp(source.get(TIMESTAMP))
                if time is None:  # backends filter these; count rather than crash if one slips
                    self.summary.skipped.missing_fields += 1
                    continue
                if self._first is None:
                    self._first = time
                entry = make_entry(source, time, self._first, location)
                self.summary.add(entry)
                yield entry
        finally:
            self.close()

    def close(self) -> None:
        """Release the backend's resources (closes the point in time)."""
        self._pending = None
        close = getattr(self._records, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "Trace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def empty(self) -> bool:
        """True when the trace found nothing (known before iterating)."""
        return self._pending is None and self.summary.records == 0

    def header(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "correlation_id": self.correlation_id, "backend": self.backend,
                "source": self.source, "window": {"start": iso(self.start), "end": iso(self.end)}}

    def to_dict(self) -> dict[str, Any]:
        """The whole document in memory (for small traces; the CLI streams instead)."""
        records = [e.to_dict() for e in self]
        return {**self.header(), "records": records, "summary": self.summary.to_dict()}


def write_json(trace: Trace, write: Callable[[str], Any]) -> None:
    """Stream ``trace`` as one JSON document, one record per line, summary last.

    The document has the shape of :meth:`Trace.to_dict`; nothing is held in memory.
    """
    header = json.dumps(trace.header(), ensure_ascii=False)
    write(header[:-1] + ', "records": [')
    sep = "\n  "
    for entry in trace:
        write(sep + json.dumps(entry.to_dict(), ensure_ascii=False, default=str))
        sep = ",\n  "
    write("\n], \"summary\": " + json.dumps(trace.summary.to_dict(), ensure_ascii=False) + "}\n")
