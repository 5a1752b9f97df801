"""Run ``python -m aiops ...`` as a separate process, isolated from the user's configuration.

Several of these can run at once (unlike the in-process ``cli`` fixture), so end-to-end tests
triage many services concurrently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRIAGE_SCHEMA = ROOT / "schemas" / "triage-report.schema.json"


def run_aiops(*args: str, env: dict[str, str], tmp: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    """``python -m aiops ARGS`` with only ``env``'s AIOPS_* settings and private config/data dirs."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    base.update({"XDG_CONFIG_HOME": str(tmp / "config"), "XDG_DATA_HOME": str(tmp / "data"),
                 "NO_COLOR": "1", **env})
    return subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True,
                          env=base, cwd=tmp, timeout=timeout)


def check_triage_schema(doc: dict) -> None:
    """Validate a triage report against the published JSON Schema (jsonschema raises)."""
    import jsonschema

    schema = json.loads(TRIAGE_SCHEMA.read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)


def check_schema(doc: dict, name: str) -> None:
    """Validate ``doc`` against ``schemas/<name>.schema.json`` (jsonschema raises)."""
    import jsonschema

    schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
