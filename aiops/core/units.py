"""Quantities the way a person reads them: 13 ms, 41.9%, 268 kB, 0.44/s, > 100 MB; 3m, 2h 5m.

Used by table cells and by the words of findings; JSON keeps the raw numbers.
"""

from __future__ import annotations

import math

_BYTES = ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"))


def number(value: float, digits: int = 3) -> str:
    """``digits`` significant digits without an exponent for everyday magnitudes."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e7:
        text = f"{value:.{digits}g}"
        if "e" in text:  # .3g of 12345 is 1.23e+04
            text = f"{value:.0f}"
        return text
    return f"{value:.{digits}g}"


def quantity(value: float | None, unit: str = "") -> str:
    """``value`` in ``unit`` (s, B, %, /s, /h, ratio, or any word) for a person; "-" for None."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return f"{value} {unit}".strip()
    if unit == "s":
        return f"{number(value * 1000)} ms" if abs(value) < 1 else f"{number(value)} s"
    if unit == "B":
        for size, name in _BYTES:
            if abs(value) >= size:
                return f"{number(value / size)} {name}"
        return f"{number(value)} B"
    if unit == "%":
        return f"{number(value)}%"
    if unit.startswith("/"):
        return f"{number(value)}{unit}"
    if unit in ("", "ratio"):
        return number(value)
    return f"{number(value)} {unit}"


def duration(seconds: float) -> str:
    """A duration as a person says it: 45s, 3m, 2h 5m, 3d 4h."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
