"""Fault specs: parsing, validation and the shared set of active faults."""

from __future__ import annotations

import pytest

from aiops.core.errors import UsageError
from aiops.lab.faults import BY_NAME, FAULTS, FaultSet, format_fault, parse_fault


def test_every_fault_the_issue_names_exists():
    assert [f.name for f in FAULTS] == ["memory-leak", "slow-inference", "error-rate", "accuracy-drop",
                                        "entropy-spike", "training-stall", "not-ready", "crash",
                                        "client-errors", "cpu-burst", "restart", "log-noise"]


@pytest.mark.parametrize("spec, expected", [
    ("error-rate=0.2", ("error-rate", 0.2)),
    ("error-rate", ("error-rate", BY_NAME["error-rate"].default)),
    ("  Slow-Inference = 2 ", ("slow-inference", 2.0)),
    ("memory-leak=50", ("memory-leak", 50.0)),
    ("training-stall", ("training-stall", None)),
    ("not-ready", ("not-ready", None)),
    ("crash", ("crash", 0.0)),
    ("crash=0", ("crash", 0.0)),
    ("error-rate=1", ("error-rate", 1.0)),
])
def test_parse_fault_accepts(spec, expected):
    assert parse_fault(spec) == expected


@pytest.mark.parametrize("spec, message", [
    ("disk-full", "unknown fault 'disk-full' (known: memory-leak,"),
    ("error-rate=abc", "is not a number"),
    ("error-rate=0", "outside (0, 1]"),
    ("error-rate=1.5", "outside (0, 1]"),
    ("error-rate=nan", "outside"),
    ("slow-inference=-1", "outside"),
    ("crash=-1", "outside [0, 3600]"),
    ("memory-leak=inf", "outside"),
    ("not-ready=1", "takes no value"),
    ("error-rate=", "empty value"),
])
def test_parse_fault_rejects_with_a_reason(spec, message):
    with pytest.raises(UsageError) as err:
        parse_fault(spec)
    assert message in err.value.message


def test_parse_fault_with_a_separate_value():
    assert parse_fault("error-rate", 0.25) == ("error-rate", 0.25)
    assert parse_fault("error-rate", "0.25") == ("error-rate", 0.25)
    with pytest.raises(UsageError):
        parse_fault("error-rate", True)
    with pytest.raises(UsageError):
        parse_fault("error-rate=0.1", 0.2)


def test_format_round_trips():
    for spec in ("error-rate=0.2", "training-stall", "slow-inference=1.5"):
        assert format_fault(*parse_fault(spec)) == spec


def test_fault_set_tracks_values_and_tells_listeners():
    events = []
    faults = FaultSet(clock=lambda: 1000.0)
    faults.on_change(lambda name, fault: events.append((name, fault and fault.value)))
    faults.set("error-rate", 0.5)
    faults.set("error-rate", 0.25)
    faults.set("not-ready", None)
    assert faults.value("error-rate") == 0.25 and faults.active("not-ready")
    assert [f.name for f in faults.snapshot()] == ["error-rate", "not-ready"]
    assert faults.snapshot()[0].to_dict()["since"] == "1970-01-01T00:16:40.000Z"
    assert faults.clear("error-rate") == ["error-rate"]
    assert faults.clear("error-rate") == []
    assert faults.clear() == ["not-ready"]
    assert events == [("error-rate", 0.5), ("error-rate", 0.25), ("not-ready", None),
                      ("error-rate", None), ("not-ready", None)]
    assert faults.value("error-rate") is None


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 1.0])
def test_error_rate_fails_exactly_that_fraction(fraction):
    faults = FaultSet()
    assert not any(faults.should_fail() for _ in range(100))
    faults.set("error-rate", fraction)
    assert sum(faults.should_fail() for _ in range(1000)) == round(1000 * fraction)
