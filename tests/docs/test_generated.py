"""The generated pages of docs/ are current: the command reference matches every command's
--help, the configuration reference matches the settings table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_docs_are_up_to_date():
    out = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_check_notices_a_stale_page(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_docs
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    monkeypatch.setattr(gen_docs, "DOCS", tmp_path)
    assert gen_docs.main([]) == 0 and gen_docs.main(["--check"]) == 0
    page = tmp_path / "configuration.md"
    page.write_text(page.read_text().replace("AIOPS_LOGS_FILE", "AIOPS_LOG_FILE"))
    assert gen_docs.main(["--check"]) == 1
    assert "`logs.file`" in page.read_text() and "`health.concurrency`" in page.read_text()
    assert "## `aiops health check`" in (tmp_path / "reference.md").read_text()
