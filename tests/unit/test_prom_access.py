"""Prometheus and Alertmanager behind auth: settings to headers, TLS per endpoint, secrets kept
out of output (masked in config show, removed from server messages)."""

from __future__ import annotations

import base64

import pytest

from aiops.core import config
from aiops.core.errors import AuthError, ConfigError
from aiops.prometheus.client import api_error
from aiops.prometheus.http import Access, Server, hide, status_error


def _cfg(tmp_path, **env):
    return config.load(environ={f"AIOPS_{k.upper()}": v for k, v in env.items()}, cwd=tmp_path,
                       user_file=tmp_path / "none.toml")


def test_bearer_token_headers_and_prefix(tmp_path):
    cfg = _cfg(tmp_path, prometheus_url="https://vm.example/select/0/prometheus/",
               prometheus_bearer_token="s3cret-token-value", prometheus_headers="X-Scope-OrgID: team-a")
    access = Access.from_config(cfg, "prometheus")
    assert access.base == "https://vm.example/select/0/prometheus"
    assert access.headers == {"X-Scope-OrgID": "team-a", "Authorization": "Bearer s3cret-token-value"}
    assert "s3cret-token-value" in access.secrets() and "team-a" not in access.secrets()
    assert "s3cret" not in repr(access)


def test_token_file_basic_auth_and_per_endpoint_tls(tmp_path):
    token = tmp_path / "token"
    token.write_text("from-file-token\n")
    cfg = _cfg(tmp_path, alertmanager_bearer_token_file=str(token), prometheus_username="ops",
               prometheus_password="pw", tls_insecure="true", prometheus_insecure="false",
               alertmanager_ca_bundle="/etc/ca.pem")
    am, prom = Access.from_config(cfg, "alertmanager"), Access.from_config(cfg, "prometheus")
    assert am.headers["Authorization"] == "Bearer from-file-token"
    assert am.insecure and am.ca_bundle == "/etc/ca.pem"
    assert prom.headers["Authorization"] == "Basic " + base64.b64encode(b"ops:pw").decode()
    assert prom.insecure is False
    server = Server.from_config(cfg, "alertmanager.url")
    assert server.headers == am.headers and server.name == "Alertmanager"


@pytest.mark.parametrize("env,message", [
    ({"prometheus_bearer_token_file": "/no/such/file"}, "prometheus.bearer_token_file: cannot read /no/such/file"),
    ({"prometheus_headers": "no colon here"}, "prometheus.headers: expected 'Name: value'"),
    ({"prometheus_bearer_token": "a", "prometheus_username": "b"}, "set one of bearer_token"),
])
def test_bad_settings_are_config_errors(tmp_path, env, message):
    with pytest.raises(ConfigError) as err:
        Access.from_config(_cfg(tmp_path, **env), "prometheus")
    assert message in err.value.message


def test_config_show_masks_credentials_in_headers(tmp_path):
    cfg = _cfg(tmp_path, prometheus_headers="X-Scope-OrgID: t1,Authorization: Bearer abcdefghijklmnop",
               alertmanager_password="hunter2hunter2")
    rows = {r["key"]: r["value"] for r in cfg.rows()}
    assert rows["prometheus.headers"] == ["X-Scope-OrgID: t1", "Authorization: ****op"]
    assert rows["alertmanager.password"] == "****r2"
    assert {"Bearer abcdefghijklmnop", "abcdefghijklmnop", "hunter2hunter2"} <= set(cfg.secrets())


def test_server_messages_never_carry_the_token():
    server = Server("Prometheus", "http://vm/prometheus", 5, setting="prometheus.url",
                    headers={"Authorization": "Bearer tok-0123456789"})
    err = status_error(server, "/api/v1/alerts", 400,
                       'cannot find the provided auth token "Bearer tok-0123456789" in config')
    assert isinstance(err, AuthError) and "tok-0123456789" not in err.message
    assert err.message.startswith("Prometheus at http://vm/prometheus: HTTP 400")
    assert hide("x tok-0123456789 y", ("tok-0123456789",)) == "x **** y"


def test_prometheus_json_400_stays_a_usage_error():
    err = api_error("http://p", 'HTTP Status Code 400 (b\'{"status":"error","errorType":"bad_data","error":"parse error"}\')')
    assert not isinstance(err, AuthError) and "parse error" in err.message
    auth = api_error("http://p", "HTTP Status Code 401 (b'Unauthorized')")
    assert isinstance(auth, AuthError) and auth.hint.startswith("check prometheus.bearer_token")


def test_every_new_setting_is_declared_once_with_an_env_var():
    keys = [s.key for s in config.SETTINGS]
    assert len(keys) == len(set(keys))
    for service in ("prometheus", "alertmanager"):
        for name in ("bearer_token", "bearer_token_file", "username", "password", "headers", "ca_bundle", "insecure"):
            assert f"{service}.{name}" in config.BY_KEY
    assert config.BY_KEY["prometheus.bearer_token"].secret and config.BY_KEY["alertmanager.password"].secret


def test_aiohttp_sessions_reuse_aiohttp_s_own_tls_context(tmp_path):
    import ssl

    from aiops.core.errors import UsageError
    from aiops.core.http import aiohttp_tls
    from tests.conftest import require

    assert aiohttp_tls() is True  # aiohttp's verifying context, loaded once at its import
    assert aiohttp_tls(insecure=True) is False
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(UsageError, match="cannot load CA bundle"):
        aiohttp_tls(str(bad))
    ca = require("trustme").CA()
    good = tmp_path / "good.pem"
    ca.cert_pem.write_to_path(str(good))
    assert isinstance(aiohttp_tls(str(good)), ssl.SSLContext)
