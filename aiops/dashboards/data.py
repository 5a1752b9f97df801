"""One frame of a dashboard: every panel's series over the window, current values, bands.

:class:`Feed` produces frames. From Prometheus: every panel query as a concurrent range query
(``/api/v1/query_range``) over ``window_s`` with about :data:`POINTS` points. When Prometheus
does not answer (``source="auto"``) or with ``source="scrape"``, from the targets' /metrics
read at every refresh (:mod:`aiops.dashboards.scrape`); the frame says which.

A series' band is the runbook's verdict for its current value (ok / warning / critical /
info), from the panel's scorecard check; panels without thresholds have none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiops.catalog.dashboards import Dashboard, Panel
from aiops.core.errors import AiopsError, UpstreamError, UsageError
from aiops.core.redact import redact
from aiops.core.timewindow import rfc3339
from aiops.prometheus.results import json_number

SCHEMA = "aiops.dashboard/v1"
POINTS = 120
SOURCES = ("auto", "prometheus", "scrape")
BAND_ORDER = ("critical", "warning", "info", "ok")
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass
class SeriesData:
    name: str
    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)  # (unix seconds, value)
    band: str | None = None

    @property
    def current(self) -> float | None:
        """The newest finite value."""
        for _, value in reversed(self.points):
            if math.isfinite(value):
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "labels": self.labels, "current": _num(self.current), "band": self.band,
                "points": [[_utc(t), _num(v)] for t, v in self.points]}


@dataclass
class PanelData:
    panel: Panel
    queries: list[str]
    series: list[SeriesData] = field(default_factory=list)
    buckets: list[tuple[float, float]] = field(default_factory=list)  # heatmap: (le, count in window)
    note: str | None = None
    duration_ms: float | None = None  # the slowest of the panel's queries

    @property
    def band(self) -> str | None:
        """The worst band of the panel's series."""
        bands = {s.band for s in self.series}
        return next((b for b in BAND_ORDER if b in bands), None)

    @property
    def has_data(self) -> bool:
        return any(s.current is not None for s in self.series) or any(c > 0 for _, c in self.buckets)

    def to_dict(self) -> dict[str, Any]:
        p = self.panel
        return {"key": p.key, "title": p.title, "widget": p.widget, "kind": p.kind, "unit": p.unit,
                "alert": p.alert, "runbook": p.runbook,
                "thresholds": [{"value": t.value, "band": t.band, "strict": t.strict} for t in p.thresholds],
                "band": self.band, "queries": self.queries, "note": self.note,
                "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 2),
                "series": [s.to_dict() for s in self.series],
                "buckets": [{"le": _num(le), "count": round(c, 6)} for le, c in self.buckets]}


@dataclass
class Frame:
    dashboard: Dashboard
    source: str  # prometheus | scrape
    at: dt.datetime
    window_s: float
    step_s: float
    panels: list[PanelData]
    prometheus_url: str | None = None
    targets: list[str] = field(default_factory=list)
    query_ms: float = 0.0  # wall time of the concurrent queries (Prometheus answering) or scrapes
    duration_ms: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "dashboard": self.dashboard.name, "title": self.dashboard.title,
                "uid": self.dashboard.uid, "source": self.source, "at": self.at,
                "window_seconds": self.window_s, "step_seconds": self.step_s,
                "prometheus_url": redact(self.prometheus_url) if self.prometheus_url else None,
                "targets": [redact(t) for t in self.targets],
                "query_ms": round(self.query_ms, 1), "duration_ms": round(self.duration_ms, 1),
                "warnings": self.warnings, "panels": [p.to_dict() for p in self.panels]}


def _num(value: float | None) -> float | str | None:
    return None if value is None else json_number(value)


def _utc(ts: float) -> str:
    return rfc3339(dt.datetime.fromtimestamp(ts, dt.timezone.utc))


