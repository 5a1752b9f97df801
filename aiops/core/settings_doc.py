"""The settings table as text: the ``aiops config init`` starter file and the configuration reference.

Both are generated from :data:`aiops.core.config.SETTINGS`, so neither can drift from it: a
new setting appears in the next ``config init`` file and in ``docs/configuration.md``
(``scripts/gen_docs.py`` writes it; a test fails while it is stale).
"""

from __future__ import annotations

import json
from typing import Any

from aiops.core.config import SETTINGS, Setting

# What a setting without a default looks like when set (the template shows it commented out).
EXAMPLES: dict[str, Any] = {
    "output": "table",
    "env": "prod",
    "targets": ["https://simlab-1.example.internal", "https://simlab-2.example.internal"],
    "tls.ca_bundle": "/etc/ssl/certs/internal-ca.pem",
    "logs.url": "https://logs.example.internal:9200",
    "logs.file": "/var/log/sim-lab/*.jsonl*",
    "logs.api_key": "...",
    "logs.username": "aiops",
    "logs.password": "...",
    "logs.ca_bundle": "/etc/ssl/certs/internal-ca.pem",
    "pagerduty.token": "...",
    "pagerduty.from_email": "you@example.com",
    "pagerduty.base_url": "https://api.pagerduty.com",
    "pagerduty.events_url": "https://events.pagerduty.com",
    "pagerduty.routing_key": "...",
    "pagerduty.ca_bundle": "/etc/ssl/certs/internal-ca.pem",
    "lab.admin_token": "...",
    "audit.path": "~/aiops-audit.jsonl",
    "playbooks.dir": "~/playbooks",
}

HEADER = """\
# aiops configuration: every setting, commented out, with its default.
#
# Precedence, highest first: command-line flags > AIOPS_* environment variables >
# the selected [environments.NAME] > ./aiops.toml > the user config file > defaults.
# `aiops config show` prints every effective value and where it came from.
# Secrets are better kept in their environment variables; a file holding one should be
# readable by you alone (chmod 600).
"""

ENVIRONMENTS = """\
# Named environments: `aiops --env prod ...` (or env = "prod" above) uses these values.
# Any setting but env can be given per environment, with its full dotted key.
# [environments.prod]
# targets = ["https://simlab-1.prod.internal", "https://simlab-2.prod.internal"]
# prometheus.url = "http://prometheus.prod.internal:9090"
# logs.url = "https://logs.prod.internal:9200"
"""


def toml_value(value: Any) -> str:
    """A value as TOML writes it (strings and lists of strings in JSON's compatible syntax)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def example(setting: Setting) -> Any:
    """The default, or for a setting without one an example value of its type."""
    if setting.default is not None:
        return setting.default
    if setting.key in EXAMPLES:
        return EXAMPLES[setting.key]
    return setting.choices[0] if setting.choices else {str: "...", int: 1, float: 1.0, bool: False,
                                                       list: []}[setting.type]


def _comment(setting: Setting) -> str:
    parts = [setting.help[:1].upper() + setting.help[1:]]
    if setting.choices:
        parts.append(f"one of: {', '.join(setting.choices)}")
    if setting.default is None:
        parts.append("not set by default")
    if setting.secret:
        parts.append("a secret")
    import textwrap

    return textwrap.fill("; ".join(parts) + f". [env: {setting.env_var}]", width=92,
                         initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def template() -> str:
    """The commented starter file ``aiops config init`` writes: every key with its default."""
    tables: dict[str, list[Setting]] = {}  # top-level keys first, then each table in table order
    for setting in SETTINGS:
        tables.setdefault(setting.key.rpartition(".")[0], []).append(setting)
    lines = [HEADER]
    for table in sorted(tables, key=bool):
        if table:
            lines.append(f"[{table}]\n")
        for setting in tables[table]:
            name = setting.key.rpartition(".")[2]
            lines.append(f"{_comment(setting)}\n# {name} = {toml_value(example(setting))}\n")
    lines.append(ENVIRONMENTS)
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table() -> str:
    """The configuration reference: one row per setting."""
    rows = ["| key | default | environment variable | what it is |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = "(not set)" if s.default is None else f"`{toml_value(s.default)}`"
        what = s.help + (f" (one of: {', '.join(s.choices)})" if s.choices else "") + \
            ("; a secret: masked by `config show`, scrubbed from output and logs" if s.secret else "")
        rows.append(f"| `{s.key}` | {_cell(default)} | `{s.env_var}` | {_cell(what)} |")
    return "\n".join(rows) + "\n"
