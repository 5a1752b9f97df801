"""`aiops dashboards export` and `validate`: stable bytes, no silent overwrite, problems named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.json_contract import validate

FILES = ["aiops-infrastructure.json", "aiops-main.json", "aiops-performance.json"]


@pytest.fixture
def exported(cli, tmp_path):
    result = cli("dashboards", "export", "--out", str(tmp_path / "out"), "-o", "json")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "out", result


def test_export_writes_three_dashboards(exported):
    out, result = exported
    assert sorted(p.name for p in out.iterdir()) == FILES
    doc = result.json()
    validate(doc, "aiops.dashboards-export/v1")
    assert [f["uid"] for f in doc["files"]] == ["aiops-main", "aiops-performance", "aiops-infrastructure"]
    main = json.loads((out / "aiops-main.json").read_text())
    assert main["uid"] == "aiops-main"
    variables = {v["name"]: v for v in main["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["job"]["current"]["value"] == "active-inference"
    panels = [p for p in main["panels"] if p["type"] != "row"]
    assert all(p["datasource"] == {"type": "prometheus", "uid": "${datasource}"} for p in panels)
    p95 = next(p for p in panels if p["title"] == "Response time p95")
    assert p95["fieldConfig"]["defaults"]["unit"] == "s"
    assert p95["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"value": None, "color": "green"}, {"value": 0.5, "color": "yellow"}, {"value": 1.0, "color": "red"}]
    assert "Performance Baselines" in p95["description"]
    assert p95["links"][0]["url"] == "/alerting/list?search=HighResponseTime"
    assert p95["links"][0]["title"].startswith("HighResponseTime (warning, P2)")
    down = next(p for p in panels if p["title"] == "Instances down")
    assert 0 < down["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] < 1e-300  # "> 0" leaves 0 green
    alerts = [a for a in main["annotations"]["list"] if a.get("expr")]
    assert alerts and alerts[0]["expr"].startswith('ALERTS{alertstate="firing"')
    rows = [p["title"] for p in main["panels"] if p["type"] == "row"]
    assert rows[0] == "Service availability (uptime %)" and len(rows) == 5


def test_export_is_byte_identical_and_never_overwrites_without_force(cli, exported, tmp_path):
    out, _ = exported
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "aiops-main.json").write_text("my edits")
    refused = cli("dashboards", "export", "--out", str(out))
    assert refused.exit_code == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert (out / "aiops-main.json").read_text() == "my edits"
    forced = cli("dashboards", "export", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    again = cli("dashboards", "export", "--out", str(tmp_path / "again"))
    assert again.exit_code == 0, again.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()} == first


def test_datasource_uid_is_the_variables_default(cli, tmp_path):
    result = cli("dashboards", "export", "--out", str(tmp_path), "--datasource", "prom-prod")
    assert result.exit_code == 0, result.stderr
    doc = json.loads((tmp_path / "aiops-performance.json").read_text())
    variable = next(v for v in doc["templating"]["list"] if v["name"] == "datasource")
    assert variable["current"] == {"text": "prom-prod", "value": "prom-prod", "selected": True}


def test_validate_passes_the_export(cli, exported):
    out, _ = exported
    result = cli("dashboards", "validate", str(out), "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    validate(doc, "aiops.dashboards-validate/v1")
    assert doc["ok"] and sum(f["queries"] for f in doc["files"]) >= 25


def _edit(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _panel(doc: dict, title: str) -> dict:
    return next(p for p in doc["panels"] if p.get("title") == title)


@pytest.mark.parametrize("change, message", [
    (lambda d: _panel(d, "Request rate")["fieldConfig"]["defaults"].update(unit="bydecbitstes"),
     "unit 'bydecbitstes' is not a Grafana unit ID"),
    (lambda d: _panel(d, "Request rate")["targets"][0].update(expr="sum(rate(http_requests_total[5m])"),
     "PromQL does not parse"),
    (lambda d: _panel(d, "Request rate").update(colour="red"),
     "round trip through the SDK's model at panels[4].colour: not part of the model"),
    (lambda d: _panel(d, "Disk")["fieldConfig"]["defaults"]["thresholds"]["steps"].reverse(),
     "thresholds do not start with a base step"),
])
def test_validate_names_the_panel_and_exits_3(cli, exported, change, message):
    out, _ = exported
    _edit(out / "aiops-main.json", change)
    result = cli("dashboards", "validate", str(out), "-o", "json")
    assert result.exit_code == 3
    problems = result.json()["problems"]
    assert problems and problems[0]["file"] == "aiops-main.json"
    assert message in problems[0]["problem"]
    assert problems[0]["panel"] is not None and "(id " in problems[0]["panel"]
    assert f"error: aiops-main.json: panel {problems[0]['panel']}" in result.stderr


def test_validate_reports_unreadable_files_and_duplicate_uids(cli, exported):
    out, _ = exported
    (out / "broken.json").write_text("{not json")
    (out / "copy.json").write_bytes((out / "aiops-main.json").read_bytes())
    result = cli("dashboards", "validate", str(out), "-o", "json")
    assert result.exit_code == 3
    problems = [p["problem"] for p in result.json()["problems"]]
    assert any(p.startswith("not JSON") for p in problems)
    assert any("uid 'aiops-main' is also used by" in p for p in problems)


def test_validate_of_nothing_is_a_usage_error(cli, tmp_path):
    assert cli("dashboards", "validate", str(tmp_path)).exit_code == 2
    assert cli("dashboards", "validate", str(tmp_path / "missing")).exit_code == 2


def plain(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def widest(text: str) -> int:
    return max(len(line) for line in plain(text).splitlines())


@pytest.mark.parametrize("width", [80, 120])
def test_tables_fit_the_terminal(cli, tmp_path, width):
    result = cli("dashboards", "export", "--out", str(tmp_path / "o"), "-o", "table", tty=True,
                 env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    assert widest(result.stdout) <= width
    assert "aiops-infrastructure.json" in result.stdout  # identifiers are never broken
    checked = cli("dashboards", "validate", str(tmp_path / "o"), "-o", "table", tty=True, env={"COLUMNS": str(width)})
    assert checked.exit_code == 0 and "OK: 3 file(s)" in plain(checked.stdout)
    assert widest(checked.stdout) <= width and "aiops-infrastructure" in checked.stdout
