"""File names and safe writes: a slug of date and incident, atomic, never overwriting by accident.

The name is built only from the date and the incident number or ID (or, without an incident,
a title slug): lower-case ASCII letters, digits and dashes, so no title can smuggle in a path
separator, ``..``, a hidden file or a control character. The document is written to a
temporary file in the target directory, fsynced, then moved into place: with ``force`` by
``os.replace``; without it by ``os.link``, which fails if the name exists, so even a file
created meanwhile by someone else is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

from aiops.core.errors import UsageError
from aiops.core.fsutil import atomic_write  # noqa: F401 (re-exported: the post-mortem's writes)

MAX_SLUG = 60
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = MAX_SLUG) -> str:
    """``"Sim Lab API is down!"`` -> ``sim-lab-api-is-down``; empty input gives ``incident``."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "incident"


def file_stem(date: dt.date, *, number: int | None = None, incident_id: str | None = None,
              title: str | None = None) -> str:
    """``2026-01-28-incident-42``, ``2026-01-28-q1abc2``, or ``2026-01-28-<title slug>``."""
    if number is not None:
        part = f"incident-{int(number)}"
    elif incident_id:
        part = slugify(incident_id, 40)
    else:
        part = slugify(title or "incident")
    return f"{date.isoformat()}-{part}"


def target(out_dir: str | os.PathLike, name: str) -> Path:
    """``out_dir/name``, refusing any name that would leave ``out_dir``."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise UsageError(f"unsafe file name {name!r}")
    base = Path(out_dir).expanduser()
    path = base / name
    if path.resolve().parent != base.resolve():
        raise UsageError(f"unsafe file name {name!r}: it leaves {base}")
    return path


def ensure_dir(out_dir: str | os.PathLike) -> Path:
    """Create ``out_dir`` if needed; a UsageError if it is not a writable directory."""
    base = Path(out_dir).expanduser()
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out directory {base}: {exc.strerror or exc}") from None
    if not base.is_dir():
        raise UsageError(f"--out {base} is not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise UsageError(f"--out {base}: permission denied")
    return base


def refuse_existing(paths: list[Path], force: bool) -> None:
    """Exit 2 naming the first existing file unless ``force``."""
    if force:
        return
    for path in paths:
        if path.exists() or path.is_symlink():
            raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
