"""`aiops config init` writes every setting, commented, with its default: generated from the one
settings table, so it cannot drift from it."""

from __future__ import annotations

import re
import tomllib

from aiops.core.config import SETTINGS, load
from aiops.core.settings_doc import example, markdown_table, template

KEY_LINE = re.compile(r"^# ([a-z_]+) = (.*)$")


def _uncommented(text: str) -> str:
    """The template with every `# key = value` line uncommented (the environments example stays)."""
    body = text.split("# Named environments")[0]
    return "\n".join(m.group(1) + " = " + m.group(2) if (m := KEY_LINE.match(line)) else line
                     for line in body.splitlines())


def test_as_written_every_setting_is_commented_out_and_the_file_loads_to_the_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(template())
    assert tomllib.loads(template()) == {k: {} for k in tomllib.loads(template())}  # only empty tables
    cfg = load(config_path=path, environ={})
    assert all(cfg.source(s.key) == "default" for s in SETTINGS)


def test_uncommented_every_key_is_there_with_its_default_or_an_example(tmp_path):
    path = tmp_path / "config.toml"
    text = _uncommented(template())
    assert '\nenv = "prod"\n' in text  # selecting an environment needs one defined: not loaded here
    path.write_text(text.replace('\nenv = "prod"\n', "\n"))
    cfg = load(config_path=path, environ={})
    for s in SETTINGS:
        if s.key == "env":
            continue
        assert cfg.source(s.key) == str(path), f"{s.key} is not in the template"
        assert cfg.get(s.key) == example(s), s.key
        if s.default is not None:
            assert cfg.get(s.key) == s.default, s.key


def test_each_key_says_its_environment_variable_and_logs_settings_are_there():
    text = template()
    for s in SETTINGS:
        assert f"[env: {s.env_var}]" in text.replace("\n# ", " "), s.key
    assert "[logs]" in text and "# backend = \"elasticsearch\"" in text and "# file = " in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_config_init_writes_it_private_and_never_over_a_file(cli, tmp_path):
    first = cli("config", "init", "--local")
    assert first.exit_code == 0, first.stderr
    written = tmp_path / "aiops.toml"
    assert written.read_text() == template() and (written.stat().st_mode & 0o777) == 0o600
    assert cli("config", "init", "--local").exit_code == 2


def test_the_reference_table_has_a_row_per_setting():
    rows = markdown_table().splitlines()[2:]
    assert [r.split("`")[1] for r in rows] == [s.key for s in SETTINGS]
    assert all(f"`{s.env_var}`" in markdown_table() for s in SETTINGS)
