"""Editing an agent's model after construction either takes effect or fails loudly."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from aiops.core.errors import UsageError
from aiops.inference import Agent, ModelEnv, ReadOnlyModelError, dirichlet_from, random_model, tmaze_model

OBS = [[0, 0, 0], [3, 0, 1], [2, 2, 0]]


def _trace(agent: Agent, steps=OBS) -> list[np.ndarray]:
    """q_pi, G and the posterior of a fixed sequence of steps (fixed actions)."""
    agent.reset()
    out = []
    for obs, action in zip(steps, ([3, 0], [2, 0], [0, 0])):
        qs = agent.infer_states(obs)
        q_pi, G = agent.infer_policies()
        out += [np.concatenate(qs), q_pi.copy(), G.copy()]
        agent.set_action(action)
    return out


def _same(a, b) -> bool:
    return all(np.allclose(x, y, rtol=0, atol=1e-12) for x, y in zip(a, b))


IN_PLACE = [
    ("C[0][:] = 1", lambda a: a.model.C[0].__setitem__(slice(None), 1.0), "agent.model.C[0]", "agent.C ="),
    ("C[1][2] = 5", lambda a: a.model.C[1].__setitem__(2, 5.0), "agent.model.C[1]", "agent.C ="),
    ("C[1] += 1", lambda a: a.model.C.__getitem__(1).__iadd__(1.0), "agent.model.C[1]", "agent.C ="),
    ("np.add(..., out=C[0])", lambda a: np.add(a.model.C[0], 1.0, out=a.model.C[0]), "agent.model.C[0]", "agent.C"),
    ("C[0][1:][:] = 2", lambda a: a.model.C[0][1:].__setitem__(slice(None), 2.0), "agent.model.C[0]", "agent.C"),
    ("C[0].fill(0)", lambda a: a.model.C[0].fill(0.0), "agent.model.C[0]", "agent.C ="),
    ("C[0] = x", lambda a: a.model.C.__setitem__(0, np.zeros(4)), "agent.model.C", "agent.C ="),
    ("C.append(x)", lambda a: a.model.C.append(np.zeros(4)), "agent.model.C", "agent.C ="),
    ("A[1][0, 0, 0] = .5", lambda a: a.model.A[1].__setitem__((0, 0, 0), 0.5), "agent.model.A[1]", "agent.A ="),
    ("B[0][..., 2] = 0", lambda a: a.model.B[0].__setitem__((Ellipsis, 2), 0.0), "agent.model.B[0]", "agent.B ="),
    ("D[0][:] = .25", lambda a: a.model.D[0].__setitem__(slice(None), 0.25), "agent.model.D[0]", "agent.D ="),
    ("agent.C[0][:] = 1", lambda a: a.C[0].__setitem__(slice(None), 1.0), "agent.model.C[0]", "agent.C ="),
    ("agent.D[1] = x", lambda a: a.D.__setitem__(1, np.array([0.9, 0.1])), "agent.model.D", "agent.D ="),
    ("policies[0] = 1", lambda a: a.policies.__setitem__(0, 1), "agent.policies", "agent.policies ="),
    ("A_factor_list[0][0] = 1", lambda a: a.model.A_factor_list[0].__setitem__(0, 1),
     "agent.model.A_factor_list[0]", "replace("),
]


@pytest.mark.parametrize("name,edit,where,remedy", IN_PLACE, ids=[x[0] for x in IN_PLACE])
def test_edits_in_place_raise_naming_what_to_do(name, edit, where, remedy):
    agent = Agent(tmaze_model(), policy_len=2)
    before = _trace(agent)
    with pytest.raises(ReadOnlyModelError) as info:
        edit(agent)
    message = str(info.value)
    assert message.startswith(f"{where} is read-only") and remedy in message, message
    assert "replace(" in message and "\n" not in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, UsageError)
    assert _same(_trace(agent), before)  # nothing changed behind the agent's back


def test_numpy_level_writes_fail_too():
    agent = Agent(tmaze_model())
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(agent.model.C[1])[0] = 3.0
    with pytest.raises(ValueError):
        np.copyto(agent.model.C[1], 0.0)
    with pytest.raises(ValueError, match="WRITEABLE"):
        agent.model.C[1].flags.writeable = True


@pytest.mark.parametrize("how", ["agent.C", "agent.model.C", "agent.model"])
def test_reassigning_C_takes_effect(how):
    model = tmaze_model()
    new_C = [c * 3.0 + 0.5 for c in model.C]
    agent = Agent(model, policy_len=2)
    before = _trace(agent)
    if how == "agent.C":
        agent.C = new_C
    elif how == "agent.model.C":
        agent.model.C = new_C
    else:
        agent.model = agent.model.replace(C=new_C)
    expected = _trace(Agent(model.replace(C=new_C), policy_len=2))
    assert _same(_trace(agent), expected) and not _same(expected, before)
    np.testing.assert_array_equal(agent.C[1], new_C[1])


def test_pymdp_style_object_arrays_can_be_assigned():
    model = tmaze_model()
    agent = Agent(model)
    C = np.empty(3, dtype=object)
    for m, c in enumerate(model.C):
        C[m] = c * 2.0
    agent.C = C
    expected = _trace(Agent(model.replace(C=[c * 2.0 for c in model.C])))
    assert _same(_trace(agent), expected)


@pytest.mark.parametrize("field", ["A", "B", "D", "E"])
def test_reassigning_A_B_D_E_takes_effect(field):
    model = tmaze_model()
    rng = np.random.default_rng(1)
    if field == "A":
        new = [a.copy() for a in model.A]
        new[2] = np.full_like(new[2], 0.5)
        new[2][:, 3, :] = [[0.8, 0.2], [0.2, 0.8]]  # a weaker cue
    elif field == "B":
        new = [b.copy() for b in model.B]
        new[0] = 0.9 * new[0] + 0.1 / 4  # slippery moves
    elif field == "D":
        new = [model.D[0], np.array([0.8, 0.2])]
    else:
        new = rng.dirichlet(np.ones(16))
    agent = Agent(model, policy_len=2)
    before = _trace(agent)
    setattr(agent, field, new)
    expected = _trace(Agent(model.replace(**{field: new}), policy_len=2))
    assert _same(_trace(agent), expected) and not _same(expected, before)


def test_reassigning_dirichlet_parameters_takes_effect():
    model = tmaze_model()
    model.pA = dirichlet_from(model.A, 4.0)
    agent = Agent(model, use_param_info_gain=True)
    G0 = agent.infer(OBS[0]).G
    agent.pA = dirichlet_from(model.A, 40.0)  # more confident: less novelty
    agent.reset()
    G1 = agent.infer(OBS[0]).G
    fresh = Agent(model.replace(pA=dirichlet_from(model.A, 40.0)), use_param_info_gain=True)
    np.testing.assert_allclose(G1, fresh.infer(OBS[0]).G, rtol=0, atol=1e-12)
    assert np.max(np.abs(G1 - G0)) > 1e-3


def test_bad_assignments_are_refused_and_change_nothing():
    model = tmaze_model()
    agent = Agent(model, policy_len=2)
    before = _trace(agent)
    with pytest.raises(UsageError, match=r"C\[0\] has shape \(3,\); expected \(4,\)"):
        agent.C = [np.zeros(3), model.C[1], model.C[2]]
    with pytest.raises(UsageError, match=r"D\[1\] does not sum to 1"):
        agent.model.D = [model.D[0], np.array([0.5, 0.6])]
    with pytest.raises(UsageError, match="E has 3 entries; expected one per policy"):
        agent.E = np.ones(3) / 3
    with pytest.raises(UsageError, match="dimensions"):
        agent.model = agent.model.replace(A=[a[:, :, :1] for a in model.A], B=[model.B[0], np.ones((1, 1, 1))],
                                          D=[model.D[0], np.ones(1)])
    with pytest.raises(UsageError, match="E has 3 entries"):
        agent.model = agent.model.replace(E=np.ones(3) / 3)
    with pytest.raises(ReadOnlyModelError, match="agent.model.A_factor_list cannot change"):
        agent.model.A_factor_list = [[0], [0, 1], [1]]
    with pytest.raises(ReadOnlyModelError, match=r"agent.conventions is fixed .* build a new Agent"):
        agent.conventions = agent.conventions
    assert _same(_trace(agent), before)


def test_caller_model_stays_editable_and_copies_are_plain():
    model = tmaze_model()
    agent = Agent(model)
    model.C[1][1] = 10.0  # the caller's model is the caller's: editable, and not the agent's
    assert agent.C[1][1] == 3.0
    c = agent.model.C[1].copy()
    c[0] = 1.0
    doubled = agent.model.C[1] * 2
    doubled[0] = 1.0
    assert type(c) is np.ndarray and type(doubled) is np.ndarray
    for clone in (agent.model.copy(), copy.deepcopy(agent.model), pickle.loads(pickle.dumps(agent.model)),
                  agent.model.replace(name="x")):
        assert not clone.is_frozen
        clone.C[1][0] = 7.0
        clone.C = [np.zeros(4), np.zeros(3), np.zeros(2)]
    assert agent.C[1][0] == 0.0


def test_a_replaced_model_is_detached_from_the_agent():
    model = tmaze_model()
    agent = Agent(model)
    old = agent.model
    agent.model = model.replace(C=[c * 2 for c in model.C])
    old.C = [np.zeros(4), np.zeros(3), np.zeros(2)]  # edits the detached copy only
    np.testing.assert_array_equal(agent.C[1], model.C[1] * 2)


def test_learned_arrays_are_frozen_too():
    model = tmaze_model()
    model.pA = dirichlet_from(model.A, 2.0)
    agent = Agent(model, learn_A=True)
    agent.infer(OBS[0])
    with pytest.raises(ReadOnlyModelError, match=r"agent.model.pA\[0\] is read-only"):
        agent.pA[0][0, 0, 0] = 1.0
    with pytest.raises(ReadOnlyModelError, match=r"agent.model.A\[0\] is read-only"):
        agent.A[0][0, 0, 0] = 1.0


def test_policies_and_settings_take_effect_when_assigned():
    model = random_model(3)
    agent = Agent(model, policy_len=2)
    obs = [0] * model.num_modalities
    full = agent.infer(obs).G
    agent.reset()
    agent.policies = agent.policies[::2]
    assert agent.num_policies == (len(full) + 1) // 2
    np.testing.assert_allclose(agent.infer(obs).G, full[::2], rtol=0, atol=1e-12)
    agent.reset()
    agent.use_utility = False
    fresh = Agent(model, policy_len=2, policies=agent.policies, use_utility=False)
    np.testing.assert_allclose(agent.infer(obs).G, fresh.infer(obs).G, rtol=0, atol=1e-12)
    with pytest.raises(UsageError, match="sampling_mode"):
        agent.sampling_mode = "joint"
    with pytest.raises(UsageError, match="num_iter"):
        agent.num_iter = 0


def test_assigned_beliefs_condition_the_next_prior():
    model = tmaze_model()
    agent = Agent(model)
    agent.infer_states(OBS[0])
    agent.set_action([0, 0])  # stay in the centre: the cue there says nothing
    agent.qs = [np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.1, 0.9])]  # as pymdp users do
    qs = agent.infer_states([0, 0, 0])
    np.testing.assert_allclose(qs[1], [0.1, 0.9], atol=1e-9)  # the assigned belief was the prior
    with pytest.raises(UsageError, match="qs must be one belief vector per factor"):
        agent.qs = [np.ones(3)]


def _rebuilt(agent: Agent) -> Agent:
    """An agent compiled from scratch from ``agent``'s current model, beliefs and last action."""
    fresh = Agent(agent.model.copy(), policies=agent.policies, use_param_info_gain=agent.use_param_info_gain,
                  inference_params=agent.inference_params)
    fresh.qs = agent.qs
    if agent.action is not None:
        fresh.set_action(agent.action)
    return fresh


