"""The CLI skeleton: version, options anywhere, config, exit codes, errors, docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.http_target import TargetServer

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["numpy", "aiohttp", "elasticsearch", "opensearchpy", "pagerduty", "prometheus_api_client",
         "jinja2", "yaml", "matplotlib", "starlette", "uvicorn", "httpx", "pandas", "scipy", "rich",
         "sqlalchemy", "promql_parser", "grafana_foundation_sdk", "textual", "jq"]


@pytest.fixture(scope="module")
def target():
    server = TargetServer("healthy")
    yield server.url
    server.close()


def test_version(cli):
    from aiops import __version__

    result = cli("--version")
    assert (result.exit_code, result.stdout) == (0, f"aiops {__version__}\n")


def test_python_dash_m_and_console_script_agree():
    out = subprocess.run([sys.executable, "-m", "aiops", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("aiops ")


def test_importing_the_cli_loads_no_heavy_library():
    code = ("import sys, aiops.cli.main; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"


def test_global_options_work_before_and_after_the_command(cli, tmp_path, target):
    (tmp_path / "aiops.toml").write_text(f'[environments.prod]\ntargets = ["{target}"]\n')
    after = cli("health", "check", "-o", "json", "--env", "prod")
    before = cli("--env", "prod", "-o", "json", "health", "check")
    assert after.exit_code == before.exit_code == 0, after.stderr + before.stderr
    assert after.json()["targets"][0]["url"] == before.json()["targets"][0]["url"] == target


def test_table_on_a_terminal_json_when_piped(cli, target):
    piped = cli("health", "check", target)
    assert json.loads(piped.stdout)["verdict"] == "healthy"
    tty = cli("health", "check", target, tty=True)
    assert tty.exit_code == 0 and "healthy" in tty.stdout and not tty.stdout.lstrip().startswith("{")


def test_no_targets_is_a_usage_error(cli):
    result = cli("health", "check")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no targets")
    assert "hint:" in result.stderr


def test_unknown_option_is_exit_2(cli):
    result = cli("health", "check", "--bogus")
    assert result.exit_code == 2 and result.stderr.startswith("error: unknown option '--bogus'")


def test_bad_output_format_is_exit_2(cli, target):
    result = cli("health", "check", target, "-o", "yaml")
    assert result.exit_code == 2 and "output format 'yaml'" in result.stderr


@pytest.mark.parametrize("content,message", [
    ("timeout = ", "invalid TOML"),
    ("colour = 1\n", "unknown key 'colour'"),
    ("timeout = 'soon'\n", "'timeout' must be a number"),
    ("[pagerduty]\nregion = 'mars'\n", "must be one of us, eu"),
    ("[environments.prod]\nbogus = 1\n", "unknown key 'bogus'"),
])
def test_invalid_config_names_file_key_and_reason(cli, tmp_path, content, message):
    (tmp_path / "aiops.toml").write_text(content)
    result = cli("config", "show")
    assert result.exit_code == 2
    assert "aiops.toml" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_precedence_flag_env_local_user_default(cli, tmp_path, target):
    user = tmp_path / "xdg-config" / "aiops" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("timeout = 4.0\n[prometheus]\nurl = 'http://user:9090'\n[logs]\nindex = 'u-*'\n")
    (tmp_path / "aiops.toml").write_text("timeout = 3.0\n[logs]\nindex = 'local-*'\n")
    rows = {r["key"]: r for r in cli("config", "show", env={"AIOPS_TIMEOUT": "2"}).json()["settings"]}
    assert rows["timeout"]["value"] == 2.0 and rows["timeout"]["source"] == "env AIOPS_TIMEOUT"
    assert rows["logs.index"]["value"] == "local-*" and rows["logs.index"]["source"].endswith("aiops.toml")
    assert rows["prometheus.url"]["source"] == str(user)
    assert rows["alertmanager.url"]["source"] == "default"
    # a command flag beats everything
    result = cli("health", "check", target, "--timeout", "0.5", "-o", "json", env={"AIOPS_TIMEOUT": "2"})
    assert result.json()["timeout_seconds"] == 0.5


def test_secrets_are_masked_and_exposed_files_warned(cli, tmp_path):
    token = "u+secret-token-abcdef123456"
    path = tmp_path / "aiops.toml"
    path.write_text(f"[pagerduty]\ntoken = '{token}'\n")
    path.chmod(0o644)
    result = cli("config", "show", "-o", "json", "--debug", "-v")
    assert token not in result.stdout and token not in result.stderr
    assert "readable by others" in result.stderr and "chmod 600" in result.stderr
    row = next(r for r in result.json()["settings"] if r["key"] == "pagerduty.token")
    assert row["value"].startswith("****") and row["source"].endswith("aiops.toml")
    path.chmod(0o600)
    assert "readable by others" not in cli("config", "show").stderr


def test_config_init_writes_once(cli, tmp_path):
    first = cli("config", "init", "--local")
    assert first.exit_code == 0
    written = tmp_path / "aiops.toml"
    assert written.stat().st_mode & 0o077 == 0
    assert cli("config", "show").exit_code == 0  # the starter file is valid
    second = cli("config", "init", "--local")
    assert second.exit_code == 2 and "already exists" in second.stderr


def test_unknown_environment(cli, tmp_path):
    (tmp_path / "aiops.toml").write_text("[environments.prod]\ntargets = []\n")
    result = cli("--env", "staging", "config", "show")
    assert result.exit_code == 2 and "unknown environment 'staging' (known: prod)" in result.stderr


def test_internal_errors_are_one_line_unless_debug(cli, monkeypatch):
    import aiops.health.probe

    def boom(*a, **k):
        secret_local = "hunter2"  # noqa: F841 - locals must never be printed
        raise RuntimeError("kaboom")

    monkeypatch.setattr(aiops.health.probe, "check", boom)
    result = cli("health", "check", "http://127.0.0.1:1")
    assert result.exit_code == 1
    assert "internal error: RuntimeError: kaboom" in result.stderr and "Traceback" not in result.stderr
    debug = cli("health", "check", "http://127.0.0.1:1", "--debug")
    assert debug.exit_code == 1 and "Traceback" in debug.stderr and "hunter2" not in debug.stderr


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in readme and "bash scripts/test.sh" in ci.splitlines()


def test_every_command_has_an_example():
    from tests.conftest import leaf_commands

    missing = [f"aiops {name}" for name, c in leaf_commands().items() if "aiops " not in (c.help or "")]
    assert not missing, f"commands without an example in --help: {missing}"
