"""``--jq EXPR``: the real jq over any command's JSON document, as in gh."""

from __future__ import annotations

import json

import pytest

from tests.conftest import require


@pytest.fixture(autouse=True)
def _jq():
    require("jq")


def test_a_string_result_prints_raw_and_the_rest_as_json(cli):
    names = cli("playbook", "list", "--jq", ".playbooks[].name")
    assert names.exit_code == 0, names.stderr
    assert "memory-leak" in names.stdout.splitlines() and '"' not in names.stdout
    objects = cli("playbook", "list", "--jq", ".playbooks[] | {name, kind}")
    rows = [json.loads(line) for line in objects.stdout.splitlines()]
    assert {"name": "memory-leak", "kind": "alert"} in rows and all(set(r) == {"name", "kind"} for r in rows)
    count = cli("playbook", "list", "--jq", ".playbooks | length")
    assert count.stdout.strip().isdigit() and int(count.stdout) >= 9


def test_jq_implies_json_even_on_a_terminal(cli):
    result = cli("playbook", "show", "memory-leak", "--jq", ".schema", tty=True)
    assert (result.exit_code, result.stdout) == (0, "aiops.playbook/v1\n")
    pretty = cli("playbook", "show", "memory-leak", "--jq", ".signals[0]", tty=True)
    assert pretty.stdout.startswith("{\n  ")  # indented for a person, as plain JSON output is


def test_before_the_command_too(cli):
    result = cli("--jq", ".schema", "config", "show")
    assert (result.exit_code, result.stdout) == (0, "aiops.config/v1\n")


def test_a_bad_expression_is_exit_2_with_jqs_message_before_any_work(cli, tmp_path):
    target = tmp_path / "new.toml"
    result = cli("config", "init", "--path", str(target), "--jq", ".[")
    assert result.exit_code == 2 and result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: --jq: jq: error: syntax error") and "line 1" in first
    assert "Traceback" not in result.stderr
    assert not target.exists()  # the command did not run


def test_a_runtime_error_is_exit_2_with_jqs_message(cli):
    result = cli("playbook", "list", "--jq", ".playbooks.name")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == 'error: --jq: Cannot index array with string ("name")'


def test_the_commands_own_exit_code_is_kept(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Not Valid\n")
    result = cli("playbook", "validate", str(bad), "--jq", ".invalid")
    assert (result.exit_code, result.stdout) == (2, "1\n")
    nothing = cli("playbook", "list", "--jq", ".playbooks[] | select(.name == \"nope\")")
    assert (nothing.exit_code, nothing.stdout) == (0, "")


def test_jq_with_a_table_or_on_a_command_without_json_is_a_usage_error(cli):
    table = cli("playbook", "list", "-o", "table", "--jq", ".")
    assert table.exit_code == 2 and "cannot be combined with -o table" in table.stderr
    serve = cli("--jq", ".", "lab", "serve", "--port", "0")
    assert serve.exit_code == 2 and "this command writes none" in serve.stderr
    after = cli("lab", "serve", "--port", "0", "--jq", ".")
    assert after.exit_code == 2 and "unknown option '--jq'" in after.stderr


def test_a_streamed_document_is_filtered_whole(cli, tmp_path):
    log = tmp_path / "app.jsonl"
    records = [{"timestamp": f"2026-01-28T10:00:0{i}.000Z", "level": "INFO", "logger": "a",
                "message": f"m{i}", "correlation_id": "req-1"} for i in range(3)]
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = cli("logs", "trace", "req-1", "--file", str(log), "--since", "2026-01-28T09:00:00Z",
                 "--until", "2026-01-28T11:00:00Z", "--jq", ".records[].message")
    assert (result.exit_code, result.stdout) == (0, "m0\nm1\nm2\n"), result.stderr
    summary = cli("logs", "trace", "req-1", "--file", str(log), "--since", "2026-01-28T09:00:00Z",
                  "--until", "2026-01-28T11:00:00Z", "--jq", ".summary.span_ms")
    assert summary.stdout == "2000\n"  # jq prints numbers its own way


def test_jq_stays_out_of_start_up():
    import subprocess
    import sys

    code = "import sys, aiops.cli.main; print('jq' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
