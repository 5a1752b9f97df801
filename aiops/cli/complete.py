"""Shell completion of values, not just command names: each function gets what has been typed
(``incomplete``) and returns the values that start with it, with a short help where one helps.

They run on every TAB, so they read only what they need: the catalog (plain Python), the
playbook directories' file names, the config file. A config that cannot be read completes
nothing rather than printing an error into the shell.
"""

from __future__ import annotations

from typing import Any, Iterable


def _matching(incomplete: str, items: Iterable[Any]) -> list[Any]:
    out = []
    for item in items:
        value = item[0] if isinstance(item, tuple) else item
        if value.startswith(incomplete):
            out.append(item)
    return out


def _config() -> Any:
    try:
        from aiops.core.config import load

        return load()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return None


def formats(incomplete: str) -> list[tuple[str, str]]:
    """-o/--output."""
    help_text = {"table": "a table for this terminal", "wide": "a table with every column",
                 "json": "the stable JSON document", "markdown": "a document to paste (where offered)"}
    return _matching(incomplete, list(help_text.items()))


def environments(incomplete: str) -> list[str]:
    """--env: the named environments of the configuration."""
    cfg = _config()
    return _matching(incomplete, sorted(cfg.environments) if cfg is not None else [])


def config_keys(incomplete: str) -> list[tuple[str, str]]:
    """Setting keys (``config show KEY``)."""
    from aiops.core.config import SETTINGS

    return _matching(incomplete, [(s.key, s.help) for s in SETTINGS])


def playbooks(incomplete: str) -> list[str]:
    """Playbook names: the shipped ones and those in ``playbooks.dir`` (their file names)."""
    from pathlib import Path

    from aiops.playbooks.library import shipped_dir

    files = list(shipped_dir().glob("*.yaml"))
    cfg = _config()
    extra = cfg.get("playbooks.dir") if cfg is not None else None
    if extra and Path(extra).expanduser().is_dir():
        directory = Path(extra).expanduser()
        files += [*directory.glob("*.yaml"), *directory.glob("*.yml")]
    return _matching(incomplete, sorted({f.stem for f in files}))


def alerts(incomplete: str) -> list[tuple[str, str]]:
    """--alert: the runbook's alert names, with their severity and priority."""
    from aiops.catalog import ALERT_RULES

    return _matching(incomplete, [(r.name, f"{r.severity}, {r.priority}") for r in ALERT_RULES])


def faults(incomplete: str) -> list[tuple[str, str]]:
    """Lab faults (``NAME`` or ``NAME=VALUE``)."""
    from aiops.lab.faults import FAULTS

    return _matching(incomplete, [(f.name, f.description) for f in FAULTS])
