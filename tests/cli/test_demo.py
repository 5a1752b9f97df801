"""`aiops demo`: nothing configured, a real lab child process, always stopped."""

from __future__ import annotations

import urllib.error
import urllib.request

import psutil
import pytest

from aiops.core.config import load
from aiops.core.errors import UsageError
from tests.fakes.aiops_process import check_triage_schema


@pytest.fixture
def children_before() -> set[int]:
    """Child processes that were already there (another module's servers in the same worker)."""
    return {p.pid for p in psutil.Process().children(recursive=True)}


def new_children(before: set[int]) -> list:
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in before]


def refuses(url: str) -> bool:
    try:
        urllib.request.urlopen(url + "/live", timeout=2)
    except urllib.error.URLError as exc:
        return isinstance(exc.reason, ConnectionRefusedError)
    return False


def test_demo_finds_the_default_memory_leak_and_stops_the_lab(cli, children_before):
    result = cli("demo", "--wait", "1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["fault"] == "memory-leak=5" and doc["found"] is True
    report = doc["report"]
    check_triage_schema(report)
    assert report["playbook"]["name"] == "memory-leak" and report["metrics_source"] == "scrape"
    assert report["findings"][0]["alert"] == "MemoryLeak"
    assert doc["lab"]["exit_status"] == 0  # SIGTERM: a clean stop
    assert refuses(doc["lab"]["url"])
    assert "starting the Sim Lab service" in result.stderr and "lab stopped" in result.stderr
    assert not new_children(children_before)


def test_demo_of_a_crash_finds_the_service_down(cli):
    result = cli("demo", "--fault", "crash=1", "--wait", "2", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["found"] is True and doc["lab"]["exit_status"] == 1
    assert doc["report"]["playbook"]["name"] == "application-down"


def test_an_unknown_fault_is_exit_2_and_starts_nothing(cli, children_before):
    result = cli("demo", "--fault", "gremlins")
    assert result.exit_code == 2 and "unknown fault 'gremlins'" in result.stderr
    assert not new_children(children_before)


def test_the_lab_is_stopped_on_ctrl_c(tmp_path, children_before):
    from aiops.drills.demo import run_demo

    seen: list[str] = []

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_demo(load(environ={}, user_file=tmp_path / "none.toml"), wait=5, say=seen.append, sleep=interrupt)
    url = next(m for m in seen if m.startswith("lab listening on")).split()[3]
    assert refuses(url)
    assert seen[-1].startswith("lab stopped")
    assert not new_children(children_before)


def test_a_negative_wait_is_a_usage_error(tmp_path):
    from aiops.drills.demo import run_demo

    with pytest.raises(UsageError):
        run_demo(load(environ={}, user_file=tmp_path / "none.toml"), wait=-1)


@pytest.mark.parametrize("fault, playbook", [("not-ready", "application-down"), ("entropy-spike", "training-issues")])
def test_demo_faults_beyond_the_runbook_alerts(cli, fault, playbook):
    result = cli("demo", "--fault", fault, "--wait", "1", "-o", "json")
    doc = result.json()
    assert result.exit_code == 0, [f["title"] for f in doc["report"]["findings"]]
    assert doc["found"] is True and doc["report"]["playbook"]["name"] == playbook
