"""Sort a stream of (key, line) pairs in bounded memory: sorted runs spill to temporary files.

Keys are tuples of integers (timestamp ms, file number, byte offset), so the order is total
and each record has exactly one place. Small inputs never touch the disk.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator

Key = tuple[int, int, int]
RUN = 20_000


def external_sort(items: Iterable[tuple[Key, bytes]], *, run: int | None = None,
                  tmpdir: str | None = None) -> Iterator[tuple[Key, bytes]]:
    """Yield ``items`` ordered by key, holding at most ``run`` (default RUN) in memory.

    Lines must not contain newlines (JSON-lines records never do).
    """
    run = run or RUN
    buffer: list[tuple[Key, bytes]] = []
    runs: list[str] = []
    workdir: Any = None  # a TemporaryDirectory once the first run spills
    try:
        for item in items:
            buffer.append(item)
            if len(buffer) >= run:
                if workdir is None:
                    import tempfile  # only big traces spill; keep start-up lean

                    workdir = tempfile.TemporaryDirectory(prefix="aiops-logs-", dir=tmpdir)
                runs.append(_spill(sorted(buffer), workdir.name, len(runs)))
                buffer = []
        buffer.sort()
        if not runs:
            yield from buffer
            return
        import heapq

        files = [open(path, "rb") for path in runs]
        try:
            yield from heapq.merge(buffer, *(_read_run(fh) for fh in files))
        finally:
            for fh in files:
                fh.close()
    finally:
        if workdir is not None:
            workdir.cleanup()


def _spill(items: list[tuple[Key, bytes]], directory: str, n: int) -> str:
    path = os.path.join(directory, f"run-{n:05d}")
    with open(path, "wb") as fh:
        for (a, b, c), line in items:
            fh.write(b"%d %d %d " % (a, b, c) + line + b"\n")
    return path


def _read_run(fh) -> Iterator[tuple[Key, bytes]]:
    for raw in fh:
        a, b, c, line = raw.rstrip(b"\n").split(b" ", 3)
        yield (int(a), int(b), int(c)), line
