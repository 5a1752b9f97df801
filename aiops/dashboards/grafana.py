"""The catalog's dashboards as Grafana dashboard JSON, built with grafana-foundation-sdk.

Every dashboard gets a ``${datasource}`` variable (any Prometheus data source; ``datasource``
sets its default UID), a ``job`` variable (default: the runbook's ``active-inference``), a
stable UID, one row per runbook widget, and per panel: its unit, the runbook's thresholds,
its description, a link to the related runbook alert in Grafana's alert list, and an
annotation layer of the runbook's alerts firing (from Prometheus's ``ALERTS`` series).

The output is byte-identical from run to run: nothing here depends on the clock, the
machine or the order of a set.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops.catalog.dashboards import DASHBOARDS, Dashboard, Panel, alert_summary
from aiops.core.errors import UsageError

SCHEMA = "aiops.dashboards-export/v1"
COLOURS = {"ok": "green", "warning": "yellow", "critical": "red", "info": "blue"}
DATASOURCE = "${datasource}"
DEFAULT_JOB = "active-inference"
HEIGHT = {"stat": 5, "timeseries": 8, "heatmap": 8}
TAGS = ["aiops", "active-inference"]


def file_name(board: Dashboard) -> str:
    """``aiops-main.json`` and so on: the file name is the dashboard's UID."""
    return f"{board.uid}.json"


def build(board: Dashboard, *, datasource_uid: str | None = None) -> Any:
    """The SDK's dashboard model for one catalog dashboard."""
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.models import dashboard as dm

    builder = (db.Dashboard(board.title).uid(board.uid).description(board.description)
               .tags(TAGS + [board.name]).editable().tooltip(dm.DashboardCursorSync.CROSSHAIR)
               .time("now-1h", "now").refresh("30s").timezone("browser")
               .with_variable(_datasource_variable(datasource_uid)).with_variable(_job_variable())
               .annotation(_builtin_annotations()).annotation(_alerts_annotation())
               .link(db.DashboardLink("Runbook dashboards").type(dm.DashboardLinkType.DASHBOARDS)
                     .tags(["aiops"]).as_dropdown(False).include_vars(True).keep_time(True)))
    next_id, y = 1, 0
    for widget in _widgets(board):
        builder = builder.with_row(db.Row(widget).id(next_id).grid_pos(dm.GridPos(h=1, w=24, x=0, y=y)))
        next_id, y, x, row_height = next_id + 1, y + 1, 0, 0
        for panel in (p for p in board.panels if p.widget == widget):
            if x + panel.width > 24:
                x, y, row_height = 0, y + row_height, 0
            height = HEIGHT[panel.kind]
            builder = builder.with_panel(_panel(panel).id(next_id)
                                         .grid_pos(dm.GridPos(h=height, w=panel.width, x=x, y=y)))
            next_id, x, row_height = next_id + 1, x + panel.width, max(row_height, height)
        y += row_height
    return builder.build()


def _widgets(board: Dashboard) -> list[str]:
    seen: list[str] = []
    for panel in board.panels:
        if panel.widget not in seen:
            seen.append(panel.widget)
    return seen


def _ref() -> Any:
    from grafana_foundation_sdk.models import dashboard as dm

    return dm.DataSourceRef(type_val="prometheus", uid=DATASOURCE)


def _datasource_variable(uid: str | None) -> Any:
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.models import dashboard as dm

    variable = db.DatasourceVariable("datasource").label("Data source").type("prometheus")
    if uid:
        variable = variable.current(dm.VariableOption(selected=True, text=uid, value=uid))
    return variable


def _job_variable() -> Any:
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.models import dashboard as dm

    return (db.QueryVariable("job").label("Job").datasource(_ref()).query("label_values(up, job)")
            .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD).sort(dm.VariableSort.ALPHABETICAL_ASC)
            .current(dm.VariableOption(selected=True, text=DEFAULT_JOB, value=DEFAULT_JOB)))


