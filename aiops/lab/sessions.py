"""Active user sessions: the distinct user IDs seen in a sliding window.

Every request that carries ``X-User-ID`` marks that user active now; a user is in a session
until ``window_s`` seconds pass without a request from them. ``ai_active_sessions`` is the
count at scrape time. Requests without a user ID (``anonymous``) are not sessions: they cannot
be told apart. The window holds at most ``max_users`` IDs (the oldest are forgotten first), so
a client inventing IDs cannot grow the service's memory without bound.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Callable

ANONYMOUS = "anonymous"


class SessionWindow:
    """Last-seen times of users, oldest first; O(1) per request, pruned on read and write."""

    def __init__(self, window_s: float = 300.0, *, max_users: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if window_s <= 0:
            raise ValueError("the session window must be positive")
        self.window_s, self.max_users, self._clock = window_s, max_users, clock
        self._seen: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._lock = threading.Lock()

    def seen(self, user_id: str) -> None:
        """Record a request from ``user_id`` now."""
        if not user_id or user_id == ANONYMOUS:
            return
        now = self._clock()
        with self._lock:
            self._seen[user_id] = now
            self._seen.move_to_end(user_id)
            while len(self._seen) > self.max_users:
                self._seen.popitem(last=False)
            self._prune(now)

    def _prune(self, now: float) -> None:
        cutoff = now - self.window_s
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest > cutoff:
                break
            self._seen.popitem(last=False)

    def active(self) -> int:
        """Users seen within the window."""
        with self._lock:
            self._prune(self._clock())
            return len(self._seen)
