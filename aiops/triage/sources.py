"""Read every source at once, each in its own (daemon) thread, and stop waiting at a deadline.

A source that raises an :class:`~aiops.core.errors.AiopsError` or is still running at the deadline
is *unavailable*; what the others said is still used. Threads are daemons so a source stuck
past the deadline never holds the process open.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiops.core.errors import AiopsError


@dataclass
class Answer:
    """A source's result, or its error, or neither (still running)."""

    name: str
    value: Any = None
    error: AiopsError | None = None
    done: bool = False
    duration_ms: float = 0.0
    skipped: bool = False  # not asked (not configured, not wanted)

    @property
    def ok(self) -> bool:
        return self.done and self.error is None


class Gather:
    """Start sources now; :meth:`wait` for some of them until a deadline."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self._events: dict[str, threading.Event] = {}

    def start(self, name: str, fn: Callable[[], Any]) -> None:
        answer = self.answers[name] = Answer(name)
        event = self._events[name] = threading.Event()

        def work() -> None:
            began = time.perf_counter()
            try:
                answer.value = fn()
            except AiopsError as exc:
                answer.error = exc
            except Exception as exc:  # a bug in one source must not sink the others
                answer.error = AiopsError(f"internal error: {type(exc).__name__}: {exc}")
            answer.duration_ms = (time.perf_counter() - began) * 1000
            answer.done = True
            event.set()

        threading.Thread(target=work, name=f"triage-{name}", daemon=True).start()

    def skip(self, name: str, error: AiopsError) -> None:
        """Record a source that was not asked (not configured, not wanted)."""
        self.answers[name] = Answer(name, error=error, done=True, skipped=True)

    def wait(self, names: list[str], deadline: float) -> None:
        """Block until every named source is done or ``deadline`` (monotonic) has passed."""
        for name in names:
            event = self._events.get(name)
            if event is not None:
                event.wait(max(0.0, deadline - time.monotonic()))

    def __getitem__(self, name: str) -> Answer:
        return self.answers[name]
