"""Configuration: one table of settings, resolved once.

Precedence, highest first: command-line flags > ``AIOPS_*`` environment variables >
the selected named environment (``--env NAME``, from whichever file defines it) >
``./aiops.toml`` > the user config file > defaults. ``--config PATH`` (or
``AIOPS_CONFIG``) replaces both files with exactly one.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from aiops.core.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, type, help and whether it is a secret."""

    key: str
    default: Any
    type: type
    help: str
    secret: bool = False
    choices: tuple[str, ...] = ()

    @property
    def env_var(self) -> str:
        return "AIOPS_" + self.key.upper().replace(".", "_").replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("output", None, str, "default output format (table on a terminal, json when piped)",
            choices=("table", "json", "markdown")),
    Setting("timeout", 10.0, float, "per-request network timeout, seconds"),
    Setting("env", None, str, "named environment used when --env is not given"),
    Setting("targets", [], list, "service base URLs to probe when none are given"),
    Setting("tls.ca_bundle", None, str, "CA bundle (PEM) for verifying TLS"),
    Setting("tls.insecure", False, bool, "skip TLS verification (not recommended)"),
    Setting("health.concurrency", 1000, int, "targets probed at once (one connection each)"),
    Setting("health.workers", None, int, "processes sharing the probes (default: the CPU count)"),
    Setting("health.max_body_bytes", 4 * 1024 * 1024, int, "largest response body read"),
    Setting("prometheus.url", "http://127.0.0.1:9090", str, "Prometheus base URL"),
    Setting("prometheus.job", "active-inference", str,
            "scrape job of the service in Prometheus (the runbook's job label; empty: all jobs)"),
    Setting("alertmanager.url", "http://127.0.0.1:9093", str, "Alertmanager base URL"),
    *(setting for service in ("prometheus", "alertmanager") for setting in (
        Setting(f"{service}.bearer_token", None, str, f"bearer token sent to {service}", secret=True),
        Setting(f"{service}.bearer_token_file", None, str,
                f"file holding the bearer token for {service} (read on every command)"),
        Setting(f"{service}.username", None, str, f"basic-auth user for {service}"),
        Setting(f"{service}.password", None, str, f"basic-auth password for {service}", secret=True),
        Setting(f"{service}.headers", [], list, f"extra headers for {service}, 'Name: value' "
                "(e.g. X-Scope-OrgID: tenant); credentials belong in bearer_token"),
        Setting(f"{service}.ca_bundle", None, str, f"CA bundle (PEM) for {service} [default: tls.ca_bundle]"),
        Setting(f"{service}.insecure", None, bool, f"skip TLS verification for {service} "
                "[default: tls.insecure]"),
    )),
    Setting("logs.backend", "elasticsearch", str, "log store",
            choices=("elasticsearch", "opensearch", "file")),
    Setting("logs.url", None, str, "Elasticsearch or OpenSearch URL"),
    Setting("logs.index", "logs-*", str, "index pattern holding the service logs"),
    Setting("logs.file", None, str, "JSON-lines log file or glob (backend = file)"),
    Setting("logs.api_key", None, str, "Elasticsearch API key", secret=True),
    Setting("logs.username", None, str, "basic-auth user for the log store"),
    Setting("logs.password", None, str, "basic-auth password for the log store", secret=True),
    Setting("logs.ca_bundle", None, str, "CA bundle for the log store"),
    Setting("tracing.backend", "jaeger", str, "trace store at tracing.url",
            choices=("jaeger", "tempo", "file")),
    Setting("tracing.url", None, str, "Jaeger query (v3 API) or Tempo base URL"),
    Setting("tracing.file", None, str, "OTLP JSON lines trace file or glob (backend = file)"),
    Setting("tracing.service", "active-inference-sim-lab", str, "service name trace searches look for"),
    Setting("tracing.token", None, str, "bearer token for the trace store", secret=True),
    Setting("tracing.username", None, str, "basic-auth user for the trace store"),
    Setting("tracing.password", None, str, "basic-auth password for the trace store", secret=True),
    Setting("tracing.ca_bundle", None, str, "CA bundle for the trace store"),
    Setting("pagerduty.token", None, str, "PagerDuty REST API token", secret=True),
    Setting("pagerduty.from_email", None, str, "your PagerDuty login email (From header on writes)"),
    Setting("pagerduty.region", "us", str, "PagerDuty service region", choices=("us", "eu")),
    Setting("pagerduty.base_url", None, str, "override the REST API base URL"),
    Setting("pagerduty.events_url", None, str, "override the Events API v2 base URL"),
    Setting("pagerduty.routing_key", None, str, "Events API v2 integration key", secret=True),
    Setting("pagerduty.ca_bundle", None, str, "CA bundle for the PagerDuty API"),
    Setting("lab.admin_token", None, str, "token for the lab service's admin endpoint", secret=True),
    Setting("audit.path", None, str, "audit log file (default: in the user data directory)"),
    Setting("playbooks.dir", None, str, "directory of more playbooks (*.yaml); one named like a "
            "shipped playbook replaces it"),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def user_config_path() -> Path:
    """The per-user config file, in the platform's config directory."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("aiops")) / "config.toml"


def user_data_dir() -> Path:
    """Where aiops keeps data it writes for the user (the audit log)."""
    from platformdirs import user_data_dir as _dir

    return Path(_dir("aiops"))


@dataclass
class Config:
    """Effective settings with where each value came from."""

    values: dict[str, Any]
    sources: dict[str, str]
    env_name: str | None = None
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str) -> Any:
        return self.values[key]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def source(self, key: str) -> str:
        return self.sources[key]

    def secrets(self) -> list[str]:
        """Every secret value in effect, for redaction (credential-like headers' values too)."""
        found = [str(v) for k, v in self.values.items() if BY_KEY[k].secret and v]
        for key, value in self.values.items():
            if key.endswith(".headers") and isinstance(value, list):
                for _, header, secret in map(split_header, value):
                    scheme, _, credential = header.partition(" ")
                    found += [header, *([credential] if credential else [])] if secret and header else []
        return found

    def rows(self) -> list[dict[str, Any]]:
        """Every setting as a row for ``config show``; secrets masked."""
        out = []
        for s in SETTINGS:
            value = self.values[s.key]
            if s.secret and value:
                value = mask(str(value))
            elif s.key.endswith(".headers") and value:
                value = [f"{n}: {mask(v)}" if secret else f"{n}: {v}" for n, v, secret in map(split_header, value)]
            out.append({"key": s.key, "value": value, "source": self.sources[s.key],
                        "env_var": s.env_var, "help": s.help})
        return out


SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")


def split_header(text: str) -> tuple[str, str, bool]:
    """``"Name: value"`` -> (name, value, whether the value is a credential)."""
    name, _, value = str(text).partition(":")
    name = name.strip()
    low = name.lower()
    secret = low in SECRET_HEADERS or any(w in low for w in ("token", "secret", "key", "password"))
    return name, value.strip(), secret


def mask(secret: str) -> str:
    """A secret as shown to humans: never more than its last two characters."""
    return "****" + secret[-2:] if len(secret) >= 12 else "****"


def load(
    *,
    config_path: str | os.PathLike | None = None,
    env_name: str | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user_file: Path | None = None,
) -> Config:
    """Resolve every setting once. Raises :class:`ConfigError` naming file, key and reason."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    values = {s.key: s.default for s in SETTINGS}
    sources = {s.key: "default" for s in SETTINGS}
    environments: dict[str, dict[str, Any]] = {}
    env_origin: dict[str, str] = {}
    warnings: list[str] = []

    explicit = config_path or environ.get("AIOPS_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist",
                              hint="create one with 'aiops config init'")
        files = [path]
    else:
        files = [p for p in (user_file or user_config_path(), cwd / "aiops.toml") if p.is_file()]

    for path in files:  # lowest precedence first
        data = _read_toml(path)
        _warn_if_exposed(path, data, warnings)
        for name, table in _flatten_environments(path, data.pop("environments", {})).items():
            environments.setdefault(name, {}).update(table)
            env_origin[name] = str(path)
        for key, value in _flatten(path, data).items():
            values[key] = value
            sources[key] = str(path)

    for s in SETTINGS:
        if s.env_var in environ and environ[s.env_var] != "":
            values[s.key] = _coerce(s, environ[s.env_var], f"environment variable {s.env_var}")
            sources[s.key] = f"env {s.env_var}"

    if env_name:
        values["env"], sources["env"] = env_name, "flag"
    selected = values["env"]
    if selected:
        if selected not in environments:
            known = ", ".join(sorted(environments)) or "none defined"
            raise ConfigError(f"unknown environment '{selected}' (known: {known})",
                              hint="define it as [environments.NAME] in aiops.toml")
        for key, value in environments[selected].items():
            if not (sources[key].startswith("env ")):
                values[key] = value
                sources[key] = f"environment {selected} ({env_origin[selected]})"

    for key, value in (flags or {}).items():
        if value is None:
            continue
        values[key] = _coerce(BY_KEY[key], value, f"flag for {key}")
        sources[key] = "flag"
    return Config(values, sources, selected, environments, files, warnings)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _flatten(path: Path, data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(path, value, full + "."))
            continue
        if full not in BY_KEY:
            raise ConfigError(f"{path}: unknown key '{full}'",
                              hint="'aiops config show' lists every setting")
        out[full] = _coerce(BY_KEY[full], value, f"{path}: '{full}'")
    return out


def _flatten_environments(path: Path, envs: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(envs, dict):
        raise ConfigError(f"{path}: 'environments' must be a table of [environments.NAME]")
    out = {}
    for name, table in envs.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: environments.{name} must be a table")
        flat = _flatten(path, table)
        if "env" in flat:
            raise ConfigError(f"{path}: unknown key 'environments.{name}.env'")
        out[name] = flat
    return out


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    """Check/convert a value to the setting's type; strings come from env vars and flags."""
    want = setting.type
    try:
        if isinstance(value, str) and want is not str:
            value = _from_string(want, value)
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if want is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
            pass
        elif not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
            raise TypeError
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be {_type_name(want)}, got {value!r}"
                          if not setting.secret else f"{where} must be {_type_name(want)}") from None
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{where} must be one of {', '.join(setting.choices)}, got {value!r}")
    return value


