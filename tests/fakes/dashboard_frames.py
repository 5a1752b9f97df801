"""Deterministic dashboard frames for screen tests: the catalog's panels with made-up series.

``make_frame(board)`` gives every panel one series per instance (one per legend for
multi-query panels), 120 points over the last hour of a fixed clock, shaped as slow waves, with
the values each panel's runbook band would call ok, except ``critical`` (panel key -> value)
and ``empty`` (panel keys with no data).
"""

from __future__ import annotations

import datetime as dt
import math

from aiops.catalog.dashboards import Dashboard
from aiops.dashboards.data import Frame, PanelData, SeriesData, _finish, legend

AT = dt.datetime(2026, 1, 28, 10, 0, 0, tzinfo=dt.timezone.utc)
INSTANCES = ("lab-1:8000", "lab-2:8000")
LEVELS = {"uptime": 100.0, "instances_down": 0.0, "request_rate": 20.0, "response_time_p95": 0.004,
          "error_rate": 0.05, "errors_per_second": 0.0, "cpu": 12.0, "memory": 31.0, "disk": 42.0,
          "active_sessions": 40.0, "latency_quantiles": 0.003, "model_accuracy": 0.97, "free_energy": 3.2,
          "belief_entropy": 0.4, "convergence_time": 0.02, "episodes_per_hour": 30000.0,
          "training_loss": 0.05, "sample_efficiency": 2.0, "container_cpu": 0.8,
          "container_memory": 4.5e8, "network": 12000.0, "disk_io": 56000.0, "db_pool": 1.0,
          "cache_hit_rate": 0.96}
BUCKETS = ((0.001, 400.0), (0.0025, 900.0), (0.005, 1000.0), (0.01, 1030.0), (0.025, 1040.0),
           (0.05, 1040.0), (0.1, 1040.0), (0.25, 1040.0), (0.5, 1040.0), (1.0, 1040.0), (2.5, 1040.0),
           (5.0, 1040.0), (10.0, 1040.0), (math.inf, 1040.0))


CEILING = {"uptime": 100.0, "cache_hit_rate": 1.0, "model_accuracy": 1.0}


def _points(level: float, phase: float, window_s: float, end: float,
            ceiling: float = math.inf) -> list[tuple[float, float]]:
    step = window_s / 120
    return [(end - window_s + (i + 1) * step, min(ceiling, level * (1 + 0.2 * math.sin(i / 9 + phase))))
            for i in range(120)]


def make_frame(board: Dashboard, *, source: str = "prometheus", critical: dict[str, float] | None = None,
               empty: tuple[str, ...] = (), instances: tuple[str, ...] = INSTANCES,
               window_s: float = 3600.0) -> Frame:
    critical = critical or {}
    end = AT.timestamp()
    panels = []
    for panel in board.panels:
        data = PanelData(panel, [q.expr for q in panel.queries], duration_ms=1.5)
        if panel.key in empty:
            _finish(data)
            panels.append(data)
            continue
        if panel.kind == "heatmap":
            data.series = [SeriesData(f"{le:g}", {"le": f"{le:g}"}, [(end, count)]) for le, count in BUCKETS]
        else:
            for q_index, query in enumerate(panel.queries):
                per_instance = "{{instance}}" in query.legend
                for i, instance in enumerate(instances if per_instance else instances[:1]):
                    labels = {"instance": instance} if per_instance else {}
                    level = LEVELS[panel.key] * (1 + q_index) * (1 + 0.1 * i)
                    points = _points(level, i + q_index, window_s, end, CEILING.get(panel.key, math.inf))
                    if panel.key in critical and i == 0 and q_index == 0:
                        points[-1] = (points[-1][0], critical[panel.key])
                    data.series.append(SeriesData(legend(query.legend, labels), labels, points))
        _finish(data)
        panels.append(data)
    return Frame(board, source, AT, window_s, window_s / 120, panels, "http://127.0.0.1:9090",
                 ["http://lab-1:8000", "http://lab-2:8000"], 12.5, 30.0)
