"""Drive ``pymdp.legacy`` (inferactively-pymdp 1.0.4) and our core over the same steps.

``pymdp_trace`` runs pymdp's Agent closed-loop against one of our environments and
records, per step, the observation, the posterior, its free energy, ``G``, ``q_pi``
and pymdp's action. ``replay`` feeds the same observations and actions to our Agent
and records the same quantities, so the two can be compared entry by entry.

pymdp traps handled here: its Agent constructor ignores ``inference_params`` (they are
set after construction); its ``G`` is the negative expected free energy, as ours; the
joint-outcome information gain is its non-factorised ``update_posterior_policies``;
deterministic action selection breaks ties with the global ``np.random``; its MMP
prints inside its loop and adds pA's novelty as an array (see :func:`quiet_mmp`);
``reset()`` keeps the last action (cleared here between episodes).
"""

from __future__ import annotations

import contextlib
import itertools

import numpy as np

from aiops.inference import Agent, GenerativeModel

FIELDS = ("obs", "action", "qs", "F", "G", "q_pi")


def _obj(arrays):
    out = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        out[i] = np.array(a, dtype=np.float64)
    return out


def pymdp_trace(model: GenerativeModel, env, steps: int, policy_len: int = 1, *,
                info_gain: str = "per_modality", num_iter: int | None = None,
                dF_tol: float | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Run pymdp.legacy's Agent for ``steps`` steps; return the per-step records."""
    from pymdp.legacy import control
    from pymdp.legacy.agent import Agent as PymdpAgent

    np.random.seed(seed)  # pymdp breaks ties in deterministic selection with np.random
    dense = all(fs == list(range(model.num_factors)) for fs in model.A_factor_list)
    kwargs = {} if dense else {"A_factor_list": model.A_factor_list}
    agent = PymdpAgent(A=_obj(model.A), B=_obj(model.B), C=_obj(model.C), D=_obj(model.D),
                       policy_len=policy_len, **kwargs)
    if num_iter is not None or dF_tol is not None:
        params = dict(agent.inference_params)
        params.update({k: v for k, v in (("num_iter", num_iter), ("dF_tol", dF_tol)) if v is not None})
        agent.inference_params = params  # the constructor ignores inference_params
    rec = {k: [] for k in FIELDS}
    obs = env.reset()
    for _ in range(steps):
        if agent.action is None:
            prior = agent.D
        else:
            prior = control.get_expected_states_interactions(
                agent.qs, agent.B, agent.B_factor_list, agent.action.reshape(1, -1))[0]
        qs = agent.infer_states(obs)
        F = pymdp_free_energy(agent, model, obs, qs, prior)
        if info_gain == "joint":
            q_pi, G = control.update_posterior_policies(qs, agent.A, agent.B, agent.C, agent.policies,
                                                        E=agent.E, gamma=agent.gamma)
            agent.q_pi, agent.G = q_pi, G
        else:
            q_pi, G = agent.infer_policies()
        action = agent.sample_action()
        for key, value in (("obs", obs), ("action", action), ("qs", np.concatenate(list(qs))),
                           ("F", F), ("G", G), ("q_pi", q_pi)):
            rec[key].append(value)
        obs, _ = env.step([int(a) for a in action])
    return {k: np.array(v, dtype=int if k in ("obs", "action") else float) for k, v in rec.items()}


def pymdp_free_energy(agent, model: GenerativeModel, obs, qs, prior) -> float:
    """pymdp's variational free energy of its posterior ``qs`` (its Agent does not return it)."""
    from pymdp.legacy import maths, utils

    log_l = np.zeros(model.num_states)
    for m, a_m in enumerate(agent.A):
        lik = maths.dot_likelihood(a_m, utils.onehot(obs[m], model.num_obs[m]))
        shape = [1] * model.num_factors
        for f in model.A_factor_list[m]:
            shape[f] = model.num_states[f]
        log_l = log_l + maths.spm_log_single(lik).reshape(shape)
    F = maths.calc_free_energy(qs, maths.spm_log_obj_array(utils.to_obj_array(prior)), model.num_factors, log_l)
    return float(np.squeeze(F))


def replay(model: GenerativeModel, trace: dict[str, np.ndarray], policy_len: int = 1, *,
           info_gain: str = "per_modality", num_iter: int = 10, dF_tol: float = 0.001) -> dict[str, np.ndarray]:
    """Our Agent over the observations of ``trace``, taking the trace's actions."""
    agent = Agent(model, policy_len=policy_len, info_gain=info_gain, num_iter=num_iter, dF_tol=dF_tol, seed=0)
    rec = {k: [] for k in FIELDS}
    for obs, action in zip(trace["obs"], trace["action"]):
        qs = agent.infer_states(obs.tolist())
        q_pi, G = agent.infer_policies()
        agent.set_action(action)
        for key, value in (("obs", obs), ("action", action), ("qs", np.concatenate(qs)),
                           ("F", agent.free_energy), ("G", G), ("q_pi", q_pi)):
            rec[key].append(value)
    return {k: np.array(v, dtype=int if k in ("obs", "action") else float) for k, v in rec.items()}


def max_errors(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    """Largest absolute difference per quantity."""
    return {k: float(np.max(np.abs(a[k] - b[k]))) for k in ("qs", "F", "G", "q_pi")}


def pack(cases: dict[str, dict]) -> dict[str, np.ndarray]:
    """Many small arrays as one float vector plus a JSON index (npz entries cost ~250 B each).

    ``cases[name]`` maps keys to arrays; integer arrays and other JSON values go into
    the index as they are.
    """
    import json

    chunks, index, offset = [], {}, 0
    for name, entries in cases.items():
        index[name] = {}
        for key, value in entries.items():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                chunks.append(value.ravel())
                index[name][key] = {"offset": offset, "shape": list(value.shape)}
                offset += value.size
            else:
                index[name][key] = {"json": value.tolist() if isinstance(value, np.ndarray) else value}
    return {"data": np.concatenate(chunks), "index": np.array(json.dumps(index))}


def unpack(path) -> dict[str, dict]:
    """Inverse of :func:`pack`, from an ``.npz`` file."""
    import json

    with np.load(path) as z:
        data, index = z["data"], json.loads(str(z["index"]))
    out = {}
    for name, entries in index.items():
        out[name] = {}
        for key, spec in entries.items():
            if "json" in spec:
                out[name][key] = spec["json"]
            else:
                size = int(np.prod(spec["shape"]))
                out[name][key] = data[spec["offset"]: spec["offset"] + size].reshape(spec["shape"])
    return out


# -- whole sessions with every agent setting ------------------------------------------------

MODEL_ARRAYS = ("A", "B", "C", "D", "pA", "pB", "pD")


@contextlib.contextmanager
def quiet_mmp():
    """pymdp.legacy's MMP prints inside its loop: silence it (and skip formatting the arrays).

    Also, its MMP policy evaluation adds pA's information gain as a 1-element array
    to a float array (``G[p] += array([x])``), which numpy 2 refuses; its factorised
    VANILLA path takes ``.item()`` first. Inside this block the MMP path gets the same
    scalar, so the term it means can be compared.
    """
    from pymdp.legacy import control
    from pymdp.legacy.algos import mmp

    had = "print" in mmp.__dict__
    old = mmp.__dict__.get("print")
    pa_gain = control.calc_pA_info_gain_factorized
    mmp.print = lambda *args, **kwargs: None
    control.calc_pA_info_gain_factorized = lambda *args: np.float64(np.squeeze(pa_gain(*args)))
    try:
        yield
    finally:
        control.calc_pA_info_gain_factorized = pa_gain
        if had:
            mmp.print = old
        else:
            del mmp.print


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])


