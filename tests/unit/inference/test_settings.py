"""The pymdp agent settings: interacting factors, D learning, learning subsets, MMP, full sampling, arrays."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.core.errors import UsageError
from aiops.inference import (
    Agent, ModelEnv, construct_policies, dirichlet_from, key_grid_model, load_model, random_model, save_model,
    tmaze_model,
)
from aiops.inference import learning
from aiops.inference.actions import policy_probabilities
from aiops.inference.conventions import PYMDP
from aiops.inference.frozen import ReadOnlyModelError
from aiops.inference.policies import PolicyCache
from aiops.inference.states import StateCache


def _obj(arrays):
    out = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        out[i] = np.asarray(a)
    return out


# -- interacting factors ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_interacting_empirical_prior(seed):
    model = random_model(seed, interacting=True)
    rng = np.random.default_rng(seed)
    qs = [rng.dirichlet(np.ones(n)) for n in model.num_states]
    action = [int(rng.integers(u)) for u in model.num_controls]
    cache = StateCache(model, PYMDP)
    expected = []
    for b, u, deps in zip(model.B, action, model.B_factor_list):
        joint = qs[deps[0]]
        for d in deps[1:]:
            joint = np.multiply.outer(joint, qs[d])
        expected.append(np.tensordot(b[..., u], joint, axes=len(deps)))
    got = cache.empirical_prior(np.concatenate(qs), action)
    np.testing.assert_allclose(got, np.log(np.concatenate(expected) + 1e-16), rtol=0, atol=1e-12)


def test_interacting_tmaze_is_the_tmaze():
    plain, inter = Agent(tmaze_model(), policy_len=2), Agent(tmaze_model(interacting=True), policy_len=2)
    for obs in ([0, 0, 0], [3, 0, 1], [2, 2, 0]):
        a, b = plain.infer(obs), inter.infer(obs)
        np.testing.assert_allclose(a.G, b.G, rtol=0, atol=1e-12)
        assert a.action == b.action


def test_key_grid_agent_reaches_the_goal_with_the_key():
    model = key_grid_model(3, noise=0.0)
    env = ModelEnv(model, seed=0, initial_state=[0, 0])
    agent = Agent(model, policy_len=4)
    obs = env.reset()
    visited = []
    for _ in range(12):
        obs, info = env.step(agent.infer(obs).action)
        visited.append(info["state"])
        if info["state"][0] == 8:
            break
    assert visited[-1] == [8, 1] and [2, 0] in visited  # via the key cell (top-right), holding the key
    assert agent.qs[1][1] > 0.99  # and it knows it holds it


def test_environment_follows_interacting_dynamics():
    model = key_grid_model(3, noise=0.0)
    env = ModelEnv(model, seed=0, initial_state=[0, 0])
    env.reset()
    states = [env.step([u, 0])[1]["state"] for u in (1, 1, 2, 2)]  # right, right (key), down, down
    assert states == [[1, 0], [2, 0], [5, 1], [8, 1]]


def test_B_factor_list_validation():
    model = random_model(2, interacting=True)
    model.B_factor_list = [[0], [0], [5]]
    with pytest.raises(UsageError, match=r"B_factor_list\[2\] = \[5\] must list distinct factor indices"):
        model.validate()
    model = tmaze_model(interacting=True)
    model.B_factor_list = [[0], [1]]
    with pytest.raises(UsageError, match=r"B\[1\] has shape \(2, 4, 2, 1\); expected \(2, 2, U\)"):
        model.validate()


# -- learning ---------------------------------------------------------------------------------

def test_update_pD_counts_only_states_with_prior_mass():
    pD = [np.array([1.0, 0.0, 2.0]), np.array([1.0, 1.0])]
    qs = [np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.4])]
    out = learning.update_pD(pD, qs, lr=2.0, factors=[0])
    np.testing.assert_allclose(out[0], [1.4, 0.0, 3.0])
    np.testing.assert_array_equal(out[1], pD[1])
    assert pD[0][0] == 1.0  # not in place


def test_learning_subsets_and_D_at_perception_time():
    model = random_model(4)
    model.pA = dirichlet_from(model.A, 2.0)
    model.pB = dirichlet_from(model.B, 2.0)
    model.pD = dirichlet_from(model.D, 2.0)
    agent = Agent(model, learn_A=True, learn_B=True, learn_D=True, modalities_to_learn=[1], factors_to_learn=[0])
    env = ModelEnv(model, seed=0)
    obs = env.reset()
    for _ in range(4):
        obs, _ = env.step(agent.infer(obs).action)
    changed = lambda new, old: [not np.array_equal(n, o) for n, o in zip(new, old)]  # noqa: E731
    assert changed(agent.pA, model.pA) == [m == 1 for m in range(model.num_modalities)]
    assert changed(agent.pB, model.pB) == [f == 0 for f in range(model.num_factors)]
    assert changed(agent.pD, model.pD) == [f == 0 for f in range(model.num_factors)]
    np.testing.assert_allclose(agent.D[0], agent.pD[0] / agent.pD[0].sum())
    d = agent.pD[0].copy()
    agent.reset()
    agent.infer(env.reset())
    assert not np.array_equal(agent.pD[0], d)  # once per episode: at its first perception


def test_explicit_updates_equal_perception_time_learning():
    model = random_model(6)
    model.pA = dirichlet_from(model.A, 3.0)
    model.pB = dirichlet_from(model.B, 3.0)
    model.pD = dirichlet_from(model.D, 3.0)
    auto = Agent(model, learn_A=True, learn_B=True, learn_D=True)
    manual = Agent(model)
    env = ModelEnv(model, seed=2)
    obs = env.reset()
    for step in range(5):
        a = auto.infer(obs)
        manual.infer_states(obs)
        manual.update_A(obs)
        if step:
            manual.update_B()
        else:
            manual.update_D()
        manual.infer_policies()
        manual.set_action(a.action)
        np.testing.assert_allclose(manual.G, a.G, rtol=0, atol=1e-12)
        obs, _ = env.step(a.action)
    for x, y in zip(auto.pA + auto.pB + auto.pD, manual.pA + manual.pB + manual.pD):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)


def test_learning_needs_its_parameters():
    model = tmaze_model()
    with pytest.raises(UsageError, match="learn_D needs the model's pD"):
        Agent(model, learn_D=True)
    agent = Agent(model)
    for call, message in ((lambda: agent.update_A([0, 0, 0]), "update_A needs the model's pA"),
                          (lambda: agent.update_B(), "update_B needs the model's pB"),
                          (lambda: agent.update_D(), "update_D needs the model's pD")):
        with pytest.raises(UsageError, match=message):
            call()
    with pytest.raises(UsageError, match=r"modalities_to_learn = \[3\] has indices outside 0..2"):
        Agent(model, modalities_to_learn=[3])
    with pytest.raises(UsageError, match="factors_to_learn must be 'all' or a list"):
        Agent(model, factors_to_learn="some")
    model.pD = dirichlet_from(model.D, 1.0)
    with pytest.raises(UsageError, match="update_D needs beliefs about the initial state"):
        Agent(model).update_D()
    learner = Agent(model, learn_D=True)
    with pytest.raises(UsageError, match="pD cannot be removed while learn_D is on"):
        learner.pD = None



@pytest.mark.parametrize("seed", range(6))
def test_stacked_pA_learning_is_the_reference_update_to_the_bit(seed):
    # The agent learns the chosen modalities that share factors as one stacked array; every
    # step must give exactly learning.update_pA's concentrations and their expected values,
    # also after pA is assigned (the general path once, then the stacks are read again).
    model = random_model(seed, factorised=seed % 2 == 1)
    model.pA = [p + 0.1 for p in dirichlet_from(model.A, 2.0)]
    which = [m for m in range(model.num_modalities) if m != 1]
    agent = Agent(model, learn_A=True, modalities_to_learn=which[::-1], lr_pA=0.7, seed=seed)
    env = ModelEnv(model, seed=seed)
    obs = env.reset()
    for step in range(6):
        if step == 3:
            agent.pA = [p * 1.5 for p in agent.pA]
        pA, A = list(agent.pA), list(agent.A)
        qs = agent.infer_states(obs)
        expected = learning.update_pA(pA, A, obs, qs, model.A_factor_list, 0.7, which)
        for m in range(model.num_modalities):
            assert np.array_equal(agent.pA[m], expected[m])
            every = step == 3  # A was assigned apart from pA: all of it becomes pA's expected value
            normalised = expected[m] / expected[m].sum(axis=0)
            assert np.array_equal(agent.A[m], normalised if m in which or every else A[m])
        obs, _ = env.step(agent.sample_action())
    with pytest.raises(ReadOnlyModelError):
        agent.pA[which[0]][0] = 1.0


@pytest.mark.parametrize("seed", range(6))
def test_learning_B_patches_the_caches_as_a_fresh_build_would(seed):
    # Learning pB changes B under the actions taken only, and the caches patch just those
    # transitions: they must hold, to the bit, what caches built from the learned model hold.
    model = random_model(seed, interacting=seed % 3 == 1)
    model.pB = dirichlet_from(model.B, 2.0)
    agent = Agent(model, learn_B=True, seed=seed)
    env = ModelEnv(model, seed=seed)
    obs = env.reset()
    for _ in range(5):
        agent.infer_states(obs)
        states, policies = StateCache(agent.model, PYMDP), PolicyCache(agent.model, agent.policies, PYMDP)
        for f in range(model.num_factors):
            assert np.array_equal(agent._states.B_by_action[f], states.B_by_action[f])
            assert np.array_equal(agent._policies.B_flat[f], policies.B_flat[f])
        assert states.block_B is None or np.array_equal(agent._states.block_B, states.block_B)
        agent.infer_policies()
        obs, _ = env.step(agent.sample_action())
    assert not all(np.array_equal(a, b) for a, b in zip(agent.pB, model.pB))

# -- marginal message passing -----------------------------------------------------------------

def test_mmp_window_beliefs_and_history():
    model = tmaze_model()
    agent = Agent(model, inference_algo="MMP", inference_horizon=2, policy_len=1)
    assert agent.inference_params == {"num_iter": 10, "grad_descent": True, "tau": 0.25}
    shapes = []
    for obs in ([0, 0, 0], [3, 0, 1], [2, 2, 0], [2, 2, 0]):
        res = agent.infer(obs)
        shapes.append(agent.qs_pi[0].shape)
        for q in agent.qs_pi:
            np.testing.assert_allclose(q.sum(axis=2), 1.0)
        assert np.isfinite(res.free_energy) and agent.F.shape == (agent.num_policies,)
    assert shapes == [(4, 2, 4), (4, 3, 4), (4, 3, 4), (4, 3, 4)]  # past window (<= 2) + 1 future step
    assert agent.qs[1][1] > 0.95  # the cue said "right"
    agent.reset()
    agent.infer([0, 0, 0])
    assert agent.qs_pi[0].shape == (4, 2, 4)


def test_mmp_agent_learns_from_its_averaged_beliefs():
    model = tmaze_model()
    model.pA = dirichlet_from(model.A, 2.0)
    model.pB = dirichlet_from(model.B, 2.0)
    model.pD = dirichlet_from(model.D, 2.0)
    agent = Agent(model, inference_algo="MMP", inference_horizon=2, learn_A=True, learn_B=True, learn_D=True)
    for obs in ([0, 0, 0], [3, 0, 1], [2, 2, 0]):
        agent.infer(obs)
    for new, old in zip(agent.pA + agent.pB + agent.pD, model.pA + model.pB + model.pD):
        assert np.all(new >= old) and new.sum() > old.sum()
    np.testing.assert_allclose(agent.A[1], agent.pA[1] / agent.pA[1].sum(axis=0))


def test_mmp_settings_take_effect_and_bad_ones_are_refused():
    model = tmaze_model()
    a = Agent(model, inference_algo="MMP", inference_horizon=2)
    b = Agent(model, inference_algo="MMP", inference_horizon=2, inference_params={"num_iter": 3, "tau": 0.5})
    c = Agent(model, inference_algo="MMP", inference_horizon=2)
    c.inference_params = {"num_iter": 3, "tau": 0.5}  # pymdp users set it after construction
    for obs in ([0, 0, 0], [3, 0, 1]):
        a.infer(obs), b.infer(obs), c.infer(obs)
    assert not np.allclose(a.qs_pi[1], b.qs_pi[1]) and not np.allclose(a.F, b.F)
    assert np.array_equal(b.qs_pi[1], c.qs_pi[1]) and np.array_equal(b.F, c.F)
    with pytest.raises(UsageError, match="inference_params for MMP take grad_descent, num_iter, tau; got dF_tol"):
        a.inference_params = {"dF_tol": 0.1}
    with pytest.raises(UsageError, match="only pymdp's defaults grad_descent=True"):
        a.inference_params = {"grad_descent": False}
    vanilla = Agent(random_model(5, num_factors=3))
    vanilla.inference_params = {"num_iter": 40, "dF_tol": 0.5, "compute_vfe": False}  # every iteration
    assert vanilla.infer_states([0] * vanilla.model.num_modalities) and vanilla.iterations == 40
    assert vanilla.inference_params == {"num_iter": 40, "dF": 1.0, "dF_tol": 0.5, "compute_vfe": False}
    with pytest.raises(UsageError, match="inference_algo must be 'VANILLA' or 'MMP'"):
        Agent(model, inference_algo="VMP")
    with pytest.raises(UsageError, match="inference_horizon must be an integer >= 1"):
        Agent(model, inference_algo="MMP", inference_horizon=0)
    model.pB = dirichlet_from(model.B, 2.0)
    with pytest.raises(UsageError, match="use_param_info_gain with pB is not available with inference_algo='MMP'"):
        Agent(model, inference_algo="MMP", use_param_info_gain=True)
    with pytest.raises(UsageError, match="infer_policies needs beliefs"):
        Agent(model, inference_algo="MMP").infer_policies()


# -- full sampling --------------------------------------------------------------------------------

def test_full_sampling_takes_the_best_policy_first_step():
    model = random_model(7)
    agent = Agent(model, policy_len=2, sampling_mode="full")
    res = agent.infer([0] * model.num_modalities)
    assert res.action == agent.policies[int(np.argmax(res.q_pi)), 0].tolist()


def test_stochastic_full_sampling_follows_the_policy_posterior():
    model = tmaze_model()
    agent = Agent(model, policy_len=2, sampling_mode="full", action_selection="stochastic", alpha=1.0)
    agent.infer([0, 0, 0])
    p = policy_probabilities(agent._policies, agent.q_pi, 1.0)
    expected = np.zeros(4)
    for prob, pol in zip(p, agent.policies):
        expected[pol[0, 0]] += prob
    counts = np.zeros(4)
    for _ in range(4000):
        counts[agent.sample_action()[0]] += 1
    np.testing.assert_allclose(counts / counts.sum(), expected, atol=0.03)


# -- construction from arrays ---------------------------------------------------------------------

def test_agent_from_pymdp_object_arrays():
    model = random_model(5, factorised=True)
    ours = Agent(model, policy_len=2)
    arrays = Agent(A=_obj(model.A), B=_obj(model.B), C=_obj(model.C), D=_obj(model.D),
                   A_factor_list=model.A_factor_list, policy_len=2)
    for obs in ([0] * model.num_modalities, [1] * model.num_modalities):
        np.testing.assert_allclose(arrays.infer(obs).G, ours.infer(obs).G, rtol=0, atol=1e-14)
    single = Agent(A=np.eye(3), B=np.eye(3)[:, :, None])  # one modality, one factor: plain arrays
    assert single.model.num_states == [3] and single.model.num_obs == [3]


def test_agent_construction_errors():
    model = tmaze_model()
    with pytest.raises(UsageError, match=r"pass pymdp-style arrays by keyword: Agent\(A=A, B=B"):
        Agent(_obj(model.A), _obj(model.B))
    with pytest.raises(UsageError, match=r"needs a GenerativeModel, or arrays by keyword"):
        Agent(A=_obj(model.A))
    with pytest.raises(UsageError, match="pass either a model or arrays"):
        Agent(model, C=_obj(model.C))
    with pytest.raises(UsageError, match=r"A\[1\] columns do not sum to 1"):
        Agent(A=[model.A[0], model.A[1] * 2, model.A[2]], B=model.B)


def test_model_files_keep_factor_lists_and_pD(tmp_path):
    model = key_grid_model(3)
    model.pD = dirichlet_from(model.D, 5.0)
    loaded = load_model(save_model(model, tmp_path / "key.npz")).validate()
    assert loaded.B_factor_list == [[0], [0, 1]] and loaded.A_factor_list == [[0], [0, 1], [1]]
    for x, y in zip(model.B + model.pD, loaded.B + loaded.pD):
        np.testing.assert_array_equal(x, y)
    policies = construct_policies(loaded.num_controls, 1)
    assert Agent(loaded).num_policies == len(policies)
