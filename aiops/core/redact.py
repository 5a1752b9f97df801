"""The one redaction function: what aiops shows, logs or writes never carries a secret.

``redact(text, secrets)`` masks, with ``****``:

- every configured secret value (``secrets``: the config's secret settings), also in its
  JSON-escaped and URL-encoded spellings;
- the user-info of a URL: ``https://user:pass@host`` -> ``https://****@host``;
- secret-looking query parameters, case-insensitive: ``token``, ``api_key``, ``apikey``,
  ``password``, ``secret``, ``sig``, ``X-Amz-Signature`` and their relatives
  (``access_token``, ``client_secret``, ``X-Amz-Security-Token``, ...): ``?token=****``;
- credentials in free text: ``token=abc``, ``"api_key": "abc"``, ``password: abc``,
  ``Authorization: Bearer abc...``;
- with ``users=True``, user identifiers too (``--redact`` on post-mortems): e-mail addresses,
  ``user_id`` values and the runbook's ``user-67890`` form.

It is applied where text leaves aiops: every error message (:class:`~aiops.core.errors.AiopsError`
redacts its own), stderr and the log handler, ``--debug`` tracebacks, audit lines, post-mortems,
incident notes, and each URL a result shows (health, triage, logs, alerts, metrics, lab faults,
``config show``). Requests themselves still use the real URL.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable
from urllib.parse import quote

MASK = "****"
MIN_SECRET = 4  # shorter configured values would mask ordinary words

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,15}://)([^\s/?#@\"'<>\\]+)@")
_PARAM_NAMES = (r"(?:[a-z0-9]+[_.-])*(?:token|secret|password|passwd|pwd|sig|signature|"
                r"credentials?|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth)")
_PARAM = re.compile(rf"(?i)([?&;]{_PARAM_NAMES}=)([^&#;\s\"'<>]*)")
_CREDENTIAL = re.compile(
    r"(?i)\b((?:[a-z0-9]+[_-])*(?:token|secret|password|passwd|pwd)|apikey|"
    r"(?:api|access|private|routing|integration|secret)[_-]?key)"
    r"(\"?'?\s*[:=]\s*\"?'?)([^\s\"',;&]+)")
_SCHEME = re.compile(r"(?i)\b(bearer|basic|apikey|token)(\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])"
                     r"([A-Za-z0-9._~+/=-]{8,})")
_LOOKS_SECRET = re.compile(r"[0-9+/=_~-]")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_USER_ID = re.compile(r"(?i)(\"?\buser[_-]?id\"?\s*[:=]\s*\"?)([^\s\"',;&}]+)")
_USER_TOKEN = re.compile(r"\buser-[A-Za-z0-9][A-Za-z0-9_-]*")
_HINTS = ("://", "=", ":", "earer", "asic", "oken", "pikey", "PIKEY")
# A word each match of _CREDENTIAL and _SCHEME contains (case-insensitive): an ASCII text
# without any of them is not searched (a URL, most log lines).
_CREDENTIAL_WORDS = ("token", "secret", "passw", "pwd", "key")
_SCHEME_WORDS = ("bearer", "basic", "apikey", "token")


def redact(text: str, secrets: Iterable[str] = (), *, users: bool = False) -> str:
    """``text`` with secrets, URL credentials and credential-looking values masked."""
    if not isinstance(text, str):
        text = str(text)
    for secret in _spellings(secrets):
        text = text.replace(secret, MASK)
    if any(hint in text for hint in _HINTS):
        if "@" in text:
            text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
        if "=" in text:
            text = _PARAM.sub(lambda m: m.group(1) + MASK, text)
        # (?i) also folds a few non-ASCII letters (the Kelvin sign, the long s, dotted and dotless
        # i) into the keywords: a text with any non-ASCII character is always searched
        low = text.lower() if text.isascii() else None
        if low is None or any(word in low for word in _CREDENTIAL_WORDS):
            text = _CREDENTIAL.sub(_credential, text)
        if low is None or any(word in low for word in _SCHEME_WORDS):
            text = _SCHEME.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    if users:
        text = _EMAIL.sub("[email]", text)
        text = _USER_ID.sub(lambda m: m.group(1) + "[user]", text)
        text = _USER_TOKEN.sub("[user]", text)
    return text


def _credential(m: re.Match) -> str:
    """``name=value`` and ``"name": value`` always; a bare ``name: value`` only when the value
    looks like a credential rather than a word (``token: pagerduty.token is not set``)."""
    name, sep, value = m.group(1), m.group(2), m.group(3)
    quoted = m.string[m.start() - 1:m.start()] in ("\"", "'")
    if not value.strip(".") or ("=" not in sep and not quoted and not _LOOKS_SECRET.search(value)):
        return m.group(0)
    return name + sep + MASK


def redact_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """:func:`redact` applied to every string in a JSON-like value (dicts, lists, strings)."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v, secrets) for v in value]
    return value


def _spellings(secrets: Iterable[str]) -> list[str]:
    """Each secret as typed, JSON-escaped and URL-encoded; longest first, so that a secret
    containing another is masked whole."""
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET:
            forms.update({secret, json.dumps(secret)[1:-1], quote(secret, safe="")})
    return sorted(forms, key=len, reverse=True)


class Redactor:
    """:func:`redact` with fixed ``secrets``; ``users`` adds user identifiers to log excerpts."""

    def __init__(self, secrets: Iterable[str] = (), *, users: bool = False) -> None:
        self.secrets = _spellings(secrets)
        self.users = users

    def text(self, text: str | None) -> str:
        """Text aiops writes (notes, audit details, alert labels, whole documents)."""
        return redact(text or "", self.secrets)

    scrub = text

    def log(self, text: str | None) -> str:
        """A log excerpt: as :meth:`text`, plus user identifiers under ``--redact``."""
        return redact(text or "", self.secrets, users=self.users)
