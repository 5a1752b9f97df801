"""Small file-system helpers: writes that must survive a crash, a path or a glob read."""

from __future__ import annotations

import errno
import glob
import os
import tempfile
from pathlib import Path

from aiops.core.errors import UsageError


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


def atomic_write(path: Path, data: bytes, *, force: bool = False, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` all at once: readers see the old file or the whole new one."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if force:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    fsync_dir(path.parent)


def _link_new(tmp: str, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        if path.exists():  # no hard links here: the best a rename can do
            raise UsageError(f"{path} already exists", hint="pass --force to overwrite it") from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_new_file(out: str | os.PathLike, text: str, *, force: bool = False) -> str:
    """Write a generated file the user named (``--out``): parent directories created, never over
    an existing file without ``force`` (exit 2 saying so), all at once. Returns the path written."""
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    atomic_write(path, text.encode("utf-8"), force=force)
    return str(path)
