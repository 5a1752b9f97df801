"""Outside data (code lines, log messages, label values, PromQL, titles) reaches the terminal
exactly as it is: never read as rich markup, never a Python repr."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli import snapshot_data as data
from tests.snapshot import natural_width, render_text

# Text that rich markup would eat or choke on: tags, closing tags, brackets, backslashes.
HOSTILE = st.text(st.sampled_from(list("[]/\\bold red:=link x")), min_size=1, max_size=40).map(
    lambda s: f"[{s}]" if "[" not in s else s) | st.sampled_from(
    ["return [q[sl] for sl in slices]", "[bold]x[/bold]", "[/]", "[link=file:///etc/passwd]x[/link]",
     '{status=~"5..", path="[/infer]"}', "\\[escaped]", "[red]", "a[b]c"])


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _shown(renderable) -> str:
    return _flat(render_text(renderable, natural_width(renderable)))


@settings(max_examples=40, deadline=None)
@given(value=HOSTILE)
def test_every_kind_of_outside_data_is_shown_as_it_is(value):
    from aiops.cli import alerts, diagnose, incident_render, logs, metrics, prom, triage

    report = data.errors_report()
    report.groups[0].message, report.groups[0].logger = value, value
    assert _flat(value) in _shown(logs.errors_table(report, wide=True))

    listed = data.alert_list()
    listed.alerts[0].summary, listed.alerts[0].labels["path"] = value, value
    assert _flat(value) in _shown(alerts.alerts_table(listed, wide=True))

    result = data.query_result()
    result.series[0].labels["path"] = value
    assert _flat(value) in _shown(prom.query_table(result))

    card = data.scorecard()
    card.rows[1].query, card.rows[2].title = value, value
    shown = _shown(metrics.scorecard_table(card, wide=True))
    assert shown.count(_flat(value)) >= 2

    mem = data.memory_report()
    mem.top[0].code = value
    assert _flat(value) in _shown(diagnose.memory_table(mem))

    incidents = data.incident_list()
    incidents.incidents[0].title = value
    assert _flat(value) in _shown(incident_render.incidents_table(incidents))

    found = copy.deepcopy(data.triage_report())
    found.findings[0].evidence[0] = value
    found.findings[1].title = value
    assert _shown(triage.triage_table(found, wide=True)).count(_flat(value)) >= 2


def test_the_code_line_keeps_its_brackets():
    from aiops.cli.diagnose import memory_table

    out = render_text(memory_table(data.memory_report()), 120)
    assert "return [q[sl] for sl in self._states.slices]" in out


def test_no_snapshot_shows_a_python_repr():
    snapshots = Path(__file__).resolve().parents[1] / "snapshots"
    for path in snapshots.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\['|\{'|\bFalse\b|\bTrue\b|\bNone\b|datetime\.", text), path.name
