"""Small file-system helpers: writes that must survive a crash, a path or a glob read."""

from __future__ import annotations

import glob
import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry (a new or renamed file) to disk; best effort where unsupported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def files_matching(pattern: str) -> list[str]:
    """The regular files ``pattern`` names, sorted: an existing file taken literally, even when
    its name has glob characters (``we[ir]d*.jsonl``); only otherwise the pattern as a glob."""
    if os.path.isfile(pattern):
        return [pattern]
    if glob.has_magic(pattern):
        return sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
    return []
