"""Scenario files: validation names file, line and field; the built-in corpus covers what it must."""

from __future__ import annotations

import pytest

from aiops.catalog import ALERT_RULES
from aiops.drills.scenario import ScenarioInvalid, collect, load_file
from aiops.lab.faults import FAULTS, NOISE

GOOD = """\
name: leak-on-one-of-three
instances: 3
faults:
  - {fault: memory-leak, value: 5, instance: 2, at: 0s}
noise:
  - {fault: client-errors, value: 20, instance: 1, at: 10s}   # bad clients: 4xx, not an incident
expect: {alerts: [MemoryLeak], playbook: memory-leak, instance: 2, verdict: critical}
"""


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioInvalid) as info:
        load_file(path)
    return [str(p).replace(str(path), "F") for p in info.value.problems]


def test_the_issue_example_loads(tmp_path):
    s = load_file(write(tmp_path, GOOD))
    assert (s.name, s.instances, s.noise_only) == ("leak-on-one-of-three", 3, False)
    assert [(e.fault, e.value, e.instance, e.at, e.noise) for e in s.events] == [
        ("memory-leak", 5.0, 2, 0.0, False), ("client-errors", 20.0, 1, 10.0, True)]
    assert (s.expect.alerts, s.expect.playbook, s.expect.instance, s.expect.verdicts) == (
        ("MemoryLeak",), "memory-leak", 2, ("critical",))


@pytest.mark.parametrize("edit, expected", [
    (("instance: 2, at: 0s}", "instance: 4, at: 0s}"), "F:4: faults[0].instance: must be a whole number from 1 to 3, got 4"),
    (("memory-leak, value: 5", "memory-lek, value: 5"), "F:4: faults[0].fault: unknown fault 'memory-lek'"),
    (("value: 5,", "value: -5,"), "F:4: faults[0].value: fault 'memory-leak': value -5 is outside"),
    (("at: 10s}", "at: soon}"), "F:6: noise[0].at: must be a duration"),
    (("{fault: client-errors", "{fault: crash"), "F:6: noise[0].fault: 'crash' belongs under faults"),
    (("verdict: critical", "verdict: bad"), "F:7: expect.verdict: must be ok, warning, critical or not-critical"),
    (("playbook: memory-leak", "playbook: nope"), "F:7: expect.playbook: unknown playbook 'nope'"),
    (("[MemoryLeak]", "[MemoryLeek]"), "F:7: expect.alerts: must be a list of runbook alerts"),
    (("instances: 3", "instances: 0"), "F:2: instances: must be a whole number from 1 to 20, got 0"),
    (("name: leak", "nam: leak"), "F:1: nam: unknown field"),
])
def test_each_problem_names_file_line_and_field(tmp_path, edit, expected):
    found = problems(tmp_path, GOOD.replace(*edit))
    assert any(p.startswith(expected) for p in found), found


def test_not_yaml_and_duplicate_names(tmp_path):
    assert problems(tmp_path, "name: [unclosed\n")[0].startswith("F:2: not valid YAML")
    (tmp_path / "s.yaml").unlink()
    a = write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ScenarioInvalid) as info:
        collect([str(a.parent)])
    assert str(info.value.problems[0]).endswith("b.yaml:1: name: 'leak-on-one-of-three' is also the name of " + str(a))


def test_the_builtin_corpus_covers_what_the_issue_asks():
    corpus = collect([])
    faults = [s for s in corpus if not s.noise_only]
    alone = {s.events[0].fault for s in faults if len(s.events) == 1 and s.instances == 1}
    assert alone == {f.name for f in FAULTS if f.name not in NOISE}  # every lab fault alone
    alerted = {a for s in corpus if len(s.expect.alerts) == 1 and len(s.faults) == 1 for a in s.expect.alerts}
    assert alerted == {r.name for r in ALERT_RULES}  # one scenario per runbook alert
    compound = [s for s in faults if len(s.faults) >= 2]
    assert len(compound) >= 5
    assert all(s.expect.playbook and s.expect.instance for s in compound)
    noise_only = [s for s in corpus if s.noise_only]
    assert len(noise_only) >= 5 and all("critical" not in s.expect.verdicts for s in noise_only)
    assert {n for s in noise_only for e in s.events for n in [e.fault]} == set(NOISE)
    assert sorted(d for s in corpus for d in s.down) == ["logs", "pagerduty", "prometheus"]
    three = [s for s in faults if s.instances == 3 and len({e.instance for e in s.faults}) == 1]
    assert len(three) >= 3
