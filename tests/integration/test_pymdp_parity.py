"""The core against the reference implementation, pymdp.legacy (inferactively-pymdp 1.0.4).

Golden fixtures (made by scripts/make_pymdp_fixtures.py) run everywhere; the live
comparisons need pymdp and fail under CI=true when it is missing. Posteriors, free
energy, G and q_pi must agree to 1e-9 under pymdp's conventions (the core's defaults).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from aiops.inference import GenerativeModel, ModelEnv, TMazeEnv, grid_model, random_model, tmaze_model
from aiops.inference import learning
from aiops.inference.envs import GridWorldEnv
from tests.conftest import require
from tests.integration.pymdp_reference import max_errors, pymdp_trace, replay, unpack

TOL = 1e-9
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "pymdp" / "legacy.npz"
GOLDEN = unpack(FIXTURE)


def _model(entry: dict) -> GenerativeModel:
    arrays = {k: [entry[f"{k}{i}"] for i in range(len([n for n in entry if n[:-1] == k and n[-1].isdigit()]))]
              for k in "ABCD"}
    return GenerativeModel(**arrays, A_factor_list=entry["A_factor_list"])


def _trace(entry: dict) -> dict:
    return {k: np.asarray(entry[k]) for k in ("obs", "action", "qs", "F", "G", "q_pi")}


def _assert_match(ours: dict, ref: dict) -> None:
    errors = max_errors(ours, ref)
    assert max(errors.values()) <= TOL, errors


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_fixture(name):
    entry = GOLDEN[name]
    _assert_match(replay(_model(entry), _trace(entry), **entry["options"]), _trace(entry))


def test_golden_fixture_coverage():
    randoms = [e for n, e in GOLDEN.items() if n.startswith("random")]
    assert len(randoms) >= 30
    for entry in randoms:
        model = _model(entry)
        assert model.num_factors >= 2 and model.num_modalities >= 2
    assert any(e["options"].get("info_gain") == "joint" for e in GOLDEN.values())
    assert "tmaze" in GOLDEN and len(GOLDEN["tmaze"]["obs"]) >= 3


def test_golden_fixture_detects_a_slightly_wrong_model():
    entry = GOLDEN["random3"]
    model = _model(entry)
    model.C[0] = model.C[0] * (1 + 1e-6)
    errors = max_errors(replay(model, _trace(entry), **entry["options"]), _trace(entry))
    assert errors["G"] > TOL


# -- live comparisons with pymdp ---------------------------------------------------------

@pytest.fixture(scope="module")
def pymdp():
    return require("pymdp.legacy")


def _policy_len(model: GenerativeModel) -> int:
    """Longer horizons where pymdp's per-policy loops stay fast."""
    return 2 if np.prod(model.num_controls) <= 6 and model.num_factors == 2 else 1


@pytest.mark.parametrize("seed", range(32))
def test_random_models_match_pymdp(pymdp, seed):
    model = random_model(seed)
    assert model.num_factors >= 2 and model.num_modalities >= 2
    policy_len = _policy_len(model)
    trace = pymdp_trace(model, ModelEnv(model, seed=seed), 3, policy_len)
    _assert_match(replay(model, trace, policy_len), trace)


@pytest.mark.parametrize("seed", range(100, 110))
def test_factorised_models_match_pymdp(pymdp, seed):
    model = random_model(seed, factorised=True)
    trace = pymdp_trace(model, ModelEnv(model, seed=seed), 3)
    _assert_match(replay(model, trace), trace)


@pytest.mark.parametrize("policy_len", [1, 2, 3])
def test_tmaze_matches_pymdp(pymdp, policy_len):
    model = tmaze_model()
    trace = pymdp_trace(model, TMazeEnv(model, seed=policy_len), 5, policy_len)
    _assert_match(replay(model, trace, policy_len), trace)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_joint_info_gain_matches_pymdp_spm(pymdp, seed):
    model = tmaze_model() if seed == 0 else random_model(seed)
    env = TMazeEnv(model, seed=0) if seed == 0 else ModelEnv(model, seed=seed)
    trace = pymdp_trace(model, env, 3, info_gain="joint")
    _assert_match(replay(model, trace, info_gain="joint"), trace)
    per_modality = replay(model, trace)
    assert np.max(np.abs(per_modality["G"] - trace["G"])) > TOL  # the variants differ


def test_grid_world_matches_pymdp(pymdp):
    model = grid_model(8)  # 64 states: the sparse information-gain path
    trace = pymdp_trace(model, GridWorldEnv(model, seed=0), 4, policy_len=2)
    _assert_match(replay(model, trace, 2), trace)


