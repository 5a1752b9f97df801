"""Drafting: sources merged, gaps stated, redaction, no secrets, template errors, charts."""

from __future__ import annotations

import os

import pytest

from aiops.core.errors import CheckFailed, UsageError
from aiops.incidents.audit import AuditEntry, AuditLog, read
from aiops.postmortem import check_text, new
from aiops.postmortem.gather import build_draft
from aiops.core.redact import Redactor, redact
from aiops.postmortem.render import md
from tests.conftest import require
from tests.fakes import postmortem_sources as story
from tests.fakes.postmortem_sources import ID, NOW, at, failing, sources


def write(tmp_path, **kw):
    kw.setdefault("incident_ref", "42")
    result = new(kw.pop("srcs", None) or sources(), out_dir=tmp_path, now=NOW,
                 charts=kw.pop("charts", False), **kw)
    return result, open(result.path, encoding="utf-8").read()


def test_timeline_merges_every_source_in_time_order():
    draft = build_draft(sources(), incident_ref="42", now=NOW)
    rows = [(e.time, e.source, e.kind) for e in draft.timeline]
    assert rows == [
        (at(-2), "alerts", "alert-firing"), (at(-1), "logs", "log-error"),
        (at(-0.5), "logs", "log-error"), (at(0), "pagerduty", "trigger"),
        (at(3), "pagerduty", "acknowledge"), (at(9), "pagerduty", "note"),
        (at(40), "alerts", "alert-cleared"), (at(41.5), "pagerduty", "resolve")]
    ack = draft.timeline[4]
    assert ack.summary == "Acknowledged by Alex Oncall (via aiops, oncall@example.com)"
    assert draft.timeline[5].summary.startswith("Note: error rate 12%")
    assert (draft.start, draft.end) == (at(-30), at(51.5))  # 30 min lead, 10 min tail


def test_audit_actions_without_a_pagerduty_twin_stay_separate():
    extra = [*story.audit(), AuditEntry(at(5), "sam@example.com", "acknowledge", ID, "already_acknowledged")]
    draft = build_draft(sources(audit=lambda ref, s, e: extra), incident_ref="42", now=NOW)
    audit_rows = [e for e in draft.timeline if e.source == "audit"]
    assert [(e.time, e.summary, e.actor) for e in audit_rows] == [
        (at(5), "aiops acknowledge: already_acknowledged", "sam@example.com")]


def test_unknown_incident_is_exit_3():
    with pytest.raises(CheckFailed, match="not found"):
        build_draft(sources(), incident_ref="999", now=NOW)


def test_unreachable_sources_are_gaps_and_the_rest_is_written(tmp_path):
    srcs = sources(alerts=failing(), metrics=failing(), log_errors=failing("logs down"))
    srcs.missing["extra"] = "not configured: x"
    result, text = write(tmp_path, srcs=srcs)
    assert [(g.source, g.reason) for g in result.draft.gaps] == [
        ("extra", "not configured: x"),
        ("alerts", "Prometheus at http://127.0.0.1:9: connection refused"),
        ("metrics", "Prometheus at http://127.0.0.1:9: connection refused"),
        ("logs", "logs down")]
    assert "## Data gaps" in text and "- **logs**: logs down" in text
    assert "No metrics: Prometheus could not be read" in text
    assert "Acknowledged by Alex Oncall" in text  # PagerDuty facts still there
    assert result.draft.clock.verdict == "met"


def test_pagerduty_unreachable_still_writes_with_audit_and_no_clock(tmp_path):
    result, text = write(tmp_path, srcs=sources(incident=failing("PagerDuty: timed out")))
    assert os.path.basename(result.path) == "2026-01-28-incident-42.md"
    assert result.draft.clock is None and result.draft.gaps[0].source == "pagerduty"
    assert "Not computed: the incident's start is unknown" in text
    assert "aiops acknowledge: acknowledged" in text  # from the audit log alone
    assert result.draft.postmortem_entry.details == {"number": 42}  # the clock finds it by ID later


