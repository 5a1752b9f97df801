"""The inference cache: policy evaluation per distinct observation, reused.

The API agent starts every request from the model's prior, so an observation always yields the
same posterior beliefs and therefore the same policy posterior and expected free energy. Policy
evaluation, the expensive phase, is computed once per observation and kept in a bounded LRU;
state inference and action selection still run for every request (see
:func:`aiops.lab.phases.plan`). Hits and misses are counted for ``ai_inference_cache_hits_total``
and ``ai_inference_cache_misses_total``; ``ai_inference_cache_entries`` is its size.
"""

from __future__ import annotations

import collections
import threading
from typing import Any, Hashable


class InferenceCache:
    """A thread-safe LRU of at most ``max_entries`` results (0 disables caching)."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._items: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        """The cached result for ``key`` (counted as a hit), or None (a miss)."""
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for ``key``, evicting the least recently used beyond the bound."""
        if self.max_entries <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
