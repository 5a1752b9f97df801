"""``aiops diagnose profile|memory|bench``: exit codes, JSON, bad input, progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pytest

from aiops.inference import save_model, tmaze_model
from tests.fakes.json_contract import validate

STEPS = textwrap.dedent('''
    import time
    KEPT = []

    def leak():
        KEPT.append(bytearray(8192))

    def clean():
        return bytearray(8192)

    def slow():
        time.sleep(1.05)

    def nap():
        time.sleep(0.3)

    NOT_CALLABLE = 3
''')


@pytest.fixture
def mod(tmp_path):
    """A fresh module of step functions in the working directory (the cli fixture's tmp_path)."""
    name = f"steps_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(STEPS)
    yield name
    sys.modules.pop(name, None)


def _error_lines(res) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.strip()]


def test_profile_core_json(cli):
    res = cli("diagnose", "profile", "--steps", "20", "--top", "10", "-o", "json")
    assert res.exit_code == 0, res.stderr
    data = res.json()
    assert data["steps"] == 20 and data["sort"] == "cumulative" and len(data["functions"]) == 10
    cumulative = [f["cumtime_seconds"] for f in data["functions"]]
    assert cumulative == sorted(cumulative, reverse=True)
    # the agent's step is the workload: among the top ten (one-off costs can outrank it on a loaded machine)
    assert any(f["function"] == "infer" and f["file"].endswith("inference/agent.py") for f in data["functions"])


def test_profile_table_and_tottime(cli):
    res = cli("diagnose", "profile", "--model", "grid:5", "--policy-len", "2", "-n", "10",
              "--sort", "tottime", "-o", "table")
    assert res.exit_code == 0, res.stderr
    assert "sorted by tottime" in res.stdout and "own ms" in res.stdout


def test_profile_save_and_force(cli, tmp_path):
    first = cli("diagnose", "profile", "-n", "5", "--save", "run.prof", "-o", "json")
    assert first.exit_code == 0 and first.json()["saved_to"] == "run.prof"
    size = (tmp_path / "run.prof").stat().st_size
    again = cli("diagnose", "profile", "-n", "5", "--save", "run.prof", "-o", "json")
    assert again.exit_code == 2 and again.stdout == ""
    assert "'run.prof' already exists" in again.stderr and "--force" in again.stderr
    assert (tmp_path / "run.prof").stat().st_size == size
    forced = cli("diagnose", "profile", "-n", "5", "--save", "run.prof", "--force", "-o", "json")
    assert forced.exit_code == 0


def test_memory_flags_a_leaking_target(cli, mod):
    res = cli("diagnose", "memory", "--target", f"{mod}:leak", "--steps", "60", "-o", "json")
    assert res.exit_code == 3, res.stderr
    data = res.json()
    assert data["leaking"] is True and data["verdict"] == "leak"
    assert data["bytes_per_step"] > 8000
    assert data["top"][0]["file"].endswith(f"{mod}.py")


def test_memory_passes_a_clean_target_and_the_core(cli, mod):
    res = cli("diagnose", "memory", "--target", f"{mod}:clean", "-n", "60", "-o", "json")
    assert res.exit_code == 0 and res.json()["leaking"] is False
    res = cli("diagnose", "memory", "--model", "tmaze", "-n", "150", "-o", "json")
    assert res.exit_code == 0 and res.json()["verdict"] == "no_leak"


def test_memory_threshold_and_line_mode(cli, mod):
    res = cli("diagnose", "memory", "--target", f"{mod}:leak", "-n", "20", "--threshold", "100000",
              "--line", "-o", "json")
    assert res.exit_code == 0, res.stderr
    lines = res.json()["lines"]
    assert any("KEPT.append" in x["code"] for x in lines)
    table = cli("diagnose", "memory", "-n", "10", "--line", "-o", "table")
    assert table.exit_code == 0 and "memory_profiler" in table.stdout


def test_bench_core_json(cli):
    res = cli("diagnose", "bench", "--model", "random:3", "-n", "40", "-o", "json")
    assert res.exit_code == 0, res.stderr
    data = res.json()
    assert data["band"] == "target" and data["steps"] == 40
    assert set(data) >= {"p50_ms", "p95_ms", "p99_ms", "max_ms", "baseline", "phases"}
    assert data["baseline"] == {"metric": "inference_latency_p95", "target_ms": 100.0, "acceptable_ms": 500.0,
                                "critical_ms": 1000.0, "runbook": ["< 100ms", "< 500ms", "> 1s"]}


def test_bench_exit_3_when_critical(cli, mod):
    res = cli("diagnose", "bench", "--target", f"{mod}:slow", "-n", "1", "--warmup", "0", "-o", "json")
    assert res.exit_code == 3
    assert res.json()["band"] == "critical" and res.json()["critical"] is True


def test_progress_bar_on_a_terminal_for_long_runs(cli, mod):
    res = cli("diagnose", "bench", "--target", f"{mod}:nap", "-n", "5", "--warmup", "0", tty=True)
    assert res.exit_code == 0
    assert "benchmarking" in res.stderr
    quick = cli("diagnose", "bench", "-n", "5", tty=True)
    assert "benchmarking" not in quick.stderr  # under a second: no bar


