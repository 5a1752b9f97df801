"""Credentials inside URLs (user-info, secret query parameters) never leave aiops.

Every URL the user gives (targets, Prometheus, Alertmanager, the log store, PagerDuty, the lab)
carries a user:password and a token parameter; every command that shows, logs or writes it
runs in every output format with --debug -v, and neither ever appears in stdout, stderr or a
written file. The requests themselves still use the credentials (basic auth works).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from aiops.core.redact import redact
from tests.conftest import free_port
from tests.fakes.http_target import TargetServer
from tests.fakes.pagerduty_sim import pagerduty_sim  # noqa: F401 (fixture)

USER, PASSWORD, TOKEN = "u5er-name", "pa55w0rd-XYZ", "T0KEN-query-value-123"
LEAKS = (f"{USER}:", PASSWORD, TOKEN)


def creds(hostport: str, scheme: str = "http", query: bool = True) -> str:
    return f"{scheme}://{USER}:{PASSWORD}@{hostport}" + (f"/?token={TOKEN}" if query else "")


@pytest.fixture
def dead():
    return f"127.0.0.1:{free_port()}"


@pytest.fixture
def urls_env(tmp_path, dead):
    return {"AIOPS_TIMEOUT": "1", "AIOPS_PROMETHEUS_URL": creds(dead),
            "AIOPS_ALERTMANAGER_URL": creds(dead), "AIOPS_LOGS_URL": creds(dead),
            "AIOPS_PAGERDUTY_BASE_URL": creds(dead, "https"), "AIOPS_PAGERDUTY_TOKEN": "x" * 20,
            "AIOPS_PAGERDUTY_FROM_EMAIL": "oncall@example.com", "AIOPS_TARGETS": creds(dead, query=False),
            "AIOPS_AUDIT_PATH": str(tmp_path / "audit.jsonl"), "AIOPS_LAB_ADMIN_TOKEN": "y" * 20,
            "AIOPS_TRACING_URL": creds(dead)}


COMMANDS = [
    ["health", "check", "{target}"],
    ["health", "check", "--target", "{target}?token=" + TOKEN],
    ["triage", "--target", "{target}"],
    ["metrics", "check", "--source", "scrape", "--target", "{target}"],
    ["metrics", "check", "--source", "prometheus"],
    ["prom", "query", "up"],
    ["capacity", "check"],
    ["alerts", "list"],
    ["logs", "trace", "req-1"],
    ["logs", "errors", "--backend", "opensearch"],
    ["lab", "fault", "list", "--target", "{target}"],
    ["incident", "list"],
    ["config", "show"],
    ["health", "check", "--via", "prometheus"],
    ["dashboard", "main", "--once", "--source", "prometheus"],
    ["dashboard", "main", "--once", "--target", "{target}"],
    ["trace", "search"],
    ["trace", "show", "0af7651916cd43dd8448eb211c80319c"],
    ["postmortem", "new", "--since", "1h", "--until", "now", "--out", "pm", "--force"],
]


def _formats(args: list[str]) -> list[str]:
    return ["json", "table"] + (["markdown"] if args[0] in ("triage",) else [])


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:3]) for c in COMMANDS])
def test_no_credential_from_a_url_is_ever_shown(cli, tmp_path, urls_env, dead, args):
    for fmt in _formats(args):
        argv = [a.replace("{target}", creds(dead, query=False)) for a in args]
        result = cli(*argv, "--debug", "-v", "-o", fmt, env=urls_env)
        written = [p.read_text(errors="replace") for p in Path(tmp_path).rglob("*")
                   if p.is_file() and "xdg" not in p.parts]
        for leak in LEAKS:
            assert leak not in result.stdout, f"{leak} in stdout of {argv} -o {fmt}"
            assert leak not in result.stderr, f"{leak} in stderr of {argv} -o {fmt}"
            assert all(leak not in text for text in written), f"{leak} written by {argv}"
        assert result.exit_code != 1, result.stderr[-400:]
        assert "****@127.0.0.1" in result.stdout + result.stderr, (argv, fmt)


def test_a_healthy_target_behind_basic_auth_is_probed_and_masked(cli):
    server = TargetServer("healthy")
    try:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@")
        for fmt in ("json", "table"):
            result = cli("health", "check", url, "-o", fmt, "--all")  # --all: healthy rows too
            assert result.exit_code == 0, result.stderr
            assert PASSWORD not in result.stdout and f"{USER}:" not in result.stdout
            assert "http://****@127.0.0.1" in result.stdout
        # the credentials were still sent: the server saw them as basic auth
        sent = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        assert any(h.get("Authorization") == f"Basic {sent}" for h in server.headers_seen)
    finally:
        server.close()


@pytest.mark.parametrize("text, expected", [
    ("http://user:pass@host:1", "http://****@host:1"),
    ("https://TOKEN@github.com/x", "https://****@github.com/x"),
    ("http://h/p?token=a&b=2&API_KEY=c&apikey=d&Password=e&secret=f&sig=g&X-Amz-Signature=h",
     "http://h/p?token=****&b=2&API_KEY=****&apikey=****&Password=****&secret=****&sig=****"
     "&X-Amz-Signature=****"),
    ("s3 https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Security-Token=abc&x-id=Get",
     "s3 https://b.s3.amazonaws.com/k?X-Amz-Credential=****&X-Amz-Security-Token=****&x-id=Get"),
    ("oncall@example.com mailed; see /path?page=2", "oncall@example.com mailed; see /path?page=2"),
    ("no PagerDuty API token: pagerduty.token is not set", "no PagerDuty API token: pagerduty.token is not set"),
    ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer ****"),
    ("password: hunter2", "password: ****"),
    ('{"api_key": "s3cr3t"}', '{"api_key": "****"}'),
    ("dedup_key=abc stays", "dedup_key=abc stays"),
])
def test_the_one_redaction_function(text, expected):
    assert redact(text) == expected


def test_configured_secrets_in_every_spelling():
    secret = "p@ss w/rd\"+1"
    text = f'raw {secret} json {secret.replace(chr(34), chr(92) + chr(34))} url p%40ss%20w%2Frd%22%2B1'
    assert redact(text, [secret]) == "raw **** json **** url ****"
    assert redact("abc", ["abc"]) == "abc"  # too short to be worth masking


def test_notes_posted_to_pagerduty_and_audited_are_redacted(cli, pagerduty_sim, tmp_path):
    sim = pagerduty_sim
    inc = sim.create_incident()
    env = {**sim.env(), "AIOPS_AUDIT_PATH": str(tmp_path / "audit.jsonl")}
    note = f"probing {creds('10.0.0.7:8000')} now"
    result = cli("incident", "note", inc["id"], note, "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    posted = [n["content"] for n in sim.account.find(inc["id"])["notes"]]
    assert posted == ["probing http://****@10.0.0.7:8000/?token=**** now"]
    audit = (tmp_path / "audit.jsonl").read_text()
    assert all(leak not in audit + result.stdout + result.stderr for leak in LEAKS)
