"""Hostile OTLP JSON (from a file or a trace store) never crashes the reader or the analysis."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.tracing.analysis import build
from aiops.tracing.model import Skipped, spans_of
from aiops.tracing.waterfall import plain

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                           max_leaves=20)
hexid = st.text("0123456789abcdef", min_size=16, max_size=16)
span = st.fixed_dictionaries(
    {"traceId": st.one_of(st.just("4bf92f3577b34da6a3ce929d0e0e4736"), st.text(max_size=40), json_values),
     "spanId": st.one_of(hexid, st.text(max_size=20), json_values),
     "startTimeUnixNano": st.one_of(st.integers(0, 2**64).map(str), st.text(max_size=10), json_values),
     "endTimeUnixNano": st.one_of(st.integers(0, 2**64).map(str), json_values)},
    optional={"parentSpanId": st.one_of(hexid, json_values), "name": json_values, "kind": json_values,
              "attributes": json_values, "status": json_values, "events": json_values})
document = st.one_of(json_values, st.fixed_dictionaries({"resourceSpans": st.lists(st.one_of(
    json_values, st.fixed_dictionaries({"resource": json_values, "scopeSpans": st.lists(
        st.fixed_dictionaries({"spans": st.lists(st.one_of(span, json_values), max_size=6)}), max_size=2)})),
    max_size=2)}))


@settings(max_examples=300, deadline=None)
@given(document)
def test_any_document_reads_and_renders(doc):
    skipped = Skipped()
    try:
        spans = list(spans_of(doc, skipped))
    except Exception as exc:  # only a document that is no OTLP JSON at all is refused, cleanly
        from aiops.core.errors import UsageError

        assert isinstance(exc, UsageError) and not isinstance(doc, dict), exc
        return
    json.dumps(skipped.to_dict())
    by_trace: dict[str, list] = {}
    for s in spans:
        by_trace.setdefault(s.trace_id, []).append(s)
    for trace_id, group in by_trace.items():
        view = build(trace_id, group, "fuzz", skipped)
        assert len(view.rows) == len({s.span_id for s in group})
        text = plain(view, 80)
        assert all(len(line) <= 80 for line in text.splitlines())
        json.dumps(view.to_dict())
