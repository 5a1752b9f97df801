"""The JSON contract, for real: every command with JSON output runs against the real servers
(the lab, tracing into a file, Prometheus, Alertmanager, the PagerDuty simulator; `lab stack`
and `drill run` start their own) and its document validates against its schema in
``schemas/``; ``--jq`` works on every one of them.

The table below is the list of JSON commands: a test fails when the CLI grows a command that
is neither in it nor in ``NO_JSON``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable

from pathlib import Path

import pytest

from aiops.drills.scenario import builtin_dir
from tests.conftest import leaf_commands, require, run_cli
from tests.fakes.json_contract import validate
from tests.fakes.stack import Stack, start_stack

# Commands without a JSON document of their own: servers, whose first stdout line is a document
# all the same (lab serve's is checked below, lab pagerduty's where lab stack runs it).
NO_JSON = {"lab serve", "lab pagerduty"}
# Commands that run until Ctrl-C, writing one document per round: checked in their own tests
# (health watch: tests/integration/test_health_watch_terminal.py, schema and --jq included).
STREAMS = {"health watch"}
# The shortest scenario of the corpus (ApplicationDown: `for: 1m`, a second at --speed 60).
DRILL = builtin_dir() / "alert-application-down.yaml"


@dataclass(frozen=True)
class Case:
    """One command: its arguments (a function of the stack and earlier documents), its schema,
    and the exit codes that mean it worked (3 is a check that found the injected fault)."""

    command: str
    argv: Callable[[Stack, dict[str, Any]], list[str]]
    schema: str
    exits: tuple[int, ...] = (0,)
    label: str = ""
    check: Callable[[Stack, dict[str, Any]], None] | None = None  # more documents the command wrote

    @property
    def name(self) -> str:
        return self.label or self.command


def _first_error_id(stack: Stack, _: dict) -> str:
    return next(r["correlation_id"] for r in stack.lab.logs()
                if r.get("level") == "ERROR" and r.get("correlation_id"))


def _lab_stack_dir(stack: Stack) -> str:
    return str(stack.workdir / "lab-stack")


def _lab_stack_files(stack: Stack, doc: dict) -> None:
    """What `lab stack up` leaves in its state directory: stack.json, the PagerDuty sandbox's state
    file, and the first stdout line of the `aiops lab pagerduty` it started."""
    state = Path(doc["state_dir"])
    validate(json.loads((state / "stack.json").read_text()), "aiops.lab.stack-state/v1")
    validate(json.loads((state / "pagerduty.json").read_text()), "aiops.lab.pagerduty-state/v1")
    first = (state / "pagerduty.out").read_text().split("\n", 1)[0]
    validate(json.loads(first), "aiops.lab.pagerduty/v1")


CASES: tuple[Case, ...] = (
    Case("health check", lambda s, d: [s.lab.url], "aiops.health.probe/v1", (0, 3)),
    Case("metrics check", lambda s, d: ["--window", "10s"], "aiops.metrics/v1", (0, 3)),
    Case("capacity check", lambda s, d: [], "aiops.prometheus.capacity/v1", (0, 3)),
    Case("prom query", lambda s, d: ["ai_model_accuracy"], "aiops.prometheus.query/v1"),
    Case("prom range", lambda s, d: ["ai_model_accuracy", "--since", "30s", "--step", "5s"],
         "aiops.prometheus.range/v1"),
    Case("alerts list", lambda s, d: [], "aiops.prometheus.alerts/v1"),
    Case("alerts rules", lambda s, d: ["-o", "json"], "aiops.rules/v1"),
    Case("alerts test", lambda s, d: [], "aiops.rules-test/v1"),
    Case("alerts silence add", lambda s, d: ["alertname=HighErrorRate", "--duration", "1h",
                                             "--comment", "contract test", "--author", "ci"], "aiops.silence/v1"),
    Case("alerts silence list", lambda s, d: [], "aiops.prometheus.silences/v1"),
    Case("alerts silence expire", lambda s, d: [d["alerts silence add"]["silence"]["id"]], "aiops.silence/v1"),
    Case("logs trace", lambda s, d: [_first_error_id(s, d)], "aiops.logs.trace/v1"),
    Case("logs errors", lambda s, d: ["--since", "1h"], "aiops.logs.errors/v1"),
    Case("trace search", lambda s, d: ["--since", "10m"], "aiops.trace.search/v1"),
    Case("trace show", lambda s, d: [d["trace search"]["traces"][0]["trace_id"], "--logs"], "aiops.trace/v1"),
    Case("dashboard", lambda s, d: ["main", "--once", "--since", "2m"], "aiops.dashboard/v1"),
    Case("dashboard", lambda s, d: ["infrastructure", "--once", "--since", "2m"], "aiops.dashboard/v1",
         label="dashboard infrastructure"),
    Case("dashboard", lambda s, d: ["performance", "--once", "--since", "2m", "--source", "scrape",
                                    "--target", s.lab.url], "aiops.dashboard/v1", label="dashboard scrape"),
    Case("dashboards export", lambda s, d: ["--out", str(s.workdir / "dashboards")], "aiops.dashboards-export/v1"),
    Case("dashboards validate", lambda s, d: [d["dashboards export"]["out_dir"]], "aiops.dashboards-validate/v1"),
    Case("incident list", lambda s, d: [], "aiops.incidents/v1"),
    Case("incident show", lambda s, d: [str(s.incidents[0]["incident_number"])], "aiops.incident/v1"),
    Case("incident log", lambda s, d: [str(s.incidents[0]["incident_number"])], "aiops.incident-log/v1"),
    Case("incident oncall", lambda s, d: [], "aiops.oncall/v1"),
    Case("incident ack", lambda s, d: [str(s.incidents[0]["incident_number"]), "--yes"],
         "aiops.incident-action/v1"),
    Case("incident note", lambda s, d: [str(s.incidents[0]["incident_number"]), "investigating"],
         "aiops.incident-action/v1"),
    Case("incident trigger", lambda s, d: ["--summary", "contract drill"], "aiops.incident-action/v1"),
    Case("incident clock", lambda s, d: [str(s.incidents[0]["incident_number"])], "aiops.incidents.clock/v1",
         (0, 3)),
    Case("triage", lambda s, d: ["--target", s.lab.url, "--incident", str(s.incidents[0]["incident_number"])],
         "aiops.triage/v1", (0, 3)),
    Case("postmortem new", lambda s, d: ["--incident", str(s.incidents[0]["incident_number"]),
                                         "--out", str(s.workdir / "postmortems")], "aiops.postmortem/v1"),
    Case("postmortem check", lambda s, d: [d["postmortem new"]["path"]], "aiops.postmortem-check/v1", (3,)),
    Case("incident resolve", lambda s, d: [str(s.incidents[1]["incident_number"]), "--yes"],
         "aiops.incident-action/v1"),
    Case("incident audit", lambda s, d: [], "aiops.incidents.audit/v1"),
    Case("playbook list", lambda s, d: [], "aiops.playbooks/v1"),
    Case("playbook show", lambda s, d: ["memory-leak"], "aiops.playbook/v1"),
    Case("playbook validate", lambda s, d: [], "aiops.playbook-validate/v1"),
    Case("playbook run", lambda s, d: ["high-error-rate", "--target", s.lab.url], "aiops.playbook-run/v1", (0, 3)),
    Case("diagnose profile", lambda s, d: ["--steps", "20", "--top", "5"], "aiops.diagnose.profile/v1"),
    Case("diagnose memory", lambda s, d: ["--steps", "40"], "aiops.diagnose.memory/v1", (0, 3)),
    Case("diagnose bench", lambda s, d: ["--steps", "40"], "aiops.diagnose.bench/v1", (0, 3)),
    Case("lab fault list", lambda s, d: ["--target", s.lab.url], "aiops.lab.faults/v1"),
    Case("lab fault set", lambda s, d: ["entropy-spike=0.5", "--target", s.lab.url], "aiops.lab.faults/v1"),
    Case("lab fault clear", lambda s, d: ["entropy-spike", "--target", s.lab.url], "aiops.lab.faults/v1"),
    Case("config show", lambda s, d: [], "aiops.config/v1"),
    Case("config init", lambda s, d: ["--path", str(s.workdir / "aiops.toml")], "aiops.config-init/v1"),
    Case("demo", lambda s, d: ["--fault", "memory-leak", "--wait", "2"], "aiops.drills.demo/v1"),
    # after config init: ./aiops.toml exists, so `up` writes only its state directory
    Case("lab stack up", lambda s, d: ["-d", _lab_stack_dir(s), "--speed", "60"], "aiops.lab.stack/v1",
         check=_lab_stack_files),
    Case("lab stack status", lambda s, d: ["-d", _lab_stack_dir(s)], "aiops.lab.stack/v1"),
    Case("lab stack down", lambda s, d: ["-d", _lab_stack_dir(s)], "aiops.lab.stack-down/v1"),
    Case("drill list", lambda s, d: [], "aiops.drill-scenarios/v1"),
    Case("drill run", lambda s, d: [str(DRILL), "--speed", "60"], "aiops.drill-report/v1", (0, 3)),
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require("prometheus", binary=True)
    require("prometheus-alertmanager", binary=True)
    require("trustme")
    workdir = tmp_path_factory.mktemp("contract")
    running = start_stack(workdir, traces=True)
    yield running
    if (workdir / "lab-stack" / "stack.json").exists():  # the cases stopped before `lab stack down`
        from aiops.lab.stack import down

        down(workdir / "lab-stack")
    running.close()
    from tests.fakes.pagerduty_contract import check_exchanges

    check_exchanges(running.pagerduty.exchanges)


def _run(stack: Stack, *args: str) -> Any:
    home = stack.workdir / "home"
    env = {**stack.env(), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
           "NO_COLOR": "1", "COLUMNS": "200"}
    cwd = os.getcwd()
    os.chdir(stack.workdir)
    try:
        return run_cli(*args, env=env)
    finally:
        os.chdir(cwd)


# Run once, through `--jq .` (the document itself): they change something, or take long.
ONCE = {"incident ack", "incident resolve", "incident trigger", "incident note", "alerts silence add",
        "alerts silence expire", "config init", "postmortem new", "lab fault set", "lab fault clear", "demo",
        "dashboards export", "lab stack up", "lab stack down", "drill run"}


def test_every_json_command_validates_and_filters_with_jq(stack):
    """Each command for real: its exit code, a document that validates, and --jq on it."""
    docs: dict[str, Any] = {}
    failures: list[str] = []
    for case in CASES:
        argv = [*case.command.split(), *case.argv(stack, docs)]
        result = _run(stack, *argv, *(["--jq", "."] if case.command in ONCE else []))
        where = f"aiops {' '.join(argv)} (exit {result.exit_code})"
        if result.exit_code not in case.exits:
            failures.append(f"{where}: expected exit {case.exits}; stderr: {result.stderr.strip()[-400:]}")
            continue
        try:
            doc = json.loads(result.stdout)
            validate(doc, case.schema)
        except (ValueError, AssertionError) as exc:
            failures.append(f"{where}: {exc}")
            continue
        docs[case.name] = doc
        if case.check is not None:
            try:
                case.check(stack, doc)
            except (OSError, ValueError, AssertionError) as exc:
                failures.append(f"{where}: {exc}")
        if case.command not in ONCE:
            jq = _run(stack, *argv, "--jq", ".schema")
            if jq.stdout != case.schema + "\n" or jq.exit_code != result.exit_code:
                failures.append(f"{where} --jq .schema: exit {jq.exit_code}, stdout {jq.stdout!r}, "
                                f"stderr {jq.stderr.strip()[-300:]!r}")
    assert not failures, "\n".join(failures)


def test_the_lab_announcement_validates(stack):
    """`aiops lab serve`'s first stdout line is a document too."""
    validate(stack.lab.info, "aiops.lab.serve/v1")


def test_the_table_lists_every_command_with_json_output():
    """Every leaf command is either in CASES or declared to have no JSON output; JSON ones take --jq."""
    found = leaf_commands()
    covered = {c.command for c in CASES}
    assert set(found) - NO_JSON - STREAMS == covered, (set(found) - NO_JSON - STREAMS) ^ covered
    for name, command in found.items():
        options = {o for p in command.params for o in p.opts}
        assert ("--jq" in options) == (name not in NO_JSON), name
