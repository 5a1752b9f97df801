"""The inference core beside pymdp, one run: T-maze steps, grid-world planning, latency.

    .venv/bin/python benchmarks/bench_inference.py [--quick] [--blas-threads N]
    PYMDP007_PYTHON=/path/to/venv/bin/python .venv/bin/python benchmarks/bench_inference.py

Compares with ``pymdp.legacy`` (inferactively-pymdp 1.0.4, installed for the tests) in
this process and, when PYMDP007_PYTHON names a Python with inferactively-pymdp 0.0.7.1
(it cannot share a venv with 1.0.x), with 0.0.7.1 in a subprocess fed the same inputs.

Bars: T-maze full step (infer states + infer policies + action) >= 20x faster than
pymdp.legacy; infer_policies on a 10 x 10 grid with policy length 3 (125 policies)
>= 100x faster; 10 x 10 grid, policy length 3: p95 of a full step <= 5 ms.

Then one row per agent setting beyond the defaults, on the T-maze (policy length 1)
and a 10 x 10 grid world (policy length 3, 125 policies; MMP: 2, 25 policies), each a
full step (with learning: perception, the updates, planning, action) beside
pymdp.legacy on the same observations: parameter information gain (pA, pB novelty;
bar 100x on the grid), interacting factors (the T-maze's context written as
depending on location; a grid where the goal pays only with a key picked up on the
way), learning pA, pB and pD for chosen modalities and factors, marginal message
passing over the last 3 observations (pymdp's MMP prints inside its loop: silenced,
so its time is the algorithm's), full-policy sampling, and an agent built from
pymdp-style object arrays. Bar 20x unless stated.

BLAS runs one thread unless --blas-threads says otherwise: these matrices are small,
and on a shared 2-core machine a second BLAS thread adds waits of several ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer samples (a few seconds)")
    parser.add_argument("--blas-threads", type=int, default=1, help="0 = the BLAS library's default")
    return parser.parse_args()


ARGS = _args()
if ARGS.blas_threads > 0:  # must happen before numpy is imported
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(ARGS.blas_threads))

import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from aiops.inference import Agent, build_model, dirichlet_from, key_grid_model, tmaze_model  # noqa: E402

BARS = {"tmaze_step": 20.0, "grid_policies": 100.0, "grid_step_p95_ms": 5.0}
SETTING_BAR, NOVELTY_GRID_BAR = 20.0, 100.0

WORKER_007 = r'''
import json, sys, time
import numpy as np
from pymdp.agent import Agent
d = np.load(sys.argv[1], allow_pickle=True)
def obj(prefix):
    keys = sorted((k for k in d.files if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))
    out = np.empty(len(keys), dtype=object)
    for i, k in enumerate(keys): out[i] = d[k]
    return out
out = {}
a = Agent(A=obj("tA"), B=obj("tB"), C=obj("tC"), D=obj("tD"))
ts = []
for i, obs in enumerate(d["tobs"]):
    if i % 3 == 0: a.reset(); a.action = None
    t0 = time.perf_counter(); a.infer_states(list(obs)); a.infer_policies(); a.sample_action()
    ts.append(time.perf_counter() - t0)
out["tmaze_step"] = ts
g = Agent(A=obj("gA"), B=obj("gB"), C=obj("gC"), D=obj("gD"), policy_len=3)
ts, G0 = [], None
for q in d["gqs"]:
    qs = np.empty(1, dtype=object); qs[0] = q; g.qs = qs
    t0 = time.perf_counter(); _, G = g.infer_policies(); ts.append(time.perf_counter() - t0)
    G0 = G.tolist() if G0 is None else G0
out["grid_policies"] = ts; out["grid_G0"] = G0
print(json.dumps(out))
'''


def _obj(arrays):
    out = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        out[i] = a
    return out


def tmaze_observations(episodes: int) -> list[list[int]]:
    """Observations of closed-loop T-maze episodes (3 steps each) by our agent."""
    model, env = build_model("tmaze", seed=0)
    agent = Agent(model, seed=0)
    seq = []
    for _ in range(episodes):
        agent.reset()
        obs = env.reset()
        for _ in range(3):
            seq.append(list(obs))
            obs, _ = env.step(agent.infer(obs).action)
    return seq


def interleaved(run_ours, run_legacy, chunks, passes: int = 3) -> tuple[list[float], list[float]]:
    """Both sides on each chunk in turn (ours ``passes`` times), after one warm-up of ours.

    On a shared machine the load then weighs on both alike: the ratio stays honest.
    """
    run_ours(chunks[0])
    ours, legacy = [], []
    for chunk in chunks:
        legacy += run_legacy(chunk)
        for _ in range(passes):
            ours += run_ours(chunk)
    return ours, legacy


def tmaze_runners():
    """Step timers over one 3-step T-maze episode: ours and pymdp.legacy's (default settings)."""
    from pymdp.legacy.agent import Agent as PymdpAgent

    model, _ = build_model("tmaze")
    ref = PymdpAgent(A=_obj(model.A), B=_obj(model.B), C=_obj(model.C), D=_obj(model.D))

    def run_legacy(episode):
        ref.reset()
        ref.action = None
        out = []
        for obs in episode:
            t0 = time.perf_counter()
            ref.infer_states(obs)
            ref.infer_policies()
            ref.sample_action()
            out.append(time.perf_counter() - t0)
        return out

    return agent_timer(Agent(model, seed=0)), run_legacy


