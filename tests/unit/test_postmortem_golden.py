"""The rendered post-mortem, pinned: fixed clock, fixed sources, sparklines (no charts).

After an intended change to the template, regenerate with
``AIOPS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_postmortem_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

from aiops import __version__
from aiops.incidents.audit import AuditLog
from aiops.postmortem import check_text, new
from tests.fakes.postmortem_sources import NOW, sources

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "postmortem" / "golden.md"


def test_rendered_document_matches_the_golden_file(tmp_path):
    result = new(sources(), incident_ref="42", out_dir=tmp_path, now=NOW, charts=False,
                 actor="oncall@example.com", authors=["oncall@example.com"],
                 secrets=["u+never-appears-token"], audit_log=AuditLog(tmp_path / "audit.jsonl"))
    # The version is provenance, not content: a release must not break the golden file.
    text = Path(result.path).read_text(encoding="utf-8").replace(f"aiops {__version__} ", "aiops VERSION ")
    if os.environ.get("AIOPS_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
    sections = [p.section for p in check_text(text).problems]
    assert sections == ["Summary", "Impact", "Root causes", "Trigger", "Resolution",
                        "Action items", "What went well", "What went wrong", "Where we got lucky"]
