"""``_search`` for the Elasticsearch simulator: live indices or a point in time, paging, aggs.

With a point in time the sorted hit list of a (query, sort) pair is computed once and kept
with the PIT, as ES keeps its reader open: ``search_after`` pages then cost a bisection.
"""

from __future__ import annotations

import bisect
import functools
import json
from typing import Any

from tests.fakes.elasticsearch_engine import EsError, bad_request, compile_query, resolve
from tests.fakes.elasticsearch_results import (aggregate, check_sortable, compare, sort_spec,
                                               sort_values)

MAX_WINDOW = 10_000


def run_search(sim: Any, target: str | None, query: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The search response ES 9 would send for this request."""
    pit = data.get("pit")
    size = int(data.get("size", query.get("size", 10)))
    offset = int(data.get("from", query.get("from", 0)))
    if offset + size > MAX_WINDOW:
        raise bad_request(f"Result window is too large, from + size must be less than or equal "
                          f"to: [{MAX_WINDOW}] but was [{offset + size}]. See the scroll api for a "
                          "more efficient way to request large data sets.")
    if pit:
        if target:
            raise bad_request("Validation Failed: 1: [indices] cannot be used with point in time. "
                              "Do not specify any index with point in time.;",
                              "action_request_validation_exception")
        state = sim.pits.get(pit.get("id"))
        if state is None:
            raise EsError(404, "search_context_missing_exception",
                          f"No search context found for id [{pit.get('id')}]")
        if pit.get("keep_alive"):
            from tests.fakes.elasticsearch_sim import _duration

            state["expires"] = sim.clock() + _duration(pit["keep_alive"])
        shards = state["shards"]
    else:
        state = None
        lenient = query.get("ignore_unavailable") == "true"
        shards = [(ix, n, ix.docs) for n, ix in enumerate(resolve(sim.indices, target or "_all",
                                                                  allow_missing=lenient))]
    spec = sort_spec(data.get("sort", query.get("sort")))
    check_sortable([ix for ix, _, _ in shards], spec, with_pit=bool(pit))
    after = data.get("search_after")
    if after is not None:
        if not spec:
            raise bad_request("Sort must contain at least one field.", "action_request_validation_exception")
        if len(after) != len(spec):
            raise bad_request(f"search_after has {len(after)} value(s) but sort has {len(spec)}.")
        if offset:
            raise bad_request("[from] parameter must be set to 0 when [search_after] is used.",
                              "action_request_validation_exception")
    hits, values = _sorted_hits(state, shards, data.get("query"), spec)
    start = _after(values, after, spec) if after is not None else 0
    page = range(start + offset, min(start + offset + size, len(hits)))
    body: dict[str, Any] = {
        "took": 1, "timed_out": False, "_shards": {"total": len(shards), "successful": len(shards),
                                                   "skipped": 0, "failed": 0},
        "hits": {"max_score": None if spec else 0.0,
                 "hits": [_hit(hits[i], values[i] if spec else None, data.get("_source", True))
                          for i in page]},
    }
    total = data.get("track_total_hits", query.get("track_total_hits", MAX_WINDOW))
    if total not in (False, "false"):
        cap = None if total in (True, "true") else int(total)
        exact = cap is None or len(hits) <= cap
        body["hits"]["total"] = {"value": len(hits) if exact else cap,
                                 "relation": "eq" if exact else "gte"}
    aggs = data.get("aggs") or data.get("aggregations")
    if aggs:
        body["aggregations"] = aggregate(aggs, hits)
    if pit:
        body["pit_id"] = pit["id"]
    return body


def _sorted_hits(state: dict[str, Any] | None, shards: list, query: Any,
                 spec: list[tuple[str, bool]]) -> tuple[list, list]:
    key = json.dumps([query, spec], sort_keys=True, default=str)
    if state is not None and key in state["cache"]:
        return state["cache"][key]
    match = compile_query(query)
    hits = [(ix, n, doc) for ix, n, docs in shards for doc in docs if match(ix, doc)]
    if spec:
        values = [sort_values(h, spec) for h in hits]
        order = list(range(len(hits)))
        if any(desc for _, desc in spec):
            order.sort(key=functools.cmp_to_key(lambda a, b: compare(values[a], values[b], spec)))
        else:
            order.sort(key=values.__getitem__)
        hits, values = [hits[i] for i in order], [values[i] for i in order]
    else:
        values = [None] * len(hits)
    if state is not None:
        state["cache"][key] = (hits, values)
    return hits, values


def _after(values: list, after: list, spec: list[tuple[str, bool]]) -> int:
    if not any(desc for _, desc in spec):
        try:
            return bisect.bisect_right(values, list(after))
        except TypeError:
            pass
    for i, v in enumerate(values):
        if compare(v, after, spec) > 0:
            return i
    return len(values)


def _hit(hit: tuple, sort: list | None, source_filter: Any) -> dict[str, Any]:
    ix, _, doc = hit
    out: dict[str, Any] = {"_index": ix.name, "_id": doc.id, "_score": None if sort else 0.0}
    if source_filter is not False:
        source = doc.source
        if isinstance(source_filter, list):
            source = {k: v for k, v in source.items() if k in source_filter}
        out["_source"] = source
    if sort is not None:
        out["sort"] = sort
    return out
