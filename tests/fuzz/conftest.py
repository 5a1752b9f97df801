"""Property tests for every door outside input comes through.

Profiles (``AIOPS_FUZZ_PROFILE``): ``ci`` (the default: bounded example counts, derandomized so
a CI run is reproducible, no per-example deadline on a shared machine) and ``deep`` (ten times
the examples, random seeds: run it locally before a release). Each test counts the examples it
ran per door; the terminal summary lists them (``tests/conftest.py``: the root conftest is the
one xdist's controller loads).
"""

from __future__ import annotations

import os
import zlib
from collections import Counter

import pytest

from tests.conftest import require

hypothesis = require("hypothesis")
from hypothesis import HealthCheck, settings  # noqa: E402

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
            HealthCheck.filter_too_much, HealthCheck.large_base_example]
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=_SLOW_OK,
                          print_blob=True, database=None)
settings.register_profile("deep", deadline=None, suppress_health_check=_SLOW_OK, print_blob=True)
PROFILE = os.environ.get("AIOPS_FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)
SCALE = 10 if PROFILE == "deep" else 1


def examples(n: int) -> settings:
    """``@examples(200)``: that many examples under the ci profile (x10 under deep)."""
    return settings(max_examples=n * SCALE)


class Doors:
    """Per-door example counts of one test: ``door("config TOML")()`` counts one example."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def __call__(self, label: str):
        def tick() -> int:
            self.counts[label] += 1
            return self.counts[label]
        return tick

    def sample(self, label: str, data: bytes, *, one_in: int, cap: int) -> bool:
        """Whether this example also runs the full command (counted under ``label``): one in
        ``one_in`` (chosen by content, so a run is reproducible), at most ``cap`` per test."""
        if zlib.crc32(data) % one_in or self.counts[label] >= cap * SCALE:
            return False
        self(label)()
        return True


@pytest.fixture
def door(record_property):
    """The test's :class:`Doors`; the counts go to the terminal summary (tests/conftest.py)."""
    doors = Doors()
    yield doors
    for label, n in doors.counts.items():
        record_property("fuzz_examples", f"{label}={n}")
