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

from aiops.inference import (
    GenerativeModel, ModelEnv, TMazeEnv, construct_policies, grid_model, random_model, tmaze_model,
)
from aiops.inference import learning
from aiops.inference.envs import GridWorldEnv
from tests.conftest import require
from tests.integration.pymdp_reference import (
    aiops_session, max_errors, pymdp_session, pymdp_trace, replay, session_errors, unpack,
)

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


# -- every pymdp agent setting, over whole sessions, on 30 seeded random models each -----------------

SEEDS = range(30)


def _policies(model: GenerativeModel, rng, limit: int = 16, longest: int = 2) -> dict:
    """Policy length (2 when affordable) and, past ``limit`` policies, a random subset (pymdp is slow)."""
    policy_len = longest if np.prod(model.num_controls) ** longest <= 64 else 1
    policies = construct_policies(model.num_controls, policy_len)
    if len(policies) > limit:
        policies = policies[np.sort(rng.choice(len(policies), size=limit, replace=False))]
    return {"policy_len": policy_len, "policies": policies}


def _with_dirichlet(model: GenerativeModel, rng, *names: str) -> GenerativeModel:
    for name, arrays in (("pA", model.A), ("pB", model.B), ("pD", model.D)):
        if name in names:
            setattr(model, name, [a * rng.uniform(0.5, 6.0) + rng.uniform(0.02, 0.5) for a in arrays])
    return model


def setting_case(setting: str, seed: int) -> tuple[GenerativeModel, dict, dict]:
    """(model, session options, agent options) of one seeded parity case."""
    rng = np.random.default_rng(1000 + seed)
    session = {"steps": 4, "episodes": 1, "learn": "", "mode": "explicit" if seed % 2 else "perception"}
    if setting == "param_info_gain":
        joint = seed % 7 == 3
        model = random_model(seed, factorised=seed % 3 == 1 and not joint, interacting=seed % 5 == 2 and not joint)
        _with_dirichlet(model, rng, "pA", "pB")
        session["learn"] = "AB" if seed % 3 else ""
        session["info_gain"] = "joint" if joint else "per_modality"
        return model, session, {"use_param_info_gain": True, **_policies(model, rng)}
    if setting == "interacting":
        model = random_model(seed, interacting=True, factorised=seed % 2 == 1)
        if seed % 4 == 0:
            _with_dirichlet(model, rng, "pB")
            session["learn"] = "B"
        return model, session, _policies(model, rng)
    if setting == "learning":
        model = _with_dirichlet(random_model(seed, factorised=seed % 3 == 2, interacting=seed % 4 == 1),
                                rng, "pA", "pB", "pD")
        opts = {"lr_pA": float(rng.uniform(0.3, 2.0)), "lr_pB": float(rng.uniform(0.3, 2.0)),
                "lr_pD": float(rng.uniform(0.3, 2.0))}
        if seed % 3:
            opts["modalities_to_learn"] = sorted(int(m) for m in rng.choice(
                model.num_modalities, size=int(rng.integers(1, model.num_modalities + 1)), replace=False))
            opts["factors_to_learn"] = sorted(int(f) for f in rng.choice(
                model.num_factors, size=int(rng.integers(1, model.num_factors + 1)), replace=False))
        session.update(steps=3, episodes=2, learn="ABD")
        return model, session, opts
    if setting == "mmp":
        model = random_model(seed, factorised=seed % 2 == 1, interacting=seed % 3 == 0)
        horizon = 2 + seed % 3
        opts = {"inference_algo": "MMP", "inference_horizon": horizon,
                **_policies(model, rng, limit=6, longest=2 if seed % 5 == 0 else 1)}
        if seed % 4 == 1:
            _with_dirichlet(model, rng, "pA")
            opts["use_param_info_gain"] = True
        if seed % 6 == 5:
            opts["inference_params"] = {"num_iter": int(rng.integers(2, 16)), "tau": float(rng.uniform(0.1, 0.6))}
        session["steps"] = horizon + 1  # the window fills, then slides
        return model, session, opts
    if setting == "full_sampling":
        model = random_model(seed, factorised=seed % 3 == 1)
        opts = {"sampling_mode": "full", **_policies(model, rng),
                "action_selection": "stochastic" if seed % 2 else "deterministic",
                "alpha": float(rng.uniform(1.0, 16.0))}
        if seed % 5 == 0:
            opts.update(inference_algo="MMP", inference_horizon=2, **_policies(model, rng, limit=6, longest=1))
        return model, session, opts
    if setting == "from_arrays":
        model = random_model(seed, factorised=seed % 2 == 1, interacting=seed % 3 == 0)
        if seed % 4 == 2:
            _with_dirichlet(model, rng, "pA", "pB")
            session["learn"] = "AB"
        session["from_arrays"] = True
        return model, session, _policies(model, rng)
    raise ValueError(setting)