def _builtin_annotations() -> Any:
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.models import dashboard as dm

    return (db.AnnotationQuery().name("Annotations & Alerts").built_in(1).enable(True).hide(True)
            .icon_color("rgba(0, 211, 255, 1)").type("dashboard")
            .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --")))


def alerts_expr() -> str:
    """The runbook's alerts that are firing, from Prometheus's ALERTS series."""
    from aiops.catalog import ALERT_RULES

    names = "|".join(rule.name for rule in ALERT_RULES)
    return f'ALERTS{{alertstate="firing", alertname=~"{names}"}}'


def _alerts_annotation() -> Any:
    from grafana_foundation_sdk.builders import dashboard as db

    return (db.AnnotationQuery().name("Runbook alerts firing").enable(True).icon_color("red")
            .datasource(_ref()).expr(alerts_expr()))


def _panel(panel: Panel) -> Any:
    from grafana_foundation_sdk.builders import common as cb
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.builders import heatmap, prometheus, stat, timeseries
    from grafana_foundation_sdk.models import common as cm
    from grafana_foundation_sdk.models import prometheus as pm

    if panel.kind == "stat":
        builder = (stat.Panel().color_mode(cm.BigValueColorMode.VALUE).graph_mode(cm.BigValueGraphMode.AREA)
                   .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    elif panel.kind == "heatmap":
        builder = heatmap.Panel().calculate(False)
    else:
        builder = timeseries.Panel().fill_opacity(10).line_width(1)
        if panel.thresholds:
            builder = builder.thresholds_style(cb.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.LINE))
    builder = (builder.title(panel.title).description(description(panel)).unit(panel.unit)
               .datasource(_ref()).thresholds(_thresholds(panel)))
    for query in panel.queries:
        target = (prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(query.ref)
                  .datasource(_ref()).range())
        if panel.kind == "heatmap":
            target = target.format(pm.PromQueryFormat.HEATMAP)
        builder = builder.with_target(target)
    if panel.alert:
        builder = builder.links([db.DashboardLink(alert_summary(panel)).type(db.dashboard.DashboardLinkType.LINK)
                                 .url(f"/alerting/list?search={panel.alert}").target_blank(True)])
    return builder


def description(panel: Panel) -> str:
    """The panel's description with the runbook line its thresholds come from."""
    text = panel.description
    if panel.check:
        text += f" Runbook: {panel.runbook}."
    elif not panel.thresholds:
        text += " The runbook sets no threshold for it."
    return text


def _thresholds(panel: Panel) -> Any:
    from grafana_foundation_sdk.builders import dashboard as db
    from grafana_foundation_sdk.models import dashboard as dm

    steps = [dm.Threshold(value=grafana_step(t.value, t.strict), color=COLOURS[t.band]) for t in panel.thresholds]
    return db.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(steps or [dm.Threshold(color="green")])


def grafana_step(value: float | None, strict: bool) -> float | None:
    """Grafana colours values >= a step; ``> 0`` (a count) must not colour 0 itself."""
    if value is None or not strict or value != 0:
        return value
    return math.nextafter(0.0, 1.0)


def render(board: Dashboard, *, datasource_uid: str | None = None) -> str:
    """The dashboard's JSON text (2-space indent, trailing newline)."""
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    return json.dumps(build(board, datasource_uid=datasource_uid), cls=JSONEncoder, indent=2,
                      ensure_ascii=False) + "\n"


@dataclass
class ExportedFile:
    dashboard: str
    uid: str
    title: str
    path: str
    panels: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"dashboard": self.dashboard, "uid": self.uid, "title": self.title, "path": self.path,
                "panels": self.panels, "sha256": self.sha256}


@dataclass
class Export:
    out_dir: str
    datasource: str | None
    files: list[ExportedFile] = field(default_factory=list)
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "out_dir": self.out_dir, "datasource": self.datasource,
                "files": [f.to_dict() for f in self.files], "duration_ms": round(self.duration_ms, 1)}


def export(out_dir: str | os.PathLike, *, datasource_uid: str | None = None, force: bool = False,
           boards: tuple[Dashboard, ...] = DASHBOARDS) -> Export:
    """Write one JSON file per dashboard into ``out_dir``.

    Refuses (UsageError, nothing written) when any file exists, unless ``force``. Each file is
    written to a temporary name and renamed, so a reader never sees half a dashboard.
    """
    import time

    started = time.perf_counter()
    directory = Path(out_dir).expanduser()
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    texts = {board: render(board, datasource_uid=datasource_uid) for board in boards}
    existing = [directory / file_name(b) for b in boards if (directory / file_name(b)).exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} already exists; not overwriting it"
                         + (f" (nor {len(existing) - 1} more)" if len(existing) > 1 else ""),
                         hint="add --force to replace the dashboards")
    result = Export(str(directory), datasource_uid)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for board, text in texts.items():
            path = directory / file_name(board)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            result.files.append(ExportedFile(board.name, board.uid, board.title, str(path), len(board.panels),
                                             hashlib.sha256(text.encode()).hexdigest()))
    except OSError as exc:
        raise UsageError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result
