"""Spans as aiops reads them from OTLP JSON: Jaeger's v3 API, Tempo's v2 API and OTLP JSON files.

OTLP JSON encodes IDs as hex (Tempo's older responses use base64: both are read), 64-bit
timestamps as decimal strings and attribute values as ``AnyValue`` objects. A span keeps its
original ``attributes``, ``events`` and ``status`` so ``-o json`` gives them back with OTLP's
field names.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from aiops.core.errors import UsageError

STATUS_ERROR = 2  # OTLP Status.code: 0 unset, 1 ok, 2 error
KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{16}$")


class BadSpan(ValueError):
    """A span object that cannot be used (no IDs, no times)."""


def normalise_id(value: Any, size: int) -> str:
    """A trace (16 bytes) or span (8 bytes) ID as lower-case hex; hex or base64 accepted."""
    if not isinstance(value, str) or not value:
        raise BadSpan("missing ID")
    if len(value) == size * 2 and value.isalnum() and value[1] not in "xX":
        try:
            int(value, 16)  # the common case, checked in C
            return value.lower()
        except ValueError:
            pass
    if len(value) == size and _HEX.match(value) and size == 16:  # a 64-bit trace ID, zero-padded
        return value.lower().rjust(32, "0")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadSpan(f"ID {value[:40]!r} is neither hex nor base64") from None
    if len(raw) != size:
        raise BadSpan(f"ID {value[:40]!r} is not {size} bytes")
    return raw.hex()


def trace_id_arg(text: str) -> str | None:
    """The trace ID in ``text`` (32 or 16 hex digits), or None when it is something else."""
    text = text.strip()
    return text.lower().rjust(32, "0") if TRACE_ID.match(text) else None


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` as a plain Python value."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "doubleValue" in value:
        return value["doubleValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "arrayValue" in value:
        return [any_value(v) for v in (value["arrayValue"] or {}).get("values", []) or []]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` list -> dict (entries without a string key are ignored)."""
    out: dict[str, Any] = {}
    if isinstance(items, list):
        for kv in items:
            if isinstance(kv, dict) and isinstance(kv.get("key"), str):
                out[kv["key"]] = any_value(kv.get("value"))
    return out


def _nanos(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadSpan(f"time {str(value)[:40]!r} is not a number") from None
    if number < 0:
        raise BadSpan("negative time")
    return number


@dataclass
class Span:
    """One span: IDs, name, times (epoch ns), attributes (raw OTLP and decoded) and status."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attrs: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # the OTLP span object
    raw_resource: list[Any] = field(default_factory=list)
    error: bool = False  # status ERROR (or an ``error: true`` attribute)

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def service(self) -> str:
        return str(self.resource.get("service.name") or "-")

    @property
    def instance(self) -> str | None:
        value = self.resource.get("service.instance.id") or self.resource.get("host.name")
        return str(value) if value is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The span with OTLP's JSON field names (IDs in hex), plus its resource's attributes."""
        out = {"traceId": self.trace_id, "spanId": self.span_id, "parentSpanId": self.parent_id or "",
               "name": self.name, "kind": self.kind, "startTimeUnixNano": str(self.start_ns),
               "endTimeUnixNano": str(self.end_ns),
               "attributes": self.raw.get("attributes") or [], "events": self.raw.get("events") or [],
               "status": self.raw.get("status") or {}}
        out["resource"] = {"attributes": self.raw_resource}
        return out


def parse_span(obj: Any, resource: dict[str, Any], raw_resource: list[Any]) -> Span:
    """One OTLP JSON span; :class:`BadSpan` when it lacks what a waterfall needs."""
    if not isinstance(obj, dict):
        raise BadSpan("span is not an object")
    parent = obj.get("parentSpanId")
    start, end = _nanos(obj.get("startTimeUnixNano")), _nanos(obj.get("endTimeUnixNano", obj.get("startTimeUnixNano")))
    kind = obj.get("kind", 0)
    status = obj.get("status")
    code = status.get("code") if isinstance(status, dict) else None
    attrs = attributes(obj.get("attributes"))
    return Span(
        trace_id=normalise_id(obj.get("traceId"), 16), span_id=normalise_id(obj.get("spanId"), 8),
        parent_id=normalise_id(parent, 8) if parent else None,
        name=str(obj.get("name") or "(unnamed)"), kind=kind if isinstance(kind, int) else 0,
        start_ns=start, end_ns=max(start, end), attrs=attrs, resource=resource, raw=obj,
        raw_resource=raw_resource, error=code in (STATUS_ERROR, "STATUS_CODE_ERROR") or attrs.get("error") is True)


@dataclass
class Skipped:
    """What could not be read: corrupt lines of a file, spans without IDs or times."""

    corrupt_lines: int = 0
    bad_spans: int = 0
    where: list[str] = field(default_factory=list)  # the first few places, "file:line"

    @property
    def total(self) -> int:
        return self.corrupt_lines + self.bad_spans

    def note(self, place: str) -> None:
        if len(self.where) < 5:
            self.where.append(place)

    def add(self, other: "Skipped") -> None:
        self.corrupt_lines += other.corrupt_lines
        self.bad_spans += other.bad_spans
        for place in other.where:
            self.note(place)

    def to_dict(self) -> dict[str, Any]:
        return {"corrupt_lines": self.corrupt_lines, "bad_spans": self.bad_spans, "where": self.where}


def spans_of(document: Any, skipped: Skipped, place: str = "", trace_id: str | None = None) -> Iterator[Span]:
    """Every span of an OTLP JSON ``TracesData`` / export request (``resourceSpans``); with
    ``trace_id`` (hex), spans whose hex ``traceId`` is another's are passed over unparsed."""
    if not isinstance(document, dict):
        raise UsageError("not an OTLP JSON document (no resourceSpans)")
    for rs in document.get("resourceSpans") or []:
        if not isinstance(rs, dict):
            skipped.bad_spans += 1
            continue
        raw_resource = ((rs.get("resource") or {}).get("attributes") or []) if isinstance(rs.get("resource"), dict) else []
        resource = attributes(raw_resource)
        for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
            for obj in (ss.get("spans") or []) if isinstance(ss, dict) else []:
                if trace_id is not None and isinstance(obj, dict) and isinstance(obj.get("traceId"), str) \
                        and len(obj["traceId"]) == 32 and obj["traceId"].lower() != trace_id:
                    continue
                try:
                    yield parse_span(obj, resource, raw_resource)
                except BadSpan:
                    skipped.bad_spans += 1
                    skipped.note(place)
