"""Config files as a careless user writes them: every mistake is exit 2 naming file and place."""

from __future__ import annotations

import pytest


def test_a_latin1_byte_names_the_file_and_the_byte_offset(cli, tmp_path):
    (tmp_path / "aiops.toml").write_bytes(b"# caf\xe9 settings\ntimeout = 5\n")
    for args in (["config", "show"], ["health", "check", "127.0.0.1:1"]):
        result = cli(*args)
        assert result.exit_code == 2, result.stderr
        assert "aiops.toml" in result.stderr and "not UTF-8" in result.stderr
        assert "byte 0xe9 at offset 5 (line 1, column 6)" in result.stderr
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_a_directory_given_as_config_is_called_a_directory(cli, tmp_path):
    (tmp_path / "conf").mkdir()
    for result in (cli("--config", str(tmp_path / "conf"), "config", "show"),
                   cli("config", "show", env={"AIOPS_CONFIG": str(tmp_path / "conf")})):
        assert result.exit_code == 2
        assert "is a directory" in result.stderr and "does not exist" not in result.stderr
    missing = cli("--config", str(tmp_path / "nope.toml"), "config", "show")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize("content,message", [
    ('targets = "http://x"\n', "'targets' must be a list of strings, got 'http://x' (a string)"),
    ('[environments.prod]\ntargets = "http://x"\n', "'targets' must be a list of strings"),
    ('timeout = "10"\n', "'timeout' must be a number, got '10' (a string)"),
    ('[health]\nconcurrency = "5"\n', "'health.concurrency' must be an integer"),
    ('[tls]\ninsecure = "yes"\n', "'tls.insecure' must be true or false"),
    ("timeout = nan\n", "'timeout' must be a number"),
    ("timeout = inf\n", "'timeout' must be a number"),
    ("targets = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    ("timeout = 1" + "0" * 5000 + "\n", "invalid TOML"),
])
def test_wrong_types_are_exit_2(cli, tmp_path, content, message):
    (tmp_path / "aiops.toml").write_text(content)
    result = cli("config", "show")
    assert result.exit_code == 2, result.stderr
    assert "aiops.toml" in result.stderr and message in result.stderr
    assert len(result.stderr) < 600 and "Traceback" not in result.stderr


def test_strings_from_the_environment_are_still_converted(cli, tmp_path):
    result = cli("config", "show", "-o", "json",
                 env={"AIOPS_TARGETS": "http://a:1,http://b:2", "AIOPS_TIMEOUT": "2.5"})
    rows = {r["key"]: r["value"] for r in result.json()["settings"]}
    assert rows["targets"] == ["http://a:1", "http://b:2"] and rows["timeout"] == 2.5