def pymdp_agent(model: GenerativeModel, **kwargs):
    """pymdp.legacy's Agent over ``model``'s arrays (as object arrays), with its settings.

    ``inference_params`` are set after construction: the constructor ignores them.
    """
    from pymdp.legacy.agent import Agent as PymdpAgent

    params = kwargs.pop("inference_params", None)
    if kwargs.get("policies") is not None:
        kwargs["policies"] = list(np.asarray(kwargs["policies"]))
    arrays = {k: _obj(getattr(model, k)) for k in MODEL_ARRAYS if getattr(model, k) is not None}
    if any(fs != list(range(model.num_factors)) for fs in model.A_factor_list):
        arrays["A_factor_list"] = model.A_factor_list
    if model.interacting:
        arrays["B_factor_list"] = model.B_factor_list
    agent = PymdpAgent(**arrays, **kwargs)
    if params:
        agent.inference_params = {**agent.inference_params, **params}
    return agent


def _mmp_beliefs(qs) -> np.ndarray:
    """pymdp's MMP beliefs ``qs[p][t][f]`` as ours: factor by factor, ``(P, T, S_f)`` flattened."""
    n_f = len(qs[0][0])
    return _flat([np.array([[qs[p][t][f] for t in range(len(qs[p]))] for p in range(len(qs))])
                  for f in range(n_f)])


