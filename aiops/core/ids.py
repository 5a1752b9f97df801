"""Identifiers given by a unique prefix, as git and docker take them.

``resolve_prefix("6b4f", ids, what="silence")`` is the one ID starting with ``6b4f``; no match
or an ambiguous prefix is a UsageError (exit 2) that lists the candidates. ``short_ids(ids)``
gives each ID the shortest prefix (at least 8 characters) that no other ID shares, for tables.
"""

from __future__ import annotations

from typing import Iterable

from aiops.core.errors import UsageError

SHORT = 8
LISTED = 10


def resolve_prefix(prefix: str, ids: Iterable[str], *, what: str = "ID") -> str:
    """The one ID in ``ids`` equal to or starting with ``prefix`` (case-insensitive)."""
    wanted = prefix.strip().lower()
    if not wanted:
        raise UsageError(f"empty {what} ID")
    known = list(dict.fromkeys(ids))
    exact = [i for i in known if i.lower() == wanted]
    if exact:
        return exact[0]
    matches = [i for i in known if i.lower().startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no {what} matches '{prefix}'")
    listed = ", ".join(sorted(matches)[:LISTED]) + (f" and {len(matches) - LISTED} more"
                                                    if len(matches) > LISTED else "")
    raise UsageError(f"{what} prefix '{prefix}' is ambiguous: {len(matches)} match ({listed})",
                     hint="give more characters of the ID")


def short_ids(ids: Iterable[str], minimum: int = SHORT) -> dict[str, str]:
    """Each ID -> its shortest unique prefix of at least ``minimum`` characters."""
    known = list(dict.fromkeys(ids))
    out = {}
    for i in known:
        n = min(minimum, len(i))
        while n < len(i) and any(o != i and o.lower().startswith(i[:n].lower()) for o in known):
            n += 1
        out[i] = i[:n]
    return out
