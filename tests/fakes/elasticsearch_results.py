"""Sorting, aggregations and ``_field_caps`` for the Elasticsearch simulator.

Sort values follow ES: dates as epoch milliseconds, ``_shard_doc`` as
``(shard index << 32) | doc``; ``_id`` and text fields are refused. Terms buckets are ordered
by count desc, then key asc; ``min``/``max`` on dates add ``value_as_string``.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from tests.fakes.elasticsearch_engine import (DATE, OBJECT, TEXT, Hit, Index, _as_list, bad_request,
                                              format_ms)


def sort_spec(sort: Any) -> list[tuple[str, bool]]:
    """Normalise the sort DSL to [(field, descending)]."""
    out = []
    for item in _as_list(sort):
        if isinstance(item, str):
            name, _, order = item.partition(":")
            out.append((name, order == "desc"))
        elif isinstance(item, dict) and len(item) == 1:
            (name, opts), = item.items()
            order = opts.get("order", "asc") if isinstance(opts, dict) else opts
            if order not in ("asc", "desc"):
                raise bad_request(f"[order] must be one of asc or desc, got [{order}]",
                                  "x_content_parse_exception")
            out.append((name, order == "desc"))
        else:
            raise bad_request("malformed sort format", "parsing_exception")
    return out


def sort_values(hit: Hit, spec: list[tuple[str, bool]]) -> list[Any]:
    ix, shard, doc = hit
    out: list[Any] = []
    for name, desc in spec:
        if name == "_shard_doc":
            out.append((shard << 32) | ix.by_id[doc.id])
        elif name == "_doc":
            out.append(ix.by_id[doc.id])
        elif name == "_index":
            out.append(ix.name)
        else:
            values = ix.values(doc, name)
            if not values:
                out.append(-(2 ** 63) if desc else 2 ** 63 - 1)  # missing: _last
            else:
                out.append(max(values) if desc else min(values))
    return out


def check_sortable(indices: list[Index], spec: list[tuple[str, bool]], with_pit: bool) -> None:
    for name, _ in spec:
        if name == "_shard_doc" and not with_pit:
            raise bad_request("[_shard_doc] sort field cannot be used without [point in time]",
                              "action_request_validation_exception")
        if name == "_id":
            raise bad_request("Fielddata access on the _id field is disallowed, you can re-enable "
                              "it by updating the dynamic cluster setting: "
                              "indices.id_field_data.enabled")
        if name.startswith("_"):
            continue
        for ix in indices:
            if ix.field_type(name) == TEXT:
                raise bad_request(_fielddata_reason(name, ix.name))


def _fielddata_reason(path: str, index: str) -> str:
    return (f"Fielddata is disabled on [{path}] in [{index}]. Text fields are not optimised for "
            "operations that require per-document field data like aggregations and sorting, so "
            "these operations are disabled by default. Please use a keyword field instead.")


def compare(a: list[Any], b: list[Any], spec: list[tuple[str, bool]]) -> int:
    for x, y, (_, desc) in zip(a, b, spec):
        if x != y:
            less = x < y
            return (-1 if less else 1) * (-1 if desc else 1)
    return 0


def aggregate(aggs: dict[str, Any], hits: list[Hit]) -> dict[str, Any]:
    """Evaluate terms / min / max / value_count aggregations over ``hits``."""
    out: dict[str, Any] = {}
    for name, spec in aggs.items():
        subs = spec.get("aggs") or spec.get("aggregations") or {}
        kinds = [k for k in spec if k not in ("aggs", "aggregations", "meta")]
        if len(kinds) != 1:
            raise bad_request(f"Expected [START_OBJECT] under [{name}]", "parsing_exception")
        kind, body = kinds[0], spec[kinds[0]]
        if kind == "terms":
            out[name] = _terms(body, subs, hits)
        elif kind in ("min", "max"):
            values = [v for ix, _, doc in hits for v in ix.values(doc, body["field"])]
            value = (min if kind == "min" else max)(values) if values else None
            is_date = any(ix.field_type(body["field"]) == DATE for ix, _, _ in hits)
            out[name] = {"value": None if value is None else float(value)}
            if value is not None and is_date:
                out[name]["value_as_string"] = format_ms(value)
        elif kind == "value_count":
            out[name] = {"value": sum(len(ix.values(doc, body["field"])) for ix, _, doc in hits)}
        else:
            raise bad_request(f"Unknown aggregation type [{kind}] did you mean [terms]?",
                              "parsing_exception")
    return out


def _terms(body: dict[str, Any], subs: dict[str, Any], hits: list[Hit]) -> dict[str, Any]:
    path, size = body["field"], int(body.get("size", 10))
    for ix, _, _ in hits:
        if ix.field_type(path) == TEXT:
            raise bad_request(_fielddata_reason(path, ix.name))
    buckets: dict[Any, list[Hit]] = {}
    for hit in hits:
        for value in set(hit[0].values(hit[2], path)):
            buckets.setdefault(value, []).append(hit)
    ranked = sorted(buckets.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    shown = ranked[:size]
    result = []
    for key, members in shown:
        bucket: dict[str, Any] = {"key": key, "doc_count": len(members)}
        if isinstance(key, int) and any(ix.field_type(path) == DATE for ix, _, _ in members):
            bucket["key_as_string"] = format_ms(key)
        bucket.update(aggregate(subs, members) if subs else {})
        result.append(bucket)
    other = sum(len(m) for _, m in ranked[size:])
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": result}


def field_caps(indices: list[Index], fields: list[str]) -> dict[str, Any]:
    """The ``_field_caps`` response for ``fields`` (wildcards allowed) over ``indices``."""
    per_field: dict[str, dict[str, list[str]]] = {}
    for ix in indices:
        paths = set(ix.mappings)
        for path, spec in ix.mappings.items():
            paths.update(f"{path}.{sub}" for sub in spec.get("fields", {}))
        for path in sorted(paths):
            if any(fnmatch.fnmatchcase(path, pattern) for pattern in fields):
                ftype = ix.field_type(path)
                per_field.setdefault(path, {}).setdefault(ftype, []).append(ix.name)
    out: dict[str, Any] = {}
    for path, types in per_field.items():
        out[path] = {}
        for ftype, names in types.items():
            caps: dict[str, Any] = {"type": ftype, "metadata_field": False,
                                    "searchable": ftype != OBJECT,
                                    "aggregatable": ftype not in (TEXT, OBJECT)}
            if len(types) > 1:
                caps["indices"] = names
            out[path][ftype] = caps
    return {"indices": [ix.name for ix in indices], "fields": out}
