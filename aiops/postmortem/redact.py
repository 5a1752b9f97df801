"""Keeping secrets and user identifiers out of post-mortems.

Secrets are always removed: every configured secret value, and anything that looks like a
credential in text copied from logs, notes or audit details (``token=...``, ``api_key: ...``,
``password=...``, ``Authorization: Bearer ...``). ``--redact`` also removes user identifiers from
log excerpts: e-mail addresses, ``user_id`` values and the runbook's ``user-67890`` form.
"""

from __future__ import annotations

import re
from typing import Iterable

MASK = "****"
_CREDENTIAL = re.compile(
    r"(?i)\b((?:access[_-]?|api[_-]?|auth[_-]?|refresh[_-]?|routing[_-]?|integration[_-]?)?"
    r"(?:token|key|secret|password|passwd|pwd))(\"?'?\s*[:=]\s*\"?'?)([^\s\"',;&]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+)([A-Za-z0-9._~+/=-]{8,})")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_USER_ID = re.compile(r"(?i)(\"?\buser[_-]?id\"?\s*[:=]\s*\"?)([^\s\"',;&}]+)")
_USER_TOKEN = re.compile(r"\buser-[A-Za-z0-9][A-Za-z0-9_-]*")


def mask_credentials(text: str) -> str:
    """Mask values that look like credentials (``token=abc`` -> ``token=****``)."""
    text = _CREDENTIAL.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


def redact_users(text: str) -> str:
    """Remove user identifiers: e-mail addresses, ``user_id`` values, ``user-NNN`` tokens."""
    text = _EMAIL.sub("[email]", text)
    text = _USER_ID.sub(lambda m: m.group(1) + "[user]", text)
    return _USER_TOKEN.sub("[user]", text)


class Redactor:
    """Cleans text for a post-mortem: ``secrets`` always, user identifiers when ``users``."""

    def __init__(self, secrets: Iterable[str] = (), *, users: bool = False) -> None:
        # Longest first, so that a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.users = users

    def scrub(self, text: str) -> str:
        """Remove every configured secret from ``text``."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def text(self, text: str | None) -> str:
        """Untrusted text (notes, audit details, alert labels): secrets and credentials masked."""
        return mask_credentials(self.scrub(text or ""))

    def log(self, text: str | None) -> str:
        """A log excerpt: as :meth:`text`, plus user identifiers removed under ``--redact``."""
        cleaned = self.text(text)
        return redact_users(cleaned) if self.users else cleaned
