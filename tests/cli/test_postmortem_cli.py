"""`aiops postmortem new|check` and `aiops incident clock` exit codes, output and bad input."""

from __future__ import annotations

import json
import os

from tests.conftest import free_port

WINDOW = ("--since", "2026-01-28T09:30:00Z", "--until", "2026-01-28T11:00:00Z")


def log_file(tmp_path):
    """Real JSON-lines service logs in the runbook's format, errors inside the window."""
    path = tmp_path / "simlab.jsonl"
    records = [{"timestamp": f"2026-01-28T10:{m:02d}:00Z", "level": "ERROR",
                "logger": "active_inference.api", "message": "inference failed",
                "correlation_id": f"req-{m}", "user_id": "user-67890"} for m in range(5)]
    records.append({"timestamp": "2026-01-28T10:06:00Z", "level": "INFO", "logger": "x",
                    "message": "ok", "correlation_id": "req-9"})
    records.append({"timestamp": "2026-01-28T12:00:00Z", "level": "ERROR", "logger": "late",
                    "message": "outside the window", "correlation_id": "req-10"})
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def offline_env(tmp_path):
    return {"AIOPS_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}", "AIOPS_TIMEOUT": "2",
            "AIOPS_LOGS_BACKEND": "file", "AIOPS_LOGS_FILE": str(log_file(tmp_path))}


def test_new_needs_an_incident_or_a_window(cli):
    result = cli("postmortem", "new")
    assert result.exit_code == 2
    assert "give --incident ID, or a window with --since" in result.stderr


def test_new_writes_with_gaps_and_warns(cli, tmp_path):
    result = cli("postmortem", "new", *WINDOW, "--title", "Error burst", "--out", "pm",
                 "--no-charts", "-o", "json", env=offline_env(tmp_path))
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["schema"] == "aiops.postmortem/v1"
    assert doc["path"] == os.path.join("pm", "2026-01-28-error-burst.md")
    assert [g["source"] for g in doc["gaps"]] == ["pagerduty", "alerts", "metrics"]
    assert set(doc) >= {"charts", "title", "incident", "severity", "window", "clock",
                        "timeline_events", "placeholders", "gaps", "warnings", "redacted"}
    assert "warning: alerts: Prometheus at http://127.0.0.1:" in result.stderr
    text = (tmp_path / doc["path"]).read_text()
    assert "| logs | 5x ERROR active_inference.api: inference failed (last at 10:04:00) |" in text
    assert "outside the window" not in text
    assert "## Data gaps" in text and "- **pagerduty**: not configured" in text


def test_new_refuses_to_overwrite_without_force(cli, tmp_path):
    env = offline_env(tmp_path)
    assert cli("postmortem", "new", *WINDOW, "--no-charts", env=env).exit_code == 0
    again = cli("postmortem", "new", *WINDOW, "--no-charts", env=env)
    assert again.exit_code == 2
    assert "2026-01-28-incident-on-2026-01-28.md already exists" in again.stderr
    assert "--force" in again.stderr
    assert cli("postmortem", "new", *WINDOW, "--no-charts", "--force", env=env).exit_code == 0


def test_template_syntax_error_is_exit_2_naming_the_line(cli, tmp_path):
    (tmp_path / "bad.j2").write_text("# {{ title }}\n{% if x %}\nno end\n")
    result = cli("postmortem", "new", *WINDOW, "--template", "bad.j2", env=offline_env(tmp_path))
    assert result.exit_code == 2
    assert "template" in result.stderr and "bad.j2: line 3:" in result.stderr
    assert "Traceback" not in result.stderr


def test_redact_flag(cli, tmp_path):
    result = cli("postmortem", "new", *WINDOW, "--no-charts", "--redact", "-o", "json",
                 env=offline_env(tmp_path))
    assert result.exit_code == 0 and result.json()["redacted"] is True


def test_check_lists_gaps_and_exits_3(cli, tmp_path):
    env = offline_env(tmp_path)
    path = cli("postmortem", "new", *WINDOW, "--no-charts", "-o", "json", env=env).json()["path"]
    result = cli("postmortem", "check", path, "-o", "json")
    assert result.exit_code == 3
    doc = result.json()
    assert doc["schema"] == "aiops.postmortem-check/v1" and doc["complete"] is False
    # a window post-mortem has no page to acknowledge: only what a person must still write
    assert doc["kind"] == "window" and {p["kind"] for p in doc["problems"]} == {"placeholder"}
    assert all(isinstance(p["line"], int) and p["line"] > 0 for p in doc["problems"])
    table = cli("postmortem", "check", path, "-o", "table")
    assert table.exit_code == 3 and "left to write" in table.stdout


def test_check_of_a_missing_file_is_exit_2(cli):
    result = cli("postmortem", "check", "nope.md")
    assert result.exit_code == 2 and "cannot read nope.md" in result.stderr


def test_incident_clock_needs_a_token(cli):
    result = cli("incident", "clock", "42")
    assert result.exit_code == 2
    assert "pagerduty.token" in result.stderr