def _from_string(want: type, raw: str) -> Any:
    if want is bool:
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if want is list:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return want(raw)


def _type_name(t: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list of strings"}[t]


def _has_secret(data: Mapping[str, Any], prefix: str = "") -> bool:
    """True when any leaf (top level or inside [environments.NAME]) is a secret setting."""
    secret_keys = [s.key for s in SETTINGS if s.secret]
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            if _has_secret(value, full + "."):
                return True
        elif value and any(full == k or full.endswith("." + k) for k in secret_keys):
            return True
    return False


def _warn_if_exposed(path: Path, data: Mapping[str, Any], warnings: list[str]) -> None:
    if os.name != "posix" or not _has_secret(data):
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(f"{path} holds a secret and is readable by others "
                        f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}")


def settings_report(cfg: Config) -> dict[str, Any]:
    """The document ``aiops config show`` prints: files read, environments, every setting."""
    return {"schema": "aiops.config/v1", "files": [str(p) for p in cfg.files], "env": cfg.env_name,
            "environments": sorted(cfg.environments), "settings": cfg.rows()}


def init_file(path: Path | None = None) -> Path:
    """Write the commented starter config (mode 600); refuse to overwrite an existing file.

    The text is generated from :data:`SETTINGS` (every key, commented, with its default).
    """
    from aiops.core.settings_doc import template

    path = Path(path or user_config_path()).expanduser()
    text = template()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; not overwriting it",
                          hint="edit it, or remove it first") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
