"""State inference against an independent, loop-by-loop mean-field reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from aiops.inference import EXACT, Agent, Conventions, random_model, tmaze_model
from aiops.inference.states import StateCache, free_energy, infer_states

EPS = 1e-16


def naive_fpi(model, obs, prior, num_iter=10, tol=1e-3):
    """Mean-field FPI written out over joint states, as pymdp's VANILLA scheme."""
    ns = model.num_states
    log_l = np.zeros(ns)
    for m, (a, fs) in enumerate(zip(model.A, model.A_factor_list)):
        for joint in itertools.product(*[range(n) for n in ns]):
            log_l[joint] += np.log(a[(obs[m],) + tuple(joint[f] for f in fs)] + EPS)
    log_p = [np.log(p + EPS) for p in prior]
    qs = [np.full(n, 1.0 / n) for n in ns]

    def vfe(qs, with_acc=True):
        f = sum(q @ np.log(q + EPS) - q @ lp for q, lp in zip(qs, log_p))
        if with_acc:
            for joint in itertools.product(*[range(n) for n in ns]):
                f -= np.prod([q[j] for q, j in zip(qs, joint)]) * log_l[joint]
        return f

    if len(ns) == 1:
        x = log_l + log_p[0]
        q = np.exp(x - x.max())
        return [q / q.sum()], None
    prev, d_f, it = vfe(qs, False), 1.0, 0
    while it < num_iter and d_f >= tol:
        new = []
        for f in range(len(ns)):
            ql = np.zeros(ns[f])
            for joint in itertools.product(*[range(n) for n in ns]):
                w = np.prod([qs[g][joint[g]] for g in range(len(ns)) if g != f])
                ql[joint[f]] += w * log_l[joint]
            x = ql + log_p[f]
            e = np.exp(x - x.max())
            new.append(e / e.sum())
        qs = new
        cur = vfe(qs)
        d_f, prev, it = abs(prev - cur), cur, it + 1
    return qs, prev


@pytest.mark.parametrize("seed", range(12))
def test_fpi_matches_naive_reference(seed):
    model = random_model(seed, factorised=seed % 3 == 2)
    rng = np.random.default_rng(seed)
    cache = StateCache(model, Conventions())
    for _ in range(3):
        obs = [int(rng.integers(o)) for o in model.num_obs]
        prior = [rng.dirichlet(np.ones(n)) for n in model.num_states]
        log_prior = np.log(np.concatenate(prior) + EPS)
        post = infer_states(cache, obs, log_prior)
        ref, ref_f = naive_fpi(model, obs, prior)
        np.testing.assert_allclose(post.q, np.concatenate(ref), atol=1e-12, rtol=0)
        np.testing.assert_allclose(post.free_energy, ref_f, atol=1e-10)
        assert post.free_energy == pytest.approx(free_energy(cache, post.q, obs, log_prior), abs=1e-10)


def test_tables_and_direct_computation_agree():
    model = random_model(4, num_factors=2)
    tabled, direct = StateCache(model, Conventions()), StateCache(model, Conventions(), table_limit=0)
    assert tabled.static_table is not None and direct.static_table is None
    obs = [1, 0, 1][: model.num_modalities]
    a = infer_states(tabled, obs, tabled.log_D)
    b = infer_states(direct, obs, direct.log_D)
    np.testing.assert_allclose(a.q, b.q, atol=1e-14)



@pytest.mark.parametrize("seed", range(6))
def test_tabulated_terms_are_the_direct_ones_to_the_bit(seed):
    # Per-outcome rows (summed per observation) and the per-observation tables built from them
    # must hold exactly what observation_terms computes from the log-likelihoods, before and
    # after some modalities' likelihoods change.
    model = random_model(seed, factorised=True)
    tabled, rows_only = StateCache(model, Conventions()), StateCache(model, Conventions(), table_limit=0)
    assert rows_only.static_table is None and (rows_only.static_rows is not None or rows_only.pair_rows is not None)
    rng = np.random.default_rng(seed)
    for step in range(2):
        for k, obs in enumerate(itertools.product(*[range(o) for o in model.num_obs])):
            static, pair = tabled.observation_terms(np.array(obs))
            got_static, got_pair = rows_only.outcome_terms(list(obs))
            cases = ((static, got_static, tabled.static_table), (pair, got_pair, tabled.pair_table))
            for expected, got, table in cases:
                if expected is None:
                    assert got is None
                else:
                    assert np.array_equal(got, expected) and np.array_equal(table[k], expected)
        changed = [0, model.num_modalities - 1]
        model.A = [a if m not in changed else rng.dirichlet(np.ones(a.shape[0]), size=a.shape[1:]).transpose(
            (a.ndim - 1,) + tuple(range(a.ndim - 1))) for m, a in enumerate(model.A)]
        for cache in (tabled, rows_only):
            cache.update(model, {"A": changed})

def test_single_factor_posterior_is_bayes_rule():
    model = random_model(0, num_factors=2)
    model.B = model.B[:1]
    model.D = model.D[:1]
    model.A = [a[..., 0] / a[..., 0].sum(axis=0) for a in model.A]
    model.A_factor_list = [[0] for _ in model.A]
    model.validate()
    cache = StateCache(model, Conventions())
    obs = [1] * model.num_modalities
    post = infer_states(cache, obs, np.log(model.D[0] + EPS))
    joint = model.D[0] * np.prod([a[1] for a in model.A], axis=0)
    np.testing.assert_allclose(post.q, joint / joint.sum(), rtol=1e-12)
    assert post.iterations == 0
    # F = -ln p(o) for an exact posterior (up to the epsilons)
    assert post.free_energy == pytest.approx(-np.log(joint.sum()), abs=1e-12)


def test_posteriors_are_normalised_and_entropy_is_nonnegative():
    model = random_model(11)
    agent = Agent(model, seed=0)
    for obs in itertools.islice(itertools.product(*[range(o) for o in model.num_obs]), 10):
        res = agent.infer(list(obs))
        for q in res.qs:
            assert q.sum() == pytest.approx(1.0) and np.all(q >= 0)
        assert res.entropy >= 0
        assert res.entropy <= sum(np.log(n) for n in model.num_states) + 1e-12


def test_iteration_count_and_tolerance_are_honoured():
    model = random_model(5, num_factors=3)
    cache = StateCache(model, Conventions())
    obs = [0] * model.num_modalities
    assert infer_states(cache, obs, cache.log_D, num_iter=1).iterations == 1
    assert infer_states(cache, obs, cache.log_D, num_iter=50, dF_tol=0.0).iterations == 50
    assert infer_states(cache, obs, cache.log_D, num_iter=50, dF_tol=1e-3).iterations < 50


def test_tmaze_perception():
    agent = Agent(tmaze_model(), seed=0)
    qs = agent.infer_states([0, 0, 0])  # in the centre: the cue is uninformative
    assert qs[0][0] > 0.99 and qs[1][0] == pytest.approx(0.5)
    agent.set_action([3, 0])
    qs = agent.infer_states([3, 0, 1])  # at the cue location, the cue says "right"
    assert qs[0][3] > 0.99 and qs[1][1] > 0.99


def test_exact_conventions_underflow_safely():
    model = random_model(2)
    agent = Agent(model, conventions=EXACT)
    res = agent.infer([0] * model.num_modalities)
    assert all(np.all(np.isfinite(q)) for q in res.qs)
    assert np.isfinite(res.free_energy)
