"""The incident core without a server: references, retry waits, error translation, reports."""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import logging
from types import SimpleNamespace

import pytest

from aiops.core import errors
from aiops.core.config import load
from aiops.core.errors import AuthError, ConfigError, UsageError
from aiops.incidents.client import (
    NotFound,
    Rejected,
    RetryPolicy,
    Settings,
    Unavailable,
    error_text,
    http_error,
    route_library_logs,
    wait_from_headers,
)
from aiops.incidents.models import ActionReport, ActionResult, Incident, LogEntry
from aiops.incidents.queries import check_sort, incident_params, normalise_ref, read_refs

TOKEN = "u+sekrit-token-value-1234"


class FakeResponse:
    def __init__(self, status: int, body=None, text: str | None = None, headers=None) -> None:
        self.status_code, self._body = status, body
        self.text = text if text is not None else ("" if body is None else str(body))
        self.headers = headers or {}
        self.reason_phrase = "reason"

    def json(self):
        if self._body is None:
            raise ValueError("no json")
        return self._body


@pytest.mark.parametrize("raw, expected", [
    ("PT4KHLK", "PT4KHLK"), ("1234", "1234"), ("#1234", "1234"), (" 42 ", "42"),
    ("https://acme.pagerduty.com/incidents/Q0ABCDEF123456", "Q0ABCDEF123456"),
    ("https://acme.pagerduty.com/incidents/PT4KHLK/log_entries?x=1", "PT4KHLK"),
])
def test_incident_references_by_id_number_or_url(raw, expected):
    assert normalise_ref(raw) == expected


@pytest.mark.parametrize("raw", ["", "0", "-3", "pt4khlk", "P T4", "../etc", "#"])
def test_invalid_incident_references_are_usage_errors(raw):
    with pytest.raises(UsageError, match="invalid incident reference"):
        normalise_ref(raw)


def test_references_from_stdin_split_on_whitespace_and_commas():
    assert read_refs("PT4KHLK\n1234, 1235\n\n #7 \n") == ["PT4KHLK", "1234", "1235", "#7"]


def test_retry_after_beats_ratelimit_reset_and_both_beat_backoff():
    policy = RetryPolicy(backoff=0.5)
    assert wait_from_headers({"retry-after": "7", "ratelimit-reset": "30"}, 0, policy) == 7
    assert wait_from_headers({"ratelimit-reset": "12"}, 3, policy) == 12
    assert wait_from_headers({}, 0, policy) == 0.5
    assert wait_from_headers({}, 3, policy) == 4.0
    assert wait_from_headers({"ratelimit-reset": "-5"}, 0, policy) == 0


def test_retry_after_as_an_http_date():
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 20, usegmt=True)
    assert wait_from_headers({"retry-after": date}, 0, RetryPolicy(), now=lambda: now) == 20


def test_sort_is_validated():
    assert check_sort("created_at:desc") == "created_at:desc"
    assert check_sort("urgency, incident_number:asc") == "urgency,incident_number:asc"
    for bad in ("title", "created_at:up", "a,b,c", "urgency,created_at,incident_number"):
        with pytest.raises(UsageError, match="--sort"):
            check_sort(bad)


