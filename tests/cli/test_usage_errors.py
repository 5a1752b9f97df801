"""Usage errors speak aiops's own `error:` / `hint:` lines, with "did you mean", and exit 2."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("args,error,hint", [
    (("helth",), "error: unknown command 'helth' for 'aiops'", "hint: did you mean 'health'?"),
    (("health", "chek"), "error: unknown command 'chek' for 'aiops health'", "hint: did you mean 'check'?"),
    (("incident", "lst"), "error: unknown command 'lst' for 'aiops incident'", "hint: did you mean 'list'?"),
    (("health", "check", "--timout", "3", "x"), "error: unknown option '--timout' for 'aiops health check'",
     "hint: did you mean '--timeout'?"),
    (("--frobnicate",), "error: unknown option '--frobnicate' for 'aiops'", "hint: 'aiops -h' lists the options"),
    (("playbook", "show"), "error: missing argument 'NAME'", "hint: usage: aiops playbook show [OPTIONS] NAME"),
    (("diagnose", "memory", "--steps", "abc"), "error: invalid value for '--steps' / '-n': 'abc' is not a valid int",
     "hint: 'aiops diagnose memory -h' shows the usage"),
    (("config", "show", "prometheus.ulr"), "error: no setting 'prometheus.ulr'", "hint: did you mean 'prometheus.url'"),
])
def test_usage_errors_are_one_error_and_one_hint_line(cli, args, error, hint):
    result = cli(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == error and lines[1].startswith(hint), lines
    assert len(lines) == 2 and "Usage:" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_no_stderr_line_starts_with_a_space(cli, tmp_path):
    log = tmp_path / "app.jsonl"
    log.write_text('{"@timestamp": "2026-01-28T10:00:00Z", "level": "INFO", "message": "x", "correlation_id": "a"}\n')
    result = cli("logs", "trace", "req-1", "--file", str(log), "--since", "2026-01-28T09:00:00Z",
                 "--until", "2026-01-28T11:00:00Z", "-o", "table")
    assert result.exit_code == 0 and "no records for correlation ID 'req-1'" in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith(" ")], result.stderr


def test_config_init_local_prints_one_message(cli, tmp_path):
    result = cli("config", "init", "--local", "-o", "table")
    assert result.exit_code == 0
    assert result.stdout.strip() == "wrote aiops.toml" and result.stderr == ""