@pytest.mark.parametrize("num_iter,dF_tol", [(2, 1e-12), (30, 1e-12)])
def test_inference_params_match_pymdp(pymdp, num_iter, dF_tol):
    model = random_model(5, num_factors=3)
    trace = pymdp_trace(model, ModelEnv(model, seed=5), 3, num_iter=num_iter, dF_tol=dF_tol)
    _assert_match(replay(model, trace, num_iter=num_iter, dF_tol=dF_tol), trace)
    default = replay(model, trace)
    assert np.max(np.abs(default["qs"] - trace["qs"])) > TOL  # the setting took effect


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_dirichlet_updates_match_pymdp(pymdp, seed):
    from pymdp.legacy import learning as plearn
    from tests.integration.pymdp_reference import _obj

    model = random_model(seed, factorised=seed % 2 == 1)
    rng = np.random.default_rng(seed)
    pA = [a * 2.0 for a in model.A]
    pB = [b * 3.0 for b in model.B]
    qs = [rng.dirichlet(np.ones(s)) for s in model.num_states]
    qs_prev = [rng.dirichlet(np.ones(s)) for s in model.num_states]
    obs = [int(rng.integers(o)) for o in model.num_obs]
    action = [int(rng.integers(u)) for u in model.num_controls]
    ref_a = plearn.update_obs_likelihood_dirichlet_factorized(
        _obj(pA), _obj(model.A), obs, _obj(qs), model.A_factor_list, lr=0.7)
    ours_a = learning.update_pA(pA, model.A, obs, qs, model.A_factor_list, lr=0.7)
    ref_b = plearn.update_state_likelihood_dirichlet_interactions(
        _obj(pB), _obj(model.B), np.array(action), _obj(qs), _obj(qs_prev),
        [[f] for f in range(model.num_factors)], lr=0.7)
    ours_b = learning.update_pB(pB, model.B, action, qs, qs_prev, lr=0.7)
    for ours, ref in zip(ours_a + ours_b, list(ref_a) + list(ref_b)):
        np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL)


def test_learning_agent_matches_pymdp(pymdp):
    from pymdp.legacy.agent import Agent as PymdpAgent
    from aiops.inference import Agent
    from tests.integration.pymdp_reference import _obj

    model = tmaze_model()
    model.pA = [a * 4.0 + 0.1 for a in model.A]
    model.pB = [b * 4.0 + 0.1 for b in model.B]
    ref = PymdpAgent(A=_obj(model.A), B=_obj(model.B), C=_obj(model.C), D=_obj(model.D),
                     pA=_obj(model.pA), pB=_obj(model.pB))
    ours = Agent(model, learn_A=True, learn_B=True)
    env = TMazeEnv(model, seed=3)
    obs = env.reset()
    for _ in range(6):
        qs_prev = ref.qs
        ref.infer_states(obs)
        ref.update_A(obs)
        if ref.action is not None:
            ref.update_B(qs_prev)
        q_pi, G = ref.infer_policies()
        action = ref.sample_action()
        ours.infer_states(obs)
        ours_q_pi, ours_G = ours.infer_policies()
        ours.set_action(action)
        np.testing.assert_allclose(np.concatenate(ours.qs), np.concatenate(list(ref.qs)), atol=TOL, rtol=0)
        np.testing.assert_allclose(ours_G, G, atol=TOL, rtol=0)
        np.testing.assert_allclose(ours_q_pi, q_pi, atol=TOL, rtol=0)
        obs, _ = env.step([int(a) for a in action])
    for ours_a, ref_a in zip(ours.model.pA + ours.model.pB, list(ref.pA) + list(ref.pB)):
        np.testing.assert_allclose(ours_a, ref_a, atol=TOL, rtol=0)


def test_fixture_is_what_the_script_makes(pymdp):
    spec = importlib.util.spec_from_file_location("make_pymdp_fixtures", ROOT / "scripts" / "make_pymdp_fixtures.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    fresh = script.build()
    assert sorted(fresh) == sorted(GOLDEN)
    for name, entry in fresh.items():
        for key, value in entry.items():
            if not isinstance(value, np.ndarray):
                assert value == GOLDEN[name][key], f"{name}/{key}"
                continue
            np.testing.assert_allclose(np.asarray(value, dtype=float), np.asarray(GOLDEN[name][key], dtype=float),
                                       rtol=0, atol=1e-12, err_msg=f"{name}/{key}")
