"""The PagerDuty token (and the Events routing key) never appear in stdout, stderr (even with
--debug -v), log records or the audit file, on success and on every failure path."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import free_port
from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)


class Capture(logging.Handler):
    """Every log record, unfiltered, as the text a handler would write."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def capture():
    handler = Capture()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_no_secret_anywhere(cli, pagerduty_sim, monkeypatch, tmp_path, capture):
    sim = pagerduty_sim
    wrong = "u+wrongwrongwrong-token-xyz"
    for key, value in sim.env().items():
        monkeypatch.setenv(key, value)
    incidents = sim.create_incidents(4)
    ids = [i["id"] for i in incidents]
    sim.fail("PUT", "/incidents", 500)                       # the library logs 5xx at ERROR
    sim.fail("GET", "/incidents", 503, times=3)              # reads retried twice, then exit 5
    sim.rate_limit("GET", r"/incidents/.+", reset=0)
    runs = [
        cli("incident", "ack", *ids[:2], "--yes", "--debug", "-v", "-v"),
        cli("incident", "list", "--debug", "-vv"),
        cli("incident", "show", ids[0], "--debug", "-v"),
        cli("incident", "note", ids[0], "looking", "--debug"),
        cli("incident", "resolve", *ids, "--yes", "--resolution", "fixed", "--debug"),
        cli("incident", "trigger", "--summary", "drill", "--debug", "-v"),
        cli("incident", "audit", "--debug"),
        cli("config", "show"),
        cli("incident", "list", "--debug", "-v", env={"AIOPS_PAGERDUTY_TOKEN": wrong}),
        cli("incident", "list", "--debug", "-v", "--timeout", "1",
            env={"AIOPS_PAGERDUTY_BASE_URL": f"https://127.0.0.1:{free_port()}"}),
    ]
    codes = [r.exit_code for r in runs]
    assert codes == [0, 5, 0, 0, 0, 0, 0, 0, 4, 5], [r.stderr[-300:] for r in runs]
    assert any("Traceback" in r.stderr for r in runs)            # --debug did print tracebacks
    assert any("server error" in line for line in capture.lines)  # ... and the library's logs
    audit = (tmp_path / "xdg-data" / "aiops" / "audit.jsonl").read_text()
    assert audit.count("\n") == 1 + 2 + 1 + 4 + 1  # the hash chain's genesis, then the actions
    haystacks = {"stdout": "".join(r.stdout for r in runs), "stderr": "".join(r.stderr for r in runs),
                 "logs": "\n".join(capture.lines), "audit": audit}
    for secret in (sim.token, sim.routing_key, wrong):
        for where, text in haystacks.items():
            assert secret not in text, f"a secret leaked into {where}"
            assert secret[-8:] not in text, f"part of a secret leaked into {where}"


def test_5xx_library_errors_stay_off_stderr_without_debug(cli, pagerduty_sim, monkeypatch):
    for key, value in pagerduty_sim.env().items():
        monkeypatch.setenv(key, value)
    pagerduty_sim.fail("GET", "/incidents", 500, times=10)
    result = cli("incident", "list")
    assert result.exit_code == 5
    assert result.stderr.strip().splitlines()[0].startswith("error: PagerDuty answered 500")
    assert "pagerduty" not in result.stderr.split("error:", 1)[0]
    assert "x_request_id" not in result.stderr
