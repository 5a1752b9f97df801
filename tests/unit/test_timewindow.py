from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.core.errors import UsageError
from aiops.core.timewindow import parse_duration, parse_time, parse_window

NOW = dt.datetime(2026, 1, 28, 10, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("15m", 900), ("1h30m", 5400),
                                          ("2d", 172800), ("1w", 604800), ("250ms", 0.25)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "15", "m", "-5m", "1x", "0s", "1h 5m"])
def test_bad_durations(bad):
    with pytest.raises(UsageError):
        parse_duration(bad)


def test_times():
    assert parse_time("now", now=NOW) == NOW
    assert parse_time("1h", now=NOW) == NOW - dt.timedelta(hours=1)
    assert parse_time("2026-01-28T09:00:00Z", now=NOW) == NOW - dt.timedelta(hours=1)
    assert parse_time("2026-01-28T11:00:00+02:00", now=NOW) == NOW - dt.timedelta(hours=1)
    assert parse_time("2026-01-28T09:00:00", now=NOW).tzinfo == dt.timezone.utc
    with pytest.raises(UsageError, match="--since"):
        parse_time("yesterday", what="--since")


def test_window_order():
    assert parse_window("2h", "1h", now=NOW) == (NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=1))
    with pytest.raises(UsageError, match="must be before"):
        parse_window("1h", "2h", now=NOW)


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from(["s", "m", "h", "d"]))
def test_duration_round_trip(n, unit):
    assert parse_duration(f"{n}{unit}") == n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