def grid_run(steps: int, reset_every: int = 20):
    """Closed-loop grid 10 x 10 episodes, policy length 3: full-step times and beliefs."""
    model, env = build_model("grid:10", seed=0)
    agent = Agent(model, policy_len=3, seed=0)
    times, beliefs = [], []
    obs = env.reset()
    for i in range(steps):
        if i % reset_every == 0:
            agent.reset()
            obs = env.reset()
        beliefs.append(agent.qs[0].copy())
        res = agent.infer(obs)
        times.append(res.timings["total"])
        obs, _ = env.step(res.action)
    return model, agent, times, beliefs


def time_policies(agent, posteriors, pymdp_agent=None):
    """infer_policies from each of the given posteriors (ours, or a pymdp.legacy agent)."""
    out, first_G = [], None
    for q in posteriors:
        if pymdp_agent is None:
            agent.qs = [q]
            t0 = time.perf_counter()
            _, G = agent.infer_policies()
        else:
            pymdp_agent.qs = _obj([q])
            t0 = time.perf_counter()
            _, G = pymdp_agent.infer_policies()
        out.append(time.perf_counter() - t0)
        first_G = G if first_G is None else first_G
    return out, first_G


def run_007(python: str, tmaze_seq, grid_model_, posteriors) -> dict | None:
    tmaze, _ = build_model("tmaze")
    arrays = {"tobs": np.array(tmaze_seq), "gqs": np.array(posteriors)}
    for prefix, model in (("t", tmaze), ("g", grid_model_)):
        for key in "ABCD":
            for i, a in enumerate(getattr(model, key)):
                arrays[f"{prefix}{key}{i}"] = a
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inputs.npz"
        np.savez(path, **arrays)
        proc = subprocess.run([python, "-c", WORKER_007, str(path)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        print(f"pymdp 0.0.7.1 worker failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ms(x) -> str:
    return f"{x * 1000:.3f}"


# -- one row per agent setting ------------------------------------------------------------------

def _learnable(model, *names, scale: float = 4.0):
    """The model with Dirichlet parameters (counts proportional to its arrays, plus a little)."""
    for name, arrays in (("pA", model.A), ("pB", model.B), ("pD", model.D)):
        if name in names:
            setattr(model, name, [p + 0.05 for p in dirichlet_from(arrays, scale)])
    return model


def settings(quick: bool) -> list[dict]:
    """Each setting on the T-maze and the 10 x 10 grid: models, agent options, learning."""
    grid, _ = build_model("grid:10")
    out = []
    for world, model, policy_len in (("T-maze", tmaze_model(), 1), ("grid 10x10", grid, 3)):
        grid_ = world != "T-maze"
        out += [
            dict(name=f"{world}: param info gain", model=_learnable(model.copy(), "pA", "pB"),
                 opts={"use_param_info_gain": True, "policy_len": policy_len},
                 bar=NOVELTY_GRID_BAR if grid_ else SETTING_BAR),
            dict(name=f"{world}: interacting factors",
                 model=key_grid_model(10) if grid_ else tmaze_model(interacting=True),
                 opts={"policy_len": policy_len}),
            dict(name=f"{world}: learn pA pB pD (subsets)", model=_learnable(model.copy(), "pA", "pB", "pD"),
                 opts={"policy_len": policy_len, "modalities_to_learn": [0, 1], "factors_to_learn": [0]},
                 learn="ABD"),
            dict(name=f"{world}: MMP, horizon 3", model=model,
                 opts={"inference_algo": "MMP", "inference_horizon": 3, "policy_len": 2 if grid_ else 1}),
            dict(name=f"{world}: sampling_mode full", model=model,
                 opts={"sampling_mode": "full", "policy_len": policy_len}),
            dict(name=f"{world}: built from object arrays", model=model, opts={"policy_len": policy_len},
                 arrays=True),
        ]
    for case in out:
        case.setdefault("bar", SETTING_BAR)
        case.setdefault("learn", "")
        grid_ = case["name"].startswith("grid")
        # pymdp.legacy takes 0.3-2 s per grid step: a few episodes of a few steps.
        case["episodes"], case["steps"] = ((2, 3) if quick else (2, 4)) if grid_ else ((4, 3) if quick else (12, 3))
    return out


def _observations(case) -> list[list[list[int]]]:
    """Closed-loop episodes of our agent with the setting: the inputs both agents get."""
    from aiops.inference import ModelEnv

    model = case["model"]
    env = ModelEnv(model, seed=0, initial_state=[0] * model.num_factors)
    agent = _ours(case)
    episodes = []
    for _ in range(case["episodes"]):
        agent.reset()
        obs, seq = env.reset(), []
        for _ in range(case["steps"]):
            seq.append(list(obs))
            obs, _ = env.step(agent.infer(obs).action)
        episodes.append(seq)
    return episodes


def _ours(case) -> Agent:
    opts = dict(case["opts"], **{f"learn_{x}": True for x in case["learn"]})
    if case.get("arrays"):
        m = case["model"]
        return Agent(A=_obj(m.A), B=_obj(m.B), C=_obj(m.C), D=_obj(m.D), **opts)
    return Agent(case["model"], **opts)


def agent_timer(agent: Agent):
    """A timer of our agent's full steps over one episode (reset first)."""

    def run(episode):
        agent.reset()
        out = []
        for obs in episode:
            t0 = time.perf_counter()
            agent.infer(obs)
            out.append(time.perf_counter() - t0)
        return out

    return run


def pymdp_runner(case):
    """A timer of pymdp.legacy's full steps over one episode (learning its way: explicit updates)."""
    from pymdp.legacy.agent import Agent as PymdpAgent
    from pymdp.legacy.algos import mmp

    m = case["model"]
    arrays = {k: _obj(getattr(m, k)) for k in ("A", "B", "C", "D", "pA", "pB", "pD") if getattr(m, k) is not None}
    if any(fs != list(range(m.num_factors)) for fs in m.A_factor_list):
        arrays["A_factor_list"] = m.A_factor_list
    if m.interacting:
        arrays["B_factor_list"] = m.B_factor_list
    agent = PymdpAgent(**arrays, **case["opts"])
    learn = case["learn"]

    def run(episode):
        agent.reset()
        agent.action, agent.prev_actions, agent.prev_obs = None, None, []  # reset() keeps them
        mmp.print = lambda *args, **kwargs: None  # its MMP prints inside the loop
        out = []
        try:
            for step, obs in enumerate(episode):
                t0 = time.perf_counter()
                qs_prev = agent.qs
                qs = agent.infer_states(obs)
                if "A" in learn:
                    agent.update_A(obs)
                if "B" in learn and agent.action is not None:
                    agent.update_B(qs_prev)
                if "D" in learn and step == 0:
                    agent.update_D(qs)
                agent.infer_policies()
                agent.sample_action()
                out.append(time.perf_counter() - t0)
        finally:
            del mmp.print
        return out

    return run


def setting_rows(quick: bool) -> list[tuple]:
    """(name, ours, legacy, bar) for every setting."""
    rows = []
    for case in settings(quick):
        ours, legacy = interleaved(agent_timer(_ours(case)), pymdp_runner(case), _observations(case),
                                   passes=3 if quick else 6)
        rows.append((case["name"], ours, legacy, case["bar"]))
    return rows


def main() -> int:
    quick = ARGS.quick
    seq = tmaze_observations(40 if quick else 150)
    grid_model_, agent, step_times, beliefs = grid_run(200 if quick else 1000)
    pick = np.linspace(0, len(beliefs) - 1, 8 if quick else 20).astype(int)
    posteriors = [beliefs[i] for i in pick]

    rows = []
    episodes = [seq[i:i + 3] for i in range(0, len(seq), 3)]
    ours_t, legacy_t = interleaved(*tmaze_runners(), episodes)
    rows.append(("T-maze full step", ours_t, legacy_t, "tmaze_step"))

    from pymdp.legacy.agent import Agent as PymdpAgent

    ref = PymdpAgent(A=_obj(grid_model_.A), B=_obj(grid_model_.B), C=_obj(grid_model_.C),
                     D=_obj(grid_model_.D), policy_len=3)
    time_policies(agent, posteriors[:2])  # warm-up
    ours_p, ours_G = time_policies(agent, posteriors)
    legacy_p, legacy_G = time_policies(agent, posteriors, ref)
    rows.append(("grid 10x10 infer_policies (125 pol.)", ours_p, legacy_p, "grid_policies"))

    v007 = None
    python_007 = os.environ.get("PYMDP007_PYTHON")
    if python_007:
        v007 = run_007(python_007, seq, grid_model_, posteriors)
    joint = Agent(grid_model_, policy_len=3, info_gain="joint")
    joint.qs = [posteriors[0]]
    joint_G = joint.infer_policies()[1]

    print(f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}; "
          f"{'quick run' if quick else 'full run'}; medians over the same inputs")
    head = f"{'case':<38}{'ours ms':>10}{'legacy ms':>11}{'speed-up':>10}{'0.0.7.1 ms':>12}{'speed-up':>10}{'bar':>6}  verdict"
    print(head)
    failed = False
    for name, ours, legacy, key in rows:
        med_o, med_l = np.median(ours), np.median(legacy)
        ratio = med_l / med_o
        v = "-" if v007 is None else ms(np.median(v007[key]))
        r7 = "-" if v007 is None else f"{np.median(v007[key]) / med_o:.0f}x"
        ok = ratio >= BARS[key]
        failed |= not ok
        print(f"{name:<38}{ms(med_o):>10}{ms(med_l):>11}{ratio:>9.0f}x{v:>12}{r7:>10}"
              f"{BARS[key]:>5.0f}x  {'ok' if ok else 'UNDER'}")
    print(f"\nagent settings, full step (medians over the same observations; legacy = pymdp.legacy 1.0.4)")
    print(f"{'case':<44}{'ours ms':>10}{'legacy ms':>12}{'speed-up':>10}{'bar':>6}  verdict")
    for name, ours, legacy, bar in setting_rows(quick):
        med_o, med_l = np.median(ours), np.median(legacy)
        ratio = med_l / med_o
        ok = ratio >= bar
        failed |= not ok
        print(f"{name:<44}{ms(med_o):>10}{ms(med_l):>12}{ratio:>9.0f}x{bar:>5.0f}x  {'ok' if ok else 'UNDER'}")
    st = np.array(step_times)
    p95 = np.percentile(st, 95)
    ok = p95 * 1000 <= BARS["grid_step_p95_ms"]
    failed |= not ok
    print(f"\ngrid 10x10, policy length 3, full step over {len(st)} closed-loop steps (ms): "
          f"p50 {ms(np.median(st))}  p95 {ms(p95)}  p99 {ms(np.percentile(st, 99))}  max {ms(st.max())}"
          f"  bar p95 <= {BARS['grid_step_p95_ms']:.0f}  {'ok' if ok else 'OVER'}")
    print(f"agreement: max |G - G_legacy| = {np.max(np.abs(ours_G - legacy_G)):.1e} (per-modality info gain)"
          + ("" if v007 is None else
             f"; max |G_joint - G_0.0.7.1| = {np.max(np.abs(joint_G - np.array(v007['grid_G0']))):.1e}"))
    if v007 is None:
        print("pymdp 0.0.7.1 column skipped: set PYMDP007_PYTHON to a Python with inferactively-pymdp==0.0.7.1")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