SETTINGS = ("param_info_gain", "interacting", "learning", "mmp", "full_sampling", "from_arrays")


def run_setting(setting: str, seed: int) -> tuple[dict, dict, dict]:
    """pymdp's session and ours on one case; (errors, our records, pymdp's records)."""
    model, session, opts = setting_case(setting, seed)
    session = dict(session)
    mode, from_arrays = session.pop("mode"), session.pop("from_arrays", False)
    info_gain = session.pop("info_gain", "per_modality")
    ref = pymdp_session(model, ModelEnv(model, seed=seed), seed=seed, info_gain=info_gain, **session, **opts)
    ours = aiops_session(model, ref, mode=mode, from_arrays=from_arrays, info_gain=info_gain, **session, **opts)
    return session_errors(ours, ref), ours, ref


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("setting", SETTINGS)
def test_agent_settings_match_pymdp(pymdp, setting, seed):
    model, session, opts = setting_case(setting, seed)
    errors, ours, ref = run_setting(setting, seed)
    assert max(v for k, v in errors.items() if k != "action") <= TOL, errors
    assert errors["action"] == 0, errors  # the same choices wherever the choice was not a tie
    agent = ours["agent"]
    # ... and each setting took effect:
    if setting == "param_info_gain":
        assert agent.use_param_info_gain and agent.pA is not None
    elif setting in ("interacting",):
        assert agent.model.interacting and any(b.ndim > 3 for b in agent.B)
    elif setting == "learning":
        for name, which in (("pA", opts.get("modalities_to_learn", "all")), ("pB", opts.get("factors_to_learn", "all")),
                            ("pD", opts.get("factors_to_learn", "all"))):
            for i, (new, old) in enumerate(zip(getattr(agent, name), getattr(model, name))):
                assert (not np.array_equal(new, old)) == (which == "all" or i in which), (name, i)
    elif setting == "mmp":
        horizon, policy_len = opts["inference_horizon"], opts["policy_len"]
        assert agent.qs_pi[0].shape[1] == horizon + policy_len  # the window filled and slid
    elif setting == "full_sampling":
        if opts["action_selection"] == "deterministic":
            assert all(c is not None and tuple(c[0]) in c[1] for c in ours["chosen"])
        else:
            assert len(ref["p"]) == session["steps"]
    elif setting == "from_arrays":
        assert agent.model.name == "arrays"


def test_mmp_with_horizon_1_matches_pymdp_on_its_first_step(pymdp):
    # pymdp.legacy keeps every past action in the window when inference_horizon == 1
    # (prev_actions[-0:]), misaligning later steps; ours keeps none. The first step agrees.
    for seed in range(5):
        model = random_model(seed)
        ref = pymdp_session(model, ModelEnv(model, seed=seed), 1, seed=seed, inference_algo="MMP", inference_horizon=1)
        ours = aiops_session(model, ref, 1, inference_algo="MMP", inference_horizon=1)
        errors = session_errors(ours, ref)
        assert max(v for k, v in errors.items() if k != "action") <= TOL, errors


@pytest.mark.parametrize("seed", range(5))
def test_inference_params_without_vfe_match_pymdp(pymdp, seed):
    # compute_vfe=False: every one of num_iter iterations, whatever dF_tol says.
    model = random_model(seed, num_factors=3)
    params = {"num_iter": 25, "dF_tol": 0.5, "compute_vfe": False}
    ref = pymdp_session(model, ModelEnv(model, seed=seed), 3, seed=seed, inference_params=params)
    ours = aiops_session(model, ref, 3, inference_params=params)
    errors = session_errors(ours, ref)
    assert max(v for k, v in errors.items() if k != "action") <= TOL, errors
    assert ours["agent"].iterations == 25
