"""JSON from outside aiops (servers, files, clients), decoded with a bound on nesting.

A document nested a few thousand levels deep is a few kilobytes, and ends in a
RecursionError in whatever walks it next (the decoder itself, a renderer, ``json.dumps``).
:func:`loads` refuses it with the ValueError every caller already handles for bad JSON.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # far beyond any real answer or log record


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, strict: bool = False) -> Any:
    """``json.loads``, but ValueError for nesting deeper than ``max_depth``; ``strict`` also
    refuses NaN and Infinity (which are not JSON)."""
    kwargs = {"parse_constant": _not_json} if strict else {}
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None
    if too_deep(value, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return value


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when lists and objects nest more than ``limit`` levels (no recursion)."""
    if not isinstance(value, (list, dict)):
        return False
    level, depth = [value], 1
    while level:  # one nesting level at a time: a comprehension per level, not a call per node
        if depth > limit:
            return True
        level = [c for item in level for c in (item.values() if isinstance(item, dict) else item)
                 if isinstance(c, (list, dict))]
        depth += 1
    return False


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