def pymdp_session(model: GenerativeModel, env, steps: int, *, episodes: int = 1, learn: str = "",
                  seed: int = 0, info_gain: str = "per_modality", **kwargs) -> dict:
    """pymdp.legacy's Agent closed-loop for ``episodes`` x ``steps``; per-step records and final parameters.

    ``learn`` names what to learn, pymdp's way (explicit calls): ``A`` every step,
    ``B`` from the second step, ``D`` from each episode's first posterior.
    """
    from pymdp.legacy import control, maths

    np.random.seed(seed)  # pymdp breaks ties with the global np.random
    mmp = kwargs.get("inference_algo") == "MMP"
    full = kwargs.get("sampling_mode") == "full"
    agent = pymdp_agent(model, **kwargs)
    rec: dict[str, list] = {k: [] for k in ("obs", "action", "qs", "F", "G", "q_pi", "p")}
    with quiet_mmp():
        for episode in range(episodes):
            if episode:
                agent.reset()
                agent.action, agent.prev_actions = None, None  # reset() keeps them
            obs = env.reset()
            for step in range(steps):
                qs_prev = agent.qs
                if not mmp:
                    prior = agent.D if agent.action is None else control.get_expected_states_interactions(
                        agent.qs, agent.B, agent.B_factor_list, agent.action.reshape(1, -1))[0]
                qs = agent.infer_states(obs)
                if mmp:
                    rec["qs"].append(_mmp_beliefs(qs))
                    rec["F"].append(np.array(agent.F))
                else:
                    rec["qs"].append(_flat(qs))
                    rec["F"].append(np.array([pymdp_free_energy(agent, model, obs, qs, prior)]))
                if "A" in learn:
                    agent.update_A(obs)
                if "B" in learn and agent.action is not None:
                    agent.update_B(qs_prev)
                if "D" in learn and step == 0:
                    agent.update_D(qs)
                if info_gain == "joint":
                    q_pi, G = control.update_posterior_policies(
                        qs, agent.A, agent.B, agent.C, agent.policies, agent.use_utility,
                        agent.use_states_info_gain, agent.use_param_info_gain, agent.pA, agent.pB,
                        E=agent.E, gamma=agent.gamma)
                    agent.q_pi, agent.G = q_pi, G
                else:
                    q_pi, G = agent.infer_policies()
                if full and agent.action_selection == "stochastic":
                    rec["p"].append(maths.softmax(maths.spm_log_single(q_pi) * agent.alpha))
                action = agent.sample_action()
                for key, value in (("obs", obs), ("action", action), ("G", G), ("q_pi", q_pi)):
                    rec[key].append(np.asarray(value))
                obs, _ = env.step([int(a) for a in action])
    rec["params"] = {k: _flat(getattr(agent, k)) for k in ("A", "B", "D", "pA", "pB", "pD")
                     if getattr(agent, k) is not None}
    return rec


