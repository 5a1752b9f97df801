"""`postmortem check`: placeholders, missing sections, action items, the acknowledgement."""

from __future__ import annotations

import pytest

from aiops.core.errors import UsageError
from aiops.postmortem.lint import check_file, check_text

COMPLETE = """\
# Post-mortem: Sim Lab API is down

- **Date:** 2026-01-28
- **Severity:** P1 (Critical: Complete service outage)
- **Authors:** Alex

## Summary

Model v7 returned NaN beliefs; the API answered 500 for 41 minutes.

## Impact

12% of requests failed.

## Root causes

No NaN guard in the belief update.

## Trigger

Deploy of model v7.

## Resolution

Rolled back to v6.

## Detection

HighErrorRate fired at 09:58.

## P1 response clock

| Milestone | Status |
|---|---|
| Immediate response | met |

## Timeline

| Time | Event |
|---|---|
| 10:00:00 | Triggered |
| 10:03:00 | Acknowledged by Alex |

## Key metrics

None.

## Action items

| Type | Action | Owner | Due |
|---|---|---|---|
| prevent | Guard against NaN beliefs | Sam | 2026-02-15 |
| detect | Alert on NaN | Alex | 2026-02-20 |

## Lessons learned

### What went well

Fast rollback.

### What went wrong

No canary.

### Where we got lucky

Low traffic.
"""


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def kinds(report):
    return [(p.line, p.section, p.kind) for p in report.problems]


def test_a_complete_post_mortem_passes():
    report = check_text(COMPLETE)
    assert report.problems == [] and report.complete and report.exit_code() == 0


def test_placeholders_are_reported_with_line_and_section():
    text = COMPLETE.replace("Fast rollback.", "[TODO: what helped]").replace(
        "- **Authors:** Alex", "- **Authors:** [todo: authors]")
    report = check_text(text)
    assert kinds(report) == [(5, "Authors", "placeholder"),
                             (line_of(text, "what helped"), "What went well", "placeholder")]
    assert report.problems[1].message == "unfilled placeholder [TODO: what helped]"
    assert report.exit_code() == 3


def test_an_escaped_placeholder_is_text_not_a_gap():
    assert check_text(COMPLETE.replace("No canary.", r"We wrote \[TODO: x] in a note.")).complete


def test_two_placeholders_on_one_line_are_one_gap():
    text = COMPLETE.replace("| prevent | Guard against NaN beliefs | Sam | 2026-02-15 |",
                            "| [TODO: type] | [TODO: action] | | |")
    assert kinds(check_text(text)) == [(line_of(text, "TODO: type"), "Action items", "placeholder")]


def test_missing_sections_are_reported():
    text = COMPLETE.replace("## Trigger\n\nDeploy of model v7.\n\n", "").replace(
        "### Where we got lucky\n\nLow traffic.\n", "")
    report = check_text(text)
    missing = [(p.section, p.kind) for p in report.problems]
    assert missing == [("Trigger", "missing-section"), ("Where we got lucky", "missing-section")]
    assert report.problems[0].message == "missing section '## Trigger'"


def test_a_heading_inside_a_code_fence_does_not_count():
    text = COMPLETE.replace("## Trigger\n\nDeploy of model v7.\n", "```\n## Trigger\n```\n")
    assert [p.section for p in check_text(text).problems] == ["Trigger"]


def test_action_items_need_an_owner_and_a_due_date():
    text = COMPLETE.replace("| Sam | 2026-02-15 |", "|  | next week |").replace(
        "| Alex | 2026-02-20 |", "| TBD | 2026-02-20 |")
    report = check_text(text)
    first, second = line_of(text, "Guard against"), line_of(text, "Alert on NaN")
    assert kinds(report) == [(first, "Action items", "action-due"),
                             (first, "Action items", "action-owner"),
                             (second, "Action items", "action-owner")]
    messages = [p.message for p in report.problems]
    assert "action item 'Guard against NaN beliefs' has no due date (YYYY-MM-DD): 'next week'" in messages
    assert "action item 'Alert on NaN' has no owner" in messages


def test_no_action_items_at_all():
    text = COMPLETE.replace("| prevent | Guard against NaN beliefs | Sam | 2026-02-15 |\n", "").replace(
        "| detect | Alert on NaN | Alex | 2026-02-20 |\n", "")
    assert kinds(check_text(text)) == [(line_of(text, "## Action items"), "Action items",
                                        "no-action-items")]


def test_a_timeline_without_the_acknowledgement():
    text = COMPLETE.replace("| 10:03:00 | Acknowledged by Alex |\n", "")
    assert kinds(check_text(text)) == [(line_of(text, "## Timeline"), "Timeline", "no-acknowledge")]


def test_check_file_reads_and_fails_cleanly(tmp_path):
    path = tmp_path / "pm.md"
    path.write_text(COMPLETE)
    assert check_file(path).to_dict() == {"schema": "aiops.postmortem-check/v1", "path": str(path), "kind": "incident",
                                          "complete": True, "count": 0, "problems": []}
    with pytest.raises(UsageError, match="cannot read"):
        check_file(tmp_path / "missing.md")


def _filled(text: str) -> str:
    """A drafted post-mortem with every placeholder written by a person."""
    import re

    from aiops.postmortem.lint import PLACEHOLDER

    text = PLACEHOLDER.sub("written by the on-call engineer", text)
    return re.sub(r"\| written by the on-call engineer \|[^\n]*\n", "| Fix | Add a NaN guard | alice | 2026-02-15 |\n",
                  text)


def test_a_window_post_mortem_can_pass_check(tmp_path):
    """No incident, no page: nothing to acknowledge, and the check does not ask for it."""
    from aiops.postmortem import new
    from tests.fakes.postmortem_sources import sources
    from tests.fakes.postmortem_sources import NOW, at

    result = new(sources(incident=None), incident_ref=None, since=at(-30), until=at(60), out_dir=tmp_path,
                 now=NOW, charts=False, title="Latency spike", authors=["alice"], actor="alice")
    path = tmp_path / "filled.md"
    path.write_text(_filled(open(result.path, encoding="utf-8").read()), encoding="utf-8")
    report = check_file(path)
    assert report.kind == "window"
    assert report.complete, [p.to_dict() for p in report.problems]


def test_an_incident_post_mortem_still_needs_its_acknowledgement_from_any_source():
    incident = COMPLETE.replace("- **Date:** 2026-01-28", "- **Date:** 2026-01-28\n- **Incident:** #42 API down")
    assert check_text(incident).complete
    missing = check_text(incident.replace("| 10:03:00 | Acknowledged by Alex |", "| 10:03:00 | Rolled back |"))
    assert [p.kind for p in missing.problems] == ["no-acknowledge"] and missing.kind == "incident"
    typed = incident.replace("| 10:03:00 | Acknowledged by Alex |", "| 10:03:00 | alex acked the page |")
    assert check_text(typed).complete  # a row a person typed
    audit = incident.replace("| 10:03:00 | Acknowledged by Alex |", "| 10:03:00 | aiops: acknowledge (alex) |")
    assert check_text(audit).complete  # the aiops audit log's row
