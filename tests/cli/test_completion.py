"""Shell completion completes values: playbooks, alerts, faults, environments, config keys, formats."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def complete(words: str, tmp_path, **env: str) -> list[str]:
    """What bash completion offers for the last word of ``words`` (typer's complete_bash)."""
    parts = words.split(" ")
    child = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    child.update(_AIOPS_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(len(parts) - 1),
                 XDG_CONFIG_HOME=str(tmp_path / "xdg"), **env)
    done = subprocess.run([sys.executable, "-c", "from aiops.cli.main import main; main()"], env=child,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("words,expected", [
    ("aiops playbook show hi", ["high-error-rate", "high-memory", "high-response-time"]),
    ("aiops playbook run mem", ["memory-leak"]),
    ("aiops triage --alert High", ["HighErrorRate", "HighResponseTime"]),
    ("aiops lab fault set err", ["error-rate"]),
    ("aiops lab serve --fault slow", ["slow-inference"]),
    ("aiops demo --fault mem", ["memory-leak"]),
    ("aiops health check -o ", ["table", "wide", "json", "markdown"]),
    ("aiops config show logs.u", ["logs.url", "logs.username"]),
])
def test_values_complete(words, expected, tmp_path):
    assert complete(words, tmp_path) == expected


def test_environments_and_custom_playbooks_come_from_the_config(tmp_path):
    extra = tmp_path / "books"
    extra.mkdir()
    (extra / "our-rollback.yaml").write_text("name: our-rollback\n")
    (tmp_path / "aiops.toml").write_text(f'playbooks.dir = "{extra}"\n[environments.prod]\ntargets = []\n'
                                         "[environments.staging]\ntargets = []\n")
    assert complete("aiops health check --env ", tmp_path) == ["prod", "staging"]
    assert complete("aiops playbook show our", tmp_path) == ["our-rollback"]


def test_a_broken_config_completes_nothing_and_prints_no_error(tmp_path):
    (tmp_path / "aiops.toml").write_text("this is [not toml")
    assert complete("aiops health check --env ", tmp_path) == []
