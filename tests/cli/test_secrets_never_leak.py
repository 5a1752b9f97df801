"""Secrets stay secret: no token, key or password in output, debug traces or written files.

Every secret setting gets a distinctive value; commands that use them run with --debug -v
against endpoints that fail, which is where careless code prints what it holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.core.config import SETTINGS
from tests.conftest import free_port

SECRETS = {s.env_var: f"S3CRET-{s.key.replace('.', '-')}-0123456789abcdef"
           for s in SETTINGS if s.secret}


@pytest.fixture
def secret_env(tmp_path):
    dead = f"127.0.0.1:{free_port()}"
    return {**SECRETS, "AIOPS_TIMEOUT": "1", "AIOPS_PROMETHEUS_URL": f"http://{dead}",
            "AIOPS_ALERTMANAGER_URL": f"http://{dead}", "AIOPS_LOGS_URL": f"http://{dead}",
            "AIOPS_LOGS_USERNAME": "elastic", "AIOPS_PAGERDUTY_BASE_URL": f"https://{dead}",
            "AIOPS_PAGERDUTY_EVENTS_URL": f"https://{dead}",
            "AIOPS_PAGERDUTY_FROM_EMAIL": "oncall@example.com",
            "AIOPS_AUDIT_PATH": str(tmp_path / "audit.jsonl")}, dead


COMMANDS = [
    ["config", "show"],
    ["health", "check", "http://{dead}"],
    ["logs", "trace", "req-1"],
    ["logs", "errors", "--backend", "opensearch"],
    ["incident", "list"],
    ["incident", "ack", "PABC123", "--yes"],
    ["incident", "note", "PABC123", "checking"],
    ["incident", "trigger", "--summary", "drill", "--yes"],
    ["alerts", "list"],
    ["metrics", "check", "--source", "prometheus"],
    ["lab", "fault", "list", "--target", "http://{dead}"],
    ["postmortem", "new", "--since", "1h", "--until", "now", "--out", "pm"],
    ["triage", "--target", "http://{dead}"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_no_secret_in_output_traces_or_files(cli, tmp_path, secret_env, args):
    env, dead = secret_env
    result = cli(*[a.replace("{dead}", dead) for a in args], "--debug", "-v", "-o", "json", env=env)
    written = [p.read_text(errors="replace") for p in Path(tmp_path).rglob("*") if p.is_file()]
    for value in SECRETS.values():
        assert value not in result.stdout, f"secret in stdout of {args}"
        assert value not in result.stderr, f"secret in stderr of {args}"
        assert all(value not in text for text in written), f"secret written to a file by {args}"
    assert result.exit_code != 1, f"internal error from {args}: {result.stderr[-400:]}"
