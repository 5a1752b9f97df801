"""Regenerate tests/fixtures/pymdp/legacy.npz from pymdp.legacy (inferactively-pymdp 1.0.4).

    .venv/bin/pip install --no-deps inferactively-pymdp==1.0.4
    .venv/bin/pip install scipy matplotlib seaborn opt_einsum
    .venv/bin/python scripts/make_pymdp_fixtures.py

Each case stores the model's arrays, the options and pymdp's per-step records
(observation, action, posterior, free energy, G, q_pi), so the parity tests can
check the core against pymdp where pymdp is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiops.inference import ModelEnv, TMazeEnv, grid_model, random_model, tmaze_model  # noqa: E402
from aiops.inference.envs import GridWorldEnv  # noqa: E402
from tests.integration.pymdp_reference import pack, pymdp_trace  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "pymdp" / "legacy.npz"
STEPS = 3


def cases():
    """(name, model, env, options) for every fixture case."""
    yield "tmaze", tmaze_model(), TMazeEnv(tmaze_model(), seed=1), {"policy_len": 2}
    yield "tmaze-joint", tmaze_model(), TMazeEnv(tmaze_model(), seed=2), {"info_gain": "joint"}
    grid = grid_model(3)
    yield "grid3", grid, GridWorldEnv(grid, seed=0), {"policy_len": 2}
    for seed in range(30):
        factorised = seed % 5 == 4
        model = random_model(seed, num_factors=2, num_modalities=2, max_states=3, max_obs=3,
                             factorised=factorised)
        opts = {"policy_len": 1 + (seed % 3 == 0)}
        if seed % 7 == 1 and not factorised:
            opts = {"info_gain": "joint"}
        if seed % 7 == 2:
            opts = {"num_iter": 3, "dF_tol": 1e-9}
        yield f"random{seed}", model, ModelEnv(model, seed=seed), opts


def build() -> dict[str, dict]:
    """Every case: the model's arrays, the options and pymdp's records."""
    out = {}
    for name, model, env, opts in cases():
        entry = {"options": opts, "A_factor_list": model.A_factor_list}
        for key in ("A", "B", "C", "D"):
            for i, a in enumerate(getattr(model, key)):
                entry[f"{key}{i}"] = a
        entry.update(pymdp_trace(model, env, STEPS, **opts))
        out[name] = entry
    return out


def main() -> None:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **pack(data))
    print(f"wrote {OUT.relative_to(ROOT)}: {len(data)} cases, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
