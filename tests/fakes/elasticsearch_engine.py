"""The data side of the Elasticsearch simulator: indices, mappings, queries, sorts, aggregations.

Behaviour follows Elasticsearch 9 where the backends depend on it:
- dynamic mapping: ISO date strings -> ``date``; other strings -> ``text`` with a
  ``.keyword`` sub-field (``ignore_above: 256``); numbers -> ``long``/``float``;
- ``term`` on a keyword is exact; on text it matches one analysed token (lower-cased words),
  which is why a client must never send a correlation ID to a text field unchecked;
- sorting and aggregations: see ``elasticsearch_results.py``.
Errors raise :class:`EsError` carrying the status and the error body ES would send.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Callable

KEYWORD, TEXT, DATE, LONG, FLOAT, BOOL, OBJECT = ("keyword", "text", "date", "long", "float",
                                                  "boolean", "object")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TOKEN = re.compile(r"\w+", re.UNICODE)


class EsError(Exception):
    """An error response: HTTP status and the ``error`` object."""

    def __init__(self, status: int, type_: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        cause = {"type": type_, "reason": reason, **extra}
        self.status = status
        self.body = {"error": {"root_cause": [cause], **cause}, "status": status}


def bad_request(reason: str, type_: str = "illegal_argument_exception") -> EsError:
    return EsError(400, type_, reason)


def index_not_found(name: str) -> EsError:
    return EsError(404, "index_not_found_exception", f"no such index [{name}]",
                   **{"resource.type": "index_or_alias", "resource.id": name,
                      "index_uuid": "_na_", "index": name})


def parse_date(value: Any) -> int | None:
    """strict_date_optional_time || epoch_millis -> epoch ms; None when unparseable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (parsed - epoch) // dt.timedelta(milliseconds=1)


def format_ms(ms: float) -> str:
    when = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Doc:
    id: str
    source: dict[str, Any]
    seq_no: int


@dataclass
class Index:
    name: str
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)  # dotted path -> mapping
    docs: list[Doc] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)
    uuid: str = ""

    def field_type(self, path: str) -> str | None:
        if path in self.mappings:
            return self.mappings[path]["type"]
        parent, _, sub = path.rpartition(".")
        multi = self.mappings.get(parent, {}).get("fields", {}).get(sub)
        return multi["type"] if multi else None

    def learn(self, source: dict[str, Any], prefix: str = "") -> None:
        """Dynamic mapping for fields not mapped yet; raises EsError for unparseable dates."""
        for key, value in source.items():
            path = prefix + key
            if isinstance(value, dict):
                self.mappings.setdefault(path, {"type": OBJECT})
                self.learn(value, path + ".")
                continue
            sample = value[0] if isinstance(value, list) and value else value
            known = self.mappings.get(path)
            if known is None and sample is not None:
                self.mappings[path] = _dynamic(sample)
            elif known and known["type"] == DATE and value is not None:
                for v in value if isinstance(value, list) else [value]:
                    if parse_date(v) is None:
                        raise bad_request(
                            f"failed to parse field [{path}] of type [date] in document. "
                            f"Preview of field's value: '{v}'", "document_parsing_exception")

    def values(self, doc: Doc, path: str) -> list[Any]:
        """Indexed values of ``path`` for ``doc`` (keywords, tokens, epoch ms, numbers)."""
        ftype = self.field_type(path)
        if ftype is None:
            return []
        raw = _lookup(doc.source, path)
        if raw is None and "." in path:  # a multi-field reads its parent's value
            parent, _, _ = path.rpartition(".")
            if self.mappings.get(parent, {}).get("fields"):
                raw = _lookup(doc.source, parent)
        items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
        out: list[Any] = []
        for item in items:
            if ftype == KEYWORD:
                limit = _ignore_above(self, path)
                text = _keyword(item)
                if text is not None and (limit is None or len(text) <= limit):
                    out.append(text)
            elif ftype == TEXT:
                out.extend(t.lower() for t in _TOKEN.findall(str(item)))
            elif ftype == DATE:
                ms = parse_date(item)
                if ms is not None:
                    out.append(ms)
            elif ftype in (LONG, FLOAT) and isinstance(item, (int, float)):
                out.append(item)
            elif ftype == BOOL and isinstance(item, bool):
                out.append(item)
        return out


def _dynamic(sample: Any) -> dict[str, Any]:
    if isinstance(sample, bool):
        return {"type": BOOL}
    if isinstance(sample, int):
        return {"type": LONG}
    if isinstance(sample, float):
        return {"type": FLOAT}
    if isinstance(sample, str) and _DATE_RE.match(sample) and parse_date(sample) is not None:
        return {"type": DATE}
    return {"type": TEXT, "fields": {"keyword": {"type": KEYWORD, "ignore_above": 256}}}


def _ignore_above(index: Index, path: str) -> int | None:
    if path in index.mappings:
        return index.mappings[path].get("ignore_above")
    parent, _, sub = path.rpartition(".")
    return index.mappings.get(parent, {}).get("fields", {}).get(sub, {}).get("ignore_above")


