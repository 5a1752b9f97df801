"""PagerDuty incidents: list, show, acknowledge, resolve, annotate, on-call, drills.

Built on ``pagerduty`` (PagerDuty's maintained successor of the deprecated ``pdpyras``),
imported lazily. The public functions take a :class:`PagerDuty` session and return the
dataclasses of :mod:`aiops.incidents.models`:

    with connect(settings) as pd:
        incident = get_incident(pd, "1234")          # by number or ID
        timeline = list_log_entries(pd, incident.id)  # oldest first
"""

from aiops.incidents.actions import Plan, add_note, apply_change, plan_change
from aiops.incidents.client import PagerDuty, RetryPolicy, Settings
from aiops.incidents.events import trigger
from aiops.incidents.models import (ActionReport, ActionResult, Incident, IncidentDetail,
                                    IncidentList, IncidentLog, LogEntry, Note, Oncall, OncallList)
from aiops.incidents.queries import (current_user_id, get_incident, incident_log, list_incidents,
                                     list_log_entries, list_notes, oncalls, show_incident)

connect = PagerDuty

__all__ = ["ActionReport", "ActionResult", "Incident", "IncidentDetail", "IncidentList",
           "IncidentLog", "LogEntry", "Note", "Oncall", "OncallList", "PagerDuty", "Plan", "RetryPolicy", "Settings",
           "add_note", "apply_change", "connect", "current_user_id", "get_incident",
           "incident_log", "list_incidents", "list_log_entries", "list_notes", "oncalls", "plan_change",
           "show_incident", "trigger"]