@pytest.mark.parametrize("args,message", [
    (["profile", "--model", "maze"], "unknown model 'maze'"),
    (["bench", "--model", "grid:0"], "grid size must be between 2 and"),
    (["memory", "--target", "no_such_module_xyz:f"], "module 'no_such_module_xyz' does not import"),
    (["bench", "--target", "{mod}:NOT_CALLABLE"], "is not callable"),
    (["bench", "--target", "{mod}:missing"], "has no attribute 'missing'"),
    (["profile", "--target", "just_a_name"], "is not of the form module:function"),
    (["profile", "--steps", "0"], "--steps must be a positive number, got 0"),
    (["memory", "--steps", "-5"], "--steps must be a positive number, got -5"),
    (["memory", "--threshold", "-1"], "--threshold must be a non-negative"),
    (["profile", "--sort", "calls"], "sort must be one of cumulative, tottime"),
])
def test_bad_input_is_exit_2_with_one_line(cli, mod, args, message):
    res = cli("diagnose", *[a.format(mod=mod) for a in args], "-o", "json")
    assert res.exit_code == 2, (res.stdout, res.stderr)
    errors = [line for line in _error_lines(res) if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_model_files_are_validated_naming_the_array(cli, tmp_path):
    model = tmaze_model()
    model.A[1] = model.A[1] * 1.5
    save_model(model, tmp_path / "unnormalised.npz")
    res = cli("diagnose", "bench", "--model", "unnormalised.npz", "-o", "json")
    assert res.exit_code == 2 and "A[1] columns do not sum to 1" in res.stderr
    model = tmaze_model()
    model.A[2] = np.full((2, 4, 3), 0.5)
    save_model(model, tmp_path / "misshapen.npz")
    res = cli("diagnose", "profile", "--model", "misshapen.npz", "-o", "json")
    assert res.exit_code == 2 and "A[2] has shape (2, 4, 3)" in res.stderr
    good = tmaze_model()
    save_model(good, tmp_path / "good.npz")
    assert cli("diagnose", "bench", "--model", "good.npz", "-n", "5", "-o", "json").exit_code == 0
    res = cli("diagnose", "bench", "--model", "absent.npz", "-o", "json")
    assert res.exit_code == 2 and "does not exist" in res.stderr


def test_a_target_that_raises_is_reported_in_one_line(cli, tmp_path):
    (tmp_path / "raiser_mod.py").write_text("def f():\n    raise ValueError('no data')\n")
    res = cli("diagnose", "profile", "--target", "raiser_mod:f", "-o", "json")
    assert res.exit_code == 2 and "target raised ValueError on step 1: no data" in res.stderr


def test_the_command_module_does_not_import_numpy():
    code = "import sys, aiops.cli.diagnose; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_real_process_json_and_exit_code(tmp_path):
    out = subprocess.run([sys.executable, "-m", "aiops", "diagnose", "bench", "-n", "20", "-o", "json"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["steps"] == 20


@pytest.mark.parametrize("command", ["profile", "memory", "bench"])
def test_the_agent_seed_is_shown_in_json_and_table(cli, mod, command):
    quiet = ["--threshold", "1e9"] if command == "memory" else []  # 3 steps are too few for a verdict
    default = cli("diagnose", command, "-n", "3", *quiet, "-o", "json")
    assert default.exit_code == 0 and default.json()["seed"] == 0  # fixed unless asked otherwise
    seeded = cli("diagnose", command, "-n", "3", "--seed", "7", *quiet, "-o", "table")
    assert seeded.exit_code == 0 and "(policy length 1), seed 7:" in " ".join(seeded.stdout.split())
    callable_ = cli("diagnose", command, "--target", f"{mod}:clean", "-n", "3", *quiet, "-o", "json")
    assert callable_.exit_code == 0 and callable_.json()["seed"] is None
    for result in (default, callable_):
        validate(result.json(), f"aiops.diagnose.{command}/v1")  # the schemas declare the seed
@pytest.mark.slow
def test_memory_verdict_is_the_same_on_a_terminal_and_piped(tmp_path):
    """The progress display (only on a terminal) is not measured: same verdict both ways."""
    from tests.pty_helper import PtyProcess

    argv = [sys.executable, "-m", "aiops", "diagnose", "memory", "--model", "tmaze", "--steps", "2000"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    env.pop("NO_COLOR", None)
    with PtyProcess(argv, env=env, cwd=str(tmp_path), cols=120) as term:
        code = term.wait(600)
        shown = term.text()
    assert "tracing memory" in shown  # the progress bar really ran on the terminal
    piped = subprocess.run(argv + ["-o", "json"], capture_output=True, text=True, env=env, cwd=tmp_path,
                           timeout=600)
    doc = json.loads(piped.stdout)
    assert doc["verdict"] == "no_leak" and piped.returncode == 0, doc["bytes_per_step"]
    assert code == 0 and "no leak" in shown and "LEAK" not in shown, shown[-3000:]
    growth = float(shown.split("no leak (")[1].split(" B/step")[0])
    assert growth < 32 and abs(growth - doc["bytes_per_step"]) < 32
    assert "rich" not in " ".join(a["file"] for a in doc["top"]) and "/rich/" not in shown


@pytest.mark.slow
def test_profile_on_a_terminal_has_no_display_frames(tmp_path):
    from tests.pty_helper import PtyProcess

    argv = [sys.executable, "-m", "aiops", "diagnose", "profile", "--steps", "300", "--top", "40",
            "--sort", "tottime", "-o", "wide"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    with PtyProcess(argv, env=env, cwd=str(tmp_path), cols=250) as term:
        assert term.wait(600) == 0, term.text()[-2000:]
        shown = term.text()
    assert "infer" in shown and "/rich/" not in shown and "rich/" not in shown and "aiops/cli" not in shown
