"""OTLP JSON lines files (what ``aiops lab serve --trace-file`` writes), plain or gzip, one or a glob.

Each line is one ``{"resourceSpans": [...]}`` export. To find one trace only the lines that
hold its ID's bytes are decoded; the others are only checked to be whole (``{...}``). A line
that is not JSON (a torn write, a disk that filled up) is counted in
:class:`~aiops.tracing.model.Skipped` and reported, never fatal.
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import json
import os
from typing import IO, Iterator

from aiops.core.errors import CheckFailed, UsageError
from aiops.tracing.model import Skipped, Span, spans_of


def _open(path: str) -> IO[bytes]:
    handle = open(path, "rb")
    if handle.read(2) == b"\x1f\x8b":
        handle.close()
        return gzip.open(path, "rb")
    handle.seek(0)
    return handle


class FileSource:
    """OTLP JSON lines files matching ``pattern``."""

    name = "file"

    def __init__(self, pattern: str) -> None:
        self.pattern = os.path.expanduser(pattern)

    @property
    def source(self) -> str:
        return self.pattern

    def paths(self) -> list[str]:
        """The files to read, sorted; UsageError when none match."""
        if glob.has_magic(self.pattern):
            found = sorted(p for p in glob.glob(self.pattern) if os.path.isfile(p))
        else:
            found = [self.pattern] if os.path.isfile(self.pattern) else []
        if not found:
            raise UsageError(f"no trace file matches '{self.pattern}'",
                             hint="pass --file PATH_OR_GLOB (quote globs) or set tracing.file")
        return found

    def lines(self, needle: bytes | None, skipped: Skipped) -> Iterator[tuple[dict, str]]:
        """Decoded lines (holding ``needle``, when given) with their ``file:line`` place."""
        for path in self.paths():
            try:
                with _open(path) as handle:
                    for number, raw in enumerate(handle, 1):
                        if needle is not None and needle not in raw:
                            line = raw.strip()
                            if line and not (line[:1] == b"{" and line[-1:] == b"}"):  # torn: cheap to see
                                skipped.corrupt_lines += 1
                                skipped.note(f"{path}:{number}")
                            continue
                        if not raw.strip():
                            continue
                        try:
                            doc = json.loads(raw)
                        except (ValueError, UnicodeDecodeError):
                            doc = None
                        if not isinstance(doc, dict):
                            skipped.corrupt_lines += 1
                            skipped.note(f"{path}:{number}")
                            continue
                        yield doc, f"{path}:{number}"
            except (OSError, EOFError, gzip.BadGzipFile) as exc:  # a truncated .gz: what was read counts
                skipped.corrupt_lines += 1
                skipped.note(f"{path}: {getattr(exc, 'strerror', None) or exc}")

    def get(self, trace_id: str, start: dt.datetime | None = None,
            end: dt.datetime | None = None) -> tuple[list[Span], Skipped]:
        """Every span of ``trace_id`` in the files; CheckFailed (exit 3) when there is none."""
        skipped = Skipped()
        spans = [s for doc, place in self.lines(trace_id.encode(), skipped)
                 for s in spans_of(doc, skipped, place, trace_id) if s.trace_id == trace_id]
        if not spans:
            raise CheckFailed(f"no trace {trace_id} in {self.source}",
                              hint="check the ID; the lab writes spans about half a second after a request")
        return spans, skipped

    def candidates(self, start: dt.datetime, end: dt.datetime, min_duration_s: float | None,
                   errors: bool, limit: int) -> tuple[list[Span], Skipped]:
        """Every span in the files (the search ranks and filters them)."""
        skipped = Skipped()
        spans = [s for doc, place in self.lines(None, skipped) for s in spans_of(doc, skipped, place)]
        return spans, skipped
