"""What a person sees, kept in tests/snapshots/ at 80 and 120 columns (colour off).

Each case renders a table builder of the CLI with fixed data (tests/cli/snapshot_data.py)
exactly as the command does; ``AIOPS_UPDATE_SNAPSHOTS=1`` rewrites the files. Besides the
comparison, every rendering must fit its width and show no zero-width column.
"""

from __future__ import annotations

import pytest

from tests.cli import snapshot_data as data
from tests.snapshot import assert_snapshot


def _health_check(wide=False):
    from aiops.cli.health import health_table

    return health_table(data.health_report(), wide=wide, all_targets=wide)  # as `health check` prints it


def _health_watch():
    from aiops.cli.health import watch_view
    from aiops.health.watch import Round

    report = data.health_report()
    return watch_view(Round(3, report, data.NOW, {"http://lab-2.sim.example.internal:8000": "healthy"}), 2.0)


def _prom(name, **kw):
    from aiops.cli import prom

    return getattr(prom, name)(getattr(data, "range_result" if name == "range_table" else "query_result")(), **kw)


def _call(module, func, source, *args, **kw):
    import importlib

    return getattr(importlib.import_module(f"aiops.cli.{module}"), func)(getattr(data, source)(*args), **kw)


def _logs_trace():
    from aiops.cli.logs import summary_table, timeline_lines
    from aiops.cli.tables import group

    timeline = data.trace_timeline()
    return group(*timeline_lines(timeline), summary_table(timeline.summary))


