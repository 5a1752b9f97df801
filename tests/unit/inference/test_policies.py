"""Expected free energy against a policy-by-policy reference written out in loops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from aiops.core.errors import UsageError
from aiops.inference import Agent, Conventions, construct_policies, grid_model, random_model, tmaze_model
from aiops.inference.policies import PolicyCache, infer_policies

LOG_EPS, AMB_EPS, PRUNE = 1e-16, np.exp(-16), np.exp(-16)


def _mutual_info(a_list, qx):
    """I(o; s) for the outcome distribution over the modalities in ``a_list`` (joint)."""
    keep = qx > PRUNE
    qo, neg_amb = 0.0, 0.0
    for s in zip(*np.nonzero(keep)):
        po = np.ones(1)
        for a in a_list:
            po = np.outer(po, a[(slice(None),) + s]).ravel()
        qo = qo + qx[s] * po
        neg_amb += qx[s] * po @ np.log(po + AMB_EPS)
    return neg_amb - qo @ np.log(qo + LOG_EPS)


def naive_G(model, qs, policies, joint=False):
    out = []
    for pol in policies:
        g, beliefs = 0.0, [q.copy() for q in qs]
        for t in range(pol.shape[0]):
            beliefs = [b[:, :, u] @ q for b, q, u in zip(model.B, beliefs, pol[t])]
            groups = [[m] for m in range(model.num_modalities)] if not joint else [list(range(model.num_modalities))]
            for ms in groups:
                fs = model.A_factor_list[ms[0]]
                qx = beliefs[fs[0]]
                for f in fs[1:]:
                    qx = np.multiply.outer(qx, beliefs[f])
                g += _mutual_info([model.A[m] for m in ms], qx)
            for m, (a, c) in enumerate(zip(model.A, model.C)):
                fs = model.A_factor_list[m]
                qx = beliefs[fs[0]]
                for f in fs[1:]:
                    qx = np.multiply.outer(qx, beliefs[f])
                qo = a.reshape(a.shape[0], -1) @ qx.ravel()
                pc = np.exp(c - c.max())
                g += qo @ np.log(pc / pc.sum() + LOG_EPS)
        out.append(g)
    return np.array(out)


def _beliefs(model, seed):
    rng = np.random.default_rng(seed)
    qs = [rng.dirichlet(np.full(n, 0.3)) for n in model.num_states]
    qs[0][0] = 1e-9  # some states below the pruning threshold
    return [q / q.sum() for q in qs]


@pytest.mark.parametrize("seed,policy_len", [(s, 1 + s % 3) for s in range(9)])
def test_G_matches_reference(seed, policy_len):
    model = random_model(seed, factorised=seed % 4 == 3)
    policies = construct_policies(model.num_controls, policy_len)
    if len(policies) > 60:  # keep the loop reference quick; also exercises partial trees
        policies = policies[np.random.default_rng(seed).choice(len(policies), 60, replace=False)]
    cache = PolicyCache(model, policies, Conventions())
    qs = _beliefs(model, seed)
    q_pi, G = infer_policies(cache, qs, gamma=16.0)
    ref = naive_G(model, qs, policies)
    np.testing.assert_allclose(G, ref, atol=1e-10, rtol=0)
    x = 16.0 * ref + np.log(1.0 / len(policies) + LOG_EPS)
    np.testing.assert_allclose(q_pi, np.exp(x - x.max()) / np.exp(x - x.max()).sum(), atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_joint_info_gain_matches_reference(seed):
    model = random_model(seed)
    policies = construct_policies(model.num_controls, 1)
    cache = PolicyCache(model, policies, Conventions(), info_gain="joint")
    qs = _beliefs(model, seed)
    np.testing.assert_allclose(infer_policies(cache, qs, 1.0)[1], naive_G(model, qs, policies, joint=True), atol=1e-10)


def test_custom_policy_subsets_and_habits():
    model = random_model(3)
    full = construct_policies(model.num_controls, 2)
    rng = np.random.default_rng(0)
    subset = full[rng.choice(len(full), size=min(7, len(full)), replace=False)]
    E = rng.dirichlet(np.ones(len(subset)))
    cache = PolicyCache(model, subset, Conventions(), E=E)
    qs = _beliefs(model, 1)
    q_pi, G = infer_policies(cache, qs, 4.0)
    np.testing.assert_allclose(G, naive_G(model, qs, subset), atol=1e-10)
    x = 4.0 * G + np.log(E + LOG_EPS)
    np.testing.assert_allclose(q_pi, np.exp(x - x.max()) / np.exp(x - x.max()).sum(), atol=1e-12)


def test_sparse_and_dense_information_gain_agree():
    model = grid_model(9)  # 81 states: large enough for the sparse path
    cache = PolicyCache(model, construct_policies([5], 2), Conventions())
    sharp = [np.eye(81)[40] * (1 - 1e-12) + 1e-12 / 81]
    spread = [np.full(81, 1 / 81)]
    for qs in (sharp, spread):
        np.testing.assert_allclose(infer_policies(cache, qs, 1.0)[1],
                                   naive_G(model, qs, construct_policies([5], 2)), atol=1e-10)


def test_terms_can_be_switched_off():
    model = tmaze_model()
    qs = [np.array([1, 0, 0, 0.0]) + 1e-9, np.array([0.5, 0.5])]
    qs = [q / q.sum() for q in qs]
    pols = construct_policies(model.num_controls, 1)
    off = PolicyCache(model, pols, Conventions(), use_utility=False, use_states_info_gain=False)
    assert np.all(infer_policies(off, qs, 16.0)[1] == 0)
    epistemic = PolicyCache(model, pols, Conventions(), use_utility=False)
    G = infer_policies(epistemic, qs, 16.0)[1]
    assert np.argmax(G) == 3  # only the cue location resolves the context


def test_policy_validation():
    model = tmaze_model()
    with pytest.raises(UsageError, match="policies contain actions outside"):
        PolicyCache(model, np.array([[[4, 0]]]), Conventions())
    with pytest.raises(UsageError, match="E has 3 entries"):
        PolicyCache(model, construct_policies([4, 1], 1), Conventions(), E=np.ones(3) / 3)
    with pytest.raises(UsageError, match="info_gain"):
        PolicyCache(model, construct_policies([4, 1], 1), Conventions(), info_gain="spm")
    with pytest.raises(UsageError, match="policy_len"):
        construct_policies([4, 1], 0)
    factorised = random_model(4, factorised=True)
    if len({tuple(f) for f in factorised.A_factor_list}) > 1:
        with pytest.raises(UsageError, match="joint"):
            Agent(factorised, info_gain="joint")


def test_policies_are_in_pymdp_order():
    pols = construct_policies([2, 1, 3], 2)
    assert pols.shape == (36, 2, 3)
    expected = list(itertools.product(range(2), range(1), range(3), range(2), range(1), range(3)))
    assert [tuple(p.ravel()) for p in pols] == expected


def _outer(vectors):
    out = vectors[0]
    for v in vectors[1:]:
        out = np.multiply.outer(out, v)
    return out


def _wnorm(p):
    x = p + 1e-16
    return (1.0 / x.sum(axis=0) - 1.0 / x) * (p > 0)


def naive_G_full(model, qs, policies, novelty=False):
    """Policy by policy: interacting dynamics (B_factor_list) and pA/pB novelty, in loops."""
    out = []
    for pol in policies:
        g, beliefs = 0.0, [q.copy() for q in qs]
        for t in range(pol.shape[0]):
            prev = beliefs
            beliefs = [np.tensordot(b[..., u], _outer([prev[d] for d in deps]), axes=len(deps))
                       for b, u, deps in zip(model.B, pol[t], model.B_factor_list)]
            for m, (a, c) in enumerate(zip(model.A, model.C)):
                qx = _outer([beliefs[f] for f in model.A_factor_list[m]])
                g += _mutual_info([a], qx)
                qo = a.reshape(a.shape[0], -1) @ qx.ravel()
                pc = np.exp(c - c.max())
                g += qo @ np.log(pc / pc.sum() + LOG_EPS)
                if novelty and model.pA is not None:
                    w = _wnorm(model.pA[m]).reshape(a.shape[0], -1)
                    g -= qo @ (w @ qx.ravel())
            if novelty and model.pB is not None:
                for f, (p, u, deps) in enumerate(zip(model.pB, pol[t], model.B_factor_list)):
                    w = _wnorm(p)[..., u]
                    g -= beliefs[f] @ np.tensordot(w, _outer([prev[d] for d in deps]), axes=len(deps))
        out.append(g)
    return np.array(out)


@pytest.mark.parametrize("seed,policy_len", [(s, 1 + s % 3) for s in range(8)])
def test_interacting_factors_match_reference(seed, policy_len):
    model = random_model(seed, interacting=True, factorised=seed % 2 == 1)
    policies = construct_policies(model.num_controls, policy_len)
    if len(policies) > 60:
        policies = policies[np.random.default_rng(seed).choice(len(policies), 60, replace=False)]
    cache = PolicyCache(model, policies, Conventions())
    qs = _beliefs(model, seed)
    np.testing.assert_allclose(infer_policies(cache, qs, 16.0)[1], naive_G_full(model, qs, policies),
                               atol=1e-10, rtol=0)


@pytest.mark.parametrize("seed,interacting", [(s, s % 2 == 1) for s in range(8)])
def test_parameter_information_gain_matches_reference(seed, interacting):
    model = random_model(seed, interacting=interacting, factorised=seed % 3 == 0)
    rng = np.random.default_rng(seed)
    model.pA = [a * rng.uniform(0.5, 5.0) + 0.05 for a in model.A]
    model.pB = [b * rng.uniform(0.5, 5.0) + 0.05 for b in model.B]
    model.pA[0][0] = 0.0  # zero counts carry no novelty
    policies = construct_policies(model.num_controls, 1 + seed % 2)
    qs = _beliefs(model, seed)
    on = PolicyCache(model, policies, Conventions(), use_param_info_gain=True)
    off = PolicyCache(model, policies, Conventions())
    G_on, G_off = infer_policies(on, qs, 16.0)[1], infer_policies(off, qs, 16.0)[1]
    np.testing.assert_allclose(G_on, naive_G_full(model, qs, policies, novelty=True), atol=1e-10, rtol=0)
    np.testing.assert_allclose(G_off, naive_G_full(model, qs, policies), atol=1e-10, rtol=0)
    assert np.max(G_on - G_off) > 1e-3  # novelty is a bonus


def test_novelty_is_largest_where_counts_are_fewest():
    model = tmaze_model()
    model.pA = [a * 100.0 + 1e-3 for a in model.A]
    model.pA[2][:, 3, :] = 0.5  # barely any experience of the cue
    cache = PolicyCache(model, construct_policies(model.num_controls, 1), Conventions(), use_param_info_gain=True,
                        use_utility=False, use_states_info_gain=False)
    G = infer_policies(cache, [np.array([1.0, 0, 0, 0]), np.array([0.5, 0.5])], 1.0)[1]
    assert np.argmax(G) == 3