def aiops_session(model: GenerativeModel, trace: dict, steps: int, *, episodes: int = 1, learn: str = "",
                  mode: str = "explicit", from_arrays: bool = False, **kwargs) -> dict:
    """Our Agent over the observations of ``trace``, taking its actions; the same records.

    ``mode="perception"`` learns through ``learn_A/B/D`` inside :meth:`Agent.infer_states`,
    ``"explicit"`` through ``update_A/B/D`` calls; ``from_arrays`` builds the agent
    pymdp-style, ``Agent(A=..., B=..., ...)`` from object arrays. ``rec["chosen"]`` are
    our agent's deterministic choices and the best actions it chose among.
    """
    from aiops.inference import Agent
    from aiops.inference.actions import policy_probabilities

    if mode == "perception":
        kwargs.update({f"learn_{x}": True for x in learn})
    if from_arrays:
        arrays = {k: _obj(getattr(model, k)) for k in MODEL_ARRAYS if getattr(model, k) is not None}
        agent = Agent(**arrays, A_factor_list=model.A_factor_list, B_factor_list=model.B_factor_list, **kwargs)
    else:
        agent = Agent(model, **kwargs)
    mmp = agent.inference_algo == "MMP"
    rec: dict[str, list] = {k: [] for k in ("qs", "F", "G", "q_pi", "p", "chosen")}
    i = 0
    for episode in range(episodes):
        if episode:
            agent.reset()
        for step in range(steps):
            obs, action = trace["obs"][i], trace["action"][i]
            i += 1
            agent.infer_states(list(obs))
            if mmp:
                rec["qs"].append(_flat(agent.qs_pi))
                rec["F"].append(np.array(agent.F))
            else:
                rec["qs"].append(_flat(agent.qs))
                rec["F"].append(np.array([agent.free_energy]))
            if mode == "explicit":
                if "A" in learn:
                    agent.update_A(list(obs))
                if "B" in learn and agent.action is not None:
                    agent.update_B()
                if "D" in learn and step == 0:
                    agent.update_D()
            q_pi, G = agent.infer_policies()
            rec["G"].append(G.copy())
            rec["q_pi"].append(q_pi.copy())
            if agent.sampling_mode == "full" and agent.action_selection == "stochastic":
                rec["p"].append(policy_probabilities(agent._policies, q_pi, agent.alpha))
            chosen = agent.sample_action()
            rec["chosen"].append(None if agent.action_selection == "stochastic" else (chosen, _best(agent)))
            agent.set_action([int(a) for a in action])
    rec["params"] = {k: _flat(getattr(agent, k)) for k in ("A", "B", "D", "pA", "pB", "pD")
                     if getattr(agent, k) is not None}
    rec["agent"] = agent
    return rec


def _best(agent) -> set[tuple[int, ...]]:
    """The actions a deterministic choice could take (several where the best are tied)."""
    if agent.sampling_mode == "full":
        q = agent.q_pi
        return {tuple(int(a) for a in agent.policies[i, 0]) for i in np.flatnonzero(np.abs(q - q.max()) <= 1e-8)}
    return set(itertools.product(*[np.flatnonzero(np.abs(m - m.max()) <= 1e-8).tolist()
                                   for m in agent.action_marginals()]))


def session_errors(ours: dict, ref: dict) -> dict[str, float]:
    """Largest absolute difference per quantity; ``action`` counts choices that differ."""
    out = {}
    for key in ("qs", "F", "G", "q_pi", "p"):
        pairs = list(zip(ours[key], ref[key]))
        assert len(ours[key]) == len(ref[key]), key
        out[key] = max((float(np.max(np.abs(a - b))) for a, b in pairs if a.shape == b.shape and a.size),
                       default=0.0)
        if any(a.shape != b.shape for a, b in pairs):
            out[key] = float("inf")
    for key, value in ref["params"].items():
        out[key] = float(np.max(np.abs(ours["params"][key] - value)))
    # Deterministic choices: ours and pymdp's must both be among the best (ties are broken
    # by different generators); where there is no tie, that means they are equal.
    out["action"] = float(sum(c is not None and not {tuple(c[0]), tuple(int(a) for a in r)} <= c[1]
                              for c, r in zip(ours["chosen"], ref["action"])))
    return out