def test_no_window_asks_for_every_incident_and_a_window_is_sent_as_utc():
    assert incident_params(statuses=["triggered"])["date_range"] == "all"
    since = dt.datetime(2026, 1, 28, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    params = incident_params(since=since, until=since + dt.timedelta(hours=2), user_ids=["PX"])
    assert (params["since"], params["until"]) == ("2026-01-28T10:00:00Z", "2026-01-28T12:00:00Z")
    assert "date_range" not in params and params["user_ids[]"] == ["PX"]


@pytest.mark.parametrize("body, text", [
    ({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Bad From"]}},
     "Invalid Input Provided (code 2001): Bad From"),
    ({"error": {"message": "Not Found", "code": 2100}}, "Not Found (code 2100)"),
    ({"error": "Because this request was made using an account-level access token"},
     "Because this request was made using an account-level access token"),
    ({"status": "invalid event", "message": "Event object is invalid", "errors": ["x"]},
     "Event object is invalid: x"),
])
def test_pagerduty_error_bodies_become_one_line(body, text):
    assert error_text(FakeResponse(400, body)) == text


def test_http_errors_map_to_exit_codes_and_never_carry_the_token():
    policy = RetryPolicy()
    cases = {401: AuthError, 403: AuthError, 404: NotFound, 429: Unavailable, 500: Unavailable,
             400: Rejected, 413: Rejected, 200: Unavailable}
    for status, kind in cases.items():
        err = http_error(FakeResponse(status, {"error": {"message": "m", "code": 1}},
                                      headers={"ratelimit-reset": "9"}), "GET /incidents", policy)
        assert type(err) is kind, status
        assert TOKEN not in err.message and TOKEN not in (err.hint or "")
    assert http_error(FakeResponse(401), "GET /users/me", policy).exit_code == errors.AUTH
    assert "401" in http_error(FakeResponse(401), "GET /users/me", policy).message
    assert http_error(FakeResponse(502, text="bad gateway"), "PUT /incidents", policy).exit_code == 5
    assert "9s" in http_error(FakeResponse(429, headers={"ratelimit-reset": "9"}), "x", policy).hint


def test_settings_pick_region_urls_and_overrides(tmp_path):
    cfg = load(environ={"AIOPS_PAGERDUTY_REGION": "eu"}, cwd=tmp_path, user_file=tmp_path / "none")
    eu = Settings.from_config(cfg)
    assert (eu.rest_url, eu.events_base_url) == ("https://api.eu.pagerduty.com",
                                                 "https://events.eu.pagerduty.com")
    us = Settings.from_config(load(environ={}, cwd=tmp_path, user_file=tmp_path / "none"))
    assert us.rest_url == "https://api.pagerduty.com"
    custom = Settings(base_url="https://127.0.0.1:9/", events_url="https://127.0.0.1:8")
    assert (custom.rest_url, custom.events_base_url) == ("https://127.0.0.1:9", "https://127.0.0.1:8")
    assert TOKEN not in repr(Settings(token=TOKEN, routing_key=TOKEN))


def test_missing_from_and_token_are_config_errors():
    with pytest.raises(ConfigError, match="from_email"):
        Settings(token=TOKEN).require_from()
    with pytest.raises(ConfigError, match="token"):
        Settings().require_token()


def test_the_library_logger_reaches_stderr_only_with_debug():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    try:
        route_library_logs()
        root.setLevel(logging.ERROR)  # aiops's default: errors only
        logging.getLogger("pagerduty.rest_api_v2_base_client").error("PagerDuty API server error (500)!")
        assert stream.getvalue() == ""
        root.setLevel(logging.DEBUG)  # --debug
        logging.getLogger("pagerduty.rest_api_v2_base_client").error("server error (502)")
        assert "server error (502)" in stream.getvalue()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_report_exit_codes_and_problem_line():
    ok = ActionReport("acknowledge", False, [ActionResult("1", outcome="acknowledged"),
                                             ActionResult("2", outcome="already_resolved")])
    assert (ok.exit_code(), ok.problem()) == (0, None)
    missing = ActionReport("acknowledge", False, [ActionResult("1", outcome="acknowledged"),
                                                  ActionResult("999", outcome="not_found")])
    assert missing.exit_code() == 3 and missing.problem() == "not found: 999"
    broken = ActionReport("resolve", False, [ActionResult("1", outcome="resolved"),
                                             ActionResult("2", outcome="failed"),
                                             ActionResult("3", outcome="not_attempted")],
                          upstream_failure="PagerDuty at https://x is unreachable")
    assert broken.exit_code() == 5
    assert broken.problem() == "2 not done, 1 done (PagerDuty at https://x is unreachable)"
    assert broken.to_dict()["summary"] == {"resolved": 1, "failed": 1, "not_attempted": 1}


def test_api_objects_become_dataclasses():
    inc = Incident.from_api({"id": "PT4KHLK", "incident_number": 12, "title": "down",
                             "status": "triggered", "urgency": "high",
                             "priority": {"summary": "P1"}, "created_at": "2026-01-28T10:00:00Z",
                             "service": {"id": "PS", "summary": "Sim Lab API"}, "resolved_at": None,
                             "assignments": [{"assignee": {"summary": "Alex"}}]})
    assert (inc.priority, inc.service, inc.assignees, inc.resolved_at) == ("P1", "Sim Lab API", ["Alex"], None)
    assert inc.to_dict()["created_at"] == dt.datetime(2026, 1, 28, 10, tzinfo=dt.timezone.utc)
    entry = LogEntry.from_api({"id": "R1", "type": "acknowledge_log_entry", "summary": "Ack",
                               "created_at": "2026-01-28T10:01:00Z",
                               "agent": {"type": "user_reference", "summary": "Alex"},
                               "channel": {"type": "api"}})
    assert (entry.action, entry.agent, entry.channel) == ("acknowledge", "Alex", "api")


def test_importing_the_core_does_not_import_the_client_library():
    import subprocess
    import sys

    code = "import sys, aiops.incidents, aiops.incidents.audit; print('pagerduty' in sys.modules, 'httpx2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False False", out.stderr


def test_simple_namespace_config_works_too():
    cfg = SimpleNamespace(get=lambda key: {"timeout": 3, "pagerduty.region": None}.get(key))
    assert Settings.from_config(cfg).timeout == 3.0 and Settings.from_config(cfg).region == "us"
