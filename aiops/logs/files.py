"""The file backend: JSON-lines logs, plain or gzip, one file or a glob.

Each line is filtered on raw bytes first (see :mod:`aiops.logs.scan`) and only candidate
lines are parsed. Order is (timestamp ms, file number in sorted glob order, byte offset),
the same tie-breaking the clusters get from their index order and ``_shard_doc``.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
from collections import Counter
from typing import Any, Iterator

from aiops.core import safejson
from aiops.core.errors import UsageError
from aiops.core.fsutil import files_matching
from aiops.logs.model import (
    CORRELATION_ID,
    ERROR_LEVEL_VALUES,
    LEVEL,
    LOGGER,
    MESSAGE,
    TIMESTAMP,
    ErrorGroup,
    ErrorReport,
    Skipped,
    epoch_ms,
    from_epoch_ms,
    is_error_level,
    keyword,
    parse_timestamp,
    rank_groups,
)
from aiops.logs.scan import CorruptFile, matching_lines, needle_for
from aiops.logs.sorting import external_sort
from aiops.logs.timeline import Trace

DEPTH_CHECK = safejson.MAX_DEPTH  # fewer brackets than this cannot nest deeper
ERROR_NEEDLES = tuple(b'"' + v.encode() + b'"' for v in ERROR_LEVEL_VALUES)


class FileBackend:
    """Read JSON-lines files matching ``pattern`` (a path or a glob)."""

    name = "file"

    def __init__(self, pattern: str, *, tmpdir: str | None = None) -> None:
        self.pattern = os.path.expanduser(pattern)
        self.tmpdir = tmpdir

    @property
    def source(self) -> str:
        return self.pattern

    def close(self) -> None:
        """Nothing to release (files are opened per call); here for the backend interface."""

    def paths(self) -> list[str]:
        """The files to read, in a stable order; UsageError when none match.

        An existing file is taken literally, even when its name has glob characters
        (``we[ir]d*.jsonl``); only otherwise is the pattern expanded as a glob.
        """
        found = files_matching(self.pattern)
        if not found:
            what = "no file matches" if glob.has_magic(self.pattern) else "no such file:"
            raise UsageError(f"{what} '{self.pattern}'", hint="pass --file PATH or a quoted glob")
        for path in found:
            if not os.access(path, os.R_OK):
                raise UsageError(f"cannot read {path}: permission denied")
        return found

    def trace(self, correlation_id: str, start: dt.datetime, end: dt.datetime, *,
              limit: int | None = None) -> Trace:
        """Every record with exactly this correlation ID in [start, end], in time order."""
        paths = self.paths()
        skipped = Skipped()
        lo, hi = epoch_ms(start), epoch_ms(end)
        needle = needle_for(correlation_id)
        exact = needle is not None and needle.startswith(b'"')
        spellings = {correlation_id.encode(), json.dumps(correlation_id)[1:-1].encode(),
                     json.dumps(correlation_id, ensure_ascii=False)[1:-1].encode()}

        def candidates() -> Iterator[tuple[tuple[int, int, int], bytes]]:
            for number, path in enumerate(paths):
                for offset, line in self._lines(path, None if needle is None else [needle]):
                    mentions = exact or any(form in line for form in spellings)
                    record = _parse(line, skipped, counted=mentions)
                    if record is None or record.get(CORRELATION_ID) != correlation_id:
                        continue
                    when = parse_timestamp(record.get(TIMESTAMP))
                    if when is None:
                        skipped.missing_fields += 1
                    elif lo <= epoch_ms(when) <= hi:
                        yield (epoch_ms(when), number, offset), line

        def records() -> Iterator[tuple[dict[str, Any], str]]:
            for (_, number, offset), line in external_sort(candidates(), tmpdir=self.tmpdir):
                yield json.loads(line), f"{paths[number]}@{offset}"

        return Trace(correlation_id, backend=self.name, source=self.source, start=start, end=end,
                     records=records(), skipped=skipped, limit=limit)

    def errors(self, start: dt.datetime, end: dt.datetime, *, top: int = 10) -> ErrorReport:
        """ERROR/FATAL records in [start, end] grouped by logger and message."""
        skipped = Skipped()
        lo, hi = epoch_ms(start), epoch_ms(end)
        groups: dict[tuple[str, str], _Group] = {}
        total = 0
        for path in self.paths():
            for _, line in self._lines(path, ERROR_NEEDLES):
                record = _parse(line, skipped, counted=True)
                if record is None or not is_error_level(record.get(LEVEL)):
                    continue
                when = parse_timestamp(record.get(TIMESTAMP))
                if when is None:
                    skipped.missing_fields += 1
                    continue
                ms = epoch_ms(when)
                if not lo <= ms <= hi:
                    continue
                total += 1
                logger, message = keyword(record.get(LOGGER)), keyword(record.get(MESSAGE))
                if logger is not None and message is not None:
                    groups.setdefault((logger, message), _Group()).add(record, ms)
        ranked = rank_groups([g.result(*key) for key, g in groups.items()], top)
        return ErrorReport(self.name, self.source, start, end, total, ranked, skipped)

    def _lines(self, path: str, needles: list[bytes] | tuple[bytes, ...] | None
               ) -> Iterator[tuple[int, bytes]]:
        try:
            yield from matching_lines(path, needles)
        except CorruptFile as exc:
            raise UsageError(f"cannot read compressed log {exc}") from None
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _parse(line: bytes, skipped: Skipped, *, counted: bool) -> dict[str, Any] | None:
    """The line as a JSON object, or None (counted as invalid when it held the needle)."""
    if not line.strip():
        return None
    try:  # a line with many brackets is checked for nesting (the renderers recurse)
        record = safejson.loads(line) if line.count(b"[") + line.count(b"{") > DEPTH_CHECK \
            else json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        if counted:
            skipped.invalid_json += 1
        return None
    return record


class _Group:
    """Running counts for one (logger, message) group; ids ranked like a terms aggregation."""

    __slots__ = ("count", "first", "last", "levels", "ids")

    def __init__(self) -> None:
        self.count = 0
        self.first: int | None = None
        self.last: int | None = None
        self.levels: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()

    def add(self, record: dict[str, Any], ms: int) -> None:
        self.count += 1
        self.first = ms if self.first is None else min(self.first, ms)
        self.last = ms if self.last is None else max(self.last, ms)
        self.levels[record[LEVEL].upper()] += 1
        cid = keyword(record.get(CORRELATION_ID))
        if cid is not None:
            self.ids[cid] += 1

    def result(self, logger: str, message: str) -> ErrorGroup:
        ids = sorted(self.ids.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        return ErrorGroup(logger, message, self.count, from_epoch_ms(self.first),
                          from_epoch_ms(self.last), dict(self.levels), [k for k, _ in ids])
