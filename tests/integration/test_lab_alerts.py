"""Every runbook alert fires for real: real Prometheus scrapes labs with faults injected.

The rules are the catalog's, with ``for:`` shortened to 1 s and every range window to 20 s
(``tests.fakes.prom_stack.shortened_rules``); the expressions and thresholds are unchanged.
A lab without faults is scraped alongside as the control: nothing fires for it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.fakes.lab import lab  # noqa: F401 (fixture)
from tests.fakes.prom_stack import get_json, prometheus_factory, shortened_rules, wait_for  # noqa: F401

EXPECTED = {
    "failing": {"HighErrorRate", "MemoryLeak"},
    "slow": {"HighResponseTime"},
    "inaccurate": {"LowModelAccuracy"},
    "stalled": {"TrainingStalled"},
    "crashing": {"ApplicationDown"},
    "control": set(),
}


def test_each_alert_fires_for_the_lab_with_its_fault(lab, prometheus_factory, tmp_path):
    labs = {
        "failing": lab(faults=("error-rate=0.5", "memory-leak=30")),
        "slow": lab(faults=("slow-inference=1.5",)),
        "inaccurate": lab(faults=("accuracy-drop",)),
        "stalled": lab(faults=("training-stall",)),
        "crashing": lab(faults=("crash=4",)),
        "control": lab(),
    }
    instance = {name: urlsplit(svc.url).netloc for name, svc in labs.items()}
    rules = shortened_rules(tmp_path / "rules.yml")
    prom = prometheus_factory(jobs={"active-inference": list(instance.values())}, rule_files=[rules])

    def firing() -> dict[str, set[str]]:
        alerts = get_json(prom.url + "/api/v1/alerts")["data"]["alerts"]
        by_instance: dict[str, set[str]] = {}
        for alert in alerts:
            if alert["state"] == "firing":
                by_instance.setdefault(alert["labels"].get("instance"), set()).add(alert["labels"]["alertname"])
        return by_instance

    def all_fired() -> bool:
        now = firing()
        return all(expected <= now.get(instance[name], set()) for name, expected in EXPECTED.items())

    wait_for(all_fired, timeout=90, what=f"every expected alert (firing now: {firing()})")
    now = firing()
    assert now.get(instance["control"], set()) == set()
    for name, expected in EXPECTED.items():
        extra = now.get(instance[name], set()) - expected
        if name == "slow":
            # 1.5 s per training step is < 10 episodes per shortened 20 s window; with the
            # runbook's [1h] window it is ~800 episodes an hour and TrainingStalled stays quiet.
            extra -= {"TrainingStalled"}
        assert not extra, (name, now)