def _learnable(model, scale: float):
    """``model`` with Dirichlet concentrations over A, B and D proportional to them."""
    model.pA, model.pB, model.pD = (dirichlet_from(x, scale) for x in (model.A, model.B, model.D))
    return model


@pytest.mark.parametrize("seed", range(8))
def test_learning_leaves_no_stale_cache(seed):
    # Learning refreshes only the caches that the learned arrays touch; after every step the
    # agent must perceive and plan exactly as one compiled from scratch from its learned model.
    model = _learnable(random_model(seed, factorised=seed % 3 == 1, interacting=seed % 2 == 1), 3.0)
    subsets = {} if seed % 4 < 2 else {"modalities_to_learn": [0], "factors_to_learn": [model.num_factors - 1]}
    explicit = seed % 2 == 0
    learn = {} if explicit else {"learn_A": True, "learn_B": True, "learn_D": True}
    agent = Agent(model, policy_len=2 if np.prod(model.num_controls) <= 6 else 1, use_param_info_gain=True,
                  **learn, **subsets)
    env = ModelEnv(model, seed=seed)
    obs = env.reset()
    for step in range(6):
        if step == 3:  # a new episode starts from the learned D
            agent.reset()
            obs = env.reset()
        first = agent.action is None
        fresh = _rebuilt(agent)
        qs = agent.infer_states(obs)
        np.testing.assert_allclose(np.concatenate(qs), np.concatenate(fresh.infer_states(obs)), rtol=0, atol=1e-12)
        if explicit:
            agent.update_A(obs)
            agent.update_D() if first else agent.update_B()
        _, G = agent.infer_policies()
        np.testing.assert_allclose(G, _rebuilt(agent).infer_policies()[1], rtol=0, atol=1e-12)
        obs, _ = env.step(agent.sample_action())
    assert not all(np.array_equal(a, b) for a, b in zip(agent.pA, model.pA))  # it did learn


