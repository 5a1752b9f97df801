"""``health watch``: probe round after round and say what changed since the last one.

``rounds(probe, interval)`` yields a :class:`Round` per probe: the report, when it was taken and
which targets changed (verdict, or an endpoint's status) since the previous round. The CLI
draws it live on a terminal and writes one JSON document per round otherwise.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator


@dataclass
class Round:
    """One probe round: ``changed`` maps a target to what it was in the previous round."""

    number: int
    report: Any  # aiops.health.probe.HealthReport
    at: dt.datetime
    changed: dict[str, str] = field(default_factory=dict)


def state(target: Any) -> tuple:
    """What counts as a change: the verdict and each endpoint's ok / status code."""
    return (target.verdict,) + tuple((p, ep.ok, ep.status_code) for p, ep in sorted(target.endpoints.items()))


def changes(previous: Any | None, current: Any) -> dict[str, str]:
    """Targets whose state differs from the previous round's -> their previous verdict
    ("new" for a target not seen before). Nothing changed in the first round."""
    if previous is None:
        return {}
    before = {t.target: t for t in previous.targets}
    out = {}
    for t in current.targets:
        old = before.get(t.target)
        if old is None:
            out[t.target] = "new"
        elif state(old) != state(t):
            out[t.target] = old.verdict
    return out


def rounds(probe: Callable[[], Any], interval: float, *, sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], dt.datetime] | None = None, limit: int | None = None) -> Iterator[Round]:
    """Probe every ``interval`` seconds (from the start of one round to the next) until the
    consumer stops (or ``limit`` rounds); Ctrl-C propagates as KeyboardInterrupt."""
    clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
    previous, number = None, 0
    while limit is None or number < limit:
        started = time.monotonic()
        report = probe()
        number += 1
        yield Round(number, report, clock(), changes(previous, report))
        previous = report
        if limit is not None and number >= limit:
            return
        sleep(max(0.0, interval - (time.monotonic() - started)))