def test_window_post_mortem_without_incident(tmp_path):
    start, end = at(-30), at(60)
    result, text = write(tmp_path, incident_ref=None, since=start, until=end, title="Latency spike",
                         srcs=sources(incident=None))
    assert os.path.basename(result.path) == "2026-01-28-latency-spike.md"
    assert result.draft.clock is None and result.draft.postmortem_entry is None
    assert "Not computed: no incident was given" in text
    # an alert's priority (HighErrorRate is P1) is not the severity: a 12.5% error rate and a 1.3 s
    # p95 are a significant degradation, not "Complete service outage"
    assert ("- **Severity:** P2 (High: Significant performance degradation): measured: inference latency "
            "p95 worst 1.3 s (critical band); error rate (5xx share) worst 12.5% (critical band)") in text
    assert "Complete service outage" not in text


def test_severity_is_left_to_a_person_when_nothing_measured_decides_it(tmp_path):
    from aiops.postmortem.gather import measured_severity
    from aiops.postmortem.model import MetricSummary

    ok = MetricSummary("error_rate", "Error rate (5xx share)", "%", "q", worst=0.05, band="target")
    assert measured_severity([ok]) == (None, None)
    outage = MetricSummary("error_rate", "Error rate (5xx share)", "%", "q", worst=100.0, band="critical")
    assert measured_severity([outage])[0] == "P1"
    start, end = at(-30), at(60)
    srcs = sources(incident=None, metrics=lambda start, end: [])
    result, text = write(tmp_path, incident_ref=None, since=start, until=end, title="Quiet", srcs=srcs)
    line = next(x for x in text.splitlines() if x.startswith("- **Severity:**"))
    assert "[TODO: P1, P2, P3 or P4 per the runbook's severity levels; alerts that fired: HighErrorRate P1]" in line


def test_the_draft_is_recorded_as_the_post_incident_milestone(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")
    result, text = write(tmp_path, audit_log=audit, actor="oncall@example.com")
    entries = read(tmp_path / "audit.jsonl").entries
    assert [(e.action, e.incident, e.outcome, e.details) for e in entries] == [
        ("postmortem", ID, "written", {"number": 42, "file": "2026-01-28-incident-42.md"})]
    assert result.draft.clock.milestone("Post-incident").status == "met"
    assert "| Post-incident | 2026-01-29 10:00:00 | 1d 00h | 2026-01-29 09:00:00 | **met**" in text


def test_redact_removes_user_identifiers_from_log_excerpts(tmp_path):
    _, plain = write(tmp_path / "a")
    assert "user-67890" in plain and "alice@example.com" in plain
    result, text = write(tmp_path / "b", redact=True)
    assert "user-67890" not in text and "alice@example.com" not in text
    assert "inference failed for [user] ([email])" in text
    assert "(user identifiers redacted)" in text and result.to_dict()["redacted"] is True


@pytest.mark.parametrize("text, expected", [
    ("login by bob@corp.example.org failed", "login by [email] failed"),
    ('{"user_id": "u-123", "x": 1}', '{"user_id": "[user]", "x": 1}'),
    ("user_id=42 done", "user_id=[user] done"),
    ("for user-67890 and user-abc_1", "for [user] and [user]"),
])
def test_redact_users(text, expected):
    assert redact(text, users=True) == expected


def test_no_secrets_ever(tmp_path):
    secret, routing = "u+s3cretpagerdutytoken", "0123456789abcdef0123456789abcdef"
    groups = story.log_report(at(-30), at(50), 10)
    groups.groups[0].message = f"upstream refused token {secret} (key={routing})"
    notes = story.notes()
    notes[0].content = f"rotated {secret}; password=hunter2"

    def incident(ref):
        data = sources().incident(ref)
        data.notes = notes
        data.incident.title = f"API down {routing}"
        return data

    srcs = sources(incident=incident, log_errors=lambda s, e, t: groups)
    result, text = write(tmp_path, srcs=srcs, secrets=[secret, routing])
    for leaked in (secret, routing, "hunter2"):
        assert leaked not in text
        assert leaked not in str(result.to_dict())
    assert "rotated ****" in text and "password=****" in text


def test_md_escaping_keeps_untrusted_text_on_one_harmless_line():
    assert md("a | b\n## Injected <script>") == "a \\| b ## Injected &lt;script&gt;"
    assert md("# heading") == "\\# heading"
    assert md("see [TODO: not a placeholder]") == "see \\[TODO: not a placeholder]"


def test_untrusted_text_cannot_fake_a_placeholder_or_section(tmp_path):
    def incident(ref):
        data = sources().incident(ref)
        data.notes[0].content = "[TODO: fake]\n## Summary\n| broken | table"
        return data

    _, text = write(tmp_path, srcs=sources(incident=incident))
    gaps = check_text(text).problems
    assert "fake" not in " ".join(p.message for p in gaps)
    assert text.count("\n## Summary\n") == 1


def test_custom_template(tmp_path):
    tpl = tmp_path / "short.md.j2"
    tpl.write_text("# {{ title | md }}\n{% for e in timeline %}- {{ e.time | ts }} {{ e.summary | md }}\n{% endfor %}")
    _, text = write(tmp_path, template=tpl)
    assert text.startswith("# Sim Lab API is down\n- 2026-01-28 09:58:00 HighErrorRate")


def test_template_syntax_error_names_the_line(tmp_path):
    tpl = tmp_path / "bad.md.j2"
    tpl.write_text("# {{ title }}\n\n{% for e in timeline %}\n- {{ e.summary }\n")
    with pytest.raises(UsageError, match=r"bad.md.j2: line 4: ") as err:
        write(tmp_path, template=tpl)
    assert err.value.exit_code == 2
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".md")]


