"""Unique-prefix IDs and quantities in words."""

from __future__ import annotations

import math

import pytest

from aiops.core.errors import UsageError
from aiops.core.ids import resolve_prefix, short_ids
from aiops.core.units import quantity

IDS = ["6b4f4c4e-5e0c-4d4b-9f8e-2d1c0a6b7c3e", "6b4f4c91-0d1e-4c55-8a0b-77e2a1c9d0f4",
       "c0ffee00-1111-4222-8333-444455556666"]


def test_a_unique_prefix_resolves_to_its_id():
    assert resolve_prefix("c0f", IDS) == IDS[2]
    assert resolve_prefix("6B4F4C4E", IDS) == IDS[0]  # case-insensitive
    assert resolve_prefix(IDS[1], IDS) == IDS[1]


def test_an_ambiguous_prefix_lists_the_candidates():
    with pytest.raises(UsageError) as err:
        resolve_prefix("6b4f", IDS, what="silence")
    assert err.value.exit_code == 2
    assert "ambiguous" in err.value.message and IDS[0] in err.value.message and IDS[1] in err.value.message
    assert err.value.hint


def test_no_match_and_empty_prefix_are_usage_errors():
    for prefix in ("ffff", " "):
        with pytest.raises(UsageError):
            resolve_prefix(prefix, IDS)


def test_short_ids_are_unique_and_at_least_eight_characters():
    short = short_ids(IDS + ["6b4f4c4e-ffff-4d4b-9f8e-2d1c0a6b7c3e"])
    assert len(set(short.values())) == 4
    assert short[IDS[2]] == "c0ffee00"
    assert short[IDS[0]] == "6b4f4c4e-5" and all(resolve_prefix(v, short) == k for k, v in short.items())


@pytest.mark.parametrize("value,unit,text", [
    (0.012966, "s", "13 ms"), (2.5, "s", "2.5 s"), (268301.8, "B", "268 kB"), (1e8, "B", "100 MB"),
    (41.8967, "%", "41.9%"), (0.43833, "/s", "0.438/s"), (2026.51, "/h", "2027/h"), (1.0, "ratio", "1"),
    (0.0, "instances", "0 instances"), (None, "s", "-"), (math.nan, "%", "nan %")])
def test_quantities_in_words(value, unit, text):
    assert quantity(value, unit) == text