def _stale(ours, fresh, path: str, compared: list[int]) -> list[str]:
    """Where ``ours`` (patched in place) differs from ``fresh`` (compiled from scratch), walking
    the caches attribute by attribute; ``compared`` counts the arrays checked."""
    if isinstance(ours, np.ndarray):
        compared[0] += 1
        same = ours.shape == fresh.shape and (np.array_equal(ours, fresh) if ours.dtype == bool
                                              else np.allclose(ours, fresh, rtol=0, atol=1e-12))
        return [] if same else [path]
    if isinstance(ours, (list, tuple)):
        if len(ours) != len(fresh):
            return [path]
        return [p for i, (a, b) in enumerate(zip(ours, fresh)) for p in _stale(a, b, f"{path}[{i}]", compared)]
    if isinstance(ours, dict):
        if ours.keys() != fresh.keys():
            return [path]
        return [p for k in ours for p in _stale(ours[k], fresh[k], f"{path}[{k!r}]", compared)]
    if type(ours).__module__.startswith("aiops.inference.") and hasattr(ours, "__dict__"):
        if type(ours) is not type(fresh):
            return [path]
        return [p for k, v in vars(ours).items() if k != "_model"
                for p in _stale(v, vars(fresh)[k], f"{path}.{k}", compared)]
    return [] if ours == fresh else [path]


