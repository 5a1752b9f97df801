"""`aiops playbook list | show | validate | run`."""

from __future__ import annotations

from tests.conftest import free_port
from tests.fakes.lab import lab  # noqa: F401 (fixture)


def test_list_and_show(cli):
    listed = cli("playbook", "list", "-o", "json")
    assert listed.exit_code == 0
    names = [p["name"] for p in listed.json()["playbooks"]]
    assert len(names) == 9 and "memory-leak" in names
    table = cli("playbook", "list", tty=True)
    assert table.exit_code == 0 and "high-error-rate" in table.stdout and "HighErrorRate" in table.stdout
    shown = cli("playbook", "show", "memory-leak", "-o", "json").json()
    assert shown["alerts"] == ["MemoryLeak"] and shown["steps"][0]["action"] == "metrics.trend"
    assert "Monitor memory growth" in cli("playbook", "show", "memory-leak", tty=True).stdout


def test_an_unknown_playbook_is_exit_2_listing_the_known_ones(cli):
    for args in (("show", "memory-leek"), ("run", "memory-leek", "--dry-run")):
        result = cli("playbook", *args)
        assert result.exit_code == 2 and result.stdout == ""
        assert "unknown playbook 'memory-leek'" in result.stderr and "memory-leak" in result.stderr


def test_validate_all_and_a_bad_file(cli, tmp_path):
    assert cli("playbook", "validate", "-o", "json").json()["invalid"] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntitle: Bad\nseverity: warning\nsteps:\n  - name: x\n    action: prom.query\n")
    result = cli("playbook", "validate", str(bad), "-o", "json")
    assert result.exit_code == 2
    assert result.json()["files"][0]["problems"][0] == {
        "file": str(bad), "line": 5, "field": "steps[0].with.query", "message": "required by prom.query"}
    assert f"{bad}:5: steps[0].with.query: required by prom.query" in result.stderr
    run = cli("playbook", "run", str(bad), "--dry-run")
    assert run.exit_code == 2 and f"{bad}:5" in run.stderr


def test_dry_run_plans_every_step(cli):
    result = cli("playbook", "run", "high-error-rate", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["dry_run"] is True and doc["status"] == "planned"  # nothing ran: nothing "passed"
    assert [s["status"] for s in doc["steps"]] == ["planned"] * 5 + ["manual", "planned"]
    table = cli("playbook", "run", "high-error-rate", "--dry-run", "-o", "table")
    assert "dry run: nothing ran" in table.stdout and "passed" not in table.stdout
    assert "{'" not in table.stdout and "window=300" in table.stdout


def test_run_fails_with_3_when_an_expectation_fails(cli, lab, tmp_path):
    service = lab(faults=("memory-leak",), fast=False)
    env = {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}", "AIOPS_AUDIT_PATH": str(tmp_path / "a")}
    result = cli("playbook", "run", "memory-leak", "--target", service.url, "-o", "json", env=env)
    assert result.exit_code == 3, result.stderr
    steps = {s["number"]: s for s in result.json()["steps"]}
    assert steps[1]["status"] == "failed" and steps[1]["values"]["per_hour"] > 100_000_000
    assert "process_resident_memory_bytes" in steps[1]["evidence"][0]
    assert steps[2]["status"] == "error" and "Prometheus" in steps[2]["reason"]  # no Prometheus here
    assert steps[4]["status"] == "passed"  # health
    assert steps[5]["status"] == "passed" and steps[5]["values"]["leaking"] is False  # the core does not leak
    assert steps[6]["status"] == "manual"
    assert steps[9]["status"] == "skipped" and "--incident" in steps[9]["reason"]


def test_run_reports_a_step_that_cannot_run_with_its_code(cli, lab):
    service = lab(fast=False)
    env = {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}"}
    result = cli("playbook", "run", "low-model-accuracy", "--target", service.url, "-o", "json", env=env)
    statuses = [s["status"] for s in result.json()["steps"]]
    assert statuses == ["passed", "error", "passed", "manual", "manual"], result.stdout
    assert result.exit_code == 5