def _keyword(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _lookup(source: dict[str, Any], path: str) -> Any:
    if path in source:
        return source[path]
    node: Any = source
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def flatten_mappings(properties: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """``{"properties": ...}`` trees to dotted paths."""
    out: dict[str, dict[str, Any]] = {}
    for name, spec in properties.items():
        path = prefix + name
        if "properties" in spec:
            out[path] = {"type": OBJECT}
            out.update(flatten_mappings(spec["properties"], path + "."))
        else:
            out[path] = dict(spec)
    return out


def resolve(indices: dict[str, Index], expression: str, *, allow_missing: bool = False
            ) -> list[Index]:
    """Comma-separated names and wildcard patterns -> indices (sorted by name).

    A concrete name that does not exist raises index_not_found_exception; a pattern that
    matches nothing resolves to nothing (``allow_no_indices`` defaults to true).
    """
    chosen: dict[str, Index] = {}
    for part in expression.split(","):
        part = part.strip()
        if part in ("", "_all", "*"):
            chosen.update(indices)
        elif "*" in part or "?" in part:
            chosen.update({n: ix for n, ix in indices.items() if fnmatch.fnmatchcase(n, part)})
        elif part in indices:
            chosen[part] = indices[part]
        elif not allow_missing:
            raise index_not_found(part)
    return [chosen[n] for n in sorted(chosen)]


Hit = tuple[Index, int, Doc]  # (index, shard ordinal, doc) - doc position is the list index


def compile_query(query: dict[str, Any] | None) -> Callable[[Index, Doc], bool]:
    """A predicate for a query DSL object; EsError 400 for what ES would reject."""
    if not query:
        return lambda ix, doc: True
    if not isinstance(query, dict) or len(query) != 1:
        raise bad_request("query malformed, must start with start_object", "parsing_exception")
    (kind, spec), = query.items()
    if kind == "match_all":
        return lambda ix, doc: True
    if kind == "bool":
        return _compile_bool(spec)
    if kind in ("term", "terms"):
        return _compile_terms(kind, spec)
    if kind == "range":
        return _compile_range(spec)
    if kind == "exists":
        path = spec["field"]
        return lambda ix, doc: bool(ix.values(doc, path))
    raise bad_request(f"unknown query [{kind}]", "parsing_exception")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _compile_bool(spec: dict[str, Any]) -> Callable[[Index, Doc], bool]:
    unknown = set(spec) - {"filter", "must", "should", "must_not", "minimum_should_match", "boost"}
    if unknown:
        raise bad_request(f"[bool] query does not support [{sorted(unknown)[0]}]", "parsing_exception")
    must = [compile_query(q) for q in _as_list(spec.get("filter")) + _as_list(spec.get("must"))]
    should = [compile_query(q) for q in _as_list(spec.get("should"))]
    must_not = [compile_query(q) for q in _as_list(spec.get("must_not"))]
    minimum = int(spec.get("minimum_should_match", 0 if must else 1))

    def run(ix: Index, doc: Doc) -> bool:
        if not all(p(ix, doc) for p in must) or any(p(ix, doc) for p in must_not):
            return False
        return not should or minimum == 0 or sum(p(ix, doc) for p in should) >= minimum
    return run


def _compile_terms(kind: str, spec: dict[str, Any]) -> Callable[[Index, Doc], bool]:
    spec = {k: v for k, v in spec.items() if k != "boost"}
    if len(spec) != 1:
        raise bad_request(f"[{kind}] query doesn't support multiple fields", "parsing_exception")
    (path, value), = spec.items()
    if kind == "term":
        value = value.get("value") if isinstance(value, dict) else value
        wanted = [value]
    else:
        if not isinstance(value, list):
            raise bad_request("[terms] query does not support [" + path + "]", "parsing_exception")
        wanted = value

    def run(ix: Index, doc: Doc) -> bool:
        ftype = ix.field_type(path)
        have = ix.values(doc, path)
        if ftype == DATE:
            targets = {parse_date(w) for w in wanted}
        elif ftype == KEYWORD:
            targets = {_keyword(w) for w in wanted}
        else:
            targets = set(wanted) if ftype != TEXT else {str(w) for w in wanted}
        return any(v in targets for v in have)
    return run


def _compile_range(spec: dict[str, Any]) -> Callable[[Index, Doc], bool]:
    (path, bounds), = spec.items()
    ops = {"gte": lambda v, b: v >= b, "gt": lambda v, b: v > b,
           "lte": lambda v, b: v <= b, "lt": lambda v, b: v < b}
    wanted = [(ops[k], v) for k, v in bounds.items() if k in ops]

    def run(ix: Index, doc: Doc) -> bool:
        ftype = ix.field_type(path)
        conv = parse_date if ftype == DATE else (lambda x: x)
        limits = [(op, conv(b)) for op, b in wanted]
        return any(all(op(v, b) for op, b in limits) for v in ix.values(doc, path))
    return run