def legend(fmt: str, labels: dict[str, str]) -> str:
    """Grafana's legend format filled in (``{{instance}} {{direction}}``); missing labels vanish."""
    text = _LEGEND.sub(lambda m: labels.get(m.group(1), ""), fmt).strip()
    return " ".join(text.split()) or "value"


def judge(panel: Panel, value: float | None) -> str | None:
    """The runbook's band for ``value`` on ``panel`` (None: no thresholds, or no value)."""
    if not panel.check or value is None or math.isnan(value):
        return None
    from aiops.catalog.checks import check_by_key
    from aiops.prometheus.scorecard import judge as score

    _, verdict = score(check_by_key(panel.check), value)
    return verdict if verdict in BAND_ORDER else None


def step_for(window_s: float, points: int = POINTS) -> float:
    """A whole-second step giving about ``points`` points over the window (at least 1 s)."""
    return float(max(1, math.ceil(window_s / points)))


def buckets_from(series: list[SeriesData]) -> list[tuple[float, float]]:
    """Per-bucket counts (not cumulative) summed over the window, from ``le`` series."""
    cumulative: list[tuple[float, float]] = []
    for s in series:
        try:
            le = float(s.labels.get("le", "nan"))
        except ValueError:
            continue
        total = sum(v for _, v in s.points if math.isfinite(v))
        cumulative.append((le, total))
    cumulative.sort()
    out, previous = [], 0.0
    for le, total in cumulative:
        out.append((le, max(0.0, total - previous)))
        previous = max(previous, total)
    return out