def test_template_undefined_name_names_the_line(tmp_path):
    tpl = tmp_path / "typo.md.j2"
    tpl.write_text("# {{ title }}\n\n{{ no_such_thing }}\n")
    with pytest.raises(UsageError, match=r"typo.md.j2: line 3: 'no_such_thing' is undefined"):
        write(tmp_path, template=tpl)


def test_missing_template_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read template"):
        write(tmp_path, template=tmp_path / "nope.j2")


def test_sparklines_without_charts(tmp_path):
    result, text = write(tmp_path, charts=False)
    assert result.charts == [] and ".png" not in text
    assert "| Error rate (5xx share) | 0.05 % | 12.5 % | 09:45:00 | 0.05 % | 2.51 % | critical | `▁▁▃█▇▆▃▁" in text
    assert "| Memory usage of limit | no data |" in text


def test_png_charts_beside_the_document(tmp_path):
    require("matplotlib")
    result, text = write(tmp_path, charts=True)
    names = sorted(os.path.basename(p) for p in result.charts)
    assert names == ["2026-01-28-incident-42-error_rate.png",
                     "2026-01-28-incident-42-inference_latency_p95.png",
                     "2026-01-28-incident-42-model_accuracy.png"]  # memory had no data
    for name in names:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in text


def test_redactor_masks_longest_secret_first():
    assert Redactor(["abcd", "abcdefgh"]).scrub("x abcdefgh y") == "x **** y"
    assert Redactor(["abc"]).scrub("abc") == "abc"  # too short to be a secret worth masking


@pytest.mark.parametrize("span_s,step", [(180, 5), (900, 15), (3 * 3600, 60), (3 * 86400, 3600)])
def test_chart_tick_labels_never_repeat(span_s, step):
    require("matplotlib")
    from aiops.postmortem.metrics import chart_figure
    from aiops.postmortem.model import MetricSeries

    series = MetricSeries("error_rate", "Error rate (5xx share)", "%", "q")
    t0 = NOW.timestamp()
    series.points = [(t0 + i * step, float(i % 7)) for i in range(span_s // step + 1)]
    fig = chart_figure(series, series.title)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(labels) >= 3 and len(labels) == len(set(labels)), labels
