"""``incident.note``: add a note to the PagerDuty incident (:func:`aiops.incidents.add_note`).

``{playbook}`` in the text is replaced by the playbook's name.
"""

from __future__ import annotations

from typing import Any

from aiops.playbooks.steps.runner import Context, Outcome, Skip


def run(ctx: Context, action: str, params: dict[str, Any]) -> Outcome:
    """Post ``text`` to the incident given with ``--incident``; ``posted`` says whether it was."""
    from aiops.incidents import PagerDuty, Settings, add_note

    if not ctx.incident:
        raise Skip("no incident given (--incident ID)")
    text = params["text"].replace("{playbook}", getattr(ctx.playbook, "name", "") or "")
    settings = Settings.from_config(ctx.cfg)
    with PagerDuty(settings) as pd:
        report = add_note(pd, ctx.incident, text)
    result = report.results[0]
    posted = result.outcome == "noted"
    return Outcome({"posted": posted},
                   [f"incident {result.number or result.ref}: {result.outcome}"
                    + (f" ({result.reason})" if result.reason else "")])


def audit_log(cfg: Any) -> Any:
    """The audit log the config names (``audit.path``), redacting the configured secrets."""
    from aiops.incidents.audit import AuditLog, default_path

    return AuditLog(default_path(cfg.get("audit.path")), secrets=cfg.secrets())


def record(cfg: Any, action: str, incident: str, outcome: str, **details: Any) -> str | None:
    """Append ``action`` on ``incident`` to the audit trail (the P1 clock counts triage and
    playbook runs as investigation). Returns a warning when the file cannot be written."""
    import getpass

    log = audit_log(cfg)
    actor = cfg.get("pagerduty.from_email") or getpass.getuser()
    try:
        log.append([log.entry(actor, action, incident, outcome, **details)])
    except OSError as exc:
        return f"could not record the {action} in the audit log {log.path}: {exc.strerror or exc}"
    return None
