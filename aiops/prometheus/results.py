"""Query results as data: a series is its labels plus one value (instant) or many (range).

An empty result is ``no_data``: Prometheus had no series for the expression, which is not the
same as a series whose value is zero.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def _number(raw: Any) -> float:
    """Prometheus sends values as strings ("1", "NaN", "+Inf")."""
    return float(raw)


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


@dataclass
class Series:
    """One time series: ``labels`` (``__name__`` included when present) and its samples."""

    labels: dict[str, str]
    samples: list[tuple[float, float]] = field(default_factory=list)  # (unix seconds, value)

    @property
    def value(self) -> float | None:
        """The latest sample's value (the only one for an instant vector)."""
        return self.samples[-1][1] if self.samples else None

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.samples]

    def label_text(self) -> str:
        """``name{a="b", c="d"}`` the way Prometheus prints a series."""
        name = self.labels.get("__name__", "")
        rest = ", ".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()) if k != "__name__")
        return f"{name}{{{rest}}}" if rest or not name else name

    def to_dict(self, instant: bool = True) -> dict[str, Any]:
        if instant:
            ts, value = self.samples[-1] if self.samples else (None, None)
            return {"labels": self.labels, "timestamp": None if ts is None else _utc(ts),
                    "value": None if value is None else _json_number(value)}
        return {"labels": self.labels,
                "values": [[_utc(ts), _json_number(v)] for ts, v in self.samples]}


@dataclass
class QueryResult:
    """An instant query's answer: ``result_type`` is vector, matrix, scalar or string."""

    query: str
    result_type: str
    series: list[Series]
    time: dt.datetime | None = None
    duration_ms: float = 0.0

    @property
    def no_data(self) -> bool:
        return not self.series

    def to_dict(self) -> dict[str, Any]:
        instant = self.result_type != "matrix"
        return {"schema": "aiops.prometheus.query/v1", "query": self.query,
                "result_type": self.result_type, "time": self.time,
                "no_data": self.no_data, "duration_ms": round(self.duration_ms, 2),
                "series": [s.to_dict(instant) for s in self.series]}


@dataclass
class RangeResult:
    """A range query's answer: one :class:`Series` per label set, samples every ``step_s``."""

    query: str
    start: dt.datetime
    end: dt.datetime
    step_s: float
    series: list[Series]
    duration_ms: float = 0.0

    @property
    def no_data(self) -> bool:
        return not self.series

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "aiops.prometheus.range/v1", "query": self.query, "start": self.start,
                "end": self.end, "step_seconds": self.step_s,
                "no_data": self.no_data, "duration_ms": round(self.duration_ms, 2),
                "series": [s.to_dict(instant=False) for s in self.series]}


def parse_result(raw: Any) -> tuple[str, list[Series]]:
    """prometheus-api-client returns only ``data.result``: recover its type and series."""
    if isinstance(raw, list) and len(raw) == 2 and not isinstance(raw[0], dict):
        try:  # a scalar [ts, "v"]
            return "scalar", [Series({}, [(float(raw[0]), _number(raw[1]))])]
        except ValueError:  # a string [ts, "text"]: no number to show
            return "string", [Series({"value": str(raw[1])}, [(float(raw[0]), math.nan)])]
    series, kind = [], "vector"
    for item in raw or []:
        if "values" in item:
            kind = "matrix"
            samples = [(float(ts), _number(v)) for ts, v in item["values"]]
        else:
            samples = [(float(item["value"][0]), _number(item["value"][1]))]
        series.append(Series(dict(item.get("metric", {})), samples))
    return kind, series
