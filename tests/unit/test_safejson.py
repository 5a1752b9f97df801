"""``safejson``: the nesting bound is exact, at every depth and shape."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.core import safejson

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                      max_leaves=40)


def depth(value) -> int:
    """Levels of lists and objects, counted the plain recursive way."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(values, st.integers(0, 8))
def test_too_deep_agrees_with_the_recursive_depth(value, limit):
    assert safejson.too_deep(value, limit) == (depth(value) > limit)


@pytest.mark.parametrize("levels", [63, 64, 65, 5000])
def test_loads_refuses_only_past_the_limit(levels):
    text = "[" * levels + "]" * levels
    if levels <= safejson.MAX_DEPTH:
        assert depth(safejson.loads(text)) == levels
    else:
        with pytest.raises(ValueError, match="nested deeper than 64"):
            safejson.loads(text)


def test_a_wide_document_is_not_deep():
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"value": {"intValue": str(i)}}]}
                                                       for i in range(10_000)]}]}]}
    assert not safejson.too_deep(json.loads(json.dumps(doc)))
    assert depth(doc) == 10 and safejson.too_deep(doc, 9) and not safejson.too_deep(doc, 10)