class Feed:
    """Frames of one dashboard, refresh after refresh, from Prometheus or the targets.

    Use as ``async with Feed(...) as feed: frame = await feed.frame()``. ``warn(message)`` is
    told once when ``auto`` falls back to scraping.
    """

    def __init__(self, board: Dashboard, *, prometheus_url: str, job: str | None, window_s: float,
                 targets: list[str], source: str = "auto", timeout: float = 10.0,
                 ca_bundle: str | None = None, insecure: bool = False,
                 headers: dict[str, str] | None = None, prometheus_tls: tuple[str | None, bool] | None = None,
                 warn: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if source not in SOURCES:
            raise UsageError(f"--source must be one of {', '.join(SOURCES)}, got '{source}'")
        if source == "scrape" and not targets:
            raise UsageError("--source scrape needs targets", hint="pass --target URL or use --env NAME")
        from aiops.prometheus.http import Server

        self.board, self.job, self.window_s = board, job, window_s
        self.server = Server("Prometheus", prometheus_url, timeout, *(prometheus_tls or (ca_bundle, insecure)),
                             "prometheus.url", dict(headers or {}))
        self._tls = (ca_bundle, insecure)
        self.targets, self.requested, self.mode, self.timeout = targets, source, source, timeout
        self._warn, self._clock = warn, clock
        self._http: Any = None
        self._history: Any = None
        self._scraper: Any = None
        self.warnings: list[str] = []

    async def __aenter__(self) -> "Feed":
        from aiops.prometheus.http import reader

        self._http = reader(self.server)  # not aiohttp: its import alone is ~200 ms of the first frame
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._http.close()
        if self._scraper is not None:
            self._scraper.close()

    async def frame(self) -> Frame:
        """The next frame (UpstreamError when no source answers)."""
        started = time.perf_counter()
        if self.mode in ("auto", "prometheus"):
            try:
                frame = await self._prometheus()
                frame.duration_ms = (time.perf_counter() - started) * 1000
                return frame
            except UpstreamError as exc:
                if self.requested == "prometheus" or not self.targets:
                    if self.requested == "auto" and not self.targets:
                        exc.hint = "give targets (--target URL or --env NAME) to scrape them directly"
                    raise
                self.warnings.append(f"{exc.message}; showing {len(self.targets)} target(s) scraped directly")
                if self._warn:
                    self._warn(self.warnings[-1])
                self.mode = "scrape"
        frame = await self._scrape()
        frame.duration_ms = (time.perf_counter() - started) * 1000
        return frame

    async def _prometheus(self) -> Frame:
        from aiops.dashboards.promql import expand, rate_window
        from aiops.prometheus.http import get_json

        end = self._clock()
        step = step_for(self.window_s)
        start = end - self.window_s
        rate_s = rate_window(step)
        jobs: list[tuple[PanelData, Any, str]] = []
        panels = []
        for panel in self.board.panels:
            data = PanelData(panel, [expand(q.expr, job=self.job, rate_window_s=rate_s, range_s=self.window_s)
                                     for q in panel.queries])
            panels.append(data)
            jobs += [(data, query, expr) for query, expr in zip(panel.queries, data.queries)]

        async def one(expr: str) -> tuple[Any, float]:
            began = time.perf_counter()
            doc = await get_json(self._http, self.server, "/api/v1/query_range", {
                "query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"})
            return doc, (time.perf_counter() - began) * 1000

        began = time.perf_counter()
        results = await asyncio.gather(*(one(expr) for _, _, expr in jobs), return_exceptions=True)
        query_ms = (time.perf_counter() - began) * 1000
        failures = [r for r in results if isinstance(r, AiopsError)]  # all refused: say why, once
        if failures and len(failures) == len(results):
            raise failures[0]
        for (data, query, _), result in zip(jobs, results):
            if isinstance(result, BaseException):
                if not isinstance(result, AiopsError):
                    raise result
                data.note = result.message
                continue
            doc, ms = result
            data.duration_ms = max(data.duration_ms or 0.0, ms)
            data.series += _series(doc, query.legend)
        for data in panels:
            _finish(data)
        return Frame(self.board, "prometheus", dt.datetime.fromtimestamp(end, dt.timezone.utc), self.window_s,
                     step, panels, self.server.base, list(self.targets), query_ms, warnings=list(self.warnings))

    async def _scrape(self) -> Frame:
        from aiops.dashboards.scrape import History

        if self._history is None:
            self._history = History(self.targets, timeout=self.timeout, max_age_s=self.window_s)
            self._scraper = self._history.reader(*self._tls)
            await self._history.scrape(self._scraper)
            await asyncio.sleep(1.0)  # rates need two scrapes
        began = time.perf_counter()
        await self._history.scrape(self._scraper)
        query_ms = (time.perf_counter() - began) * 1000
        panels = []
        for panel in self.board.panels:
            data = PanelData(panel, [f"scrape: {' '.join(q.scrape) or '(needs Prometheus)'}" for q in panel.queries])
            for query in panel.queries:
                series, note = self._history.evaluate(query.scrape, query.legend)
                data.series += series
                data.note = data.note or note
            _finish(data)
            panels.append(data)
        now = self._clock()
        return Frame(self.board, "scrape", dt.datetime.fromtimestamp(now, dt.timezone.utc), self.window_s,
                     self._history.interval_s, panels, self.server.base, list(self.targets), query_ms,
                     warnings=list(self.warnings))


def _series(doc: Any, legend_format: str) -> list[SeriesData]:
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("result"), list):
        raise UpstreamError("Prometheus answered a range query without a result")
    out = []
    for item in data["result"]:
        if not isinstance(item, dict) or not isinstance(item.get("metric") or {}, dict):
            continue  # not a series: nothing to draw
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        points = []
        values = item.get("values")
        for pair in values if isinstance(values, list) else []:
            try:
                points.append((float(pair[0]), float(pair[1])))
            except (TypeError, ValueError, IndexError, KeyError):
                continue
        out.append(SeriesData(legend(legend_format, labels), labels, points))
    return out


def _finish(data: PanelData) -> None:
    """Sort series by name, judge their bands, fold a heatmap into buckets."""
    if data.panel.kind == "heatmap":
        data.buckets = buckets_from(data.series)
        data.series = []
    data.series.sort(key=lambda s: s.name)
    for s in data.series:
        s.band = judge(data.panel, s.current)
    if not data.has_data and data.note is None:
        data.note = "no data"
