"""Spans as aiops reads them from OTLP JSON: Jaeger's v3 API, Tempo's v2 API and OTLP JSON files.

OTLP JSON encodes IDs as hex (Tempo's older responses use base64: both are read), 64-bit
timestamps as decimal strings and attribute values as ``AnyValue`` objects. A span keeps its
original OTLP object (``raw``) for its events and status; ``-o json`` gives every span in aiops'
own JSON (snake_case keys, RFC 3339 times, plain attribute maps).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from aiops.core.errors import UsageError

STATUS_ERROR = 2  # OTLP Status.code: 0 unset, 1 ok, 2 error
# OTLP's JSON gives an enumeration as its number (OTLP/HTTP) or its name (protobuf's JSON mapping)
STATUS_CODES = {0: "unset", 1: "ok", 2: "error", "STATUS_CODE_UNSET": "unset", "STATUS_CODE_OK": "ok",
                "STATUS_CODE_ERROR": "error"}
KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
KIND_NAMES = {f"SPAN_KIND_{name.upper()}": number for number, name in KINDS.items()}
MAX_NS = 253_402_300_799 * 10**9  # 9999-12-31T23:59:59Z: the last time a timestamp can show
_HEX = re.compile(r"[0-9a-fA-F]+").fullmatch  # ASCII hex digits only
TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{16}$")


class BadSpan(ValueError):
    """A span object that cannot be used (no IDs, no times)."""


def normalise_id(value: Any, size: int) -> str:
    """A trace (16 bytes) or span (8 bytes) ID as lower-case hex; hex or base64 accepted."""
    if not isinstance(value, str) or not value:
        raise BadSpan("missing ID")
    if len(value) == size * 2 and _HEX(value):  # the common case, checked in C
        return value.lower()
    if len(value) == size and _HEX(value) and size == 16:  # a 64-bit trace ID, zero-padded
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
    if number > MAX_NS:
        raise BadSpan(f"time {number} is past the year 9999")
    return number


@dataclass(slots=True)
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

    @property
    def status(self) -> dict[str, Any]:
        """OTLP's status as a document gives it: ``{"code": "unset|ok|error", "message": ...}``."""
        raw = self.raw.get("status")
        raw = raw if isinstance(raw, dict) else {}
        code = raw.get("code")
        code = STATUS_CODES.get(code, "unset") if isinstance(code, (int, str)) else "unset"
        message = raw.get("message")
        return {"code": code, "message": message if isinstance(message, str) and message else None}

    def to_dict(self, origin_ns: int) -> dict[str, Any]:
        """The span in aiops' JSON (``aiops.trace/v1``): snake_case keys, its start as an RFC 3339
        timestamp plus its offset from ``origin_ns`` (the trace's start) in milliseconds (to the
        microsecond), OTLP's enumerations as words, attributes as plain ``{key: value}`` maps."""
        kind = KINDS.get(self.kind, "unspecified")
        return {"trace_id": self.trace_id, "span_id": self.span_id, "parent_span_id": self.parent_id,
                "name": self.name, "kind": kind, "service": self.service, "instance": self.instance,
                "start": iso_ns(self.start_ns), "offset_ms": round((self.start_ns - origin_ns) / 1e6, 3),
                "duration_ms": round(self.duration_ns / 1e6, 3), "error": self.error, "status": self.status,
                "attributes": self.attrs, "events": self.events(origin_ns), "resource": self.resource}

    def events(self, origin_ns: int) -> list[dict[str, Any]]:
        """The span's events (an exception, ...): name, time, offset from ``origin_ns``, attributes."""
        out = []
        for event in self.raw.get("events") or []:
            if not isinstance(event, dict):
                continue
            try:
                at: int | None = _nanos(event.get("timeUnixNano"))
            except BadSpan:
                at = None
            out.append({"name": str(event.get("name") or "(unnamed)"),
                        "time": None if at is None else iso_ns(at),
                        "offset_ms": None if at is None else round((at - origin_ns) / 1e6, 3),
                        "attributes": attributes(event.get("attributes"))})
        return out


def iso_ns(ns: int) -> str:
    """Epoch nanoseconds as the one timestamp format of aiops' JSON (RFC 3339, UTC, milliseconds)."""
    import datetime as dt

    from aiops.core.timewindow import rfc3339

    return rfc3339(dt.datetime.fromtimestamp(ns // 1000 / 1e6, dt.timezone.utc))


def parse_span(obj: Any, resource: dict[str, Any]) -> Span:
    """One OTLP JSON span; :class:`BadSpan` when it lacks what a waterfall needs."""
    if not isinstance(obj, dict):
        raise BadSpan("span is not an object")
    get = obj.get  # called ten thousand times for a big trace: every lookup counts
    parent = get("parentSpanId")
    begin = get("startTimeUnixNano")
    start, end = _nanos(begin), _nanos(get("endTimeUnixNano", begin))
    kind = get("kind", 0)
    status = get("status")
    code = status.get("code") if isinstance(status, dict) else None
    attrs = attributes(get("attributes"))
    return Span(normalise_id(get("traceId"), 16), normalise_id(get("spanId"), 8),
                normalise_id(parent, 8) if parent else None, str(get("name") or "(unnamed)"),
                kind if isinstance(kind, int) else KIND_NAMES.get(kind, 0) if isinstance(kind, str) else 0,
                start, max(start, end), attrs, resource, obj,
                code in (STATUS_ERROR, "STATUS_CODE_ERROR") or attrs.get("error") is True)


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
        resource = attributes(rs["resource"].get("attributes")) if isinstance(rs.get("resource"), dict) else {}
        for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
            for obj in (ss.get("spans") or []) if isinstance(ss, dict) else []:
                if trace_id is not None and isinstance(obj, dict) and isinstance(obj.get("traceId"), str) \
                        and len(obj["traceId"]) == 32 and obj["traceId"].lower() != trace_id:
                    continue
                try:
                    yield parse_span(obj, resource)
                except BadSpan:
                    skipped.bad_spans += 1
                    skipped.note(place)