def _options(seed: int, model) -> dict:
    mode = seed % 4
    rng = np.random.default_rng(seed)
    subset = lambda n: sorted(int(i) for i in rng.choice(n, size=max(1, n - 1), replace=False))  # noqa: E731
    opts = {"modalities_to_learn": subset(model.num_modalities), "factors_to_learn": subset(model.num_factors),
            "policy_len": 2 if np.prod(model.num_controls) <= 6 else 1}
    if mode != 2:  # mode 2 learns by explicit update_A/B/D calls, the others at perception
        opts.update(learn_A=True, learn_B=True, learn_D=True)
    if mode == 1:
        opts["use_param_info_gain"] = True
    if mode == 3:
        opts.update(inference_algo="MMP", inference_horizon=2, policy_len=1)
    if mode == 0 and len({tuple(fs) for fs in model.A_factor_list}) == 1:
        opts["info_gain"] = "joint"
    return opts


@pytest.mark.parametrize("seed", range(16))
def test_learning_a_subset_leaves_every_cache_as_a_fresh_build(seed):
    # Learning recomputes only what the learned modalities and factors touch, in place. After
    # every step each derived array must equal that of an agent compiled from scratch from the
    # learned model (a stale block of any modality would differ by far more than 1e-12).
    model = _learnable(random_model(seed, factorised=seed % 3 == 1, interacting=seed % 5 == 1), 2.0)
    opts = _options(seed, model)
    agent, env = Agent(model, seed=seed, **opts), ModelEnv(model, seed=seed)
    obs, compared = env.reset(), [0]
    for step in range(6):
        if step == 3:  # a new episode, and an edit amid learning
            agent.reset()
            obs = env.reset()
            agent.C = [c + np.linspace(0, 1, c.shape[0]) for c in agent.C]
        first = agent.action is None
        agent.infer_states(obs)
        if "learn_A" not in opts:
            agent.update_A(obs)
            agent.update_D() if first else agent.update_B()
        fresh = Agent(agent.model.copy(), seed=seed, policies=agent.policies, **opts)
        for name in ("_states", "_mmp", "_policies"):
            if name in vars(agent):
                stale = _stale(vars(agent)[name], vars(fresh)[name], f"agent.{name}", compared)
                assert not stale, f"step {step}: stale derived data at {', '.join(stale)}"
        agent.infer_policies()
        obs, _ = env.step(agent.sample_action())
    assert compared[0] > 50
    learned = [m for m in range(model.num_modalities) if not np.array_equal(agent.pA[m], model.pA[m])]
    assert learned == opts["modalities_to_learn"]  # it learned exactly the chosen subset
