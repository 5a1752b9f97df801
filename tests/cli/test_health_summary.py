"""`aiops health check` says why it failed on stderr, in one line, as every command does."""

from __future__ import annotations

from tests.conftest import free_port


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_unreachable_exit_5_prints_one_error_line(cli):
    port = free_port()
    result = cli("health", "check", f"http://127.0.0.1:{port}", "--timeout", "1", "-o", "json")
    assert result.exit_code == 5
    assert result.json()["verdict"] == "unreachable"  # the data still goes to stdout
    assert _error_lines(result.stderr) == [
        f"error: 1 of 1 target(s) unreachable: http://127.0.0.1:{port}: all endpoints: "
        f"connection refused by 127.0.0.1:{port}"]
    assert "hint:" in result.stderr


def test_malformed_target_exit_2_prints_one_error_line(cli):
    result = cli("health", "check", "ftp://x", f"http://127.0.0.1:{free_port()}", "--timeout", "1",
                 "-o", "json")
    assert result.exit_code == 2
    assert _error_lines(result.stderr) == [
        "error: 1 of 2 target(s) malformed: invalid URL 'ftp://x': scheme must be http or https"]


def test_table_output_also_gets_the_line(cli):
    result = cli("health", "check", f"127.0.0.1:{free_port()}", "127.0.0.1:99999", "--timeout", "1",
                 "-o", "table")
    assert result.exit_code == 2 and len(_error_lines(result.stderr)) == 1
    assert "malformed" in result.stderr and "target" in result.stdout
