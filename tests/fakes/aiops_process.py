"""Run ``python -m aiops ...`` as a separate process, isolated from the user's configuration.

Several of these can run at once (unlike the in-process ``cli`` fixture), so end-to-end tests
triage many services concurrently.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_aiops(*args: str, env: dict[str, str], tmp: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    """``python -m aiops ARGS`` with only ``env``'s AIOPS_* settings and private config/data dirs."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    base.update({"XDG_CONFIG_HOME": str(tmp / "config"), "XDG_DATA_HOME": str(tmp / "data"),
                 "NO_COLOR": "1", **env})
    return subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True,
                          env=base, cwd=tmp, timeout=timeout)


def check_triage_schema(doc: dict) -> None:
    """Validate a triage report against the published JSON Schema (AssertionError lists what is wrong)."""
    from tests.fakes.json_contract import validate

    validate(doc, "aiops.triage/v1")


def check_schema(doc: dict) -> None:
    """Validate ``doc`` against the schema its own ``schema`` key names (AssertionError lists what is wrong)."""
    from tests.fakes.json_contract import validate

    validate(doc)