# snapshot name -> the renderable the command prints (the -o wide view where there is one)
CASES = {
    "health-check": _health_check,
    "health-check.wide": lambda: _health_check(wide=True),
    "health-watch": _health_watch,
    "prom-query": lambda: _prom("query_table"),
    "prom-range": lambda: _prom("range_table"),
    "prom-range.wide": lambda: _prom("range_table", wide=True),
    "metrics-check": lambda: _call("metrics", "scorecard_table", "scorecard"),
    "metrics-check.wide": lambda: _call("metrics", "scorecard_table", "scorecard", wide=True),
    "metrics-check-scrape": lambda: _call("metrics", "scorecard_table", "scorecard", "scrape"),
    "alerts-list": lambda: _call("alerts", "alerts_table", "alert_list"),
    "alerts-list.wide": lambda: _call("alerts", "alerts_table", "alert_list", wide=True),
    "alerts-test": lambda: _call("alerts", "rules_test_table", "rules_test_report"),
    "alerts-silence-list": lambda: _call("alerts", "silences_table", "silences"),
    "alerts-silence-list.wide": lambda: _call("alerts", "silences_table", "silences", wide=True),
    "alerts-silence-add": lambda: _call("alerts", "change_table", "silence_change"),
    "alerts-silence-add-dry-run": lambda: _call("alerts", "change_table", "silence_change", "create", True),
    "alerts-silence-expire": lambda: _call("alerts", "change_table", "silence_change", "expire"),
    "logs-errors": lambda: _call("logs", "errors_table", "errors_report"),
    "logs-errors.wide": lambda: _call("logs", "errors_table", "errors_report", wide=True),
    "triage": lambda: _call("triage", "triage_table", "triage_report"),
    "triage.wide": lambda: _call("triage", "triage_table", "triage_report", wide=True),
    "triage-healthy": lambda: _call("triage", "triage_table", "triage_report", True),
    "playbook-run": lambda: _call("triage", "steps_table", "playbook_run"),
    "playbook-run-dry-run": lambda: _call("triage", "steps_table", "playbook_run", True),
    "diagnose-memory": lambda: _call("diagnose", "memory_table", "memory_report"),
    "diagnose-memory-leak": lambda: _call("diagnose", "memory_table", "memory_report", True),
    "diagnose-profile": lambda: _call("diagnose", "profile_table", "profile_report"),
    "diagnose-bench": lambda: _call("diagnose", "bench_table", "bench_report"),
    "incident-list": lambda: _call("incident_render", "incidents_table", "incident_list"),
    "incident-list.wide": lambda: _call("incident_render", "incidents_table", "incident_list", wide=True),
    "incident-show": lambda: _call("incident_render", "detail_view", "incident_detail"),
    "incident-log": lambda: _call("incident_render", "log_table", "incident_log"),
    "incident-ack": lambda: _call("incident_render", "action_table", "incident_action"),
    "incident-ack-dry-run": lambda: _call("incident_render", "action_table", "incident_action", True),
    "incident-oncall": lambda: _call("incident_render", "oncall_table", "oncalls"),
    "incident-audit": lambda: _call("incident_render", "audit_table", "audit_report"),
    "incident-audit.wide": lambda: _call("incident_render", "audit_table", "audit_report", wide=True),
    "incident-audit-verify": lambda: _call("incident_render", "audit_verify_table", "audit_verification"),
    "incident-clock": lambda: _call("clock", "clock_table", "clock"),
    "postmortem-new": lambda: _call("postmortem", "written_table", "postmortem_written"),
    "postmortem-check": lambda: _call("postmortem", "check_table", "postmortem_check"),
    "config-show": lambda: _call("config", "_table", "settings"),
    "config-show.wide": lambda: _call("config", "_table", "settings", wide=True),
    "capacity-check": lambda: _call("capacity", "capacity_table", "capacity"),
    "capacity-check.wide": lambda: _call("capacity", "capacity_table", "capacity", wide=True),
    "lab-fault-list": lambda: _call("lab", "fault_table", "fault_report"),
    "playbook-list": lambda: _call("playbook", "list_table", "library"),
    "playbook-show": lambda: _call("playbook", "show_table", "playbook"),
    "playbook-show.wide": lambda: _call("playbook", "show_table", "playbook", wide=True),
    "playbook-validate": lambda: _call("playbook", "validate_table", "validation"),
    "logs-trace-summary": lambda: _call("logs", "summary_table", "trace_summary"),
    "logs-trace": lambda: _logs_trace(),
    "dashboards-export": lambda: _call("dashboards", "export_table", "dashboards_export"),
    "dashboards-validate": lambda: _call("dashboards", "validation_table", "dashboards_validation"),
    "drill-run": lambda: _call("drill", "report_table", "drill_report"),
    "drill-list": lambda: _call("drill", "list_table", "drill_scenarios"),
    "lab-stack-status": lambda: _call("lab_stack", "stack_table", "lab_stack"),
    "lab-stack-down": lambda: _call("lab_stack", "down_table", "lab_stack_down"),
    "trace-search": lambda: _call("trace_render", "search_table", "trace_search"),
    "trace-search.wide": lambda: _call("trace_render", "search_table", "trace_search", wide=True),
    "dashboards-validate.wide": lambda: _call("dashboards", "validation_table", "dashboards_validation", wide=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_snapshot(name):
    from aiops.cli.tables import frozen_now

    with frozen_now(data.NOW):
        renderable = CASES[name]()
        if name.endswith(".wide"):
            assert_snapshot(name[: -len(".wide")], renderable, widths=("wide",))
        else:
            assert_snapshot(name, renderable)


def _covered() -> set[str]:
    """The table builders the cases render (from their source: ``_call("module", "func", ...)``)."""
    import inspect
    import re

    source = inspect.getsource(inspect.getmodule(_covered))
    called = {f"{m}.{f}" for m, f in re.findall(r'_call\("(\w+)", "(\w+)"', source)}
    called |= {f"prom.{f}" for f in re.findall(r'_prom\("(\w+)"', source)}
    # dashboard_view.render draws the live screen: snapshots at 80x24 and 120x40 in test_dashboard_screen.py
    return called | {"health.health_table", "health.watch_view", "logs.summary_table", "logs.timeline_lines",
                     "dashboard_view.render"}


def test_every_table_a_command_prints_has_a_snapshot():
    """Every builder passed as ``table=`` (or printed) by a command module is snapshot-tested."""
    import re
    from pathlib import Path

    cli = Path(__file__).resolve().parents[2] / "aiops" / "cli"
    used = set()
    for path in cli.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"table=(\w+)", text) + re.findall(r"print\((\w+)\(", text):
            if name in ("lambda", "r", "renderable", "line", "text"):
                continue
            imported = re.search(rf"from aiops\.cli\.(\w+) import [^\n]*\b{name}\b", text)
            owner = imported.group(1) if imported else next(
                (p.stem for p in cli.glob("*.py") if re.search(rf"^def {name}\(", p.read_text(encoding="utf-8"), re.M)),
                None)
            if owner and owner != "tables":  # tables.py's helpers build lines, not tables
                used.add(f"{owner}.{name}")
    assert used, "no table builders found"
    missing = sorted(used - _covered())
    assert not missing, f"table builders without a snapshot case: {missing}"
